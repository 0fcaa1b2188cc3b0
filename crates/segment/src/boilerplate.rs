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

/// `class`/`id` words naming page furniture.
const FURNITURE_WORDS: &[&str] = &[
    "breadcrumb",
    "breadcrumbs",
    "crumbs",
    "sidebar",
    "skip",
    "skiplink",
    "skiplinks",
    "share",
    "sharing",
    "sharethis",
    "addthis",
    "social",
    "socialmedia",
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
    "related",
    "comments",
    "newsletter",
    "subscribe",
    "searchbox",
    "searchform",
    "login",
    "signup",
    "signin",
    "widget",
    "widgets",
    "advert",
    "advertisement",
    "ads",
    "ad",
    "adsense",
    "sponsored",
    "promo",
    "popup",
    "modal",
    "overlay",
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

/// What the `class` and `id` of an element say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    Nothing,
    Furniture,
    /// A menu word: furniture if it is made of links.
    Menu,
    /// A banner word such as `header` or `banner`: a page header, which may
    /// instead be the policy's own header holding its title.
    Header,
    Cookie,
}

/// Classifies an element by the words in its `class` and `id`.
pub fn marked_by_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Marked {
    let mut marked = Marked::Nothing;
    for name in names {
        for word in words_of(name) {
            if COOKIE_WORDS.contains(&word.as_str()) {
                return Marked::Cookie;
            }
            if matches!(
                word.as_str(),
                "header" | "masthead" | "banner" | "siteheader" | "globalheader"
            ) {
                marked = Marked::Header;
            } else if matches!(marked, Marked::Nothing | Marked::Menu)
                && FURNITURE_WORDS.contains(&word.as_str())
            {
                marked = Marked::Furniture;
            } else if marked == Marked::Nothing && MENU_WORDS.contains(&word.as_str()) {
                marked = Marked::Menu;
            }
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

/// Whether a cookie banner's text reads like a banner (a short notice asking
/// for a click), not like the policy's own section on cookies.
pub fn reads_like_consent_prompt(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.chars().count() < 1200
        && [
            "accept", "agree", "got it", "allow", "consent", "dismiss", "continu", "ok", "close",
        ]
        .iter()
        .any(|w| lower.contains(w))
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

/// Whether a block made mostly of links is navigation: several links
/// that are most of its text, or one short link alone (not an address).
pub fn is_link_block(text: &str, chars: usize, link_chars: usize, links: usize) -> bool {
    if links == 0 || chars == 0 {
        return false;
    }
    let mostly_links = link_chars * 10 >= chars * 7;
    (links >= 2 && mostly_links)
        || (link_chars * 20 >= chars * 19
            && text.split_whitespace().count() <= 4
            && !text.contains('@'))
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
        assert!(is_link_block("Home About Contact", 16, 16, 3));
        assert!(is_link_block("Home", 4, 4, 1));
        assert!(!is_link_block("privacy@example.com", 19, 19, 1));
        assert!(!is_link_block(
            "See our cookie policy for the details of our cookie use",
            46,
            12,
            1
        ));
    }
}
