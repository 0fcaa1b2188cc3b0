//! Page chrome in text a browser or crawler dumped from a web page (w3m,
//! lynx, html2text, "save as text"): menus, link lists, form widgets,
//! footers and lynx's list of link targets, which the text has no markup
//! left to tell apart.
//!
//! Two passes, both on what any text shows. [`dumped_line`] drops lines that
//! are never policy text (a list of URLs, `[ ]` form fields, a copyright
//! line, "Back to top") and strips lynx's `[12]` link markers, counting them.
//! [`trim_to_content`] then keeps the stretch of blocks from the first
//! English prose paragraph (with the title and date lines right above it)
//! to the last (with the list it leads in and a contact or date line
//! below), and drops cookie banners and menu-like runs of short items that
//! no lead-in introduces. Text in another language has no English prose to
//! anchor on and is left whole. Used by `segment_text` only: on Markdown it
//! cut real policy text (see docs/segmentation.md).

use crate::blocks::Block;
use crate::boilerplate;
use policylens_core::english_share;

/// Items of a menu are at most this many words.
const MENU_ITEM_WORDS: usize = 4;
/// A menu is a run of at least this many short items.
const MENU_MIN_ITEMS: usize = 3;
/// Headings and label lines kept above the first prose paragraph (a title,
/// a section, "Last updated: …").
const LEADING_BLOCKS: usize = 3;
/// Below this share of English function words a text is not English and
/// is not trimmed (English policies have 0.2-0.4, others under 0.06).
const DOCUMENT_ENGLISH_SHARE: f64 = 0.1;
/// Prose has at least this share of English function words (running English
/// about two in five; menus, headline lists and leftover markup almost none).
const PROSE_ENGLISH_SHARE: f64 = 0.15;
/// Date or address lines kept below the last prose paragraph.
const TRAILING_LINES: usize = 2;

/// A short line that labels or dates what follows, not a menu entry or a
/// list's lead-in.
fn is_label_line(t: &str) -> bool {
    t.split_whitespace().count() <= 12 && !t.ends_with(':')
}

/// A dumped line, cleaned: `None` when the whole line is chrome, else its
/// text without lynx link markers and how many markers it had.
pub fn dumped_line(line: &str) -> Option<(String, usize)> {
    let (text, links) = strip_link_markers(line);
    let t = text.trim();
    let chrome = is_url_line(t)
        || matches!(
            t,
            "References" | "Visible links" | "Visible links:" | "Hidden links:"
        )
        || is_form_widget_line(t)
        || is_markup_line(t)
        || boilerplate::is_copyright_line(t)
        || boilerplate::is_control_text(t)
        || (links > 0 && is_link_label(t, links));
    (!chrome || t.is_empty()).then_some((text, links))
}

/// `line` without lynx's `[12]` markers, and how many there were.
fn strip_link_markers(line: &str) -> (String, usize) {
    let mut out = String::with_capacity(line.len());
    let mut links = 0;
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str(&rest[..open]);
            rest = &after[digits + 1..];
            links += 1;
        } else {
            out.push_str(&rest[..=open]);
            rest = after;
        }
    }
    out.push_str(rest);
    (out, links)
}

/// A URL alone, or numbered as in lynx's references (`12. https://…`).
fn is_url_line(t: &str) -> bool {
    let t = t
        .split_once(". ")
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(t, |(_, rest)| rest.trim());
    [
        "http://",
        "https://",
        "file://",
        "ftp://",
        "mailto:",
        "javascript:",
    ]
    .iter()
    .any(|scheme| t.starts_with(scheme))
        && !t.contains(' ')
}

/// Form fields and buttons as w3m draws them (`[          ] [Search]`,
/// `[ ]`): bracketed pieces with no word outside them.
fn is_form_widget_line(t: &str) -> bool {
    if !t.starts_with('[') {
        return false;
    }
    let mut outside = String::new();
    let mut depth = 0usize;
    for c in t.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    // A markdown link's `(target)` is outside the brackets; it is a link
    // line, which the text parser drops on its own.
    !outside.contains('(') && !outside.chars().any(char::is_alphabetic)
}

/// HTML a dump let through as text (a `<noscript>` tracking pixel, an
/// `<iframe>`): tags are most of the line.
fn is_markup_line(t: &str) -> bool {
    let mut in_tag = false;
    let (mut tag_chars, mut tags) = (0, 0);
    for (i, c) in t.char_indices() {
        if c == '<' && t[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
            in_tag = true;
            tags += 1;
        }
        if in_tag {
            tag_chars += 1;
        }
        if c == '>' {
            in_tag = false;
        }
    }
    tags > 0 && tag_chars * 2 > t.chars().count()
}

/// A line that is one or more lynx links and little else: a menu entry.
fn is_link_label(t: &str, links: usize) -> bool {
    let words = t.split_whitespace().count();
    words <= MENU_ITEM_WORDS * links && !t.ends_with(['.', ':', ';', '?']) && !t.contains('@')
}

/// Blocks from the first prose paragraph (and the headings right above it)
/// to the last, without menu-like runs of short items; every block when
/// there is no prose at all.
pub fn trim_to_content(blocks: Vec<Block>) -> Vec<Block> {
    let blocks: Vec<Block> = blocks
        .into_iter()
        .filter(|b| !matches!(b, Block::Paragraph(t) if is_consent_banner(t)))
        .collect();
    // Text in another language has no English prose to anchor on: left whole.
    let all: String = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph(t) | Block::ListItem { text: t, .. } => Some(t.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    if english_share(&all) < DOCUMENT_ENGLISH_SHARE {
        return blocks;
    }
    // Prose in English: sentences with function words ("Refresh (86400
    // sec) … Advertisement . * *" is none).
    let prose = |b: &Block| match b {
        Block::Paragraph(t) | Block::ListItem { text: t, .. } => {
            boilerplate::reads_as_prose(t) && english_share(t) >= PROSE_ENGLISH_SHARE
        }
        _ => false,
    };
    let (Some(first), Some(last)) = (
        blocks.iter().position(prose),
        blocks.iter().rposition(prose),
    ) else {
        return blocks;
    };
    // Above the first prose: its title and headings, a date line.
    let start = (0..first)
        .rev()
        .take(LEADING_BLOCKS)
        .take_while(|&i| match &blocks[i] {
            Block::Heading { .. } => true,
            Block::Paragraph(t) => is_label_line(t),
            _ => false,
        })
        .last()
        .unwrap_or(first);
    // Below the last: its list when it leads one in, then a contact line
    // ("… contact us at x@y.com") or a date or address line.
    let list = trailing_list(&blocks[last..]);
    let lines = blocks[last + 1 + list..]
        .iter()
        .take(TRAILING_LINES)
        .take_while(|b| {
            matches!(b, Block::Paragraph(t) if t.contains('@')
                || (is_label_line(t) && t.contains(|c: char| c.is_ascii_digit())))
        })
        .count();
    let end = last + 1 + list + lines;
    let menus = menu_runs(&blocks[start..end]);
    blocks
        .into_iter()
        .enumerate()
        .skip(start)
        .take(end - start)
        .filter(|(i, _)| !menus.contains(&(i - start)))
        .map(|(_, b)| b)
        .collect()
}

/// A cookie banner as a dump shows it: a short notice about cookies whose
/// buttons trail its last sentence ("We use cookies to improve your
/// experience. Accept all Manage preferences", lynx's "(BUTTON) Accept
/// all"). A policy's own sentences about cookies end with their full stop.
fn is_consent_banner(t: &str) -> bool {
    let lower = t.to_lowercase();
    if !lower.contains("cookie") || t.chars().count() >= 300 {
        return false;
    }
    let tail = lower
        .rfind(['.', '!', '?'])
        .map_or(lower.as_str(), |end| &lower[end + 1..]);
    lower.contains("(button)")
        || (tail.split_whitespace().count() <= 6 && boilerplate::is_consent_control(tail))
}

/// The list items that follow the last prose block: all of them when it
/// leads them in (ends with `:`), else those that are no menu entries.
fn trailing_list(tail: &[Block]) -> usize {
    let lead_in = matches!(&tail[0], Block::Paragraph(t) | Block::ListItem { text: t, .. } if t.ends_with(':'));
    tail[1..]
        .iter()
        .take_while(
            |b| matches!(b, Block::ListItem { text, .. } if lead_in || !is_short_item(text)),
        )
        .count()
}

/// Text short and bare enough to be a menu entry (`Home`, `About Us`).
fn is_short_item(text: &str) -> bool {
    text.split_whitespace().count() <= MENU_ITEM_WORDS
        && !text.ends_with(['.', ':', ';', ',', '?'])
        && !text.contains('@')
}

/// Indices of blocks in runs of at least [`MENU_MIN_ITEMS`] short,
/// unpunctuated items (`Home`, `About Us`, `RSS`) that no lead-in ending
/// with `:` introduces.
fn menu_runs(blocks: &[Block]) -> Vec<usize> {
    let short = |b: &Block| match b {
        Block::ListItem { text, .. } | Block::Paragraph(text) => is_short_item(text),
        _ => false,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        if !short(&blocks[i]) {
            i += 1;
            continue;
        }
        let run = blocks[i..].iter().take_while(|b| short(b)).count();
        let introduced = i > 0
            && matches!(&blocks[i - 1], Block::Paragraph(t) | Block::ListItem { text: t, .. } | Block::Heading { text: t, .. } if t.ends_with(':'));
        if run >= MENU_MIN_ITEMS && !introduced {
            out.extend(i..i + run);
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumped_chrome_lines_are_dropped_and_markers_stripped() {
        for chrome in [
            "   12. https://www.example.com/about",
            "http://www.example.com/",
            "References",
            "[                    ] [ ]",
            "[Navigate...       ]",
            "© 2011-2015. Sci-News.com. All Rights Reserved. | Back to top",
            "Back to top",
            "   [2]Privacy Main",
            "[4]Home [5]About us [6]Contact",
            "<img height=\"1\" width=\"1\" style=\"display:none\" alt=\"\" src=\"https://t.co/i/adsct?id=1\">",
            "<iframe src=\"https://www.googletagmanager.com/ns.html\"></iframe>",
        ] {
            assert_eq!(dumped_line(chrome), None, "{chrome:?}");
        }
        assert_eq!(
            dumped_line("described in the [8]Verizon Privacy Policy. In the event of a"),
            Some((
                "described in the Verizon Privacy Policy. In the event of a".into(),
                1
            ))
        );
        assert_eq!(
            dumped_line("We collect [your] data.").unwrap().0,
            "We collect [your] data."
        );
        assert!(dumped_line("").is_some());
    }

    fn para(t: &str) -> Block {
        Block::Paragraph(t.into())
    }

    fn item(t: &str) -> Block {
        Block::ListItem {
            depth: 1,
            text: t.into(),
        }
    }

    fn heading(t: &str) -> Block {
        Block::Heading {
            level: 1,
            text: t.into(),
        }
    }

    #[test]
    fn the_content_is_kept_from_the_first_prose_to_the_last_without_menus() {
        let blocks = vec![
            item("Home"),
            item("About Us"),
            item("News Archive"),
            para("Top Headlines:"),
            item("Astronomers Discover Quintuple Star System"),
            heading("Privacy Policy"),
            para("Last updated: June 23, 2015"),
            para("We are committed to protecting your privacy. This policy explains how."),
            para("We collect the following information:"),
            item("Name"),
            item("Email address"),
            item("Phone number"),
            para("We never sell it to anyone, and we keep it for a year at most."),
            item("Astronomy"),
            item("Biology"),
            item("Physics"),
            para("Contact us at privacy@example.com if you have any questions about this policy."),
            para("Acme Inc., 1 Main St, 94000 Springfield"),
            item("Home"),
            item("Blog"),
            item("RSS"),
        ];
        let kept = trim_to_content(blocks);
        let texts: Vec<&str> = kept
            .iter()
            .map(|b| match b {
                Block::Paragraph(t)
                | Block::ListItem { text: t, .. }
                | Block::Heading { text: t, .. }
                | Block::TableRow(t) => t.as_str(),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "Privacy Policy",
                "Last updated: June 23, 2015",
                "We are committed to protecting your privacy. This policy explains how.",
                "We collect the following information:",
                "Name",
                "Email address",
                "Phone number",
                "We never sell it to anyone, and we keep it for a year at most.",
                "Contact us at privacy@example.com if you have any questions about this policy.",
                "Acme Inc., 1 Main St, 94000 Springfield",
            ]
        );
    }

    #[test]
    fn cookie_banners_go_and_sentences_about_cookies_stay() {
        assert!(is_consent_banner(
            "We use cookies to improve your experience. Accept all Manage preferences"
        ));
        assert!(is_consent_banner("We use cookies. (BUTTON) OK"));
        assert!(!is_consent_banner(
            "We use cookies to remember you. You may accept or refuse them."
        ));
        assert!(!is_consent_banner(
            "By continuing to use the site you agree to our use of cookies."
        ));
    }

    #[test]
    fn text_in_another_language_is_left_whole() {
        let blocks = vec![
            item("Accueil"),
            item("Contact"),
            item("Emplois"),
            heading("Protection des données personnelles"),
            para("Orange s'engage à faire de la protection de vos données une priorité."),
            para("Pour toute question, écrivez à dpo@orange.example ou par courrier."),
            item("Mentions légales"),
        ];
        assert_eq!(trim_to_content(blocks.clone()), blocks);
    }

    #[test]
    fn text_without_prose_is_left_alone() {
        let blocks = vec![heading("Terms"), item("Home"), item("About"), item("Blog")];
        assert_eq!(trim_to_content(blocks.clone()), blocks);
    }
}
