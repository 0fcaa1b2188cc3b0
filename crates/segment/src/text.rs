//! Plain text: paragraphs by blank lines, headings by their look.

use crate::blocks::{assemble, normalize, Block};
use crate::boilerplate;
use crate::chrome;
use policylens_core::Segmented;

/// lynx indents a list nested three deep at least this far.
const LYNX_NESTED_INDENT: usize = 6;
/// A heading line is at most this many words.
const MAX_HEADING_WORDS: usize = 12;
/// A capitals line inside a group of lines is a heading only this short.
const CAPS_HEADING_WORDS: usize = 8;

/// Cuts plain text into clauses.
///
/// Paragraphs are separated by blank lines and their hard-wrapped lines
/// rejoined. Lines starting with a bullet (`-`, `*`, `•`, `1.`, `a)`, `(i)`)
/// are list items; lines following an item continue it. A paragraph of one
/// line is a heading when it is in ALL CAPS, starts with `#`, is underlined
/// with `===`/`---`, or is short and title-cased (`Information We Collect`,
/// `3. Your Rights`) without closing punctuation. The first heading before
/// any text is the title. Lines made of markdown-style links (a scraped
/// page's menus) are dropped; other links keep their label without the
/// target, and images (html2text's `![alt](src)`) are dropped. Text a
/// browser dumped loses its page chrome (see the `chrome` module).
pub fn segment_text(text: &str) -> Segmented {
    let _span = tracing::debug_span!("segment_text", bytes = text.len()).entered();
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let without_images = chrome::without_images(&text);
    // Each line as a dump's chrome filter judges it, once: what it drops
    // and what it keeps (without lynx's link markers).
    let lines: Vec<(&str, Option<(String, usize)>)> = without_images
        .lines()
        .map(|line| (line, chrome::dumped_line(line)))
        .collect();
    // What a browser's or crawler's dump shows and a clean text does not:
    // images, lines of page chrome, lynx's link markers, a footer below
    // the copyright line.
    let page_chrome = without_images.len() < text.len()
        || lines
            .iter()
            .any(|(line, judged)| chrome::is_page_chrome(line, judged));
    let above_footer = chrome::before_footer(&without_images, page_chrome);
    let lines = &lines[..above_footer.lines().count()];
    let dumped = page_chrome
        || above_footer.len() < without_images.len()
        || lines.iter().any(|(_, judged)| judged.is_none());
    let text: String = lines.iter().filter_map(|(_, judged)| judged.as_ref()).fold(
        String::with_capacity(above_footer.len()),
        |mut out, (line, _)| {
            out.push_str(line);
            out.push('\n');
            out
        },
    );
    let mut blocks = Vec::new();
    let mut seen_text = false;
    for para in paragraphs(&text) {
        if let Some((level, heading)) = heading_of(&para) {
            let level = if seen_text || blocks.iter().any(|b| matches!(b, Block::Heading { .. })) {
                level
            } else {
                1
            };
            push_visible(|text| Block::Heading { level, text }, &heading, &mut blocks);
            continue;
        }
        let before = blocks.len();
        push_paragraph(&para, &mut blocks);
        seen_text |= blocks.len() > before;
    }
    let blocks = crate::documents::keep_privacy_documents(chrome::trim_to_content(blocks, dumped));
    let title = blocks.iter().find_map(|b| match b {
        Block::Heading { text, .. } => Some(text.clone()),
        _ => None,
    });
    assemble(title, blocks)
}

/// Groups of non-blank lines, with setext underlines kept on their line.
fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut paras = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paras.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paras.push(current);
    }
    // A line underlined by `===` or `---` is a heading paragraph of its own.
    let mut out = Vec::new();
    for para in paras {
        let mut start = 0;
        for i in 1..para.len() {
            if is_rule(para[i]) && i > start {
                if i - 1 > start {
                    out.push(para[start..i - 1].to_vec());
                }
                out.push(para[i - 1..=i].to_vec());
                start = i + 1;
            }
        }
        if start < para.len() {
            out.extend(split_at_caps_headings(&para[start..]));
        }
    }
    out
}

/// A group of lines cut where a capitals heading line opens a run of
/// lines of prose (`INFORMATION COLLECTED` right above its first sentence,
/// as dumps of pages that set headings in capitals print them, with no
/// blank line between): the heading becomes a paragraph of its own. Lines
/// of a paragraph set all in capitals (a disclaimer) do not cut it.
fn split_at_caps_headings<'a>(para: &[&'a str]) -> Vec<Vec<&'a str>> {
    let caps = |line: &str| {
        let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() >= 2 && letters.iter().all(|c| !c.is_lowercase())
    };
    let heading = |i: usize| {
        let t = para[i].trim();
        i + 1 < para.len()
            && caps(t)
            && !caps(para[i + 1])
            && para[i + 1].split_whitespace().count() >= CAPS_HEADING_WORDS
            && (i == 0 || !caps(para[i - 1]))
            && t.split_whitespace().count() <= CAPS_HEADING_WORDS
            && !t.contains(',')
            && heading_of(&[t]).is_some()
    };
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..para.len() {
        if heading(i) {
            if i > start {
                out.push(para[start..i].to_vec());
            }
            out.push(vec![para[i]]);
            start = i + 1;
        }
    }
    if start < para.len() {
        out.push(para[start..].to_vec());
    }
    out
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && (t.chars().all(|c| c == '=')
            || t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

/// Whether a line has a run of four or more figures after a comma, as a
/// date ("Last updated: May 1, 2024") or a postal address ("410 Terry
/// Avenue North, Seattle, WA 98109") has, and a section label ("Section 4,
/// Part 2") has not: a line of text, kept below a policy's last paragraph,
/// where a heading with nothing under it is not.
fn dated_or_addressed(text: &str) -> bool {
    text.split_once(',').is_some_and(|(_, after)| {
        after
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() >= 4)
    })
}

/// The heading level and text, if this paragraph is a heading.
fn heading_of(para: &[&str]) -> Option<(u8, String)> {
    let wrapped;
    let (line, underline) = match para {
        [line] => (*line, None),
        [line, rule] if is_rule(rule) => (*line, rule.trim().chars().next()),
        [_, ..] if is_wrapped_atx_heading(para) => {
            wrapped = para.join(" ");
            (wrapped.as_str(), None)
        }
        _ => return None,
    };
    let trimmed = line.trim();
    if is_rule(trimmed) {
        return None;
    }
    if let Some(c) = underline {
        return Some((if c == '=' { 1 } else { 2 }, normalize(trimmed)));
    }
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
        let text = normalize(trimmed[hashes..].trim_end_matches('#'));
        return Some((u8::try_from(hashes).unwrap_or(6), text));
    }
    // Scraped pages leave anchor icons (🔗) before headings.
    let text = normalize(
        trimmed.trim_start_matches(|c: char| !c.is_alphanumeric() && !"(\"“'[#*-•·–".contains(c)),
    );
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() > MAX_HEADING_WORDS || text.chars().count() > 100 {
        return None;
    }
    // A line of links (`[TOS](#)`) is a menu, dropped as a paragraph.
    if is_link_line(&text) {
        return None;
    }
    if text.ends_with(['.', ',', ';', ':', '!'])
        || is_bullet(&text).is_some_and(|(_, rest)| rest.is_empty())
    {
        return None;
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    // Phone numbers, dates and such are not headings.
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if digits >= letters.len() || dated_or_addressed(&text) {
        return None;
    }
    if letters.len() >= 2 && letters.iter().all(|c| !c.is_lowercase()) {
        return Some((2, text));
    }
    let first_alnum = text.chars().find(|c| c.is_alphanumeric())?;
    let bullet = text.starts_with(['-', '*', '•', '·', '–']);
    if bullet || !(first_alnum.is_uppercase() || first_alnum.is_numeric()) {
        return None;
    }
    if has_section_label(&text) {
        return Some((3, text));
    }
    let long: Vec<&&str> = words
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .collect();
    if long.is_empty() {
        return None;
    }
    let capitalized = long
        .iter()
        .filter(|w| {
            w.chars()
                .find(|c| c.is_alphabetic())
                .is_some_and(char::is_uppercase)
        })
        .count();
    (capitalized * 2 >= long.len()).then_some((3, text))
}

/// Whether a paragraph is an ATX heading (`## Cookie Policy`) that a
/// renderer wrapped over lines: html2text wraps at 78 columns, and a
/// heading that is a link (`## [Cookie\nPolicy](https://…)`) wraps inside
/// it. Its text, without link targets, is still heading-sized.
fn is_wrapped_atx_heading(para: &[&str]) -> bool {
    let first = para[0].trim_start();
    let hashes = first.chars().take_while(|c| *c == '#').count();
    (1..=6).contains(&hashes)
        && first[hashes..].starts_with(' ')
        && chrome::link_labels(&para.join(" "))
            .split_whitespace()
            .count()
            <= MAX_HEADING_WORDS + 1
}

/// Whether a line starts with a section label: `1.`, `2.3`, `A.`, `IV)`.
fn has_section_label(text: &str) -> bool {
    let Some((label, _)) = text.split_once(' ') else {
        return false;
    };
    let Some(label) = label
        .strip_suffix(['.', ')'])
        .or(Some(label).filter(|l| l.contains('.')))
    else {
        return false;
    };
    let numbered = !label.is_empty()
        && label
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let lettered = label.len() == 1 && label.chars().all(|c| c.is_ascii_uppercase());
    let roman = !label.is_empty() && label.len() <= 4 && label.chars().all(|c| "IVX".contains(c));
    numbered || lettered || roman
}

/// A list marker at the start of a line, and the text after it.
fn is_bullet(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start().len();
    let t = line.trim_start();
    // w3m draws nested lists with `□`, `☆`, `●`, `■`, `◦`.
    for marker in [
        "- ", "* ", "+ ", "• ", "· ", "– ", "○ ", "▪ ", "□ ", "☆ ", "● ", "■ ", "◦ ",
    ] {
        if let Some(rest) = t.strip_prefix(marker) {
            return Some((indent, rest));
        }
    }
    if ["-", "*", "•"].contains(&t) {
        return Some((indent, ""));
    }
    // lynx marks a third level with `o`, indented: a word never stands so.
    if let Some(rest) = t
        .strip_prefix("o ")
        .filter(|_| indent >= LYNX_NESTED_INDENT)
    {
        return Some((indent, rest));
    }
    // `1.` `12)` `a.` `b)` `(iv)` followed by a space.
    let (label, rest) = if let Some(inner) = t.strip_prefix('(') {
        let close = inner.find(')')?;
        (&inner[..close], &inner[close + 1..])
    } else {
        let end = t.find(['.', ')'])?;
        (&t[..end], &t[end + 1..])
    };
    let numbered =
        !label.is_empty() && label.len() <= 3 && label.chars().all(|c| c.is_ascii_digit());
    let lettered = label.len() == 1 && label.chars().all(|c| c.is_ascii_lowercase());
    let roman = !label.is_empty() && label.len() <= 4 && label.chars().all(|c| "ivx".contains(c));
    if (numbered || lettered || roman) && rest.starts_with(' ') {
        return Some((indent, rest.trim_start()));
    }
    None
}

/// Pushes a paragraph's blocks: its prose lines joined, and its list items.
fn push_paragraph(para: &[&str], blocks: &mut Vec<Block>) {
    // Entries printed one per line (a dump's footer links, or a list of
    // data categories under its lead-in): a list, not one run-on
    // paragraph, so that menus are told from introduced lists as bulleted
    // ones are. Lines with digits (an address) stay a paragraph.
    if para.len() >= chrome::MENU_MIN_ITEMS
        && para.iter().all(|l| {
            is_bullet(l).is_none()
                && chrome::is_short_item(l.trim())
                && !l.contains(|c: char| c.is_ascii_digit())
        })
    {
        for line in para {
            push_visible(
                |text| Block::ListItem { depth: 1, text },
                &normalize(line),
                blocks,
            );
        }
        return;
    }
    let mut prose = String::new();
    let mut items: Vec<(usize, String)> = Vec::new();
    for line in para {
        if is_rule(line) {
            continue;
        }
        if let Some((indent, rest)) = is_bullet(line) {
            items.push((indent, rest.to_string()));
        } else if let Some((_, item)) = items.last_mut() {
            item.push(' ');
            item.push_str(line.trim());
        } else {
            prose.push(' ');
            prose.push_str(line.trim());
        }
    }
    let prose = normalize(&prose);
    if !is_link_line(&prose) {
        push_visible(Block::Paragraph, &prose, blocks);
    }
    // Links listed under a sentence that introduces them ("Third parties
    // we use for advertising:") are what it names, not a menu; links to
    // places in a page (`…#cookies`) are a table of contents all the same.
    let introduced =
        matches!(blocks.last(), Some(Block::Paragraph(t)) if chrome::is_list_lead_in(t));
    let base = items.iter().map(|(indent, _)| *indent).min().unwrap_or(0);
    for (indent, text) in items {
        let text = normalize(&text);
        let menu_entry = is_link_line(&text) && (!introduced || links_into_a_page(&text));
        if menu_entry {
            continue;
        }
        let depth = u8::try_from(1 + (indent - base).div_ceil(2)).unwrap_or(u8::MAX);
        push_visible(|text| Block::ListItem { depth, text }, &text, blocks);
    }
}

/// Pushes a block of the text a reader sees of `text` (link labels without
/// their targets), unless nothing is left (a link around an icon).
fn push_visible(block: impl Fn(String) -> Block, text: &str, blocks: &mut Vec<Block>) {
    let visible = normalize(&chrome::link_labels(text));
    if !visible.is_empty() {
        blocks.push(block(visible));
    }
}

/// Whether every link target in `text` points to a place in a page
/// (`[Cookies](https://example.com/privacy#cookies)`).
fn links_into_a_page(text: &str) -> bool {
    let targets: Vec<&str> = text
        .split("](")
        .skip(1)
        .map(|rest| rest.split(')').next().unwrap_or(""))
        .collect();
    !targets.is_empty() && targets.iter().all(|t| t.contains('#'))
}

/// Whether a line is mostly markdown-style links: a scraped page's menu.
fn is_link_line(text: &str) -> bool {
    let mut rest = text;
    let (mut links, mut link_chars) = (0, 0);
    let mut unlinked = String::new();
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](") else { break };
        let Some(end) = after[close..].find(')') else {
            break;
        };
        links += 1;
        link_chars += after[..close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
        unlinked.push_str(&rest[..open]);
        unlinked.push(boilerplate::LINK_MARK);
        rest = &after[close + end + 1..];
    }
    if links == 0 {
        return false;
    }
    unlinked.push_str(rest);
    // Brackets, parentheses and targets are markup, not visible text.
    let visible = link_chars
        + unlinked
            .chars()
            .filter(|c| !c.is_whitespace() && *c != boilerplate::LINK_MARK)
            .count();
    // A scraped menu may follow a search box's placeholder: half is enough.
    // Words are counted on what a reader sees, not on targets and titles.
    boilerplate::is_link_block(
        &chrome::link_labels(text),
        &unlinked,
        visible,
        link_chars,
        links,
    ) || (link_chars * 2 >= visible && boilerplate::only_separators_between(&unlinked, links))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::assert_offsets;

    const DOC: &str = "ACME PRIVACY POLICY

Effective January 1, 2024. This policy explains what we
collect and why, and it is wrapped at
sixty columns.

1. INFORMATION WE COLLECT

We collect the following:
- your name and
  email address;
- your IP address.

Cookies and Similar Technologies

We use cookies. See our settings page.

2. YOUR RIGHTS

You may ask us to delete your data
at any time.
";

    #[test]
    fn wraps_caps_headings_and_lists() {
        let seg = segment_text(DOC);
        assert_offsets(&seg);
        assert_eq!(seg.title.as_deref(), Some("ACME PRIVACY POLICY"));
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Effective January 1, 2024. This policy explains what we collect and why, and it is wrapped at sixty columns.",
                "We collect the following:\n- your name and email address;\n- your IP address.",
                "We use cookies. See our settings page.",
                "You may ask us to delete your data at any time.",
            ]
        );
        let paths: Vec<_> = seg.clauses.iter().map(|c| c.heading_path()).collect();
        assert_eq!(
            paths,
            [
                "ACME PRIVACY POLICY",
                "ACME PRIVACY POLICY > 1. INFORMATION WE COLLECT",
                "ACME PRIVACY POLICY > 1. INFORMATION WE COLLECT > Cookies and Similar Technologies",
                "ACME PRIVACY POLICY > 2. YOUR RIGHTS",
            ]
        );
    }

    /// A dump of a page that sets its headings in capitals prints each
    /// right above its first line of text: the heading still cuts the text
    /// into sections, so the terms part is told from the privacy part; a
    /// disclaimer set all in capitals stays one paragraph.
    #[test]
    fn capitals_headings_above_their_text_are_headings() {
        let prose =
            "We describe here how we collect and use the information you give us on our sites.";
        let terms = "You agree to use the sites only for lawful purposes and in the ways these terms describe.\n";
        let text = format!(
            "Privacy Policy\n\nPRIVACY POLICY\nThis policy describes the privacy practices of Acme and its affiliates on the Acme sites.\n\
             {prose}\n{prose}\nINFORMATION COLLECTED\n{prose}\n{prose}\n{prose}\n{prose}\n{prose}\n{prose}\n{prose}\n{prose}\n\
             TERMS OF USE\nThe Acme sites contain material that is protected by copyright and other laws here.\n\
             You may not copy or distribute any material from the sites except as these terms allow.\n\
             {terms}{terms}{terms}{terms}{terms}\
             DISCLAIMERS\nACME DISCLAIMS ALL WARRANTIES, EXPRESS OR IMPLIED, INCLUDING, BUT NOT\n\
             LIMITED TO IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PURPOSE\n\
             TO THE FULLEST EXTENT THE LAW ALLOWS.\n"
        );
        let seg = segment_text(&text);
        assert_offsets(&seg);
        let paths: Vec<_> = seg.clauses.iter().map(|c| c.heading_path()).collect();
        assert!(
            paths.iter().any(|p| p.ends_with("INFORMATION COLLECTED")),
            "{paths:?}"
        );
        assert!(
            seg.clauses
                .iter()
                .all(|c| !c.text.contains("copyright") && !c.text.contains("DISCLAIMS")),
            "the terms part is left out: {:?}",
            seg.clauses.iter().map(|c| &c.text).collect::<Vec<_>>()
        );
        let caps = "ACME DISCLAIMS ALL\nLIMITED TO IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PURPOSE\nTO THE FULLEST EXTENT.";
        assert_eq!(
            split_at_caps_headings(&caps.lines().collect::<Vec<_>>()).len(),
            1
        );
    }

    /// Entries printed one per line are a list: a footer's links go as a
    /// menu, a list under its lead-in stays with it, and an address (its
    /// lines carry digits) stays a paragraph.
    #[test]
    fn entries_one_per_line_are_a_list() {
        let prose = "We collect the information you give us when you subscribe to our newsletter.";
        let text = format!(
            "Privacy Policy\n\n{prose}\n\nWe may collect the following:\n\nYour name\nYour email address\nYour device type\n\n\
             {prose} Write to us at:\n\nAcme Inc\n1 Main Street\nSpringfield IL 62701\n\n{prose}\n\n\
             Privacy Policy\nTerms of Use\nAbout Us\nContact Us/Feedback\nAdvertise\n"
        );
        let seg = segment_text(&text);
        assert_offsets(&seg);
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert!(
            texts.contains(&"We may collect the following:\n- Your name\n- Your email address\n- Your device type"),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.contains("Springfield IL 62701")),
            "{texts:?}"
        );
        assert!(!seg.text.contains("Advertise"), "{texts:?}");
    }

    #[test]
    fn labelled_lines_are_headings() {
        let seg = segment_text("🔗 Policy\n\n⌚ A. Information you provide directly\n\nText.\n\n2.1 what we keep\n\nMore text.");
        let paths: Vec<_> = seg.clauses.iter().map(|c| c.heading_path()).collect();
        assert_eq!(
            paths,
            [
                "Policy > A. Information you provide directly",
                "Policy > 2.1 what we keep"
            ]
        );
    }

    #[test]
    fn sentences_are_not_headings() {
        let seg = segment_text("We do not sell your data\n\nWe never share it with anyone at all.");
        assert_eq!(seg.clauses.len(), 2);
        let seg = segment_text("Intro\n=====\n\nBody text here.\n\n## Part\n\nMore text.");
        assert_eq!(seg.clauses[1].heading, ["Intro", "Part"]);
    }

    #[test]
    fn links_a_sentence_introduces_are_kept() {
        let page = "ACME PRIVACY POLICY\n\nWe work with advertising partners, who collect data about your visits to show you ads.\n\nThird parties we use for advertising:\n\n1. [Index Exchange](https://www.indexexchange.com/privacy/)\n2. [OpenX](https://www.openx.com/legal/privacy-policy/)\n3. [Criteo](https://www.criteo.com/privacy/)\n\nYou can opt out of personalised ads in your privacy settings.\n\nStay in touch with us on social media:\n\n- [Twitter](https://twitter.com/acme)\n- [Facebook](https://facebook.com/acme)\n- [Instagram](https://instagram.com/acme)\n\nSITE SEARCH[ ][Go] Share your data:\n\n- [Careers](https://acme.example/careers)\n- [Press](https://acme.example/press)\n- [Stores](https://acme.example/stores)\n\nWebsite links:\n\n- [Home](https://acme.example/)\n- [About](https://acme.example/about)\n- [Contact](https://acme.example/contact)\n\nThis policy explains the information we collect about you:\n\n- [What we collect](https://acme.example/privacy#collect)\n- [Whom we share it with](https://acme.example/privacy#share)\n- [Your choices](https://acme.example/privacy#choices)\n";
        let seg = segment_text(page);
        let text: Vec<&str> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        let all = text.join("\n");
        for partner in ["Index Exchange", "OpenX", "Criteo"] {
            assert!(all.contains(partner), "{partner} lost: {text:?}");
        }
        assert!(!all.contains("https://"), "targets are not text: {text:?}");
        for chrome in ["Twitter", "Careers", "About", "What we collect"] {
            assert!(!all.contains(chrome), "{chrome} kept: {text:?}");
        }
    }

    #[test]
    fn introduced_lists_of_names_keep_the_text_around_them() {
        // Lists naming no policy matter ("Store Terms of Use") under their
        // lead-ins: the opening above them and the notices below stay.
        let page = "Device Terms\n============\n\nIf you place an order for, register, or use any device, or if you download, access or otherwise use any software, you agree to the following terms:\n\n*   [Store Terms of Use](https://example.com/a)\n*   [Conditions of Use](https://example.com/b)\n*   [Music Terms of Use](https://example.com/c)\n\nIf you purchase or use a subscription with your compatible device, you also agree to the following terms:\n\n*   [Subscription Terms](https://example.com/d)\n*   [Kids Terms](https://example.com/e)\n\nThe English version of this Agreement shall control.\n\n**Addenda:** This Agreement incorporates the following documents (and no others) by reference:\n\n* [Privacy Policy](https://example.com/p)\n* [Cookie Policy](https://example.com/c)\n* [Government Addendum](https://example.com/g)\n* [Seller Addendum](https://example.com/s)\n\n**Notices:** Except for notices described in **Section 11**, you must send any notices of a legal nature to us by email or at:\n";
        let seg = segment_text(page);
        let all = crate::blocks::all_text(&seg);
        for kept in [
            "If you place an order",
            "Music Terms of Use",
            "Seller Addendum",
            "notices of a legal nature",
        ] {
            assert!(all.contains(kept), "{kept} lost: {all}");
        }
    }

    #[test]
    fn link_menus_are_dropped() {
        let seg = segment_text("Search...[Terms](#)[Privacy Policy](#)[Content Policy](#)\n\nReal text here.\n\n[TOS](#)\n\n[Models](#)[Datasets](#)");
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["Real text here."]);
    }

    #[test]
    fn trailing_headings_are_kept() {
        let seg = segment_text("We may contact you.\n\nLast Updated March 2024");
        assert_offsets(&seg);
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["We may contact you.", "Last Updated March 2024"]);
    }

    #[test]
    fn dates_and_addresses_below_the_policy_are_kept() {
        // Title-cased lines with figures after a comma are a date or an
        // address, not headings that the trim below the last paragraph
        // would drop with nothing under them.
        let seg = segment_text(
            "Privacy Policy\n\nWe collect your name and e-mail address when you register.\n\n\
             Notices: you must send any notices of a legal nature to us by email or at:\n\n\
             ACME CORPORATION\n\nAttn: Legal Department\n\n\
             410 Terry Avenue North, Seattle, WA 98109\n\nLast Updated: May 1, 2024\n",
        );
        assert_offsets(&seg);
        let all = crate::blocks::all_text(&seg);
        for kept in ["410 Terry Avenue North", "May 1, 2024"] {
            assert!(all.contains(kept), "{kept} lost: {all}");
        }
        assert!(heading_of(&["Last Updated: May 1, 2024"]).is_none());
        assert!(heading_of(&["Section 4, Your Rights"]).is_some());
        assert!(heading_of(&["Section 4, Part 2"]).is_some());
    }

    #[test]
    fn numbers_are_not_headings() {
        let seg = segment_text("Call us.\n\n423.837.7181\n\nWe reply within a day.");
        assert_offsets(&seg);
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Call us.", "423.837.7181", "We reply within a day."]
        );
        assert!(seg.clauses.iter().all(|c| c.heading.is_empty()));
        assert!(heading_of(&["P.O. Box 12"]).is_none());
        assert!(heading_of(&["Phone: 1-800-555-0100"]).is_none());
        assert!(heading_of(&["TEL: 1-800-555-0100"]).is_none());
        assert!(heading_of(&["Contact Information"]).is_some());
    }

    #[test]
    fn sentences_with_links_are_not_link_menus() {
        let seg = segment_text(
            "- ask us [to correct](/a) or [delete your data](/b)\n\n[Home](/) | [About](/about)",
        );
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        // Kept as a reader sees it: link labels without their targets.
        assert_eq!(texts, ["- ask us to correct or delete your data"]);
    }

    #[test]
    fn odd_text_does_not_panic() {
        for text in [
            "",
            "\n\n\n",
            "-",
            "===\n---",
            "(",
            "1.",
            "(iv",
            "\u{feff}",
            "a\r\rb\r\n",
            "# \n#",
        ] {
            assert_offsets(&segment_text(text));
        }
    }
}
