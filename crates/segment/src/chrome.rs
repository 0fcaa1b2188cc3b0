//! Page chrome in text a browser or crawler dumped from a web page (w3m,
//! lynx, html2text, "save as text"): menus, link lists, form widgets,
//! footers and lynx's list of link targets, which the text has no markup
//! left to tell apart.
//!
//! Passes on what any text shows. html2text writes links and images as
//! Markdown and wraps them like prose: [`without_images`] drops the images
//! and [`link_labels`] leaves a link's label without its target, once the
//! text parser has judged a block's link density. [`before_footer`] cuts
//! the page at its last copyright line when most of the text stands above
//! it. [`dumped_line`] drops lines that are never policy text (a list of
//! URLs, `[ ]` form fields, a copyright line, "Back to top of page") and
//! strips lynx's `[12]` link markers, counting them. [`trim_to_content`]
//! then keeps the stretch of blocks from the first English prose paragraph
//! that names the policy's matter (privacy, information, cookies, users,
//! sites, …; with the opening that speaks to the reader, the title and date
//! lines right above it) to the last (with the list it leads in and the
//! contact, address or date lines below); teasers, comments and paywall
//! prompts around a policy are prose about other things. It drops banners
//! (a notice with buttons after its last sentence), markup or script let
//! through as text, tables of contents (list items repeating the text's
//! headings), and menu-like runs of short items that no lead-in
//! introduces. Text in another language has no English prose to anchor on
//! and is left whole.
//!
//! The stretch and menu runs are used by `segment_text` only: on Markdown
//! they cut real policy text (see docs/segmentation.md). Markdown gets the
//! block rules that hold in any format ([`is_chrome_block`]) and its
//! wrapped link targets mended ([`with_link_targets_unwrapped`]).

use crate::blocks::Block;
use crate::boilerplate;
use policylens_core::english_share;

/// Items of a menu are at most this many words.
const MENU_ITEM_WORDS: usize = 4;
/// A menu is a run of at least this many short items.
pub(crate) const MENU_MIN_ITEMS: usize = 3;
/// Headings and label lines kept above the first prose paragraph (a title,
/// a section, "Last updated: …").
const LEADING_BLOCKS: usize = 3;
/// Below this share of English function words a text is not English and
/// is not trimmed (English policies have 0.2-0.4, others under 0.06).
const DOCUMENT_ENGLISH_SHARE: f64 = 0.1;
/// Prose has at least this share of English function words (running English
/// about two in five; menus, headline lists and leftover markup almost none).
const PROSE_ENGLISH_SHARE: f64 = 0.15;

/// A short line that labels or dates what follows, not a menu entry or a
/// list's lead-in.
fn is_label_line(t: &str) -> bool {
    t.split_whitespace().count() <= 12 && !t.ends_with(':')
}

/// Lines of at least this many words are counted as the page's text when
/// looking for its footer (a wrapped line of prose has 10-15).
const TEXT_LINE_WORDS: usize = 8;
/// The page's footer starts at its last copyright line when at least this
/// share of the page's text lines stand above it: a notice higher up is the
/// page's header, or a section of the document (terms' "All rights
/// reserved" paragraphs).
const FOOTER_TEXT_SHARE: f64 = 0.75;
/// The share when the text shows other page chrome (images, menus, link
/// markers): a short policy may stand above a long footer of disclaimers
/// and a sign-up form.
const DUMPED_FOOTER_TEXT_SHARE: f64 = 0.3;

/// The page without its footer: what follows the last copyright line
/// (`© 2015 Acme. All rights reserved.`) is the site's footer (link lists,
/// sign-up forms, disclaimers, trackers), when most of the page's text
/// stands above it; a copyright line near the top is a header and cuts
/// nothing.
pub fn before_footer(text: &str, page_chrome: bool) -> &str {
    let text_lines = |t: &str| {
        t.lines()
            .filter(|l| l.split_whitespace().count() >= TEXT_LINE_WORDS)
            .count()
    };
    let mut offset = 0;
    let mut footer = None;
    // The last line of text, and whether a blank line or an underline
    // stands between it and this one (as below a heading).
    let mut previous = String::new();
    let mut set_apart = false;
    for line in text.split_inclusive('\n') {
        let (shown, _) = strip_link_markers(line);
        let shown = shown.trim();
        if shown.is_empty() || shown.chars().all(|c| matches!(c, '-' | '=' | '_' | '*')) {
            set_apart = true;
            offset += line.len();
            continue;
        }
        // A notice (`© 2015`, `Copyright 2015`), not a section on copyright.
        let in_section = names_copyright(&previous)
            && !is_bulleted(&previous)
            && (set_apart || marked_as_heading(&previous));
        if opens_with_copyright_notice(shown) && !in_section {
            footer = Some(offset);
        }
        previous = shown.to_string();
        set_apart = false;
        offset += line.len();
    }
    let share = if page_chrome {
        DUMPED_FOOTER_TEXT_SHARE
    } else {
        FOOTER_TEXT_SHARE
    };
    match footer {
        Some(at) if text_lines(&text[..at]) as f64 >= text_lines(text) as f64 * share => {
            &text[..at]
        }
        _ => text,
    }
}

/// A line that a list's bullet opens (`* [22]Copyright Policy`, a footer's
/// link), not a heading.
fn is_bulleted(line: &str) -> bool {
    line.starts_with(['-', '+', '•', '◦', '□', '·'])
        || (line.starts_with('*') && !line.starts_with("**"))
}

/// A line marked as a heading in Markdown (`## Copyright`, `**22.
/// Copyright/Trademark Information**`) or by a section number.
fn marked_as_heading(line: &str) -> bool {
    line.starts_with('#')
        || (line.starts_with("**") && line.ends_with("**"))
        || line.starts_with(|c: char| c.is_ascii_digit())
}

/// Whether a line, as [`dumped_line`] judged it, is page chrome other than
/// a copyright notice: a line it drops (URL lists, form fields, leftover
/// markup, jump and pager lines, lynx link labels) or one with lynx's link
/// markers.
pub fn is_page_chrome(line: &str, judged: &Option<(String, usize)>) -> bool {
    match judged {
        Some((_, markers)) => *markers > 0,
        None => !opens_with_copyright_notice(strip_link_markers(line).0.trim()),
    }
}

/// The start of a line that a notice opens, looked at when the line runs on
/// (html2text leaves a footer paragraph on one line: `Part of the Acme
/// Network © 2014 All Rights Reserved. Privacy | Terms All content …`).
const NOTICE_HEAD_CHARS: usize = 150;

/// A line that is a copyright notice or starts with one.
fn opens_with_copyright_notice(line: &str) -> bool {
    let head = match line.char_indices().nth(NOTICE_HEAD_CHARS) {
        Some((at, _)) => &line[..at],
        None => line,
    };
    is_copyright_notice_line(head)
}

/// A heading line that opens a section on copyright or marks (`Copyright`,
/// `22. Copyright/Trademark Information`, `Intellectual property`): a
/// copyright line below it is the section's text, not the page's footer.
fn names_copyright(line: &str) -> bool {
    let words = boilerplate::text_words(line);
    let names = |w: &String| {
        matches!(
            w.as_str(),
            "copyright" | "copyrights" | "trademark" | "trademarks"
        )
    };
    words
        .iter()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .count()
        <= 4
        && (words.iter().any(names) || words.windows(2).any(|p| p == ["intellectual", "property"]))
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
        || is_copyright_notice_line(t)
        || boilerplate::is_control_text(t)
        || is_jump_line(t)
        || is_pagination_line(t)
        || (links > 0 && is_link_label(t, links));
    (!chrome || t.is_empty()).then_some((text, links))
}

/// Longest Markdown link label looked at, in bytes: a `[` that runs on
/// further opens no link. Targets may be far longer (`data:` images) and
/// end at a blank line at the latest.
const MAX_LINK_LABEL: usize = 2000;

/// The text without Markdown images (`![alt](src)`, html2text's rendering
/// of `<img>`, also inside a link's label): a picture shows no policy
/// words, and its alt text and file name are not read as text.
pub fn without_images(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(bang) = rest.find("![") {
        match markdown_link_at(&rest[bang + 1..]) {
            Some((_, end)) => {
                out.push_str(&rest[..bang]);
                rest = &rest[bang + 1 + end..];
            }
            None => {
                out.push_str(&rest[..bang + 2]);
                rest = &rest[bang + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text a reader sees of Markdown inline markup as html2text writes
/// it: each `[label](target "title")` as its label, and `\-`, `\*`, `\(`
/// escapes as the character. Link targets are addresses, not policy words.
pub fn link_labels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        // `\[` is a bracket the page showed, no link.
        let escaped = rest[..open].ends_with('\\');
        out.push_str(&unescaped(&rest[..open - usize::from(escaped)]));
        match markdown_link_at(&rest[open..]).filter(|_| !escaped) {
            Some((close, end)) => {
                out.push_str(&link_labels(&rest[open + 1..open + close]));
                rest = &rest[open + end..];
            }
            None => {
                out.push('[');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(&unescaped(rest));
    out
}

/// Markdown with the line breaks that a renderer wrapped into link
/// targets taken out (html2text wraps at 78 columns, inside an address or
/// a title alike): CommonMark allows none in a destination, so a wrapped
/// link would show its address as text.
pub fn with_link_targets_unwrapped(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let link = markdown_link_at(&rest[open..]);
        let (close, end) = link.unwrap_or((0, 1));
        if close > 0 {
            // The label may hold an image with a wrapped target of its own.
            out.push('[');
            out.push_str(&with_link_targets_unwrapped(&rest[open + 1..open + close]));
        }
        let target = &rest[open + close..open + end];
        match link {
            // Inside the address a wrap joins its pieces; after it (before
            // a title) it stands for a space.
            Some(_) if target.contains('\n') => {
                let destination_end = target.find([' ', '"']).unwrap_or(target.len());
                out.push_str(&target[..destination_end].replace('\n', ""));
                out.push_str(&target[destination_end..].replace('\n', " "));
            }
            _ => out.push_str(target),
        }
        rest = &rest[open + end..];
    }
    out.push_str(rest);
    out
}

/// `text` with Markdown backslash escapes (`\-`, `1\.`) undone.
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether `text` starts with a Markdown link, `[label](target)`, that may
/// wrap over lines but not across a blank one: the byte offsets of its `]`
/// and of the end of its `)`. Labels may nest brackets (an image in a link).
fn markdown_link_at(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let blank_line = |i: usize| bytes[i] == b'\n' && bytes.get(i + 1) == Some(&b'\n');
    let mut depth = 0usize;
    let mut i = 0;
    let close = loop {
        if i >= bytes.len().min(MAX_LINK_LABEL) || blank_line(i) {
            return None;
        }
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    break i;
                }
            }
            _ => {}
        }
        i += 1;
    };
    if bytes.get(close + 1) != Some(&b'(') {
        return None;
    }
    let mut quoted = false;
    let mut j = close + 2;
    loop {
        if j >= bytes.len() || blank_line(j) {
            return None;
        }
        match bytes[j] {
            b'\\' => j += 1,
            b'"' => quoted = !quoted,
            b')' if !quoted => return Some((close, j + 1)),
            _ => {}
        }
        j += 1;
    }
}

/// Whether a whole block of Markdown is page chrome by the rules that hold
/// in any format: a control (`Back to top`, `Print`), a copyright notice,
/// a cookie banner, or markup and script let through as text. Link
/// density is judged where the links are parsed. A list item is no
/// control by its word alone: `Email` or `Print` is an item of a list of
/// what a policy collects.
pub fn is_chrome_block(t: &str, list_item: bool) -> bool {
    (!list_item && boilerplate::is_control_text(t))
        || is_jump_line(t)
        || is_pagination_line(t)
        || is_copyright_notice_line(t)
        || is_consent_banner(t)
        || is_leftover_code(t)
}

/// A pager's line (`Pages: 1 2 3 … 10`, `« Prev 4 5 6 Next »`): page
/// numbers counting up, from 1 or after the pager's own words, and nothing
/// else. Phone numbers (`+41 41 562 73 63`) and section numbers (`1.8.1`)
/// do not count up.
fn is_pagination_line(t: &str) -> bool {
    let words = boilerplate::text_words(t);
    let pager = |w: &str| {
        matches!(
            w,
            "page" | "pages" | "prev" | "previous" | "next" | "first" | "last" | "of"
        )
    };
    let mut numbers = Vec::new();
    for w in &words {
        match w.parse::<u32>() {
            Ok(n) if w.len() <= 3 => numbers.push(n),
            _ if pager(w) => {}
            _ => return false,
        }
    }
    let counts_up = numbers.windows(2).all(|p| p[0] < p[1]);
    let named = words.iter().any(|w| pager(w));
    numbers.len() >= 3 && counts_up && (named || numbers[0] <= 1) && !t.contains(['+', '.'])
}

/// A line that is a copyright notice (`© 2015 Acme`, `Copyright 2015
/// Acme. All rights reserved.`). `(c)` opens one only with a year or
/// "all rights reserved" after it: otherwise it is the third item of a
/// lettered list.
fn is_copyright_notice_line(t: &str) -> bool {
    let lower = t.to_lowercase();
    // `(c) 2015 Acme`, not item (c) of a list that names a year later on.
    let dated = lower
        .strip_prefix("(c)")
        .and_then(|rest| rest.split_whitespace().next())
        .is_some_and(is_year);
    let lettered_item =
        lower.starts_with("(c)") && !lower.contains("all rights reserved") && !dated;
    boilerplate::is_copyright_line(t)
        && boilerplate::is_copyright_notice(t)
        && !lettered_item
        && !is_numbered_heading(t)
}

/// A section's heading with its number (`9.1 All Rights Reserved`,
/// `**9.1  All Rights Reserved**`): a clause of terms, not a page's notice.
fn is_numbered_heading(t: &str) -> bool {
    let t = t.trim_start_matches(['*', '#', '_', ' ']);
    let number: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    // A year opens a notice (`2024 © Acme. All rights reserved.`).
    number.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !is_year(number.trim_end_matches('.'))
        && t[number.len()..].starts_with(char::is_whitespace)
        && t.split_whitespace().count() <= 6
}

/// A year of the kind copyright notices carry (`1995`, `2024`,
/// `2015-2024`).
fn is_year(word: &str) -> bool {
    let first = word.split(['-', '–', ',']).next().unwrap_or("");
    first.len() == 4
        && (first.starts_with("19") || first.starts_with("20"))
        && first.chars().all(|c| c.is_ascii_digit())
}

/// A jump link has at most this many words (`Back to Everyday Health
/// Privacy Policy Index`).
const JUMP_LINK_WORDS: usize = 8;

/// A line of links that jump within the page or site, alone or several
/// split by `|` (`« Back To Top »`, `Back to top of policy | Back to the
/// Privacy Policy Index`, `Return to content`): controls, as in
/// [`boilerplate::is_control_text`], that name where they jump.
fn is_jump_line(t: &str) -> bool {
    let jump = |piece: &str| {
        let words = boilerplate::text_words(piece);
        let jumps = matches!(
            words.as_slice(),
            [verb, to, ..] if matches!(verb.as_str(), "back" | "return" | "go" | "jump" | "skip") && to == "to"
        );
        let target = words.iter().any(|w| {
            matches!(
                w.as_str(),
                "top" | "index" | "contents" | "content" | "navigation" | "menu"
            )
        });
        jumps
            && target
            && words.len() <= JUMP_LINK_WORDS
            && !piece.trim_end().ends_with(['.', ',', ';'])
    };
    t.split('|').any(jump)
        && t.split('|')
            .all(|piece| jump(piece) || boilerplate::is_control_text(piece))
}

/// `line` without lynx's `[12]` markers, and how many there were.
fn strip_link_markers(line: &str) -> (String, usize) {
    let mut out = String::with_capacity(line.len());
    let mut links = 0;
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        // `[12](…)` is a Markdown link labelled 12, no lynx marker.
        if digits > 0 && after[digits..].starts_with(']') && !after[digits..].starts_with("](") {
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
    // line, which the text parser drops on its own. A bracket left open is
    // a link label html2text wrapped (`[Conditions of`), no field.
    depth == 0 && !outside.contains('(') && !outside.chars().any(char::is_alphabetic)
}

/// A box followed by a sentence of more words, ending with `;` or `.`, is
/// an item of a checklist.
const FORM_LABEL_WORDS: usize = 6;

/// A form as a dump prints it within a paragraph: two or more controls,
/// lynx's `(BUTTON)` or check boxes (`[ ]`, `[X]`), among its words ("[ ]
/// Remember me next time (BUTTON) Sign In » … Forget your password?", a
/// newsletter's list of `[ ] News` `[ ] Sports` boxes). A sign-in or
/// sign-up box names email and passwords but is no policy text. Blanks to
/// fill in (`I am a resident of ______`, a contract's `By: ______`) are
/// not controls: a policy's own request form or signature block has them.
fn is_form(t: &str) -> bool {
    let buttons = t.matches("(BUTTON)").count();
    // A box labels a choice or a field ("[ ] News", "[ ] Was trustworthy",
    // "Password [ ]"); a checklist's sentences ("[ ] You are the person
    // whose data is requested, or their authorised agent;") are text.
    let boxes = t
        .replace("[X]", "[ ]")
        .replace("[x]", "[ ]")
        .split("[ ]")
        .skip(1)
        .filter(|label| {
            let label = label.split("(BUTTON)").next().unwrap_or("").trim();
            label.split_whitespace().count() <= FORM_LABEL_WORDS || !label.ends_with([';', '.'])
        })
        .count();
    buttons + boxes >= 2
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

/// The stretch of a text's blocks that is its document, without banners,
/// leftover code, tables of contents and menu-like runs of short items.
///
/// The stretch runs from the first prose paragraph (with its title and
/// date lines above) to the last (with the list it leads in and its
/// closing contact, address and date lines below). When the text shows it
/// was `dumped` from a web page and most of its prose names a policy's
/// matter, it runs instead from the first to the last paragraph that names
/// it ([`speaks_as_policy`]), widened over the opening and closing prose
/// that speaks to the reader or names the matter once, without quoting
/// anyone; teasers, comments and prompts around a policy tell of other
/// things. Every block is kept when there is no prose at all.
pub fn trim_to_content(blocks: Vec<Block>, dumped: bool) -> Vec<Block> {
    let blocks = without_table_of_contents(blocks);
    let blocks: Vec<Block> = blocks
        .into_iter()
        .filter(|b| !matches!(b, Block::Paragraph(t) if is_consent_banner(t) || is_ad_notice(t) || is_form(t)))
        .filter(|b| !matches!(b, Block::Paragraph(t) | Block::ListItem { text: t, .. } if is_leftover_code(t)))
        .collect();
    // Text in another language has no English prose to anchor on: left whole.
    let all: String = blocks
        .iter()
        .filter_map(text_of)
        .collect::<Vec<_>>()
        .join(" ");
    if english_share(&all) < DOCUMENT_ENGLISH_SHARE {
        return blocks;
    }
    // Prose in English (see [`is_prose`]), and prose that names a
    // policy's matter: the policy ends with such prose, while teasers,
    // comments and subscription prompts below it tell of other things.
    let prose: Vec<bool> = blocks
        .iter()
        .map(|b| text_of(b).is_some_and(is_prose))
        .collect();
    let policy_prose: Vec<bool> = blocks
        .iter()
        .zip(&prose)
        .map(|(b, &p)| p && text_of(b).is_some_and(speaks_as_policy))
        .collect();
    // ...when the page is mostly about it: a page of terms or guidelines
    // in its own words is anchored on any prose.
    let words_in = |keep: &[bool]| -> usize {
        blocks
            .iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .filter_map(|(b, _)| text_of(b))
            .map(|t| t.split_whitespace().count())
            .sum()
    };
    let about_policy =
        dumped && words_in(&policy_prose) as f64 >= POLICY_PROSE_SHARE * words_in(&prose) as f64;
    let anchor = if about_policy { &policy_prose } else { &prose };
    let (Some(first), Some(last)) = (
        anchor.iter().position(|&a| a),
        anchor.iter().rposition(|&a| a),
    ) else {
        return blocks;
    };
    // Its opening may speak to the reader, or name its matter once,
    // before it names it fully ("Northwind explains here what we
    // collect", "Our services include:"), with headings and list items
    // that name it ("Google apps, sites and devices") between.
    // Items of a list under a lead-in ending with ':' (the lead-in says
    // what they are: "Third parties we use for advertising:").
    let introduced = introduced_items(&blocks);
    let first = (0..first)
        .rev()
        .take_while(|&i| match &blocks[i] {
            Block::Heading { .. } => true,
            Block::ListItem { text: t, .. } => {
                (policy_words(t) >= 1 || introduced[i]) && !quotes_someone(t)
            }
            Block::Paragraph(t) => {
                (addresses_reader(t) || policy_words(t) >= 1)
                    && (prose[i] || t.ends_with(':'))
                    && !quotes_someone(t)
            }
            _ => false,
        })
        .filter(|&i| matches!(&blocks[i], Block::Paragraph(_)))
        .last()
        .unwrap_or(first);
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
    // Below the last: prose that goes on speaking to the reader in the policy's voice
    // ("Note that this prevents …, but you will …") is still the policy;
    // a teaser quoting someone ("“We have not…,” he said") is not.
    let last = last
        + blocks[last + 1..]
            .iter()
            .zip(&prose[last + 1..])
            .zip(&introduced[last + 1..])
            .take_while(|((b, &is_prose), &introduced)| match b {
                Block::Heading { .. } => true,
                Block::Paragraph(t) | Block::ListItem { text: t, .. } => {
                    let speaks = addresses_reader(t)
                        || policy_words(t) >= 1
                        || t.contains('@')
                        || introduced;
                    // A sentence, a lead-in, a list item, or an address
                    // ("Customer Care - Privacy Policy Issues 701 First
                    // Avenue, Sunnyvale, CA 94089"); not a footer's links
                    // (`A | B | C`, "About Join us Terms Pages: 1 2 3").
                    let sentence = is_prose
                        || is_address(t)
                        || t.ends_with(':')
                        || matches!(b, Block::ListItem { .. });
                    speaks && sentence && !quotes_someone(t)
                }
                _ => false,
            })
            .enumerate()
            .filter(|(_, ((b, _), _))| !matches!(b, Block::Heading { .. }))
            .map(|(i, _)| i + 1)
            .last()
            .unwrap_or(0);
    // Then its list when it leads one in, and the contact, date or address
    // lines below ("… contact us at x@y.com").
    let list = trailing_list(&blocks[last..]);
    let lines = trailing_lines(&blocks[last + 1 + list..]);
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

/// A sentence that introduces a list of the policy's matter: it ends with
/// a colon, has words enough to say something where a menu's label has
/// one to three ("Follow us:", "Connect with us:"), names what a policy
/// lists ("Third parties we use for advertising:", "you agree to the
/// following terms:", not "Stay in touch with us on social media:" or
/// "Browse our most popular product categories:"), and is no line of form
/// controls ("SITE SEARCH[ ][Go] Connect:").
pub(crate) fn is_list_lead_in(t: &str) -> bool {
    t.ends_with(':')
        && t.split_whitespace().count() >= LIST_LEAD_IN_WORDS
        && !t.contains('[')
        && names_listed_matter(t)
}

/// Whether `t` names what a policy lists: a policy word or
/// [`LISTED_MATTER_WORDS`].
fn names_listed_matter(t: &str) -> bool {
    policy_words(t) >= 1 || count_words(t, LISTED_MATTER_WORDS) >= 1
}

/// Whether a paragraph introduces the list below it in Markdown: a
/// lead-in of policy matter or one that announces a list ("You have the
/// right to:", "We use the following tools:"), or a sentence of policy
/// matter that announces the list or runs on into it ("This Privacy
/// Policy covers information collected through the following websites",
/// "We keep information about you so that we can"). Markdown is written,
/// or kept by an archive, as the page's text, so a list of links under
/// such a sentence is its matter; a crawler's menus sit under logos,
/// headings, short labels ("Related Articles"), other menus, and the
/// policy's last sentence ("… you agree to our terms of use.").
pub(crate) fn introduces_list(t: &str) -> bool {
    let words = t.split_whitespace().count();
    let matter = names_listed_matter(t) || count_words(t, INTRODUCED_MATTER_WORDS) >= 1;
    let announces = count_words(t, LIST_ANNOUNCING_WORDS) >= 1;
    let runs_on = t.ends_with(char::is_alphanumeric);
    (t.ends_with(':') && words >= LIST_LEAD_IN_WORDS && (matter || announces))
        || (words >= LIST_SENTENCE_WORDS && matter && (announces || runs_on))
}

/// Words of the shortest sentence that introduces a list without a colon.
const LIST_SENTENCE_WORDS: usize = 8;

/// What a Markdown policy lists besides [`LISTED_MATTER_WORDS`]: the
/// terms it incorporates and the rights it gives.
const INTRODUCED_MATTER_WORDS: &[&str] = &["terms", "conditions", "right", "rights"];

/// Words that announce a list below ("the following websites", "listed
/// below", "these services").
const LIST_ANNOUNCING_WORDS: &[&str] = &[
    "following",
    "below",
    "listed",
    "these",
    "include",
    "includes",
    "including",
];

/// Words of the shortest list lead-in.
const LIST_LEAD_IN_WORDS: usize = 4;

/// What a policy lists besides [`POLICY_WORDS`]: those it shares data with
/// and the documents it incorporates.
const LISTED_MATTER_WORDS: &[&str] = &[
    "third",
    "parties",
    "partners",
    "advertising",
    "advertisers",
    "vendors",
    "providers",
    "processors",
    "recipients",
    "documents",
];

/// For each block, whether it is an item of a list that a lead-in
/// introduces ([`is_list_lead_in`], the paragraph just above its items).
fn introduced_items(blocks: &[Block]) -> Vec<bool> {
    let mut lead_in = false;
    blocks
        .iter()
        .map(|b| match b {
            Block::ListItem { .. } => lead_in,
            Block::Paragraph(t) => {
                lead_in = is_list_lead_in(t);
                false
            }
            _ => {
                lead_in = false;
                false
            }
        })
        .collect()
}

/// A table of contents printed as a list: at least [`MENU_MIN_ITEMS`] list
/// items that repeat headings of the text ("What Does Our Privacy Policy
/// Include?") are entries of one, not clauses, wherever they stand.
pub(crate) fn without_table_of_contents(blocks: Vec<Block>) -> Vec<Block> {
    let key = |t: &str| -> String {
        t.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let headings: std::collections::HashSet<String> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { text, .. } => Some(key(text)),
            _ => None,
        })
        .filter(|k| !k.is_empty())
        .collect();
    let entry =
        |b: &Block| matches!(b, Block::ListItem { text, .. } if headings.contains(&key(text)));
    if blocks.iter().filter(|b| entry(b)).count() < MENU_MIN_ITEMS {
        return blocks;
    }
    blocks.into_iter().filter(|b| !entry(b)).collect()
}

/// A closing paragraph with figures (an address, a phone number) is at
/// most this long; a run of headlines with dates and scores is longer.
const CLOSING_WORDS: usize = 40;

/// How many blocks below the policy's last prose (and its list) still
/// belong to it: prose on how to reach its author ("You may also write
/// to us …"), a contact or address line ("… privacy@x.com",
/// "111 East 14th Street, New York"), a date line, and headings above them
/// ("Questions", "Contact us"); up to the first block that is none of these.
fn trailing_lines(tail: &[Block]) -> usize {
    let closing = |b: &Block| match b {
        Block::Paragraph(t) | Block::ListItem { text: t, .. } => {
            t.contains('@')
                || (is_label_line(t) && (has_figures(t) || names_recipient(t)))
                || (t.ends_with(':')
                    && t.split_whitespace().count() >= LEAD_IN_WORDS
                    && asks_to_write(t)
                    && !quotes_someone(t))
                || (is_prose(t)
                    && !quotes_someone(t)
                    && (asks_to_write(t)
                        || (has_figures(t) && t.split_whitespace().count() <= CLOSING_WORDS)))
        }
        _ => false,
    };
    let mut kept = 0;
    let mut i = 0;
    while i < tail.len() {
        let b = &tail[i];
        if closing(b) {
            // A lead-in to contact details ("You can also contact us as
            // follows:") brings its list.
            let list = match b {
                Block::Paragraph(t) if t.ends_with(':') => trailing_list(&tail[i..]),
                _ => 0,
            };
            i += 1 + list;
            kept = i;
        } else if matches!(b, Block::Heading { .. }) {
            i += 1;
        } else {
            break;
        }
    }
    kept
}

/// A contact lead-in is a sentence ("You can also contact us as
/// follows:"), not a footer column's label ("Contact:").
const LEAD_IN_WORDS: usize = 3;

/// A line that names whom a letter goes to (`Attn: Data Protection
/// Officer`, `c/o Acme Holdings`, `Privacy Officer`): part of an address.
fn names_recipient(t: &str) -> bool {
    let lower = t.trim_start_matches(['-', '*', ' ']).to_lowercase();
    ["attn", "attention:", "c/o "]
        .iter()
        .any(|w| lower.starts_with(w))
        || [
            "data protection officer",
            "privacy officer",
            "privacy department",
        ]
        .iter()
        .any(|role| lower.contains(role))
}

/// The text of a paragraph or list item.
fn text_of(b: &Block) -> Option<&str> {
    match b {
        Block::Paragraph(t) | Block::ListItem { text: t, .. } => Some(t),
        _ => None,
    }
}

/// Prose in English: sentences with function words ("Refresh (86400 sec)
/// … Advertisement . * *" is none).
fn is_prose(t: &str) -> bool {
    boilerplate::reads_as_prose(t) && english_share(t) >= PROSE_ENGLISH_SHARE
}

/// Text with figures in it (an address, a phone number, a date).
fn has_figures(t: &str) -> bool {
    t.contains(|c: char| c.is_ascii_digit())
}

/// A postal address on one line: figures, commas, a few words
/// ("Customer Care - Privacy Policy Issues 701 First Avenue, Sunnyvale, CA
/// 94089"); not a footer's links (`A | B | C`).
fn is_address(t: &str) -> bool {
    has_figures(t)
        && t.contains(',')
        && t.split_whitespace().count() <= CLOSING_WORDS
        && !t.contains('|')
}

/// How many of the words of `t` are among `words` (case folded).
fn count_words(t: &str, words: &[&str]) -> usize {
    t.split(|c: char| !c.is_alphabetic())
        .filter(|w| words.iter().any(|p| w.eq_ignore_ascii_case(p)))
        .count()
}

/// Prose that tells the reader how to reach the policy's author
/// ("If you have questions, please contact us", "write to us").
fn asks_to_write(t: &str) -> bool {
    let contact = [
        "contact",
        "write",
        "questions",
        "address",
        "mail",
        "call",
        "phone",
    ];
    count_words(t, &contact) > 0
}

/// The policy's parties named as a policy names them: `we`, `us`, `you`.
fn addresses_reader(t: &str) -> bool {
    count_words(t, &["we", "us", "our", "you", "your"]) > 0
}

/// Text that quotes someone: a quotation of at least three words and who
/// said it (a news story's `“We have not defeated the idea,” he said`), not
/// a defined term (`Northwind ("we")`) or a button's label (`click
/// "Unsubscribe from these messages"`).
fn quotes_someone(t: &str) -> bool {
    let mut parts = t.split(['“', '”', '"']);
    parts.next();
    let quotation = parts
        .step_by(2)
        .any(|quoted| quoted.split_whitespace().count() >= 3);
    let attributed = count_words(t, &["said", "says", "told", "according"]) > 0;
    quotation && attributed
}

/// A page is anchored on prose about a policy's matter when at least this
/// share of its prose words are in such paragraphs.
const POLICY_PROSE_SHARE: f64 = 0.6;

/// Words of what a policy is about, which a page's teasers, headlines and
/// comments seldom use two of.
const POLICY_WORDS: &[&str] = &[
    "privacy",
    "personal",
    "information",
    "data",
    "cookie",
    "cookies",
    "policy",
    "consent",
    "site",
    "sites",
    "website",
    "websites",
    "user",
    "users",
    "email",
    "terms",
    "agreement",
];

/// Text that names a policy's matter: two or more [`POLICY_WORDS`] (a
/// teaser's "That 180-day policy is …" names one).
fn speaks_as_policy(t: &str) -> bool {
    policy_words(t) >= 2
}

/// How many of [`POLICY_WORDS`] `t` uses.
fn policy_words(t: &str) -> usize {
    count_words(t, POLICY_WORDS)
}

/// A banner as a dump shows it: a short notice whose buttons trail its
/// last sentence, about cookies ("We use cookies to improve your
/// experience. Accept all Manage preferences", lynx's "(BUTTON) Accept
/// all") or anything else ("All offices will be closed on Friday. Thank
/// you. CLOSE X"). A policy's own sentences end with their full stop.
fn is_consent_banner(t: &str) -> bool {
    let lower = t.to_lowercase();
    if t.chars().count() >= 300 {
        return false;
    }
    let cookies = lower.contains("cookie");
    // The buttons after the last sentence; a notice has a sentence first.
    let tail = match lower.rfind(['.', '!', '?']) {
        Some(end) => &lower[end + 1..],
        None if cookies => lower.as_str(),
        None => return false,
    };
    (cookies && lower.contains("(button)"))
        || (tail.split_whitespace().count() <= 6 && boilerplate::is_consent_control(tail))
}

/// An ad's own notice beside it, as ad networks' choice widgets print it
/// ("This ad has been matched to your interests. … More information &
/// opt-out options »", "Why this ad?", "About this ad"; not "About this
/// advertising", nor a policy's own "AdChoices" section): it names
/// information and privacy, yet speaks of the ad, not of the site's policy.
fn is_ad_notice(t: &str) -> bool {
    let lower = t.trim_start().to_lowercase();
    ["this ad has been", "why this ad", "about this ad"]
        .iter()
        .any(|opening| {
            lower.starts_with(opening) && !lower[opening.len()..].starts_with(char::is_alphanumeric)
        })
}

/// Characters of markup, style sheets and scripts (`<div class=x>`,
/// `{display:none;}`, `%3D` escapes) that prose hardly uses.
const CODE_CHARS: &[char] = &['<', '>', '{', '}', '=', ';', '%', '&', '\\'];
/// Markup or script has at least this share of [`CODE_CHARS`] among its
/// visible characters (policy paragraphs under 0.04, their list items
/// ending with `;` included)...
const CODE_SHARE: f64 = 0.05;
/// ...and at least this many of them (`login; e-mail address; password;`
/// and `Settings > Privacy > Limit Ad Tracking` are policy text).
const CODE_MIN_CHARS: usize = 6;

/// Markup, a style sheet or a script that a dump let through as text (an
/// ad's `<iframe srcdoc>`, wrapped over many lines, which the per-line
/// [`is_markup_line`] misses). Bare tags such as `<br>` or `<li>` do not
/// count: copied policies keep them, and they hold no code.
fn is_leftover_code(t: &str) -> bool {
    let (code, visible) = code_chars(t);
    code >= CODE_MIN_CHARS && code as f64 >= visible as f64 * CODE_SHARE
}

/// How many of the visible characters of `t` are [`CODE_CHARS`], and how
/// many visible characters it has, bare tags left out.
fn code_chars(t: &str) -> (usize, usize) {
    let (mut code, mut visible) = (0usize, 0usize);
    for c in without_bare_tags(t).chars().filter(|c| !c.is_whitespace()) {
        visible += 1;
        code += usize::from(CODE_CHARS.contains(&c));
    }
    (code, visible)
}

/// `t` without tags that have no attributes (`<br>`, `</li>`, `<br/>`).
fn without_bare_tags(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.strip_prefix('/').unwrap_or(after);
        let len = name.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let close = name[len..]
            .trim_start()
            .strip_prefix('/')
            .unwrap_or(name[len..].trim_start());
        if len > 0 && close.starts_with('>') {
            rest = &close[1..];
        } else {
            out.push('<');
            rest = after;
        }
    }
    out.push_str(rest);
    out
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
pub(crate) fn is_short_item(text: &str) -> bool {
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

    #[test]
    fn markdown_links_show_their_labels_and_images_go() {
        assert_eq!(
            link_labels(
                "see our [Terms of\nUse](https://x.example/t?a=1&b=2 \"Terms\") and 1\\. this"
            ),
            "see our Terms of\nUse and 1. this"
        );
        assert_eq!(link_labels("a [b] c \\[d](e)"), "a [b] c [d](e)");
        assert_eq!(
            without_images("[![Logo](./files/logo-\nwide.png)](https://x.example/) Home"),
            "[](https://x.example/) Home"
        );
        assert_eq!(without_images("![unclosed (x"), "![unclosed (x");
        assert_eq!(
            with_link_targets_unwrapped("[A\nB](https://x.example/a-\nb \"T\nU\")"),
            "[A\nB](https://x.example/a-b \"T U\")"
        );
        assert_eq!(strip_link_markers("[12](https://x.example/#p12) We").1, 0);
    }

    #[test]
    fn sign_in_boxes_and_feedback_forms_are_forms_but_blanks_to_fill_in_are_not() {
        assert!(is_form("[ ] Remember me next time (BUTTON) Sign In » Need help logging in? Forget your password? Please enter your username or email address. ____________________ (BUTTON) Reset Password"));
        assert!(is_form("I found this page helpful because it... (Check all that apply): [ ] Had the information I needed [ ] Was trustworthy"));
        assert!(!is_form("[ ] I am a citizen and/or resident of ______________, which is located within the ________ Area;"));
        assert!(!is_form(
            "By: _________________________ | Printed Name: _________________"
        ));
        assert!(!is_form("[ ] You are the person whose data is requested, or their authorised agent; [ ] The information you provided in this request is true and correct;"));
        // A sign-in box above the policy names email and passwords, yet the
        // policy starts below it.
        let mut blocks = vec![para("[ ] Remember me next time (BUTTON) Sign In » Forget your password? Please enter your username or email address. You will receive a link to create a new password via email. (BUTTON) Reset Password")];
        blocks.extend(BODY.iter().map(|t| para(t)));
        assert_eq!(texts(trim_to_content(blocks, true)), BODY);
    }

    /// The contact details closing a policy: an addressee line with no
    /// figures and a lead-in with its list of addresses.
    #[test]
    fn a_closing_addressee_and_contact_list_stay_with_the_policy() {
        let closing = [
            "121 Menachem Begin Rd., Tel Aviv, Israel",
            "Attn: Data Protection Officer",
            "You can also contact us as follows:",
        ];
        let list = [
            "online: acme.example/contact-data-protection-representative;",
            "DPO@acme.example",
            "Acme Technologies, 30 3rd Street, San Francisco, CA 94103 (United States contact)",
        ];
        let mut blocks: Vec<Block> = BODY.iter().map(|t| para(t)).collect();
        blocks.extend(closing.iter().map(|t| para(t)));
        blocks.extend(list.iter().map(|t| item(t)));
        blocks.push(para("Like Acme News? Help keep the lights on!"));
        let kept = texts(trim_to_content(blocks, true));
        let want: Vec<&str> = BODY.iter().chain(&closing).chain(&list).copied().collect();
        assert_eq!(kept, want);
        assert!(names_recipient("c/o Frost Prioleau, CEO"));
        assert!(!names_recipient("Our officers review requests."));
    }

    #[test]
    fn pager_lines_but_not_phone_or_section_numbers() {
        assert!(is_pagination_line("Pages: 1 2 3 4 5 6 7 8 9 10"));
        assert!(is_pagination_line("« Prev 4 5 6 Next »"));
        for line in [
            "+41 41 562 73 63",
            "0 806 060 211",
            "1.8.1",
            "11.1.2.3.",
            "1 2 3 Go",
        ] {
            assert!(!is_pagination_line(line), "{line}");
        }
        // A dump's pager below the contact lines is no clause.
        let seg = crate::segment_text(
            "We keep your data safe and never sell it to anyone at all, ever.\n\nContact us at privacy@acme.com\n\nPages: 1 2 3 4 5\n",
        );
        assert!(!seg.text.contains("Pages"), "{}", seg.text);
    }

    #[test]
    fn code_copyright_and_jump_lines() {
        assert!(is_leftover_code(
            "div,ul,li{margin:0;padding:0;}.abgc{height:15px;position:absolute;}"
        ));
        assert!(!is_leftover_code("login; e-mail address; password;"));
        assert!(!is_leftover_code(
            "<strong> Privacy Policy </strong> <br> <br> We collect your name; your address; your phone number."
        ));
        assert!(is_copyright_notice_line("(c) 2015 Acme Inc."));
        assert!(is_copyright_notice_line("© Acme Inc. All rights reserved."));
        assert!(!is_copyright_notice_line(
            "(c) to keep our records as the law requires."
        ));
        assert!(!is_copyright_notice_line(
            "Copyright, Restrictions, and Permissions Notice"
        ));
        assert!(is_jump_line("« Back To Top »"));
        assert!(is_jump_line(
            "Back to Top | Back to Acme Privacy Policy Index"
        ));
        assert!(is_jump_line("back to top of page"));
        assert!(!is_jump_line(
            "back to us within 30 days and we will refund it"
        ));
        assert!(!is_jump_line("Email"));
    }

    #[test]
    fn the_footer_starts_at_the_last_copyright_line_below_the_text() {
        let policy = "We collect your name and address when you order from us online.\n".repeat(4);
        let page = format!("{policy}© 2026 Acme Inc. All rights reserved.\nSign up for our newsletter and get ten percent off today.\n");
        assert_eq!(before_footer(&page, false), policy);
        let header = format!("© 2026 Acme Inc.\n{policy}");
        assert_eq!(before_footer(&header, true), header);
    }

    #[test]
    fn a_short_policy_above_a_long_footer_still_ends_at_the_notice() {
        let policy = "We never rent or sell your email address to third parties, ever.\n".repeat(2);
        let footer =
            "Sign up for the free newsletter and read breaking news every day.\n".repeat(3);
        let page =
            format!("{policy}Part of the Acme Network © 2014 All Rights Reserved.\n{footer}");
        assert_eq!(before_footer(&page, true), policy);
        // Text without other page chrome keeps what follows: there the
        // notice may be a paragraph of terms.
        assert_eq!(before_footer(&page, false), page);
        // html2text leaves the footer paragraph on one line after the notice.
        let run_on = format!(
            "{policy}Part of the Acme Network © 2014 All Rights Reserved. Privacy | Terms {}\n",
            footer.replace('\n', " ")
        );
        assert_eq!(before_footer(&run_on, true), policy);
    }

    #[test]
    fn a_footer_notice_opening_with_its_year_or_below_a_footer_link_is_still_one() {
        let policy = "We never rent or sell your email address to third parties, ever.\n".repeat(4);
        let footer = "Read our disclaimer: nothing here is professional advice of any kind.\n";
        for notice in ["2024 © Acme. All rights reserved.", "(c) 2015 Acme Inc."] {
            let page = format!("{policy}{notice}\n{footer}");
            assert_eq!(before_footer(&page, true), policy, "{notice}");
        }
        // A footer's link named for copyright is no section heading.
        let page = format!("{policy}Copyright Policy\n© 2015 Acme Inc.\n{footer}");
        assert_eq!(
            before_footer(&page, true),
            format!("{policy}Copyright Policy\n")
        );
        let links = format!("{policy}   * [21]Terms of Use\n   * [22]Copyright Policy\n\n© 2015 Acme Inc.\n{footer}");
        assert!(!before_footer(&links, true).contains("disclaimer"));
    }

    #[test]
    fn sections_on_copyright_and_lettered_items_are_not_the_footer() {
        let terms =
            "You agree to these terms each time you use the service we provide.\n".repeat(3);
        for (line, after) in [
            (
                "(C) indirect or consequential loss or damage whatsoever;",
                "",
            ),
            ("**9.1  All Rights Reserved**", ""),
            (
                "Copyright © 2018 Acme. Any rights not granted are reserved.",
                "Trademarks & Copyrights\n-----------------------\n",
            ),
            (
                "Copyright © 2026, Acme Inc. All rights reserved.",
                "**22. Copyright/Trademark Information**\n",
            ),
            (
                "(c) the rights the California Consumer Privacy Act of 2018 gives you;",
                "",
            ),
        ] {
            let doc = format!("{terms}{after}{line}\n{terms}");
            assert_eq!(before_footer(&doc, true), doc, "{line}");
        }
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
        let kept = trim_to_content(blocks, true);
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

    /// The text of blocks, in order.
    fn texts(blocks: Vec<Block>) -> Vec<String> {
        blocks
            .into_iter()
            .map(|b| match b {
                Block::Paragraph(t)
                | Block::ListItem { text: t, .. }
                | Block::Heading { text: t, .. }
                | Block::TableRow(t) => t,
            })
            .collect()
    }

    /// A policy's body: paragraphs that name its matter (two or more
    /// policy words each).
    const BODY: [&str; 7] = [
        "We keep your order details, and the personal information you give us, for six years.",
        "We share your personal data with the carrier that delivers your order, and no one else.",
        "Our cookies remember your basket on our site; you can block cookies in your browser.",
        "We collect your name, your postal and email address, and the items you order, when you place an order on our site.",
        "We use this information and data to deliver your order, to answer your questions and to keep the accounts the law asks us to keep.",
        "We protect the personal data we hold with encryption, and only the staff who handle your order can read it.",
        "Children under 13 may not use our site, and we do not knowingly collect information from them.",
    ];

    /// A dumped page: the policy ends with prose about its matter, and
    /// teasers below it are prose too, but tell other stories. Its opening
    /// may speak to the reader before it names its matter; prose that goes
    /// on speaking to the reader, a heading and address lines close it.
    #[test]
    fn teasers_below_the_policy_go_and_its_opening_and_closing_stay() {
        let opening = "Northwind (\"we\") explains here, in plain words, what we do when you shop with us and why.";
        let closing = [
            "You can ask us for a copy of everything we keep about you at any time, free of charge.",
            "Questions",
            "You may also write to us at the address below, and we will answer.",
            "Northwind Ltd, 111 East 14th Street, Suite 108, New York, NY 10003",
        ];
        let mut blocks = vec![
            para("The council voted on the new stadium late on Tuesday, after a long and heated debate in the hall."),
            heading("Privacy Policy"),
            para(opening),
            heading("What we keep"),
        ];
        blocks.extend(BODY.iter().map(|t| para(t)));
        blocks.extend([
            para(closing[0]),
            heading(closing[1]),
            para(closing[2]),
            para(closing[3]),
        ]);
        blocks.extend([
            heading("Most Popular"),
            para("As he prepares for a run, the governor's legacy deserves a closer look."),
        ]);
        let mut want = vec!["Privacy Policy", opening, "What we keep"];
        want.extend(BODY);
        want.extend(closing);
        assert_eq!(texts(trim_to_content(blocks, true)), want);
    }

    /// An ad network's notice below a sidebar of headlines names
    /// information and privacy, but the policy ended above the headlines.
    #[test]
    fn an_ad_notice_below_the_headlines_does_not_extend_the_policy() {
        let mut blocks: Vec<Block> = BODY.iter().map(|t| para(t)).collect();
        blocks.push(para("Like Acme News? Help keep the lights on!"));
        blocks.push(heading("Most Discussed"));
        for headline in [
            "The Dopest Blunts Ever 5 comments",
            "Why Are Beggars Despised? 26 comments",
        ] {
            blocks.push(item(headline));
        }
        blocks.push(para("This ad has been matched to your interests. It was selected for you based on your browsing activity. More information & opt-out options » Privacy Controls by Ghostery, Inc."));
        assert_eq!(texts(trim_to_content(blocks, true)), BODY);
        assert!(!is_ad_notice(BODY[0]));
    }

    /// Right below the policy, a teaser quoting someone who says "we" is
    /// no closing of it, nor is a footer's line of links (as on
    /// replicate.com dumped by w3m); a button's label in quotes is.
    #[test]
    fn quotations_and_footer_links_below_the_policy_are_no_closing_but_a_quoted_label_is() {
        let page = |below: &str| {
            let mut blocks: Vec<Block> = BODY.iter().map(|t| para(t)).collect();
            blocks.push(para(below));
            texts(trim_to_content(blocks, true))
        };
        let quote = "\"We have not defeated the idea yet,\" he said on a visit to the border.";
        assert_eq!(page(quote), BODY);
        let footer =
            "Northwind Home About Join us Terms Privacy Status Support Pages: 1 2 3 4 5 6 7 8 9 10";
        assert_eq!(page(footer), BODY);
        let label = "You can stop our e-mails by clicking \"Unsubscribe from these messages\" in any of them.";
        assert_eq!(page(label).last().map(String::as_str), Some(label));
    }

    /// A clean text (no sign of a dumped page) keeps its opening and
    /// closing prose though they name no policy matter.
    #[test]
    fn a_clean_text_keeps_an_opening_and_closing_that_name_no_policy_matter() {
        let opening = "Acme Corporation is committed to protecting the confidentiality of the details its customers share with it.";
        let closing = "This notice is governed by the laws of the State of New York, without regard to conflicts of law.";
        let mut blocks = vec![para(opening)];
        blocks.extend(BODY.iter().map(|t| para(t)));
        blocks.extend([heading("Governing law"), para(closing)]);
        let kept = texts(trim_to_content(blocks.clone(), false));
        assert_eq!(kept, texts(blocks.clone()));
        // Dumped from a page, the same text would lose them.
        let dumped = texts(trim_to_content(blocks, true));
        assert!(
            !dumped.iter().any(|t| t == opening || t == closing),
            "{dumped:?}"
        );
    }

    /// A page of rules in its own words (community guidelines, terms) is
    /// anchored on any prose: its opening and closing are kept though they
    /// name no policy matter.
    #[test]
    fn a_page_about_something_else_keeps_its_opening_and_closing_prose() {
        let blocks = vec![
            para("This is a fun place where anyone is welcome to discover entertaining pictures."),
            para("These rules apply to all posts, comments and messages; moderators enforce them."),
            para("Please report any post that breaks these rules; moderators may block the user who made it."),
            para("Do not post personal information about other users on any page of this site."),
            para("Nude images shared with an educational context may be fine here, within limits."),
            para("Thank you for helping to keep this community a friendly place for everyone."),
        ];
        assert_eq!(trim_to_content(blocks.clone(), true), blocks);
    }

    /// A list repeating the text's headings is its table of contents; a
    /// list item that repeats one heading only is kept.
    #[test]
    fn a_list_repeating_the_headings_is_a_table_of_contents() {
        // The list stands inside the policy, between two sections.
        let policy = |list: &[&str]| {
            let section = |h: &str| {
                [
                    heading(h),
                    para("We collect the personal information you give us, and we use it to serve you."),
                ]
            };
            let mut blocks = section("What Information Do We Collect?").to_vec();
            blocks.extend(list.iter().map(|t| item(t)));
            blocks.extend(section("How Do We Use It?"));
            blocks.extend(section("Your Choices"));
            blocks
        };
        let toc = [
            "What Information Do We Collect?",
            "How Do We Use It?",
            "Your Choices",
        ];
        let kept = trim_to_content(policy(&toc), true);
        assert!(
            !kept.iter().any(|b| matches!(b, Block::ListItem { .. })),
            "{kept:?}"
        );
        assert_eq!(
            kept.iter()
                .filter(|b| matches!(b, Block::Heading { .. }))
                .count(),
            3
        );
        let one = trim_to_content(
            policy(&["Your Choices", "You may opt out of e-mails at any time."]),
            true,
        );
        assert_eq!(
            one.iter()
                .filter(|b| matches!(b, Block::ListItem { .. }))
                .count(),
            2,
            "{one:?}"
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
        assert!(is_consent_banner(
            "Our offices will be closed on Friday, July 3. Thank you. CLOSE X"
        ));
        assert!(!is_consent_banner("Contact us to continue"));
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
        assert_eq!(trim_to_content(blocks.clone(), true), blocks);
    }

    #[test]
    fn text_without_prose_is_left_alone() {
        let blocks = vec![heading("Terms"), item("Home"), item("About"), item("Blog")];
        assert_eq!(trim_to_content(blocks.clone(), true), blocks);
    }
}
