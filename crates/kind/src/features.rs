//! The words the kind classifier reads, from a segmented document.

use policylens_core::Segmented;
use std::collections::{BTreeSet, HashMap};

/// Body words read per document: enough to know a page, bounded for a
/// 10 MB one.
const MAX_BODY_WORDS: usize = 20_000;

/// A document's words with their counts, each prefixed by where it stands:
/// `t:` in the title, `h:` in a heading (each distinct heading once),
/// `b:` in the body (the clauses' text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    pub counts: HashMap<String, u32>,
}

impl Words {
    /// Count the words of `text` and its pairs of adjacent words
    /// (`b:personal_data`, `t:terms_of`): pairs tell "personal data" from
    /// "personal use" and "terms of" from "terms and".
    fn add(&mut self, place: &str, text: &str, budget: &mut usize) {
        let mut previous: Option<String> = None;
        for w in words(text) {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            if let Some(p) = previous {
                *self.counts.entry(format!("{place}:{p}_{w}")).or_default() += 1;
            }
            *self.counts.entry(format!("{place}:{w}")).or_default() += 1;
            previous = Some(w);
        }
    }
}

/// The words of `doc` for the kind classifier.
pub fn features(doc: &Segmented) -> Words {
    let mut out = Words::default();
    let mut unbounded = usize::MAX;
    if let Some(title) = &doc.title {
        out.add("t", title, &mut unbounded);
    }
    let headings: BTreeSet<&str> = doc
        .clauses
        .iter()
        .flat_map(|c| c.heading.iter().map(String::as_str))
        .collect();
    let mut heading_budget = MAX_BODY_WORDS;
    for h in headings {
        out.add("h", h, &mut heading_budget);
    }
    let mut body_budget = MAX_BODY_WORDS;
    for c in &doc.clauses {
        out.add("b", &c.text, &mut body_budget);
    }
    out
}

/// Lower-cased alphabetic words of two letters or more.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().nth(1).is_some())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use policylens_core::Clause;

    fn clause(heading: &[&str], text: &str) -> Clause {
        Clause {
            position: 0,
            heading: heading.iter().map(|h| h.to_string()).collect(),
            text: text.into(),
            char_start: 0,
            char_end: 0,
        }
    }

    #[test]
    fn words_are_counted_by_where_they_stand() {
        let doc = Segmented {
            title: Some("Privacy Policy".into()),
            text: String::new(),
            clauses: vec![
                clause(&["Cookies"], "We use cookies. Cookies help."),
                clause(&["Cookies"], "A b 42 cookies"),
            ],
        };
        let w = features(&doc).counts;
        assert_eq!(w["t:privacy"], 1);
        assert_eq!(w["h:cookies"], 1, "a heading shared by clauses counts once");
        assert_eq!(w["b:cookies"], 3);
        assert!(!w.contains_key("b:a") && !w.contains_key("b:42"));
    }
}
