//! Replays every input saved under `fuzz/corpus/` (seeds, and inputs that
//! once crashed a parser) through the code each fuzz target drives, with
//! the same checks, on stable Rust: a crash found by `cargo fuzz` and fixed
//! stays fixed. The targets themselves are in `fuzz/fuzz_targets/`.

use policylens_core::Format;
use policylens_read::{decode_text, Source};
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} holds no inputs", dir.display());
    inputs
}

/// A source named `name`, as the decode and clause-table targets build it.
fn source(name: &str, bytes: &[u8]) -> Source {
    Source::new(Path::new(name), bytes.to_vec())
}

#[test]
fn decode_corpus() {
    const NAMES: [&str; 6] = ["p.html", "p.md", "p.txt", "p.csv", "p.jsonl", "p"];
    for (path, data) in corpus("decode") {
        let Some((&pick, bytes)) = data.split_first() else {
            continue;
        };
        if let Ok(decoded) = decode_text(&source(NAMES[pick as usize % NAMES.len()], bytes)) {
            assert!(!decoded.text.trim().is_empty(), "{}", path.display());
        }
    }
}

fn segment_corpus(target: &str, format: Format) {
    for (path, data) in corpus(target) {
        let text = String::from_utf8_lossy(&data);
        let seg = policylens_segment::segment(format, &text);
        for clause in &seg.clauses {
            assert_eq!(seg.text_of(clause), clause.text, "{}", path.display());
        }
    }
}

#[test]
fn segment_html_corpus() {
    segment_corpus("segment_html", Format::Html);
}

#[test]
fn segment_markdown_corpus() {
    segment_corpus("segment_markdown", Format::Markdown);
}

#[test]
fn segment_text_corpus() {
    segment_corpus("segment_text", Format::Text);
}

#[test]
fn clause_table_corpus() {
    for (_, data) in corpus("clause_table") {
        let Some((&pick, bytes)) = data.split_first() else {
            continue;
        };
        let name = if pick % 2 == 0 { "t.csv" } else { "t.jsonl" };
        let _ = policylens_store::clause_table_of(&source(name, bytes));
    }
}
