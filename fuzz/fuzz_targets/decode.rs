//! Sniffing and decoding: any bytes under any of the names PolicyLens reads.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

const NAMES: [&str; 6] = ["p.html", "p.md", "p.txt", "p.csv", "p.jsonl", "p"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = PathBuf::from(NAMES[pick as usize % NAMES.len()]);
    let source = policylens_read::Source::new(&path, bytes.to_vec());
    if let Ok(decoded) = policylens_read::decode_text(&source) {
        assert!(!decoded.text.trim().is_empty());
    }
});
