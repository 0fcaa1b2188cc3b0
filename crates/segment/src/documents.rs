//! Pages holding several legal documents: keep the privacy policy.
//!
//! Sites often publish their terms of use, disclaimers and privacy policy on
//! one page. A reader asking about privacy wants only the privacy part, so
//! when a page's headings clearly name several documents (a "Privacy Policy"
//! and a "Terms of Use" at the same level, say), the blocks are cut into
//! documents at those headings and only the privacy documents are kept.
//! Pages with one document, and pages whose privacy part is small or not
//! clearly delimited, pass through untouched.

use crate::blocks::Block;

/// A document needs at least this many words to count as one; a shorter
/// titled section ("14. Privacy Policy: see our privacy policy") is part of
/// the document around it.
const MIN_DOCUMENT_WORDS: usize = 120;
/// A heading naming a document has at most this many words.
const MAX_TITLE_WORDS: usize = 8;

/// Title endings naming a privacy document.
const PRIVACY_TITLES: &[&str] = &[
    "privacy policy",
    "privacy notice",
    "privacy statement",
    "privacy and cookie policy",
    "privacy and cookies policy",
    "privacy and cookie notice",
    "privacy and cookies notice",
    "privacy policies",
];

/// Title endings naming another legal document.
const OTHER_TITLES: &[&str] = &[
    "terms of use",
    "terms of service",
    "terms and conditions",
    "terms and conditions of use",
    "conditions of use",
    "user agreement",
    "legal notice",
    "legal notices",
    "disclaimer",
    "copyright notice",
    "copyright policy",
    "cookie policy",
    "cookies policy",
];

/// Words that make a heading about a document a section of another one
/// ("Changes to our Terms of Use", "Your acceptance of these terms").
const SECTION_WORDS: &[&str] = &[
    "change",
    "changes",
    "acceptance",
    "accept",
    "agree",
    "update",
    "updates",
    "amendment",
    "amendments",
    "link",
    "links",
    "see",
    "our",
    "this",
    "these",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Privacy,
    Other,
}

/// A block that titles a document: its kind and heading level (`None` for
/// a title set as a paragraph of its own, which has no level).
struct Title {
    index: usize,
    kind: Kind,
    level: Option<u8>,
}

/// Keeps only the privacy documents of a page holding several legal
/// documents; returns other pages' blocks unchanged.
pub fn keep_privacy_documents(blocks: Vec<Block>) -> Vec<Block> {
    let mut titles = document_titles(&blocks);
    // Titles set as paragraphs count only on pages that set none as a
    // heading; elsewhere they are entries of a table of contents.
    if titles.iter().any(|t| t.level.is_some()) {
        titles.retain(|t| t.level.is_some());
    }
    // A page heading over titles of both kinds ("Privacy Policy" over
    // "PRIVACY POLICY" and "TERMS OF USE") names the page, not a document.
    let umbrellas: Vec<usize> = (0..titles.len())
        .filter(|&i| {
            let Some(outer) = titles[i].level else {
                return false;
            };
            let inner: Vec<&Title> = titles[i + 1..]
                .iter()
                .take_while(|t| t.level.is_some_and(|l| l > outer))
                .collect();
            inner
                .iter()
                .any(|a| inner.iter().any(|b| a.kind != b.kind && a.level == b.level))
        })
        .collect();
    let titles: Vec<Title> = titles
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !umbrellas.contains(i))
        .map(|(_, t)| t)
        .collect();
    if titles.is_empty() {
        return blocks;
    }
    // A title deeper than the document it sits in is one of its sections.
    let mut starts: Vec<&Title> = Vec::new();
    for title in &titles {
        let nested = starts
            .last()
            .is_some_and(|open| match (open.level, title.level) {
                (Some(outer), Some(inner)) => inner > outer,
                _ => false,
            });
        if !nested {
            starts.push(title);
        }
    }
    // Titled sections too short to be documents belong to the one before.
    let words_between = |from: usize, to: usize| -> usize {
        blocks[from..to]
            .iter()
            .filter(|b| !matches!(b, Block::Heading { .. }))
            .map(|b| block_text(b).split_whitespace().count())
            .sum()
    };
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|t| t.index)
        .chain([blocks.len()])
        .collect();
    let kept: Vec<(usize, Kind)> = starts
        .iter()
        .zip(ends)
        .filter(|(t, end)| words_between(t.index, *end) >= MIN_DOCUMENT_WORDS)
        .map(|(t, _)| (t.index, t.kind))
        .collect();
    let documents: Vec<(usize, usize, Kind)> = kept
        .iter()
        .enumerate()
        .map(|(k, &(start, kind))| {
            let end = kept.get(k + 1).map_or(blocks.len(), |next| next.0);
            (start, end, kind)
        })
        .collect();
    let has = |kind: Kind| documents.iter().any(|d| d.2 == kind);
    if !(has(Kind::Privacy) && has(Kind::Other)) {
        return blocks;
    }
    // Text before the first title belongs to that document's kind: a page
    // opening with its terms has no privacy preamble.
    let first = documents[0];
    let keep_preamble = first.2 == Kind::Privacy;
    blocks
        .into_iter()
        .enumerate()
        .filter(|(i, _)| {
            if *i < first.0 {
                return keep_preamble;
            }
            documents
                .iter()
                .any(|&(start, end, kind)| kind == Kind::Privacy && (start..end).contains(i))
        })
        .map(|(_, b)| b)
        .collect()
}

/// Whether a heading starts with an arabic section number (`19.`, `2.3`,
/// `4)`), after any Markdown emphasis or heading marks. A renderer's list
/// number before a part's own label (w3m's `6. VI.Privacy Policy`) is not
/// one.
fn is_numbered(text: &str) -> bool {
    let text = text.trim_start_matches(['*', '#', '_', ' ']);
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || !text[digits..].starts_with(['.', ')']) {
        return false;
    }
    let rest = text[digits + 1..].trim_start_matches(['*', '_', ' ']);
    let part = rest.chars().take_while(|c| "IVX".contains(*c)).count();
    !(part > 0 && rest[part..].starts_with(['.', ')']))
}

fn block_text(block: &Block) -> &str {
    match block {
        Block::Heading { text, .. }
        | Block::Paragraph(text)
        | Block::ListItem { text, .. }
        | Block::TableRow(text) => text,
    }
}

/// Headings, and short heading-like paragraphs, that name a document.
fn document_titles(blocks: &[Block]) -> Vec<Title> {
    blocks
        .iter()
        .enumerate()
        .filter_map(|(index, block)| {
            let (text, level) = match block {
                Block::Heading { level, text } => (text, Some(*level)),
                Block::Paragraph(text) if !text.ends_with(['.', ',', ';', ':', '!', '?']) => {
                    (text, None)
                }
                _ => return None,
            };
            let kind = title_kind(text)?;
            Some(Title { index, kind, level })
        })
        .collect()
}

/// Whether a heading's text names a document, and which kind. A title naming
/// both ("User Agreement and Privacy Policy") is a combined document, not a
/// privacy policy alone.
fn title_kind(text: &str) -> Option<Kind> {
    // A heading joining topics with a slash ("K. Dispute resolution/Terms
    // of use") heads a section on them, and a numbered one ("19. Privacy
    // Policy" in terms of service) is a section of the document around it;
    // parts of a combined agreement go by letters or roman numerals ("VI.
    // PRIVACY POLICY").
    if text.split('/').filter(|t| !t.trim().is_empty()).count() > 1 || is_numbered(text) {
        return None;
    }
    let words: Vec<String> = text
        .to_lowercase()
        .replace('&', " and ")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    if words.is_empty() || words.len() > MAX_TITLE_WORDS {
        return None;
    }
    if words.iter().any(|w| SECTION_WORDS.contains(&w.as_str())) {
        return None;
    }
    let joined = words.join(" ");
    let names = |titles: &[&str]| titles.iter().any(|t| joined.contains(t));
    let ends = |titles: &[&str]| {
        titles
            .iter()
            .any(|t| joined == *t || joined.ends_with(&format!(" {t}")))
    };
    if ends(OTHER_TITLES) || (ends(PRIVACY_TITLES) && names(OTHER_TITLES)) {
        Some(Kind::Other)
    } else if ends(PRIVACY_TITLES) {
        Some(Kind::Privacy)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(level: u8, text: &str) -> Block {
        Block::Heading {
            level,
            text: text.into(),
        }
    }
    fn p(text: &str) -> Block {
        Block::Paragraph(text.into())
    }
    fn long(what: &str) -> Block {
        p(&format!("{what} ").repeat(130))
    }

    fn texts(blocks: &[Block]) -> Vec<&str> {
        blocks.iter().map(block_text).collect()
    }

    #[test]
    fn titles() {
        assert_eq!(
            title_kind("TGI Fridays Privacy Policy"),
            Some(Kind::Privacy)
        );
        assert_eq!(title_kind("VI.Privacy Policy"), Some(Kind::Privacy));
        assert_eq!(title_kind("Privacy Statement"), Some(Kind::Privacy));
        assert_eq!(title_kind("TERMS OF USE"), Some(Kind::Other));
        assert_eq!(title_kind("Terms & Conditions"), Some(Kind::Other));
        assert_eq!(title_kind("General Disclaimer"), Some(Kind::Other));
        assert_eq!(
            title_kind("User Agreement and Privacy Policy"),
            Some(Kind::Other)
        );
        assert_eq!(title_kind("Changes to our Terms of Use"), None);
        assert_eq!(title_kind("Your acceptance of these terms"), None);
        assert_eq!(title_kind("Privacy Policy Coordinator and Requests"), None);
        assert_eq!(title_kind("Information we collect"), None);
        // Numbered sections and sections on several topics are sections;
        // a part's roman label after a renderer's list number is a title.
        assert_eq!(title_kind("19. Privacy Policy"), None);
        assert_eq!(title_kind("**15) Terms of Use**"), None);
        assert_eq!(title_kind("K. DISPUTE RESOLUTION/TERMS OF USE"), None);
        assert_eq!(title_kind("6. **VI. Privacy Policy**"), Some(Kind::Privacy));
        assert_eq!(title_kind("I. USER AGREEMENT"), Some(Kind::Other));
    }

    #[test]
    fn numbered_sections_of_terms_on_privacy_stay_in_the_terms() {
        // Terms of service with a long privacy section that itself refers
        // to the terms of use (Wire's terms).
        let terms = vec![
            h(1, "Terms of Service"),
            long("terms"),
            h(3, "19. Privacy Policy"),
            long("privacy"),
            h(3, "15. Terms of Use"),
            long("terms"),
        ];
        assert_eq!(keep_privacy_documents(terms.clone()), terms);
    }

    #[test]
    fn terms_then_privacy_keeps_privacy() {
        let blocks = vec![
            h(2, "Terms of Use"),
            long("terms"),
            h(3, "14. Privacy Policy"),
            p("Use of the site is also governed by our privacy policy."),
            h(3, "15. Effective date"),
            long("terms"),
            h(2, "Privacy Statement"),
            h(3, "Cookies"),
            long("privacy"),
        ];
        let kept = keep_privacy_documents(blocks);
        assert_eq!(texts(&kept)[..2], ["Privacy Statement", "Cookies"]);
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn flat_titles_as_paragraphs() {
        let blocks = vec![
            p("PRIVACY POLICY"),
            long("privacy"),
            p("INFORMATION COLLECTED"),
            long("privacy"),
            p("CHILDREN'S PRIVACY POLICY"),
            long("children"),
            p("TERMS OF USE"),
            long("terms"),
            p("INDEMNIFICATION"),
            long("terms"),
        ];
        let kept = keep_privacy_documents(blocks);
        assert_eq!(kept.len(), 6);
        assert_eq!(block_text(&kept[4]), "CHILDREN'S PRIVACY POLICY");
    }

    #[test]
    fn page_heading_over_both_kinds() {
        let blocks = vec![
            h(1, "Privacy Policy"),
            h(2, "PRIVACY POLICY"),
            long("privacy"),
            h(2, "SECURITY"),
            long("privacy"),
            h(2, "TERMS OF USE"),
            long("terms"),
        ];
        let kept = keep_privacy_documents(blocks);
        assert_eq!(
            texts(&kept)[..2],
            ["Privacy Policy", "PRIVACY POLICY"],
            "the page heading is kept as a preamble"
        );
        assert_eq!(kept.len(), 5);
    }

    #[test]
    fn contents_entries_are_not_titles() {
        let blocks = vec![
            h(2, "User Agreement and Privacy Policy"),
            p("I. Introduction"),
            p("VI. Privacy Policy"),
            long("terms"),
            h(2, "I. Introduction"),
            long("terms"),
            h(2, "Privacy Policy"),
            long("privacy"),
        ];
        let kept = keep_privacy_documents(blocks);
        assert_eq!(texts(&kept)[0], "Privacy Policy");
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn single_documents_pass_through() {
        // A privacy policy with a short disclaimer section nested in it.
        let policy = vec![
            h(1, "Privacy Policy"),
            long("privacy"),
            h(2, "Disclaimer"),
            long("disclaimer"),
            h(2, "Contact"),
            long("contact"),
        ];
        assert_eq!(keep_privacy_documents(policy.clone()), policy);
        // Terms that mention the privacy policy in a short section.
        let terms = vec![
            h(1, "Terms of Service"),
            long("terms"),
            h(2, "Privacy Policy"),
            p("See our privacy policy."),
            h(2, "Governing law"),
            long("terms"),
        ];
        assert_eq!(keep_privacy_documents(terms.clone()), terms);
        // A privacy policy whose first-level title is the only title.
        let flat = vec![h(2, "Privacy Policy"), long("privacy"), h(2, "Cookies")];
        assert_eq!(keep_privacy_documents(flat.clone()), flat);
    }
}
