//! Page chrome in text that w3m, lynx and html2text dumped, one fixture per
//! kind of dump (written for these tests, not taken from a corpus): what a
//! reader sees of the policy is kept, the page around it is not.

use policylens_segment::{segment_markdown, segment_text};

/// The clauses' text, flattened to single spaces.
fn kept(text: &str) -> String {
    let seg = segment_text(text);
    flat(seg.clauses.iter().map(|c| c.text.as_str()))
}

fn flat<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_kept_and_dropped(all: &str, keep: &[&str], drop: &[&str]) {
    for k in keep {
        assert!(all.contains(k), "{k:?} missing from\n{all}");
    }
    for d in drop {
        assert!(!all.contains(d), "{d:?} kept in\n{all}");
    }
}

const HTML2TEXT: &str = include_str!("fixtures/dumped/html2text-links.txt");
const W3M: &str = include_str!("fixtures/dumped/w3m-nested-menus.txt");
const LYNX: &str = include_str!("fixtures/dumped/lynx-nested-lists.txt");

/// html2text writes links and images as Markdown and wraps them at 78
/// columns: images (even wrapped ones) go, links keep their label and lose
/// their target, a number that is a link's label is no lynx marker, a
/// wrapped `## [heading](…)` is still a heading, and a link's label that
/// wraps (`[Back to`) is no form field.
#[test]
fn html2text_links_show_their_labels_and_images_go() {
    let all = kept(HTML2TEXT);
    assert_kept_and_dropped(
        &all,
        &[
            "explains here what we collect",
            "Read our Terms of Sale for the rules of returns.",
            "You can unsubscribe from our e-mails",
        ],
        &[
            "logo.png",
            "https://",
            "](",
            "Facebook",
            "Back to Top",
            "top of the page",
        ],
    );
    let seg = segment_text(HTML2TEXT);
    assert!(
        seg.clauses
            .iter()
            .any(|c| c.heading.last().map(String::as_str) == Some("How We Use Your Information")),
        "{:?}",
        seg.clauses.iter().map(|c| &c.heading).collect::<Vec<_>>()
    );
}

/// Markup that a dump let through over several lines (an ad's iframe) is
/// dropped as a block; so is what follows the page's copyright line (a
/// sign-up pitch, footer links) when the policy stands above it.
#[test]
fn leftover_markup_and_the_footer_below_the_copyright_go() {
    for (renderer, text) in [("html2text", HTML2TEXT), ("w3m", W3M), ("lynx", LYNX)] {
        let all = kept(text);
        assert_kept_and_dropped(
            &all,
            &["privacy@northwind.example"],
            &[
                "frameborder",
                "iframe",
                "All rights reserved",
                "newsletter",
                "Careers",
            ],
        );
        assert!(!all.is_empty(), "{renderer}");
    }
}

/// w3m draws nested lists with `□` (and `☆`, `●`, `■`), lynx its third
/// level with an indented `o`: they are list items, so menus made of them
/// go and a policy's nested list keeps its items. A notice with a close
/// button trailing its sentences is a banner; jump links (`back to top of
/// page`, `Back to Top | Back to … Index`) go; a lettered list's `(c)` item
/// is no copyright line.
#[test]
fn nested_bullets_banners_and_jump_links() {
    let all = kept(W3M);
    assert_kept_and_dropped(
        &all,
        &[
            "Information you give us",
            // `(c)` opens a lettered item here, no copyright line.
            "to answer your questions; - to keep our records as the law requires.",
            "If you have any questions about this policy",
        ],
        &[
            "Sleeping Bags",
            "Store Events",
            "CLOSE X",
            "closed on Monday",
            "back to top",
            "Back to Top",
            "Index",
        ],
    );
    let seg = segment_text(LYNX);
    let items = flat(seg.clauses.iter().map(|c| c.text.as_str()));
    assert_kept_and_dropped(
        &items,
        &[
            "the name on your card, kept by our payment provider;",
            "We do not sell your information to anyone.",
        ],
        &["Sleeping Bags", "Skip to content", "file://"],
    );
    // `o` items are items of their own, not words run into the line above.
    assert!(
        seg.clauses.iter().any(|c| c
            .text
            .lines()
            .any(|l| l.trim_start().starts_with("- the name on your card"))),
        "{:#?}",
        seg.clauses
    );
}

/// The same rules on Markdown (html2text's output read as such): a link
/// whose target html2text wrapped is still a link, and controls, copyright
/// lines and leftover style sheets go; a list item that is a control's word
/// (`Email` in a list of what is collected) stays.
#[test]
fn markdown_from_html2text_loses_the_same_chrome() {
    let md = "# Privacy Policy\n\n\
        We collect what you give us when you order. Read our [Terms of\n\
        Sale](https://www.northwind.example/legal/terms-of-sale?ref=privacy&src=\n\
        footer) for returns.\n\n\
        We collect:\n\n\
        * Name\n\
        * Email\n\n\
        [Back to Top](https://www.northwind.example/privacy#top)\n\n\
        Back to top of page\n\n\
        div,ul,li{margin:0;padding:0;}.abgc{height:15px;position:absolute;right:16px;\n\
        top:0;width:15px;z-index:9010;}.abgb{height:100%;}\n\n\
        © 2026 Northwind Outfitters Ltd. All rights reserved.\n";
    let seg = segment_markdown(md);
    let all = flat(seg.clauses.iter().map(|c| c.text.as_str()));
    assert_kept_and_dropped(
        &all,
        &["Read our Terms of Sale for returns.", "Email"],
        &["footer", "https", "Back to", "z-index", "rights reserved"],
    );
}
