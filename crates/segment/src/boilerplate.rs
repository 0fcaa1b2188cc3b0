//! Telling page furniture (navigation, banners, widgets) from policy text.
//!
//! Markup names are the strongest evidence: tag names, ARIA roles and the
//! words inside `class` and `id` attributes. Words are matched whole (after
//! splitting on punctuation and camelCase) so `navigation` matches but
//! `canvas` or `unavailable` do not.

/// Tags never holding policy text a reader sees.
pub const ALWAYS_DROPPED_TAGS: &[&str] = &[
    "script", "style", "template", "noscript", "svg", "math", "nav", "button", "select", "option",
    "input", "textarea", "iframe", "object", "embed", "canvas", "video", "audio", "map", "head",
    "title", "meta", "link", "menu",
];

/// Roles never holding policy text.
pub const ALWAYS_DROPPED_ROLES: &[&str] = &[
    "navigation",
    "search",
    "menu",
    "menubar",
    "toolbar",
    "tablist",
];

/// Tags and roles that are page furniture unless they hold much of the page's text.
pub const FURNITURE_TAGS: &[&str] = &["header", "footer", "aside", "form", "dialog", "fieldset"];
pub const FURNITURE_ROLES: &[&str] = &[
    "banner",
    "contentinfo",
    "complementary",
    "dialog",
    "alertdialog",
    "form",
];

/// `class`/`id` words naming menus: furniture only when made of links or
/// short, since pages also mark sections of a policy's own table of
/// contents this way (`nav-item`).
const MENU_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "mainnav",
    "topnav",
    "subnav",
    "sitenav",
    "globalnav",
    "navlinks",
    "menu",
    "menubar",
    "megamenu",
    "submenu",
];

/// `class`/`id` words naming page furniture: layout parts and widgets.
const FURNITURE_WORDS: &[&str] = &[
    "breadcrumb",
    "breadcrumbs",
    "crumbs",
    "sidebar",
    "rail",
    "leftrail",
    "rightrail",
    "skip",
    "skiplink",
    "skiplinks",
    "sharethis",
    "addthis",
    "header",
    "footer",
    "sitefooter",
    "siteheader",
    "globalheader",
    "globalfooter",
    "masthead",
    "banner",
    "topbar",
    "toolbar",
    "pagination",
    "pager",
    "searchbox",
    "searchform",
    "widget",
    "widgets",
    "adsense",
    "popup",
    "modal",
    "overlay",
];

/// `class`/`id` words naming a widget's topic, which can also be the topic
/// of a policy's own section: a `class` word marks furniture, but an `id`
/// is often the section's anchor, made from its title (`about_our_ads`,
/// `How Do We Share Your Personal Information?`), so see [`Marked::Topic`].
const TOPIC_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "socialmedia",
    "related",
    "popular",
    "mostpopular",
    "trending",
    "comments",
    "newsletter",
    "subscribe",
    "login",
    "signup",
    "signin",
    "advert",
    "advertisement",
    "ads",
    "ad",
    "sponsored",
    "promo",
    "copyright",
    "disclaimer",
    "utility",
    "tools",
    "feedback",
    "rating",
];

/// `class`/`id` words naming cookie and consent banners.
const COOKIE_WORDS: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "cookiebar",
    "cookienotice",
    "cookielaw",
    "onetrust",
    "cc",
];

/// `class` words naming content a reader expands: accordions, collapsible
/// sections, tab panes, FAQ answers, "read more" parts.
const COLLAPSED_WORDS: &[&str] = &[
    "accordion",
    "collapse",
    "collapsible",
    "collapsed",
    "expandable",
    "expander",
    "disclosure",
    "panel",
    "tabpanel",
    "pane",
    "faq",
    "answer",
    "readmore",
];

/// Whether a `class` names collapsed content (see [`COLLAPSED_WORDS`]).
pub fn names_collapsed_content(class: Option<&str>) -> bool {
    class.is_some_and(|c| {
        words_of(c)
            .iter()
            .any(|w| COLLAPSED_WORDS.contains(&w.as_str()))
    })
}

/// What the `class` and `id` of an element say about it, weakest first:
/// of several words, the strongest mark counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Marked {
    Nothing,
    /// A menu word: furniture if it is made of links.
    Menu,
    /// A topic word (`share`, `ads`, `copyright`): furniture, except that
    /// in an `id` it may be the anchor of a policy section.
    Topic,
    Furniture,
    /// A banner word such as `header` or `banner`: a page header, which may
    /// instead be the policy's own header holding its title.
    Header,
    Cookie,
}

/// Classifies an element by the words in its `class` and `id`.
pub fn marked_by_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Marked {
    marked_by(names, true)
}

/// Like [`marked_by_names`], with cookie words ignored: how to treat an
/// element named for cookies that is not a consent banner.
pub fn marked_ignoring_cookies<'a>(names: impl IntoIterator<Item = &'a str>) -> Marked {
    marked_by(names, false)
}

fn marked_by<'a>(names: impl IntoIterator<Item = &'a str>, cookies: bool) -> Marked {
    let mut marked = Marked::Nothing;
    for name in names {
        for word in words_of(name) {
            let word = word.as_str();
            let mark = if COOKIE_WORDS.contains(&word) {
                if !cookies {
                    continue;
                }
                Marked::Cookie
            } else if matches!(
                word,
                "header" | "masthead" | "banner" | "siteheader" | "globalheader"
            ) {
                Marked::Header
            } else if FURNITURE_WORDS.contains(&word) {
                Marked::Furniture
            } else if TOPIC_WORDS.contains(&word) {
                Marked::Topic
            } else if MENU_WORDS.contains(&word) {
                Marked::Menu
            } else {
                continue;
            };
            marked = marked.max(mark);
        }
    }
    marked
}

/// Lower-cased words of an attribute value, split on punctuation and camelCase.
fn words_of(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Lower-cased words (runs of letters and digits) of visible text.
pub(crate) fn text_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether text has a word asking for consent or a click: `accept`,
/// `agree`, `continue`, `OK`, `got it`... matched as whole words (or their
/// forms: `agreeing`), so `cookies` is not `ok` nor `disclose` `close`.
fn has_prompt_word(text: &str) -> bool {
    let words = text_words(text);
    words.iter().enumerate().any(|(i, w)| {
        ["accept", "agree", "continu", "dismiss", "allow", "consent"]
            .iter()
            .any(|stem| w.starts_with(stem))
            || matches!(w.as_str(), "ok" | "okay" | "close" | "understand")
            || (w == "got" && words.get(i + 1).is_some_and(|n| n == "it"))
    })
}

/// Whether a control (button or link) reads like a banner's consent
/// control: a few words asking for consent (`Accept all`, `I agree`,
/// `Got it!`), not `Cookie settings` or `Learn more`.
pub fn is_consent_control(text: &str) -> bool {
    text_words(text).len() <= 4 && has_prompt_word(text)
}

/// Whether an element named for cookies reads like a consent banner, not
/// like the policy's own section on cookies: it has a consent control, or
/// it is a very short notice asking for consent and is no titled section.
pub fn reads_like_consent_prompt(text: &str, consent_control: bool, titled: bool) -> bool {
    let chars = text.chars().count();
    chars < 1200 && (consent_control || (chars < 300 && !titled && has_prompt_word(text)))
}

/// Whole-block texts that are controls, not prose.
pub fn is_control_text(text: &str) -> bool {
    let lower = text
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    matches!(
        lower.as_str(),
        "skip to content"
            | "skip to main content"
            | "skip navigation"
            | "skip to navigation"
            | "back to top"
            | "return to top"
            | "top of page"
            | "to top"
            | "top"
            | "print"
            | "print this page"
            | "share"
            | "share this"
            | "share this page"
            | "tweet"
            | "email"
            | "close"
            | "menu"
            | "toggle navigation"
            | "search"
            | "accept"
            | "accept cookies"
            | "got it"
            | "previous"
            | "next"
            | "more"
            | "read more"
            | "show more"
    )
}

/// A short copyright or "all rights reserved" line.
pub fn is_copyright_line(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.chars().count() < 200
        && (lower.starts_with('©')
            || lower.starts_with("copyright")
            || lower.starts_with("(c)")
            || lower.contains("all rights reserved"))
}

/// Whether text holds a copyright notice (`© 2015 Acme`, `Copyright 2015`,
/// `All rights reserved`), at any length.
pub fn is_copyright_notice(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains('©')
        || lower.contains("all rights reserved")
        || lower.starts_with("(c)")
        || lower.match_indices("copyright").any(|(i, w)| {
            lower[i + w.len()..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit())
        })
}

/// Whether text reads as prose: a sentence of several words, not a label
/// (`Advertisement`, `Share this page`).
pub fn reads_as_prose(text: &str) -> bool {
    let text = text.trim_end();
    text_words(text).len() >= 8
        && (text.ends_with(['.', '!', '?'])
            || [". ", "! ", "? "].iter().any(|end| text.contains(end)))
}

/// Stands in the text outside links where a link was.
pub const LINK_MARK: char = '\u{1}';

/// Whether a block made mostly of links is navigation: several links that
/// are most of its text with only separators (`|`, `·`, commas, numbers)
/// or a word per three links (`Menu: A, B and C`) outside them; or one
/// short link alone (not an address). `unlinked` is the block's text
/// outside its links, with [`LINK_MARK`] where each link stood: a sentence
/// whose words are mostly link text (`ask us [to correct] or [delete your
/// data]`, `Information used: [A], [B] and [C].`) is prose.
pub fn is_link_block(
    text: &str,
    unlinked: &str,
    chars: usize,
    link_chars: usize,
    links: usize,
) -> bool {
    if links == 0 || chars == 0 {
        return false;
    }
    let mostly_links = link_chars * 10 >= chars * 7;
    (links >= 2 && mostly_links && words(unlinked) * 3 <= links)
        || (link_chars * 20 >= chars * 19
            && text.split_whitespace().count() <= 4
            && !text.contains('@'))
}

/// Whether two or more links stand in a row as in a menu, with only
/// separators (`|`, `·`, commas, numbers) between them or a word per three
/// links (`A, B and C`), whatever stands before the first and after the
/// last (a scraped page's search box placeholder). `unlinked` is as for
/// [`is_link_block`].
pub fn only_separators_between(unlinked: &str, links: usize) -> bool {
    let pieces: Vec<&str> = unlinked.split(LINK_MARK).collect();
    let between = match pieces.as_slice() {
        [_, between @ .., _] => between.iter().map(|p| words(p)).sum(),
        _ => 0,
    };
    links >= 2 && between * 3 <= links
}

/// How many words with a letter a text has (numbers are not words here).
fn words(text: &str) -> usize {
    text_words(text)
        .iter()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
}

/// Whether a bold line is short and unpunctuated enough to be a heading.
pub fn heading_shaped(text: &str) -> bool {
    let words = text.split_whitespace().count();
    words <= 14 && text.chars().count() <= 120 && !text.ends_with(['.', ',', ';', ':'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_whole() {
        assert_eq!(marked_by_names(["site-nav"]), Marked::Menu);
        assert_eq!(marked_by_names(["mainNavigation"]), Marked::Menu);
        assert_eq!(marked_by_names(["nav-item sidebar"]), Marked::Furniture);
        assert_eq!(marked_by_names(["page_header"]), Marked::Header);
        assert_eq!(marked_by_names(["cookie-banner"]), Marked::Cookie);
        assert_eq!(
            marked_by_names(["canvas unavailable navy"]),
            Marked::Nothing
        );
        assert_eq!(
            marked_by_names(["shareholders", "advantage"]),
            Marked::Nothing
        );
        assert_eq!(marked_by_names(["entry-content"]), Marked::Nothing);
        assert_eq!(marked_by_names(["share-buttons"]), Marked::Topic);
        assert_eq!(
            marked_by_names(["nav-item", "about_our_ads"]),
            Marked::Topic
        );
        assert_eq!(marked_by_names(["ads", "site-footer"]), Marked::Furniture);
        assert_eq!(marked_ignoring_cookies(["cookie-menu"]), Marked::Menu);
    }

    #[test]
    fn copyright_and_prose() {
        assert!(is_copyright_notice(
            "Copyright 2015 Zacks Investment Research. At the center of everything we do is research."
        ));
        assert!(is_copyright_notice("Contents © Acme"));
        assert!(!is_copyright_notice(
            "Copyright infringement notices can be sent to our agent."
        ));
        assert!(reads_as_prose(
            "We share your personal information with your consent."
        ));
        assert!(!reads_as_prose("Advertisement"));
        assert!(!reads_as_prose(
            "Share this article with your friends and family"
        ));
    }

    #[test]
    fn consent_prompts_are_told_by_whole_words() {
        // `cookies` holds `ok`, `disclose` holds `close`: neither is a prompt.
        assert!(!reads_like_consent_prompt("Cookies", false, true));
        assert!(!reads_like_consent_prompt(
            "We disclose cookies data to partners.",
            false,
            false
        ));
        assert!(!reads_like_consent_prompt("Cookie consent", false, true));
        assert!(reads_like_consent_prompt(
            "By continuing to browse you agree to our use of cookies.",
            false,
            false
        ));
        assert!(reads_like_consent_prompt(
            "We use cookies to improve your experience. Accept",
            true,
            false
        ));
        assert!(is_consent_control("Got it!"));
        assert!(is_consent_control("Accept all cookies"));
        assert!(is_consent_control("OK"));
        assert!(!is_consent_control("Cookie settings"));
        assert!(!is_consent_control("Learn more about cookies"));
        assert!(!is_consent_control("Cookies"));
    }

    #[test]
    fn control_and_link_blocks() {
        assert!(is_control_text("Skip to main content"));
        assert!(is_control_text("↑ Back to top"));
        assert!(!is_control_text("We share data"));
        assert!(is_copyright_line(
            "Copyright 1998 Dog Breed Info Center. All rights reserved."
        ));
        assert!(!is_copyright_line(
            "We respect copyright law and remove infringing content when notified."
        ));
        assert!(is_link_block(
            "Home About Contact",
            "\u{1} \u{1} \u{1}",
            16,
            16,
            3
        ));
        assert!(is_link_block("Home | About", "\u{1} | \u{1}", 10, 9, 2));
        assert!(is_link_block(
            "Israel Diamond Supply 918-248-0540 http://www.israeldiamond.com/",
            "\u{1} 918-248-0540 \u{1}",
            59,
            47,
            2
        ));
        assert!(is_link_block(
            "Search... Terms Privacy Policy Content Policy",
            "Search...\u{1}\u{1}\u{1}",
            40,
            31,
            3
        ));
        assert!(is_link_block("Home", "", 4, 4, 1));
        assert!(!is_link_block("privacy@example.com", "", 19, 19, 1));
        assert!(!is_link_block(
            "See our cookie policy for the details of our cookie use",
            "See our \u{1} for the details of our cookie use",
            46,
            12,
            1
        ));
        assert!(!is_link_block(
            "Information used: Information You Provide, Automatically Collected Information, and Information From Other Sources.",
            "Information used: \u{1}, \u{1}, and \u{1}.",
            99,
            81,
            3
        ));
        assert!(only_separators_between(
            "Search models, datasets...\u{1}\u{1}\u{1}",
            3
        ));
        assert!(!only_separators_between("ask us \u{1} or \u{1}", 2));
        // Links that are most of a sentence's letters: still a sentence.
        assert!(!is_link_block(
            "ask us to correct or delete your data",
            "ask us \u{1} or \u{1}",
            30,
            23,
            2
        ));
    }
}
