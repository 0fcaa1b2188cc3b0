//! Prints the clauses segmentation cuts from files, one block per clause
//! with its heading path: the quickest look at what a page becomes.
//!
//! `cargo run --release -p policylens-segment --example clauses -- FILE...`
//! (`.html`/`.htm` as HTML, `.md` as Markdown, anything else as text;
//! `--text` first reads every file as text).

use policylens_core::Format;
use std::path::Path;

fn format_of(path: &Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => Format::Html,
        Some("md" | "markdown") => Format::Markdown,
        _ => Format::Text,
    }
}

fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let as_text = args.first().is_some_and(|a| a == "--text");
    if as_text {
        args.remove(0);
    }
    for arg in &args {
        let path = Path::new(arg);
        let bytes = std::fs::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        let format = if as_text {
            Format::Text
        } else {
            format_of(path)
        };
        let seg = policylens_segment::segment(format, &text);
        println!("=== {} ({} clauses)", path.display(), seg.clauses.len());
        for clause in &seg.clauses {
            println!("--- [{}] {}", clause.position, clause.heading_path());
            println!("{}", clause.text);
        }
    }
    Ok(())
}
