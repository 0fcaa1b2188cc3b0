//! How much of a folder of Markdown policies segmentation keeps, and how
//! much of it sits under a heading.
//!
//! For each `.md` file, the source words are the lower-cased alphanumeric
//! words of every text event CommonMark gives (link targets and Markdown
//! markers are not text; inline HTML is left out on both sides). We segment
//! the file as `policylens label` does and compare against the words of the
//! extracted text:
//!
//! - word recall: multiset overlap / source words (policy text kept);
//! - clauses, and the share of them with a heading path;
//! - words per clause (a sentence cut at every bold or italic span shows as
//!   many short clauses).
//!
//! Usage: `cargo run --release -p policylens-segment --example markdown_coverage -- DIR`
//! (for example `../shared/data/ota/privacy-policies`, the Open Terms Archive
//! policies). Files that keep less than 95% of their words are listed, and
//! so are those with no clauses at all (a title alone, an image), which
//! `label` reports with status `empty` and the means leave out.
//! `COVERAGE_ALL=1` lists every file; `COVERAGE_AS_TEXT=1` segments the
//! files as plain text instead (what reading Markdown as text would cost).

use policylens_core::Format;
use pulldown_cmark::{Event, Options, Parser};
use std::collections::HashMap;
use std::path::Path;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn source_words(markdown: &str) -> Vec<String> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) => {
                text.push_str(&t);
                // Words never run on across events (a heading then a paragraph).
                text.push(' ');
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    words(&text)
}

/// Multiset overlap of two word lists.
fn overlap(a: &[String], b: &[String]) -> usize {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in a {
        *counts.entry(w).or_default() += 1;
    }
    b.iter()
        .filter(|w| {
            counts
                .get_mut(w.as_str())
                .map(|n| {
                    let hit = *n > 0;
                    *n = n.saturating_sub(1);
                    hit
                })
                .unwrap_or(false)
        })
        .count()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: markdown_coverage DIR");
    let mut files: Vec<_> = std::fs::read_dir(Path::new(&dir))
        .expect("readable folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let (mut recall_sum, mut n) = (0.0, 0usize);
    let (mut clauses, mut headed, mut clause_words) = (0usize, 0usize, 0usize);
    let (mut short, mut empty) = (Vec::new(), Vec::new());
    for path in &files {
        let markdown = std::fs::read_to_string(path).expect("UTF-8 Markdown");
        let source = source_words(&markdown);
        if source.is_empty() {
            continue;
        }
        let seg = policylens_segment::segment(
            if std::env::var_os("COVERAGE_AS_TEXT").is_some() {
                Format::Text
            } else {
                Format::Markdown
            },
            &markdown,
        );
        if seg.clauses.is_empty() {
            // `label` reports these with status `empty`.
            empty.push(path.file_name().unwrap().to_string_lossy().into_owned());
            continue;
        }
        let ours = words(&seg.text);
        let recall = overlap(&ours, &source) as f64 / source.len() as f64;
        recall_sum += recall;
        n += 1;
        clauses += seg.clauses.len();
        headed += seg.clauses.iter().filter(|c| !c.heading.is_empty()).count();
        clause_words += seg
            .clauses
            .iter()
            .map(|c| words(&c.text).len())
            .sum::<usize>();
        if recall < 0.95 || std::env::var_os("COVERAGE_ALL").is_some() {
            short.push((
                recall,
                path.file_name().unwrap().to_string_lossy().into_owned(),
            ));
        }
    }
    short.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "files with no clauses (status `empty`): {}",
        empty.join(", ")
    );
    println!("files keeping < 95% of their words:");
    for (recall, name) in &short {
        println!("  {recall:.3}  {name}");
    }
    let n_f = n.max(1) as f64;
    println!("{n} Markdown policies with clauses:");
    println!("  word recall (mean)        {:.4}", recall_sum / n_f);
    println!("  clauses                   {clauses}");
    println!(
        "  clauses under a heading   {:.1}%",
        100.0 * headed as f64 / clauses.max(1) as f64
    );
    println!(
        "  words per clause (mean)   {:.1}",
        clause_words as f64 / clauses.max(1) as f64
    );
}
