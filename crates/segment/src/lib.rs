//! Cutting a policy's text into clauses: paragraphs as a careful reader cuts
//! them, each with the path of headings above it.
//!
//! [`segment`] takes the text that `policylens-read` decoded and its
//! [`Format`]. Each format has a parser ([`segment_html`],
//! [`segment_markdown`], [`segment_text`]) that keeps only visible policy
//! text (no scripts, navigation, banners, footers or widgets) and turns it
//! into blocks; one shared assembler then cuts clauses the same way for every
//! format: headings become heading paths rather than clauses, a lead-in
//! ending in `:` stays with its list, each table row is a clause, and
//! hard-wrapped lines are rejoined. The result is a [`Segmented`]: the
//! extracted text plus clauses with Unicode-scalar offsets into it, ready for
//! `policylens-classify`. Segmentation never fails and never panics; a page
//! with no policy text gives no clauses.

mod blocks;
mod boilerplate;
mod chrome;
mod documents;
mod html;
mod markdown;
mod nesting;
mod text;

pub use html::segment_html;
pub use markdown::{segment_markdown, strip_tags};
pub use text::segment_text;

use policylens_core::{Format, Segmented};

/// Cuts decoded text of the given format into clauses.
///
/// Clause tables (JSONL, CSV, Parquet) are already cut and are not expected
/// here; should one arrive, its text is segmented as plain text.
pub fn segment(format: Format, text: &str) -> Segmented {
    match format {
        Format::Html => segment_html(text),
        Format::Markdown => segment_markdown(text),
        Format::Text | Format::Jsonl | Format::Csv | Format::Parquet => segment_text(text),
    }
}

#[cfg(test)]
mod samples {
    //! Real pages from `/work/shared/samples`, when that folder is present.

    use super::*;
    use std::path::PathBuf;

    fn sample(name: &str) -> Option<String> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/samples")
            .join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(_) => {
                println!("skipping: sample {} is not present", path.display());
                None
            }
        }
    }

    fn check(seg: &Segmented, leaks: &[&str], kept: &[&str], clauses: std::ops::Range<usize>) {
        for clause in &seg.clauses {
            let slice = seg.text_of(clause);
            assert_eq!(slice, clause.text);
        }
        for leak in leaks {
            assert!(!seg.text.contains(leak), "{leak:?} leaked:\n{}", seg.text);
        }
        for want in kept {
            assert!(seg.text.contains(want), "{want:?} missing:\n{}", seg.text);
        }
        assert!(
            clauses.contains(&seg.clauses.len()),
            "{} clauses",
            seg.clauses.len()
        );
    }

    #[test]
    fn replicate_html() {
        let Some(html) = sample("replicate-privacy-policy.html") else {
            return;
        };
        let seg = segment(Format::Html, &html);
        check(
            &seg,
            &[
                "react-component-props",
                "sentry",
                "Join us",
                "replicatestatus",
                "Pages: 1 2",
                "CINXE",
                "DarkModeToggle",
                "function(",
            ],
            &[
                "We have implemented reasonable security measures",
                "Children’s Privacy",
                "2261 Market Street #4056",
            ],
            25..90,
        );
        assert_eq!(seg.title.as_deref(), Some("Privacy policy – Replicate"));
        let security = seg
            .clauses
            .iter()
            .find(|c| c.text.starts_with("We have implemented reasonable"))
            .unwrap();
        assert_eq!(
            security.heading.last().map(String::as_str),
            Some("Security & Retention")
        );
    }

    #[test]
    fn huggingface_text() {
        let Some(text) = sample("huggingface-privacy-policy.txt") else {
            return;
        };
        let seg = segment(Format::Text, &text);
        check(
            &seg,
            &["Search models", "[TOS](#)", "[Datasets](#)"],
            &[
                "The Company collects information directly provided by Users",
                "- Stripe | Payment | United States",
            ],
            20..120,
        );
        let lead_in = seg
            .clauses
            .iter()
            .find(|c| {
                c.text
                    .starts_with("The Company collects information directly")
            })
            .unwrap();
        assert!(
            lead_in.text.contains("\n- payment information provided"),
            "{}",
            lead_in.text
        );
        assert!(
            lead_in
                .heading_path()
                .ends_with("A. Information you provide directly"),
            "{}",
            lead_in.heading_path()
        );
        // The page's footer (its labels and link menus) is chrome: the
        // last clause is the policy's last list item.
        assert_eq!(
            seg.clauses.last().map(|c| c.text.as_str()),
            Some("- Hugging Face SAS | All of the above | France")
        );
        assert!(!seg.text.contains("System theme"), "{}", seg.text);
    }
}
