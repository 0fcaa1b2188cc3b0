//! Bounding the work a page can ask of the HTML parser, without losing text.
//!
//! html5ever's tree builder checks "is a `<p>` in scope?" for every start
//! tag by walking the stack of open elements, so a page of 100,000 nested
//! `<div>`s costs time quadratic in its depth (about a minute), and a tag
//! with 100,000 attributes is checked for duplicate names pairwise. Real
//! policies nest a few dozen elements deep and carry a handful of
//! attributes per tag. [`bound_nesting`] scans the page once, linearly, and
//! only when a page goes past [`MAX_DEPTH`] open elements or has a tag with
//! more attributes than [`MAX_ATTRIBUTES`] rewrites it: tags that would open deeper than the
//! bound are dropped with their end tags (a block element becomes `<br>`, so
//! its text stays a line of its own), and a tag keeps its first
//! [`MAX_ATTRIBUTES`] attributes. Text is never touched; any other page is returned as it came.

use crate::html::is_block;
use std::borrow::Cow;

/// Open elements kept; deeper start tags (and their end tags) are dropped.
pub const MAX_DEPTH: usize = 512;
/// A start tag keeps this many attributes; the rest are dropped.
pub const MAX_ATTRIBUTES: usize = 256;

/// Elements that never hold content (no end tag, no depth).
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose content is raw text up to their end tag.
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "textarea" | "title" | "xmp" | "iframe" | "noembed" | "noframes"
    )
}

/// Elements that a start tag of the same kind closes (`<li>a<li>b`).
fn closes_its_kind(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "dt"
            | "dd"
            | "option"
            | "optgroup"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
    )
}

/// Pop what a start tag closes implicitly, as the tree builder would, so
/// that old pages of unclosed `<p>` and `<li>` do not count as deep: an open
/// element of the same kind, or an open `<p>` before a block, near the top.
fn close_implied(open: &mut Vec<String>, name: &str) {
    const NEAR: usize = 8;
    let from = open.len().saturating_sub(NEAR);
    let closed = if closes_its_kind(name) {
        open[from..].iter().rposition(|o| o == name)
    } else if is_block(name) {
        open[from..].iter().rposition(|o| o == "p")
    } else {
        None
    };
    if let Some(i) = closed {
        open.truncate(from + i);
    }
}

/// One tag found by the scanner: its byte span, lowercase name, kind.
struct Tag {
    start: usize,
    end: usize,
    name: String,
    closing: bool,
    /// Where to cut a tag with too many attributes.
    cut: Option<usize>,
}

/// `html` with nesting deeper than [`MAX_DEPTH`] flattened and over-long
/// tags cut to their names; `html` itself when it needs neither.
pub fn bound_nesting(html: &str) -> Cow<'_, str> {
    let mut open: Vec<String> = Vec::new();
    // Start tags dropped for depth, by name, whose end tags are still to come.
    let mut dropped: std::collections::HashMap<String, usize> = Default::default();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut edit = |out: &mut Option<String>, tag: &Tag, with: &str| {
        let s = out.get_or_insert_with(|| String::with_capacity(html.len()));
        s.push_str(&html[copied..tag.start]);
        s.push_str(with);
        copied = tag.end;
    };
    let mut tags = Tags { html, at: 0 };
    while let Some(tag) = tags.next_tag() {
        let line = if is_block(&tag.name) { "<br>" } else { "" };
        if tag.closing {
            if let Some(n) = dropped.get_mut(&tag.name).filter(|n| **n > 0) {
                *n -= 1;
                edit(&mut out, &tag, line);
            } else if let Some(i) = open.iter().rposition(|o| *o == tag.name) {
                open.truncate(i);
            }
            continue;
        }
        let cut_tag = tag.cut.map(|cut| format!("{}>", &html[tag.start..cut]));
        if is_void(&tag.name) {
            if let Some(kept) = &cut_tag {
                edit(&mut out, &tag, kept);
            }
            continue;
        }
        close_implied(&mut open, &tag.name);
        if open.len() >= MAX_DEPTH {
            *dropped.entry(tag.name.clone()).or_default() += 1;
            edit(&mut out, &tag, line);
        } else {
            if let Some(kept) = &cut_tag {
                edit(&mut out, &tag, kept);
            }
            open.push(tag.name.clone());
        }
        if is_raw_text(&tag.name) {
            tags.skip_raw_text(&tag.name);
            open.pop();
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut s) => {
            s.push_str(&html[copied..]);
            tracing::debug!(
                bytes = html.len(),
                rewritten = s.len(),
                "flattened nesting deeper than {MAX_DEPTH} or over-long tags"
            );
            Cow::Owned(s)
        }
    }
}

/// A linear scan for tags, skipping comments, doctypes and raw text the way
/// an HTML tokenizer does (closely enough to count depth).
struct Tags<'a> {
    html: &'a str,
    at: usize,
}

impl Tags<'_> {
    fn next_tag(&mut self) -> Option<Tag> {
        let bytes = self.html.as_bytes();
        loop {
            let lt = self.at + memchr(b'<', &bytes[self.at..])?;
            let rest = &bytes[lt + 1..];
            if rest.starts_with(b"!--") {
                self.at = find(bytes, lt + 4, b"-->").map_or(bytes.len(), |e| e + 3);
                continue;
            }
            if rest.first().is_some_and(|b| *b == b'!' || *b == b'?') {
                self.at = memchr(b'>', rest).map_or(bytes.len(), |e| lt + 1 + e + 1);
                continue;
            }
            let closing = rest.first() == Some(&b'/');
            let name_at = lt + 1 + usize::from(closing);
            let name_len = bytes[name_at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b':')
                .count();
            if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
                self.at = lt + 1;
                continue;
            }
            let (end, cut) = tag_end(bytes, name_at + name_len);
            self.at = end;
            return Some(Tag {
                start: lt,
                end,
                cut: cut.filter(|_| !closing),
                name: self.html[name_at..name_at + name_len].to_ascii_lowercase(),
                closing,
            });
        }
    }

    /// Move past the end tag of raw-text element `name` (or to the end).
    fn skip_raw_text(&mut self, name: &str) {
        let bytes = self.html.as_bytes();
        let mut at = self.at;
        while let Some(i) = find(bytes, at, b"</") {
            let after = &bytes[i + 2..];
            if after.len() >= name.len()
                && after[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            {
                self.at = i;
                return;
            }
            at = i + 2;
        }
        self.at = bytes.len();
    }
}

/// Where a tag whose name ends at `at` closes (the byte after its `>`),
/// and, when it has more than [`MAX_ATTRIBUTES`], where the last kept one
/// ends. Attributes are read as the tokenizer reads them: a name, then
/// optionally `=` and a value, quoted (it may hold `>`) or not.
fn tag_end(bytes: &[u8], mut at: usize) -> (usize, Option<usize>) {
    let mut attributes = 0;
    let mut kept_end = None;
    let skip = |at: &mut usize, stop: &dyn Fn(u8) -> bool| {
        while *at < bytes.len() && !stop(bytes[*at]) {
            *at += 1;
        }
    };
    loop {
        skip(&mut at, &|b| !(b.is_ascii_whitespace() || b == b'/'));
        match bytes.get(at) {
            None => return (bytes.len(), cut(kept_end, attributes)),
            Some(b'>') => return (at + 1, cut(kept_end, attributes)),
            _ => {}
        }
        // A name (a leading `=` belongs to it), then maybe a value.
        at += 1;
        skip(&mut at, &|b| {
            b.is_ascii_whitespace() || b == b'/' || b == b'>' || b == b'='
        });
        let mut next = at;
        skip(&mut next, &|b| !b.is_ascii_whitespace());
        if bytes.get(next) == Some(&b'=') {
            at = next + 1;
            skip(&mut at, &|b| !b.is_ascii_whitespace());
            match bytes.get(at) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    at = memchr(q, &bytes[at + 1..]).map_or(bytes.len(), |e| at + 1 + e + 1);
                }
                _ => skip(&mut at, &|b| b.is_ascii_whitespace() || b == b'>'),
            }
        }
        attributes += 1;
        if attributes == MAX_ATTRIBUTES {
            kept_end = Some(at);
        }
    }
}

/// The end of the last kept attribute, for a tag with too many.
fn cut(kept_end: Option<usize>, attributes: usize) -> Option<usize> {
    kept_end.filter(|_| attributes > MAX_ATTRIBUTES)
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|b| *b == needle)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_come_back_untouched() {
        let page =
            "<!doctype html><html><head><title>a<b</title><script>if (a<b) x='</div>';</script>\
                    </head><body><!-- <div><div> --><div class=\"x>y\"><p>We collect data.<br>\
                    <img src=a.png></p></div></body></html>";
        assert!(matches!(bound_nesting(page), Cow::Borrowed(_)));
    }

    #[test]
    fn nesting_past_the_bound_is_flattened_and_its_text_kept() {
        let depth = MAX_DEPTH * 3;
        let page = format!(
            "{}<span>We collect your email.</span>{}<p>After.</p>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let bounded = bound_nesting(&page);
        assert!(bounded.contains("We collect your email."));
        assert!(bounded.ends_with("<p>After.</p>"));
        assert_eq!(bounded.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(bounded.matches("</div>").count(), MAX_DEPTH);
        assert_eq!(bounded.matches("<br>").count(), 2 * (depth - MAX_DEPTH));
    }

    #[test]
    fn unclosed_paragraphs_and_items_do_not_count_as_depth() {
        let page = format!(
            "<ul>{}</ul>{}",
            "<li>We collect data".repeat(3 * MAX_DEPTH),
            "<p>We share data".repeat(3 * MAX_DEPTH)
        );
        assert!(matches!(bound_nesting(&page), Cow::Borrowed(_)));
    }

    #[test]
    fn a_tag_keeps_its_first_attributes() {
        let attr = |i| format!(" a{i}=\"x>\" b{i}=y c{i}");
        let kept: String = (0..MAX_ATTRIBUTES / 3).map(attr).collect();
        let page = format!("<p{kept} a=\"z\"{}>We share data.</p>", kept.repeat(40));
        assert_eq!(
            bound_nesting(&page),
            format!("<p{kept} a=\"z\">We share data.</p>")
        );
        let long_value = format!(
            "<input type=hidden value=\"{}\"><p>Kept.</p>",
            "v".repeat(1 << 20)
        );
        assert!(matches!(bound_nesting(&long_value), Cow::Borrowed(_)));
    }

    #[test]
    fn unclosed_formatting_tags_stop_at_the_bound() {
        let page = format!("{}We keep logs.", "<b><i><span>".repeat(1_000));
        let bounded = bound_nesting(&page);
        assert!(bounded.ends_with("We keep logs."));
        assert_eq!(bounded.matches("<b>").count(), MAX_DEPTH.div_ceil(3));
        assert_eq!(bounded.matches("<span>").count(), MAX_DEPTH / 3);
    }
}
