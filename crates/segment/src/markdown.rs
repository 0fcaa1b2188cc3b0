//! Markdown: CommonMark events into blocks.

use crate::blocks::{assemble, normalize, Block};
use crate::boilerplate;
use policylens_core::Segmented;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Cuts Markdown into clauses. ATX and setext headings give the heading path
/// (the first is the title); soft-wrapped lines are one paragraph; tables
/// (GFM) give one clause per row; inline HTML tags are dropped, their text kept.
pub fn segment_markdown(markdown: &str) -> Segmented {
    let _span = tracing::debug_span!("segment_markdown", bytes = markdown.len()).entered();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS;
    let mut state = State::default();
    for event in Parser::new_ext(markdown, options) {
        state.event(event);
    }
    state.flush();
    let title = state.blocks.iter().find_map(|b| match b {
        Block::Heading { text, .. } => Some(text.clone()),
        _ => None,
    });
    assemble(title, state.blocks)
}

#[derive(Default)]
struct State {
    blocks: Vec<Block>,
    buf: String,
    heading: Option<u8>,
    /// Depth of the list each open item belongs to.
    items: Vec<u8>,
    lists: u8,
    cells: Vec<String>,
    in_cell: bool,
    images: usize,
    links: usize,
    link_depth: usize,
    link_chars: usize,
}

impl State {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text)
            | Event::Code(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => self.push_text(&text),
            Event::Html(html) | Event::InlineHtml(html) => self.push_text(&strip_tags(&html)),
            Event::SoftBreak | Event::HardBreak => self.buf.push(' '),
            Event::Rule => self.flush(),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.images > 0 {
            return;
        }
        self.buf.push_str(text);
        if self.link_depth > 0 {
            self.link_chars += text.chars().filter(|c| !c.is_whitespace()).count();
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                self.heading = Some(level as u8);
            }
            Tag::Paragraph if !self.items.is_empty() || self.in_cell => self.buf.push(' '),
            Tag::List(_) => {
                self.flush();
                self.lists = self.lists.saturating_add(1);
            }
            Tag::Item => {
                self.flush();
                self.items.push(self.lists.max(1));
            }
            Tag::TableHead | Tag::TableRow => {
                self.flush();
                self.cells.clear();
            }
            Tag::TableCell => {
                self.buf.clear();
                self.in_cell = true;
            }
            Tag::Image { .. } => self.images += 1,
            Tag::Link { .. } => {
                self.link_depth += 1;
                self.links += 1;
            }
            Tag::CodeBlock(_)
            | Tag::BlockQuote(_)
            | Tag::HtmlBlock
            | Tag::FootnoteDefinition(_) => self.flush(),
            Tag::DefinitionListTitle | Tag::DefinitionListDefinition | Tag::Table(_) => {
                self.flush()
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.flush();
                self.heading = None;
            }
            TagEnd::Paragraph if !self.items.is_empty() || self.in_cell => self.buf.push(' '),
            TagEnd::List(_) => {
                self.flush();
                self.lists = self.lists.saturating_sub(1);
            }
            TagEnd::Item => {
                self.flush();
                self.items.pop();
            }
            TagEnd::TableCell => {
                self.cells.push(normalize(&self.buf));
                self.buf.clear();
                self.in_cell = false;
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                let row = self
                    .cells
                    .drain(..)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join(" | ");
                self.blocks.push(Block::TableRow(row));
                self.reset();
            }
            TagEnd::Image => self.images = self.images.saturating_sub(1),
            TagEnd::Link => self.link_depth = self.link_depth.saturating_sub(1),
            _ => self.flush(),
        }
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.links = 0;
        self.link_chars = 0;
    }

    fn flush(&mut self) {
        if self.in_cell {
            return;
        }
        let text = normalize(&self.buf);
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        let navigation = boilerplate::is_link_block(&text, chars, self.link_chars, self.links)
            && self.links >= 2;
        self.reset();
        if text.is_empty() {
            return;
        }
        let block = if let Some(level) = self.heading {
            Block::Heading { level, text }
        } else if navigation {
            return;
        } else if let Some(&depth) = self.items.last() {
            Block::ListItem { depth, text }
        } else {
            Block::Paragraph(text)
        };
        self.blocks.push(block);
    }
}

/// Text of an HTML snippet with its tags removed (each tag becomes a space).
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::assert_offsets;

    const DOC: &str = "Acme Privacy Policy
===================

We respect your privacy. This paragraph is
hard-wrapped across
three lines.

Information We Collect
----------------------

We collect:

- account details,
  wrapped onto a second line;
- usage data:
  1. pages you visit;
  2. clicks.

## Sharing

* We never sell data.
* We share with processors.

### Partners

| Partner | Purpose |
|---------|---------|
| Stripe  | Payments |

[Home](/) [About](/about) [Jobs](/jobs)
";

    #[test]
    fn headings_lists_and_wraps() {
        let seg = segment_markdown(DOC);
        assert_offsets(&seg);
        assert_eq!(seg.title.as_deref(), Some("Acme Privacy Policy"));
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "We respect your privacy. This paragraph is hard-wrapped across three lines.",
                "We collect:\n- account details, wrapped onto a second line;\n- usage data:\n  - pages you visit;\n  - clicks.",
                "- We never sell data.",
                "- We share with processors.",
                "Partner | Purpose",
                "Stripe | Payments",
            ]
        );
        let paths: Vec<_> = seg.clauses.iter().map(|c| c.heading_path()).collect();
        assert_eq!(paths[1], "Acme Privacy Policy > Information We Collect");
        assert_eq!(paths[2], "Acme Privacy Policy > Sharing");
        assert_eq!(paths[5], "Acme Privacy Policy > Sharing > Partners");
        assert!(!seg.text.contains("Jobs"));
    }

    #[test]
    fn odd_markdown_does_not_panic() {
        for md in [
            "",
            "#",
            "- \n  - \n    -",
            "|a|\n|-|\n",
            "<div>raw <b>html</b></div>",
            "```\ncode\n",
            "> quote\n>> deeper",
            "[^1]\n\n[^1]: note",
        ] {
            assert_offsets(&segment_markdown(md));
        }
        let deep = "> ".repeat(5000) + "deep";
        assert_offsets(&segment_markdown(&deep));
        let html = segment_markdown("<div>raw <b>html</b></div>");
        assert_eq!(html.clauses[0].text, "raw html");
    }
}
