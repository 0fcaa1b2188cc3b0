//! Markdown: CommonMark events into blocks.

use crate::blocks::{assemble, normalize, Block};
use crate::boilerplate;
use policylens_core::Segmented;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Cuts Markdown into clauses. ATX and setext headings give the heading path
/// (the first is the title), and so does a paragraph set all in bold that
/// is shaped like a heading (`**1\. GENERAL INFORMATION**`, alone or as a
/// line ended by a hard break), one level below the last ATX or setext
/// heading; soft-wrapped lines are one paragraph;
/// tables (GFM) give one clause per row; inline HTML tags are dropped, their
/// text kept.
pub fn segment_markdown(markdown: &str) -> Segmented {
    let _span = tracing::debug_span!("segment_markdown", bytes = markdown.len()).entered();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS;
    let markdown = crate::chrome::with_link_targets_unwrapped(markdown);
    let events: Vec<Event> = Parser::new_ext(&markdown, options).collect();
    let mut state = State {
        site: site_of(&events),
        ..State::default()
    };
    for event in events {
        state.event(event);
    }
    state.flush();
    let blocks = crate::chrome::without_table_of_contents(state.blocks);
    assemble(state.title, blocks)
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
    /// The buffered text outside links (words apart), to tell a sentence
    /// with links from a link bar.
    unlinked: String,
    /// Open `**strong**` spans, non-whitespace characters buffered, and how
    /// many of them are bold.
    bold: usize,
    chars: usize,
    bold_chars: usize,
    /// The lists being read, outermost first.
    open_lists: Vec<OpenList>,
    /// The site most of the document's links go to ([`site_of`]).
    site: Option<String>,
    /// Links in the buffered text that go elsewhere than the site (a
    /// partner's page, not a menu's).
    links_away: usize,
    /// Level of the last ATX or setext heading (a bold heading sits below it).
    last_heading: u8,
    /// The first ATX or setext heading.
    title: Option<String>,
}

/// A list being read, to tell a menu (every item a link, nothing leading
/// into it) from a list the policy sets out.
struct OpenList {
    /// Index of its first block in [`State::blocks`].
    first_block: usize,
    items: usize,
    /// Whether every item so far is a menu's entry (nothing but links, no
    /// lead-in above).
    menu: bool,
    /// Items whose links go to other sites than the document's.
    items_away: usize,
    /// Whether a lead-in ("Third parties we use for advertising:") is the
    /// block above it, or above the list it is nested in.
    introduced: bool,
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
            Event::SoftBreak => self.buf.push(' '),
            Event::HardBreak => self.hard_break(),
            Event::Rule => self.flush(),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.images > 0 {
            return;
        }
        self.buf.push_str(text);
        let n = text.chars().filter(|c| !c.is_whitespace()).count();
        self.chars += n;
        if self.bold > 0 {
            self.bold_chars += n;
        }
        if self.link_depth > 0 {
            self.link_chars += n;
        } else {
            self.unlinked.push(' ');
            self.unlinked.push_str(text);
            self.unlinked.push(' ');
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
                self.open_list();
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
            Tag::Strong => self.bold += 1,
            Tag::Link { dest_url, .. } => {
                self.link_depth += 1;
                self.links += 1;
                self.links_away += usize::from(!on_site(&dest_url, self.site.as_deref()));
                self.unlinked.push(boilerplate::LINK_MARK);
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
                self.close_list();
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
            TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
            // Inline spans end inside their paragraph.
            TagEnd::Emphasis | TagEnd::Strikethrough | TagEnd::Superscript | TagEnd::Subscript => {}
            _ => self.flush(),
        }
    }

    /// A hard break after a bold, heading-shaped first line of a paragraph
    /// (`**Cookies**  ` then the text, as HTML's `<b>Cookies</b><br>`) ends
    /// that line as a heading of its own.
    fn hard_break(&mut self) {
        if self.bold_line() && boilerplate::heading_shaped(&normalize(&self.buf)) {
            self.flush();
        } else {
            self.buf.push(' ');
        }
    }

    /// Whether the buffered text is set in bold, outside headings, list
    /// items and table cells.
    fn bold_line(&self) -> bool {
        self.heading.is_none()
            && self.items.is_empty()
            && !self.in_cell
            && self.chars > 0
            && self.bold_chars * 10 >= self.chars * 9
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.unlinked.clear();
        self.links = 0;
        self.links_away = 0;
        self.link_chars = 0;
        self.chars = 0;
        self.bold_chars = 0;
    }

    fn flush(&mut self) {
        if self.in_cell {
            return;
        }
        let text = normalize(&self.buf);
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        let navigation = self.links >= 2
            && boilerplate::is_link_block(
                &text,
                &self.unlinked,
                chars,
                self.link_chars,
                self.links,
            );
        let bold = self.bold_line();
        let menu_entry = self.is_menu_entry();
        let away = self.links_away > 0;
        self.reset();
        if text.is_empty() {
            return;
        }
        let block = if let Some(level) = self.heading {
            self.last_heading = level;
            self.title.get_or_insert_with(|| text.clone());
            Block::Heading { level, text }
        } else if navigation || crate::chrome::is_chrome_block(&text, !self.items.is_empty()) {
            return;
        } else if let Some(&depth) = self.items.last() {
            if let Some(list) = self.open_lists.last_mut() {
                list.items += 1;
                list.menu &= menu_entry;
                list.items_away += usize::from(away);
            }
            Block::ListItem { depth, text }
        } else if bold && boilerplate::heading_shaped(&text) {
            Block::Heading {
                level: (self.last_heading.max(1) + 1).min(6),
                text,
            }
        } else {
            Block::Paragraph(text)
        };
        self.blocks.push(block);
    }
}

impl State {
    /// Starts a list; a lead-in just above it (a paragraph, or the item it
    /// is nested in) introduces it, and a nested list is introduced when
    /// its parent is.
    fn open_list(&mut self) {
        let lead_in = matches!(
            self.blocks.last(),
            Some(Block::Paragraph(t) | Block::ListItem { text: t, .. })
                if crate::chrome::introduces_list(t)
        );
        let parent = self.open_lists.last().is_some_and(|l| l.introduced);
        self.open_lists.push(OpenList {
            first_block: self.blocks.len(),
            items: 0,
            menu: true,
            items_away: 0,
            introduced: lead_in || parent,
        });
    }

    /// Ends a list: a menu of at least two entries, most of them links to
    /// the site's own pages (a "Donate" or sister-site link among them), is
    /// page chrome, dropped with what is nested in it (a crawler's
    /// `* [Privacy FAQ](…)` lines); a list of links to other sites
    /// (sub-processors, opt-out pages) is what the policy names, under a
    /// heading alone too. A list that is kept keeps the list it is nested
    /// in.
    fn close_list(&mut self) {
        let Some(list) = self.open_lists.pop() else {
            return;
        };
        if list.menu && list.items >= 2 && list.items_away * 2 < list.items {
            self.blocks.truncate(list.first_block);
        } else if !list.menu {
            if let Some(parent) = self.open_lists.last_mut() {
                parent.menu = false;
            }
        }
    }

    /// Whether the buffered list item is a menu's entry: nothing but links,
    /// in a list no lead-in introduces. (A table of contents under a
    /// lead-in goes when its entries repeat the headings:
    /// [`crate::chrome::without_table_of_contents`]; footnote links such as
    /// `privacy#footnote-ip` are no table of contents.)
    fn is_menu_entry(&self) -> bool {
        let links_only = self.links > 0 && !self.unlinked.chars().any(char::is_alphanumeric);
        self.open_lists
            .last()
            .is_some_and(|list| links_only && !list.introduced)
    }
}

/// The site a document's links mostly go to: the commonest host of its
/// absolute links, as its last two labels (`privacy.aol.com` → `aol.com`).
fn site_of(events: &[Event]) -> Option<String> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for event in events {
        if let Event::Start(Tag::Link { dest_url, .. }) = event {
            if let Some(site) = host_site(dest_url) {
                *counts.entry(site).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(site, _)| site)
}

/// The last two labels of an absolute link's host (`https://www.x.com/a`
/// → `x.com`); none for relative links and e-mail.
fn host_site(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()?
        .to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    (labels.len() >= 2).then(|| labels[labels.len() - 2..].join("."))
}

/// Sites whose links are a page's follow-us buttons, not what a policy
/// names.
const SOCIAL_SITES: &[&str] = &[
    "facebook.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "linkedin.com",
    "youtube.com",
    "pinterest.com",
    "tiktok.com",
];

/// Whether a link stays on `site` (relative links do), or goes to social
/// media.
fn on_site(url: &str, site: Option<&str>) -> bool {
    match host_site(url) {
        None => !url.starts_with("mailto:"),
        Some(host) => Some(host.as_str()) == site || SOCIAL_SITES.contains(&host.as_str()),
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
    fn a_list_repeating_the_headings_is_no_clause() {
        // As on Amazon-Web-Services.md and Womans-Day.md (OTA).
        let seg = segment_markdown(
            "# Privacy Notice\n\n- What We Collect\n- How We Share It\n- Contact Us\n\n\
             ## What We Collect\n\nWe collect your name and e-mail address.\n\n\
             ## How We Share It\n\nWe share it with our payment provider only.\n\n\
             ## Contact Us\n\nWrite to privacy@example.com.\n",
        );
        assert_offsets(&seg);
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "We collect your name and e-mail address.",
                "We share it with our payment provider only.",
                "Write to privacy@example.com."
            ]
        );
    }

    #[test]
    fn sentences_with_links_are_not_navigation() {
        // As on BBC.md and TikTok.md (OTA).
        let seg = segment_markdown(
            "You can:\n\n* ask us [to correct](/a) or [delete your data](/b)\n\n\
             [Home](/) | [About](/about) | [Jobs](/jobs)\n\n[Models](/m)[Datasets](/d)\n\n\
             * **Information used**: [Information You Provide](#a), \
             [Automatically Collected Information](#b), and [Information From Others](#c).\n",
        );
        assert_offsets(&seg);
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["You can:\n- ask us to correct or delete your data\n\
              - Information used: Information You Provide, Automatically Collected \
              Information, and Information From Others."]
        );
    }

    #[test]
    fn a_crawlers_menus_are_no_clauses() {
        // As html2text prints a page's menus (OPP-115's hemmings.com and
        // ticketmaster.com) and as the archive kept Swiss-Post.md's section
        // menu: lists whose items are only links, nested or not, with
        // nothing leading into them, under a sentence that neither
        // announces nor runs into them.
        let seg = segment_markdown(
            "[Logo](/) Toggle navigation Menu\n\n\
             * [ Who We Are ](/#)\n  * [About Us](/about)\n  * [Careers](/jobs)\n\
             * [ Our Brands ](/#)\n  * [Hemmings](/h)\n  * [Bizwomen](/b)\n\n\
             # Privacy Policy\n\n\
             This Privacy Policy explains what we collect and whom we share it with.\n\n\
             1. [What We Collect](#collect)\n2. [Sharing](#share)\n\n\
             We collect your name and e-mail address.\n\n\
             By continuing past this page, you agree to our terms of use.\n\n\
             * [About us](/about)\n* [Jobs](/jobs)\n\n\
             ## Related\n\n* [Overview](https://acme.example/legal)\n\
             * [Cookies](https://acme.example/legal/cookies)\n\
             * [Donate](https://give.example.org/)\n\n\
             * [Facebook](https://www.facebook.com/acme)\n* [X](https://x.com/acme)\n",
        );
        assert_offsets(&seg);
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Logo Toggle navigation Menu",
                "This Privacy Policy explains what we collect and whom we share it with.",
                "We collect your name and e-mail address.",
                "By continuing past this page, you agree to our terms of use.",
                // A last heading stays, as every heading with nothing under it.
                "Related",
            ]
        );
    }

    #[test]
    fn links_a_sentence_leads_into_are_clauses() {
        // As on LinkedIn's trackers policy, IGN-Entertainment.md, BBC.md and
        // Google's policies (OTA): a lead-in, a sentence that announces the
        // list, a sentence the items complete, links to footnotes of the
        // page under a lead-in, a lone link, and links mostly to other
        // sites under a heading alone.
        let seg = segment_markdown(
            "To learn more about advertisers' use of cookies, visit these links:\n\n\
             * [Internet Advertising Bureau](https://www.iab.com/)\n\
             * [EDAA](https://www.edaa.eu/)\n\n\
             This Privacy Policy covers information collected through the following websites\n\n\
             * [Ziff Davis](https://ziffdavis.com/)\n* [Mashable](https://mashable.com/)\n\n\
             We keep information about you so that we can\n\n\
             * [get the right services for you](#use)\n* [keep in touch with you](#contact)\n\n\
             Short label\n\n* [Opt out](https://example.com/opt-out)\n\n\
             You have the right to:\n\n* [request a copy](/copy)\n* [object](/object)\n\n\
             We share data with the advertising partners listed below.\n\n\
             * [Criteo](https://criteo.com/privacy)\n* [OpenX](https://openx.com/privacy)\n\n\
             We run the app with the following tools:\n\n\
             * [Sentry](https://sentry.io/)\n* [Stripe](https://stripe.com/)\n\n\
             We collect information about your activity, which may include:\n\n\
             * [IP address](https://example.com/privacy#footnote-ip)\n\
             * [Purchase activity](https://example.com/privacy#footnote-buy)\n\n\
             ## Cookies\n\n* [Analytics](/a)\n  * We count visits.\n* [Ads](/ads)\n  * We show ads.\n\n\
             ## Sub-processors\n\n* [Amazon Web Services](https://aws.amazon.com/)\n\
             * [Mailchimp](https://mailchimp.com/legal/)\n* [Home](/)\n\n\
             ## Contact\n\n* [privacy@acme.example](mailto:privacy@acme.example)\n\
             * [dpo@acme.example](mailto:dpo@acme.example)\n",
        );
        assert_offsets(&seg);
        let text = crate::blocks::all_text(&seg);
        for kept in [
            "EDAA",
            "Mashable",
            "keep in touch with you",
            "Opt out",
            "request a copy",
            "OpenX",
            "Stripe",
            "Purchase activity",
            "Analytics",
            "Mailchimp",
            "dpo@acme.example",
        ] {
            assert!(text.contains(kept), "{kept} lost from:\n{text}");
        }
    }

    #[test]
    fn bold_paragraphs_are_headings() {
        let seg = segment_markdown(
            "# Terms and Privacy\n\n**1\\. GENERAL INFORMATION**\n\nWe run the site.\n\n\
             **2\\. COOKIES**  \nWe use cookies.\n\n**Note:** we keep logs.\n\n\
             * **Bold item**\n\n| **Cell** | x |\n|---|---|\n| a | b |\n",
        );
        assert_offsets(&seg);
        let clauses: Vec<_> = seg
            .clauses
            .iter()
            .map(|c| (c.heading_path(), c.text.as_str()))
            .collect();
        assert_eq!(
            clauses,
            [
                (
                    "Terms and Privacy > 1. GENERAL INFORMATION".to_string(),
                    "We run the site."
                ),
                (
                    "Terms and Privacy > 2. COOKIES".to_string(),
                    "We use cookies."
                ),
                (
                    "Terms and Privacy > 2. COOKIES".to_string(),
                    "Note: we keep logs."
                ),
                ("Terms and Privacy > 2. COOKIES".to_string(), "- Bold item"),
                ("Terms and Privacy > 2. COOKIES".to_string(), "Cell | x"),
                ("Terms and Privacy > 2. COOKIES".to_string(), "a | b"),
            ]
        );
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
