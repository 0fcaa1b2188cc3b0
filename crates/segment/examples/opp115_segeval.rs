//! How well HTML segmentation recovers the policy text annotators saw.
//!
//! For each page in OPP-115's `original_policies`, the matching
//! `sanitized_policies` file (same leading numeric id) holds the text the
//! annotators read, cut into segments by `|||`. We segment the original page
//! and compare lower-cased alphanumeric words:
//!
//! - word recall: multiset overlap / sanitized words (policy text we kept);
//! - word precision: overlap / our words (how much of our output is policy);
//! - boundaries: the two word sequences are aligned with a diff; a clause
//!   boundary (where a clause's heading or text starts) and a segment boundary
//!   are compared at aligned word positions only.
//!
//! Usage: `cargo run --release -p policylens-segment --example opp115_segeval -- DIR [RENDERED]`
//! where DIR holds `original_policies/` and `sanitized_policies/` (see
//! `scripts/segeval.sh`). With RENDERED, a folder of `NAME.txt` renderings
//! of the pages (`scripts/render-opp115.sh`: w3m, lynx, html2text), those
//! are segmented as the text files they are instead of the HTML.
//!
//! `SEGEVAL_AS_IS=1` with RENDERED scores each `NAME.txt` as it is, without
//! segmenting it: its words are the words compared, on the same pages and
//! with the same means, so a main-content extractor's output
//! (`scripts/extractors/compare.sh`) is measured as it stands. An empty file
//! counts (recall and precision 0); boundaries do not apply and show as `-`.

use policylens_core::{Format, Segmented};
use similar::{capture_diff_slices, Algorithm, DiffOp};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

struct Row {
    name: String,
    ours: usize,
    theirs: usize,
    clauses: usize,
    segments: usize,
    recall: f64,
    precision: f64,
    bp: f64,
    br: f64,
}

fn main() -> ExitCode {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/data/opp115".into()),
    );
    let rendered = std::env::args().nth(2).map(PathBuf::from);
    let as_is = rendered.is_some() && std::env::var_os("SEGEVAL_AS_IS").is_some();
    let originals = dir.join("original_policies");
    let sanitized = dir.join("sanitized_policies");
    let (Ok(orig_entries), Ok(san_entries)) =
        (std::fs::read_dir(&originals), std::fs::read_dir(&sanitized))
    else {
        eprintln!(
            "{}: expected original_policies/ and sanitized_policies/ there",
            dir.display()
        );
        return ExitCode::FAILURE;
    };
    let by_id: HashMap<String, PathBuf> = san_entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| Some((numeric_id(&p)?, p)))
        .collect();
    let mut pages: Vec<PathBuf> = orig_entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    pages.sort();

    let verbose = std::env::var_os("SEGEVAL_VERBOSE").is_some();
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let started = std::time::Instant::now();
    for page in &pages {
        let name = page
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.ends_with(".html") {
            if !name.ends_with(".txt") {
                skipped.push(format!("{name} (not HTML)"));
            }
            continue;
        }
        let Some(truth_path) = numeric_id(page).and_then(|id| by_id.get(&id)) else {
            skipped.push(format!("{name} (no sanitized file)"));
            continue;
        };
        let (input, format) = match &rendered {
            // SEGEVAL_MARKDOWN=1: the renderings are Markdown (html2text's).
            Some(r) if std::env::var_os("SEGEVAL_MARKDOWN").is_some() => {
                (r.join(name.replace(".html", ".txt")), Format::Markdown)
            }
            Some(r) => (r.join(name.replace(".html", ".txt")), Format::Text),
            None => (page.clone(), Format::Html),
        };
        let read = if as_is {
            // Read plainly: an empty output is the extractor's answer, not a skip.
            std::fs::read(&input)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| format!("{}: {e}", input.display()))
        } else {
            policylens_read::read_source(&input)
                .and_then(|s| policylens_read::decode(&s))
                .map_err(|e| e.to_string())
        };
        let text = match read {
            Ok(text) => text,
            Err(err) => {
                skipped.push(err);
                continue;
            }
        };
        let Ok(truth) = std::fs::read(truth_path) else {
            skipped.push(format!("{} (unreadable)", truth_path.display()));
            continue;
        };
        let seg = if as_is {
            Segmented {
                text,
                ..Segmented::default()
            }
        } else {
            policylens_segment::segment(format, &text)
        };
        let row = compare(name, &seg, &String::from_utf8_lossy(&truth));
        if verbose {
            dump(&row.name, &seg, &String::from_utf8_lossy(&truth));
        }
        rows.push(row);
    }
    let elapsed = started.elapsed();
    if rows.is_empty() {
        eprintln!("no policies compared");
        return ExitCode::FAILURE;
    }

    println!(
        "OPP-115 {} vs sanitized policies: {} policies in {:.1}s",
        if as_is { "text as is" } else { "segmentation" },
        rows.len(),
        elapsed.as_secs_f64()
    );
    for s in &skipped {
        println!("skipped: {s}");
    }
    let header = format!(
        "{:<44} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "policy", "ours", "theirs", "claus", "segs", "recall", "prec", "bnd-P", "bnd-R"
    );
    let line = |r: &Row| {
        let [clauses, bp, br] = if as_is {
            ["-".to_string(), "-".into(), "-".into()]
        } else {
            [
                r.clauses.to_string(),
                format!("{:.3}", r.bp),
                format!("{:.3}", r.br),
            ]
        };
        format!(
            "{:<44} {:>6} {:>6} {:>6} {:>6} {:>6.3} {:>6.3} {:>6} {:>6}",
            r.name.chars().take(44).collect::<String>(),
            r.ours,
            r.theirs,
            clauses,
            r.segments,
            r.recall,
            r.precision,
            bp,
            br
        )
    };
    let orders = [
        ("recall", (|r: &Row| r.recall) as fn(&Row) -> f64),
        ("precision", |r: &Row| r.precision),
        ("boundary F1", |r: &Row| f1(r.bp, r.br)),
    ];
    for (what, key) in orders.into_iter().take(if as_is { 2 } else { 3 }) {
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by(|a, b| key(a).total_cmp(&key(b)));
        // SEGEVAL_ALL=1: every policy, not the worst 10.
        let shown = if std::env::var_os("SEGEVAL_ALL").is_some() {
            rows.len()
        } else {
            10
        };
        println!("\nworst {shown} by {what}:\n{header}");
        for r in sorted.iter().take(shown) {
            println!("{}", line(r));
        }
    }
    let n = rows.len() as f64;
    let mean = |f: fn(&Row) -> f64| rows.iter().map(f).sum::<f64>() / n;
    let (bp, br) = (mean(|r| r.bp), mean(|r| r.br));
    let median = |f: fn(&Row) -> f64| {
        let mut v: Vec<f64> = rows.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("\nmeans over {} policies (macro):", rows.len());
    println!("  word recall     {:.4}", mean(|r| r.recall));
    println!("  word precision  {:.4}", mean(|r| r.precision));
    println!(
        "  medians: recall {:.4}, precision {:.4}; precision < 0.8 on {} policies",
        median(|r| r.recall),
        median(|r| r.precision),
        rows.iter().filter(|r| r.precision < 0.8).count()
    );
    if as_is {
        println!("  boundary P/R/F1 - (not segmented)");
    } else {
        println!(
            "  boundary P/R/F1 {:.3} / {:.3} / {:.3}",
            bp,
            br,
            mean(|r| f1(r.bp, r.br))
        );
        println!(
            "  (F1 of means {:.3}; clauses {:.0} vs segments {:.0} per policy)",
            f1(bp, br),
            mean(|r| r.clauses as f64),
            mean(|r| r.segments as f64)
        );
    }
    ExitCode::SUCCESS
}

fn numeric_id(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let id: String = name.chars().take_while(char::is_ascii_digit).collect();
    (!id.is_empty() && name[id.len()..].starts_with('_')).then_some(id)
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Lower-cased alphanumeric words; apostrophes vanish (`don’t` → `dont`), as in the sanitized text.
fn words(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{b4}'))
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Our words, and the word index at which each clause after the first
/// begins (headings between two clauses belong to the second).
fn our_words(seg: &Segmented) -> (Vec<String>, HashSet<usize>) {
    let chars: Vec<char> = seg.text.chars().collect();
    let mut boundaries = HashSet::new();
    for pair in seg.clauses.windows(2) {
        let prefix: String = chars[..pair[0].char_end.min(chars.len())].iter().collect();
        boundaries.insert(words(&prefix).len());
    }
    (words(&seg.text), boundaries)
}

fn their_words(truth: &str) -> (Vec<String>, HashSet<usize>, usize) {
    let mut all = Vec::new();
    let mut boundaries = HashSet::new();
    let mut segments = 0;
    for segment in truth.split("|||") {
        let w = words(&policylens_segment::strip_tags(segment));
        if w.is_empty() {
            continue;
        }
        if !all.is_empty() {
            boundaries.insert(all.len());
        }
        segments += 1;
        all.extend(w);
    }
    (all, boundaries, segments)
}

fn compare(name: String, seg: &Segmented, truth: &str) -> Row {
    let (ours, our_bounds) = our_words(seg);
    let (theirs, their_bounds, segments) = their_words(truth);
    let mut counts: HashMap<&str, isize> = HashMap::new();
    for w in &theirs {
        *counts.entry(w).or_default() += 1;
    }
    let mut overlap = 0usize;
    for w in &ours {
        if let Some(c) = counts.get_mut(w.as_str()) {
            if *c > 0 {
                *c -= 1;
                overlap += 1;
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };

    // Our word index → their word index, where the diff says they are the same word.
    let mut aligned: HashMap<usize, usize> = HashMap::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let ops =
        similar::capture_diff_slices_deadline(Algorithm::Myers, &ours, &theirs, Some(deadline));
    for op in ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                aligned.insert(old_index + k, new_index + k);
            }
        }
    }
    let their_aligned: HashSet<usize> = aligned.values().copied().collect();
    let ours_at: Vec<usize> = our_bounds
        .iter()
        .filter_map(|b| aligned.get(b).copied())
        .collect();
    let hits = ours_at.iter().filter(|j| their_bounds.contains(j)).count();
    let theirs_at = their_bounds
        .iter()
        .filter(|j| their_aligned.contains(j))
        .count();
    Row {
        name,
        ours: ours.len(),
        theirs: theirs.len(),
        clauses: seg.clauses.len(),
        segments,
        recall: ratio(overlap, theirs.len()),
        precision: ratio(overlap, ours.len()),
        bp: ratio(hits, ours_at.len()),
        br: ratio(hits, theirs_at),
    }
}

/// With SEGEVAL_VERBOSE set: the words each side has that the other lacks.
fn dump(name: &str, seg: &Segmented, truth: &str) {
    let (ours, _) = our_words(seg);
    let (theirs, _, _) = their_words(truth);
    let ops = capture_diff_slices(Algorithm::Myers, &ours, &theirs);
    println!("=== {name}");
    for op in ops {
        match op {
            DiffOp::Delete {
                old_index, old_len, ..
            } if old_len >= 3 => {
                println!(
                    "  + ours only: {}",
                    ours[old_index..old_index + old_len]
                        .join(" ")
                        .chars()
                        .take(300)
                        .collect::<String>()
                )
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } if new_len >= 3 => {
                println!(
                    "  - missing:   {}",
                    theirs[new_index..new_index + new_len]
                        .join(" ")
                        .chars()
                        .take(300)
                        .collect::<String>()
                )
            }
            _ => {}
        }
    }
}
