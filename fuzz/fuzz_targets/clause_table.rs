//! Clause tables (CSV, JSON lines): any bytes are rows or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = PathBuf::from(if pick % 2 == 0 { "t.csv" } else { "t.jsonl" });
    let source = policylens_read::Source::new(&path, bytes.to_vec());
    let _ = policylens_store::clause_table_of(&source);
});
