//! The format-neutral shape of a document and the one place clauses are cut.
//!
//! Each format's parser turns its input into a flat list of [`Block`]s in
//! reading order; [`assemble`] then applies the clause rules that every format
//! shares (headings as paths, lead-ins kept with their lists, table rows),
//! lays out the extracted text and computes offsets.

use policylens_core::{Clause, Segmented};

/// A heading longer than this is a paragraph set in a heading's type.
const MAX_HEADING_CHARS: usize = 200;
/// A lead-in and its list stay one clause up to about this many characters;
/// longer lists continue as one clause per item.
const MAX_GROUP_CHARS: usize = 1500;

/// One unit of visible text, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading; `level` 1 is outermost.
    Heading {
        level: u8,
        text: String,
    },
    Paragraph(String),
    /// A list item; `depth` 1 is a top-level item.
    ListItem {
        depth: u8,
        text: String,
    },
    /// A data-table row, cells joined with `" | "`.
    TableRow(String),
}

/// Collapses whitespace runs (including no-break spaces) to one space, drops
/// zero-width characters and soft hyphens, and trims.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}'
        ) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Whether `text` has anything a reader would read (a letter or digit).
pub fn has_words(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Cuts blocks into clauses and lays out the extracted text.
///
/// The extracted text is every emitted unit joined by a blank line: headings
/// on their own line (so clause offsets point into real text) and clauses,
/// a grouped lead-in and its items one line each. Headings are not clauses:
/// they form the heading path of the clauses below them. Headings with no
/// clause after them (a closing `Last updated March 2024` line, a page's
/// trailing labels) are not lost: together they are a last clause, under the
/// path above them. A document of headings alone has no clauses (its status
/// is `empty`).
pub fn assemble(title: Option<String>, blocks: Vec<Block>) -> Segmented {
    let blocks: Vec<Block> = blocks
        .into_iter()
        .filter_map(|block| match block {
            Block::Heading { text, .. } if text.chars().count() > MAX_HEADING_CHARS => {
                Some(Block::Paragraph(text))
            }
            Block::Heading { level, text } => has_words(&text).then_some(Block::Heading {
                level: level.clamp(1, 6),
                text,
            }),
            Block::Paragraph(text) => has_words(&text).then_some(Block::Paragraph(text)),
            Block::ListItem { depth, text } => has_words(&text).then_some(Block::ListItem {
                depth: depth.max(1),
                text,
            }),
            Block::TableRow(text) => has_words(&text).then_some(Block::TableRow(text)),
        })
        .collect();

    let mut out = Output::default();
    let mut path: Vec<(u8, String)> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    // How much of `path` is above the pending headings.
    let mut settled = 0;
    let mut i = 0;
    while i < blocks.len() {
        let lines = match &blocks[i] {
            Block::Heading { level, text } => {
                path.retain(|(l, _)| l < level);
                settled = settled.min(path.len());
                path.push((*level, text.clone()));
                pending.push(text.clone());
                i += 1;
                continue;
            }
            Block::TableRow(text) => {
                i += 1;
                vec![text.clone()]
            }
            Block::Paragraph(text) => {
                i += 1;
                let mut lines = vec![text.clone()];
                if text.ends_with(':') {
                    if let Some(Block::ListItem { depth, .. }) = blocks.get(i) {
                        i = take_items(&blocks, i, *depth, true, &mut lines);
                    }
                }
                lines
            }
            Block::ListItem { depth, .. } => {
                let mut lines = Vec::new();
                i = take_items(&blocks, i, *depth, false, &mut lines);
                lines
            }
        };
        let heading = path.iter().map(|(_, text)| text.clone()).collect();
        for text in pending.drain(..) {
            out.push(&text);
        }
        settled = path.len();
        out.push_clause(heading, &lines.join("\n"));
    }
    // A page of headings alone (a title over a script-rendered body) holds
    // no policy text: it stays without clauses, so its status says `empty`.
    if !pending.is_empty() && !out.clauses.is_empty() {
        let heading = path[..settled]
            .iter()
            .map(|(_, text)| text.clone())
            .collect();
        out.push_clause(heading, &pending.join("\n"));
    }
    Segmented {
        title,
        text: out.text,
        clauses: out.clauses,
    }
}

/// Appends list items from `start` as lines of one clause: a lead-in takes
/// the whole list (any depth ≥ `base`), a bare item takes its sub-items.
/// Returns the index of the first block not taken.
fn take_items(
    blocks: &[Block],
    start: usize,
    base: u8,
    lead_in: bool,
    lines: &mut Vec<String>,
) -> usize {
    let mut size: usize = lines.iter().map(|l| l.chars().count()).sum();
    let mut i = start;
    while let Some(Block::ListItem { depth, text }) = blocks.get(i) {
        let first = i == start;
        let belongs = if lead_in {
            *depth >= base
        } else {
            first || *depth > base
        };
        let len = text.chars().count();
        if !belongs || (!first && size + len > MAX_GROUP_CHARS && *depth <= base) {
            break;
        }
        let indent = "  ".repeat(usize::from(depth.saturating_sub(base)));
        lines.push(format!("{indent}- {text}"));
        size += len;
        i += 1;
    }
    i
}

#[derive(Default)]
struct Output {
    text: String,
    chars: usize,
    clauses: Vec<Clause>,
}

impl Output {
    /// Appends a unit, returning its char offset.
    fn push(&mut self, unit: &str) -> usize {
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
            self.chars += 2;
        }
        let start = self.chars;
        self.text.push_str(unit);
        self.chars += unit.chars().count();
        start
    }

    fn push_clause(&mut self, heading: Vec<String>, text: &str) {
        let char_start = self.push(text);
        self.clauses.push(Clause {
            position: u32::try_from(self.clauses.len()).unwrap_or(u32::MAX),
            heading,
            text: text.to_string(),
            char_start,
            char_end: self.chars,
        });
    }
}

/// Test helper: every clause's text, one after another.
#[cfg(test)]
pub fn all_text(seg: &Segmented) -> String {
    let texts: Vec<&str> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
    texts.join("\n")
}

/// Test helper: every clause's offsets select exactly its text.
#[cfg(test)]
pub fn assert_offsets(seg: &Segmented) {
    for clause in &seg.clauses {
        let slice = seg.text_of(clause);
        assert_eq!(slice, clause.text, "offsets of clause {}", clause.position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Block {
        Block::Paragraph(text.into())
    }
    fn h(level: u8, text: &str) -> Block {
        Block::Heading {
            level,
            text: text.into(),
        }
    }
    fn li(depth: u8, text: &str) -> Block {
        Block::ListItem {
            depth,
            text: text.into(),
        }
    }

    #[test]
    fn headings_nest_and_attach() {
        let seg = assemble(
            None,
            vec![
                h(1, "Policy"),
                h(2, "Collection"),
                p("We collect."),
                h(3, "Cookies"),
                p("Cookies."),
                h(2, "Sharing"),
                p("We share."),
            ],
        );
        let paths: Vec<_> = seg.clauses.iter().map(|c| c.heading_path()).collect();
        assert_eq!(
            paths,
            [
                "Policy > Collection",
                "Policy > Collection > Cookies",
                "Policy > Sharing"
            ]
        );
        assert_eq!(
            seg.text,
            "Policy\n\nCollection\n\nWe collect.\n\nCookies\n\nCookies.\n\nSharing\n\nWe share."
        );
        assert_offsets(&seg);
    }

    #[test]
    fn lead_in_keeps_its_list_and_bare_items_stand_alone() {
        let seg = assemble(
            None,
            vec![
                p("We collect:"),
                li(1, "names"),
                li(2, "first"),
                li(1, "emails"),
                p("Also."),
                li(1, "one"),
                li(2, "sub"),
                li(1, "two"),
            ],
        );
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "We collect:\n- names\n  - first\n- emails",
                "Also.",
                "- one\n  - sub",
                "- two"
            ]
        );
        assert_offsets(&seg);
    }

    #[test]
    fn wordless_units_are_dropped_and_trailing_headings_kept() {
        let seg = assemble(
            None,
            vec![
                p("•"),
                h(1, "Policy"),
                h(2, "Intro"),
                p("Text."),
                h(2, "Company"),
                h(3, "Jobs"),
            ],
        );
        assert_eq!(seg.text, "Policy\n\nIntro\n\nText.\n\nCompany\nJobs");
        assert_eq!(seg.clauses.len(), 2);
        assert_eq!(seg.clauses[1].text, "Company\nJobs");
        assert_eq!(seg.clauses[1].heading, ["Policy"]);
        assert_offsets(&seg);
        let only = assemble(None, vec![h(1, "Title"), h(2, "Subtitle")]);
        assert!(only.clauses.is_empty(), "headings alone are no policy text");
        assert!(assemble(None, vec![]).clauses.is_empty());
    }

    #[test]
    fn offsets_count_chars_not_bytes() {
        let seg = assemble(
            None,
            vec![
                h(1, "Política de privacidad 🔒"),
                p("Données — “quoted”."),
                li(1, "é"),
            ],
        );
        assert_offsets(&seg);
        assert_eq!(seg.clauses[1].char_start, seg.text.chars().count() - 3);
    }

    #[test]
    fn normalize_collapses_whitespace() {
        assert_eq!(normalize("  a\u{a0}\u{a0}b\n\tc\u{200b}d  "), "a b cd");
    }
}
