//! Text that w3m, lynx and html2text dumped from `datasets/examples/acme-fitness.html`
//! (a page with a skip link, a menu, a cookie banner, a share bar, a footer
//! and, from lynx, its list of link targets): the policy is kept, the page
//! around it is not.

use policylens_segment::segment_text;

const RENDERINGS: [(&str, &str); 3] = [
    (
        "w3m",
        include_str!("fixtures/rendered/acme-fitness.w3m.txt"),
    ),
    (
        "lynx",
        include_str!("fixtures/rendered/acme-fitness.lynx.txt"),
    ),
    (
        "html2text",
        include_str!("fixtures/rendered/acme-fitness.html2text.txt"),
    ),
];

#[test]
fn dumped_pages_keep_the_policy_and_drop_the_page_around_it() {
    for (renderer, text) in RENDERINGS {
        let seg = segment_text(text);
        let all: String = seg
            .clauses
            .iter()
            .map(|c| format!("{}\n", c.text))
            .collect();
        for kept in [
            "handles personal information when you visit our clubs",
            "we create a template from your",
            "We do not sell your",
            "the classes you book",
            "privacy@acme-fitness.example",
            "under 16",
        ] {
            let flat = all.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains(kept),
                "{renderer}: {kept:?} missing from\n{all}"
            );
        }
        for chrome in [
            "Skip to content",
            "Join now",
            "Sitemap",
            "file://",
            "Share this page",
            "All rights reserved",
            "Manage preferences",
        ] {
            assert!(
                !all.contains(chrome),
                "{renderer}: {chrome:?} kept in\n{all}"
            );
        }
        assert_eq!(seg.title.as_deref(), Some("Privacy Notice"), "{renderer}");
    }
}
