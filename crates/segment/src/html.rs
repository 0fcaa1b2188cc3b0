//! HTML pages: drop the page furniture, find the policy, walk it into blocks.

use crate::blocks::{assemble, normalize, Block};
use crate::boilerplate::{self, Marked};
use crate::documents;
use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use policylens_core::Segmented;
use scraper::node::Element;
use scraper::{Html, Node};
use std::collections::{HashMap, HashSet};

/// Furniture-like elements are kept when they hold at least this share of the page's text.
const FURNITURE_MAX_SHARE: f64 = 0.3;
/// `<main>`/`<article>` is the policy when it holds at least this share of the page's prose.
const MAIN_MIN_SHARE: f64 = 0.9;
/// Density descent steps into a child holding at least this share of its parent's prose.
const DESCEND_MIN_SHARE: f64 = 0.9;

/// Cuts an HTML page into clauses. The title is the page's `<title>`, else its first `<h1>`.
pub fn segment_html(html: &str) -> Segmented {
    let _span = tracing::debug_span!("segment_html", bytes = html.len()).entered();
    let doc = Html::parse_document(&crate::nesting::bound_nesting(html));
    let body = doc
        .tree
        .root()
        .descendants()
        .find(|n| element(*n).is_some_and(|e| e.name() == "body"))
        .unwrap_or_else(|| doc.tree.root());

    let toggled = toggled_ids(body);
    let mut dropped: HashSet<NodeId> = body
        .descendants()
        .filter(|n| always_dropped(*n, &toggled))
        .map(|n| n.id())
        .collect();
    let stats = measure(body, &dropped);
    let total = stats.get(&body.id()).copied().unwrap_or_default();
    let furniture: Vec<NodeId> = body
        .descendants()
        .filter(|n| !dropped.contains(&n.id()))
        .filter(|n| is_furniture(*n, &stats, total, &dropped))
        .map(|n| n.id())
        .collect();
    dropped.extend(furniture);
    let stats = measure(body, &dropped);

    let root = main_content(body, &stats, &dropped);
    // The policy's title and introduction may sit beside the container of
    // its sections: walked first, as the text's opening.
    let parts: Vec<NodeRef<Node>> = intro_before(body, root, &stats, &dropped)
        .into_iter()
        .chain(std::iter::once(root))
        .collect();
    let mut blocks = Vec::new();
    if root.id() != body.id() {
        if let Some(h1) = title_heading_before(body, &parts, &dropped) {
            blocks.push(Block::Heading { level: 1, text: h1 });
        }
    }
    let mut tables = HashSet::new();
    let mut containers = HashSet::new();
    for part in &parts {
        tables.extend(data_tables(*part, &dropped, &stats));
        containers.extend(container_items(*part, &dropped, &stats));
    }
    let mut walker = Walker::new(&tables, &containers);
    for part in &parts {
        walker.walk(*part, &dropped);
    }
    blocks.extend(walker.blocks);
    let blocks = documents::keep_privacy_documents(blocks);

    let title = page_title(&doc).or_else(|| {
        blocks.iter().find_map(|b| match b {
            Block::Heading { level: 1, text } => Some(text.clone()),
            _ => None,
        })
    });
    assemble(title, blocks)
}

fn element<'a>(node: NodeRef<'a, Node>) -> Option<&'a Element> {
    node.value().as_element()
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements no reader sees, even by clicking. Collapsed content is not among
/// them: accordion answers, tab panels and "read more" sections are hidden
/// until a reader opens them, by inline `display:none` (on OPP-115,
/// dropping those costs 1.6 points of word recall for 0.3 of precision) or
/// by `hidden`/`aria-hidden` with a control that toggles them (see
/// [`is_collapsed_content`]); what such panels hold is then judged like any
/// other element (a hidden menu, modal or consent dialog is still furniture).
fn always_dropped(node: NodeRef<Node>, toggled: &HashSet<&str>) -> bool {
    let Some(el) = element(node) else {
        return false;
    };
    if el.name() == "button" && is_disclosure_title(node, el) {
        return false;
    }
    if boilerplate::ALWAYS_DROPPED_TAGS.contains(&el.name()) {
        return true;
    }
    let hidden =
        el.attr("hidden").is_some() || el.attr("aria-hidden").is_some_and(|v| v.trim() == "true");
    if hidden && !is_collapsed_content(el, toggled) {
        return true;
    }
    el.attr("role").is_some_and(|role| {
        boilerplate::ALWAYS_DROPPED_ROLES.contains(&role.trim().to_lowercase().as_str())
    })
}

/// Ids that a control on the page opens or closes (`aria-controls`).
fn toggled_ids<'a>(body: NodeRef<'a, Node>) -> HashSet<&'a str> {
    body.descendants()
        .filter_map(|n| element(n)?.attr("aria-controls"))
        .flat_map(str::split_whitespace)
        .collect()
}

/// A hidden element a reader can open: a panel some control toggles, a tab
/// panel or accordion region, `hidden="until-found"`, or an element whose
/// `class` names it collapsed content (`accordion`, `collapse`, `faq`, ...).
fn is_collapsed_content(el: &Element, toggled: &HashSet<&str>) -> bool {
    let role = el.attr("role").map(|r| r.trim().to_lowercase());
    el.attr("hidden").is_some_and(|v| v.trim() == "until-found")
        || el.id().is_some_and(|id| toggled.contains(id))
        || matches!(role.as_deref(), Some("tabpanel" | "region"))
        || boilerplate::names_collapsed_content(el.attr("class"))
}

/// A button that opens collapsed content and whose text is its title (an
/// accordion question): it expands something, is no tab, and sits in a
/// heading or reads as more than a control's word or two ("Menu", "More").
fn is_disclosure_title(node: NodeRef<Node>, el: &Element) -> bool {
    let toggles = el.attr("aria-expanded").is_some() || el.attr("aria-controls").is_some();
    if !toggles || el.attr("role").is_some_and(|r| r.trim() == "tab") {
        return false;
    }
    let in_heading = node
        .ancestors()
        .any(|a| element(a).is_some_and(|e| is_heading(e.name())));
    let text = text_of(node);
    in_heading || (text.split_whitespace().count() >= 3 && !boilerplate::is_control_text(&text))
}

/// Non-whitespace characters under an element, and how many of them are link text.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    text: usize,
    link: usize,
}

impl Stats {
    fn prose(self) -> usize {
        self.text - self.link
    }
}

/// Text statistics of every element under `root`, skipping dropped subtrees.
/// Iterative, so deeply nested pages cannot overflow the stack.
fn measure(root: NodeRef<Node>, dropped: &HashSet<NodeId>) -> HashMap<NodeId, Stats> {
    let mut stats = HashMap::new();
    let mut open: Vec<(NodeId, Stats)> = Vec::new();
    let mut skipping: Option<NodeId> = None;
    let mut links = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(el) => {
                        if dropped.contains(&node.id()) {
                            skipping = Some(node.id());
                            continue;
                        }
                        links += usize::from(el.name() == "a");
                        open.push((node.id(), Stats::default()));
                    }
                    Node::Text(text) => {
                        if let Some((_, top)) = open.last_mut() {
                            let n = text.chars().filter(|c| !c.is_whitespace()).count();
                            top.text += n;
                            if links > 0 {
                                top.link += n;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skipping {
                    if id == node.id() {
                        skipping = None;
                    }
                    continue;
                }
                if let Node::Element(el) = node.value() {
                    links -= usize::from(el.name() == "a" && links > 0);
                    if let Some((id, s)) = open.pop() {
                        stats.insert(id, s);
                        if let Some((_, parent)) = open.last_mut() {
                            parent.text += s.text;
                            parent.link += s.link;
                        }
                    }
                }
            }
        }
    }
    stats
}

/// Page furniture that is not always dropped: headers, footers, sidebars,
/// banners and menus, told by tag, role and class/id words, kept when they
/// hold much of the page's text (a page wrapped in one `<form>`).
fn is_furniture(
    node: NodeRef<Node>,
    stats: &HashMap<NodeId, Stats>,
    total: Stats,
    dropped: &HashSet<NodeId>,
) -> bool {
    let Some(el) = element(node) else {
        return false;
    };
    let Some(&s) = stats.get(&node.id()) else {
        return false;
    };
    let small = (s.text as f64) < FURNITURE_MAX_SHARE * total.text as f64;
    if !small {
        return false;
    }
    let name = el.name();
    let role = el
        .attr("role")
        .map(|r| r.trim().to_lowercase())
        .unwrap_or_default();
    let mut marked = marked_by_names(el, true);
    if marked == Marked::Cookie {
        let titled = node
            .descendants()
            .any(|d| element(d).is_some_and(|e| is_heading(e.name())));
        if boilerplate::reads_like_consent_prompt(&text_of(node), has_consent_control(node), titled)
        {
            return true;
        }
        // The policy's own part on cookies: judged by its other words.
        marked = marked_by_names(el, false);
    }
    if marked == Marked::Topic && is_policy_section(node, s, stats, dropped) {
        // The `id` is the section's anchor; its `class` still counts.
        marked = marked_by_class(el, false);
    }
    let header = name == "header" || role == "banner" || marked == Marked::Header;
    if header {
        // The policy's own header (its title) is not a link bar.
        let titled = node
            .descendants()
            .any(|d| element(d).is_some_and(|e| matches!(e.name(), "h1" | "h2")));
        let own_title = titled && s.link * 2 < s.text;
        return !(own_title || inside_content(node));
    }
    if matches!(name, "footer") && inside_content(node) {
        return false;
    }
    if boilerplate::FURNITURE_TAGS.contains(&name)
        || boilerplate::FURNITURE_ROLES.contains(&role.as_str())
    {
        return true;
    }
    if matches!(marked, Marked::Furniture | Marked::Topic) {
        return true;
    }
    if marked == Marked::Menu {
        return s.link * 10 >= s.text * 3 || s.text < 200;
    }
    matches!(name, "ul" | "ol") && is_menu(node, stats)
}

/// What an element's `class` and `id` words say about it, cookie words
/// included or not. A topic word (`share`, `ads`) in a `class` names a
/// widget; in an `id` it may be a policy section's anchor, which
/// [`is_policy_section`] tells.
fn marked_by_names(el: &Element, cookies: bool) -> Marked {
    let by_id = if cookies {
        boilerplate::marked_by_names(el.id())
    } else {
        boilerplate::marked_ignoring_cookies(el.id())
    };
    marked_by_class(el, cookies).max(by_id)
}

fn marked_by_class(el: &Element, cookies: bool) -> Marked {
    let marked = if cookies {
        boilerplate::marked_by_names(el.attr("class"))
    } else {
        boilerplate::marked_ignoring_cookies(el.attr("class"))
    };
    match marked {
        Marked::Topic => Marked::Furniture,
        marked => marked,
    }
}

/// Whether a cookie-named element has a banner's consent control: a
/// button or link saying `Accept`, `I agree`, `Got it`.
fn has_consent_control(node: NodeRef<Node>) -> bool {
    node.descendants().any(|d| {
        let Some(e) = element(d) else { return false };
        let role_button = e
            .attr("role")
            .is_some_and(|r| r.trim().eq_ignore_ascii_case("button"));
        match e.name() {
            "input" => e.attr("value").is_some_and(boilerplate::is_consent_control),
            "button" | "a" => boilerplate::is_consent_control(&text_of(d)),
            _ => role_button && boilerplate::is_consent_control(&text_of(d)),
        }
    })
}

/// Whether an element whose `id` has a topic word (`about_our_ads`,
/// `How Do We Share Your Personal Information?`) is a section of the policy
/// rather than a widget on that topic (share buttons, an ad slot, a login
/// box): it is not made of links, and it is a heading, opens with its own
/// heading over prose, or holds sentences and no form controls.
fn is_policy_section(
    node: NodeRef<Node>,
    s: Stats,
    stats: &HashMap<NodeId, Stats>,
    dropped: &HashSet<NodeId>,
) -> bool {
    if s.text == 0 || s.link * 10 >= s.text * 3 {
        return false;
    }
    if element(node).is_some_and(|e| is_heading(e.name())) {
        return true;
    }
    if let Some(heading) = opening_heading(node, dropped) {
        let heading = stats.get(&heading.id()).copied().unwrap_or_default();
        if s.prose().saturating_sub(heading.prose()) >= 20 {
            return true;
        }
    }
    let controls = node.descendants().any(|d| {
        element(d).is_some_and(|e| {
            matches!(
                e.name(),
                "form" | "input" | "button" | "select" | "textarea"
            )
        })
    });
    let text = visible_text(node, dropped);
    !controls && !boilerplate::is_copyright_notice(&text) && boilerplate::reads_as_prose(&text)
}

/// The heading holding an element's first visible text, if it has one.
fn opening_heading<'a>(
    node: NodeRef<'a, Node>,
    dropped: &HashSet<NodeId>,
) -> Option<NodeRef<'a, Node>> {
    let visible = |d: &NodeRef<Node>| {
        !d.ancestors()
            .take_while(|a| a.id() != node.id())
            .any(|a| dropped.contains(&a.id()))
    };
    let first = node
        .descendants()
        .filter(|d| d.value().as_text().is_some_and(|t| !t.trim().is_empty()))
        .find(visible)?;
    first
        .ancestors()
        .take_while(|a| a.id() != node.id())
        .find(|a| element(*a).is_some_and(|e| is_heading(e.name())))
}

/// The text under an element, skipping dropped subtrees.
fn visible_text(node: NodeRef<Node>, dropped: &HashSet<NodeId>) -> String {
    let mut out = String::new();
    let mut skipping: Option<NodeId> = None;
    for edge in node.traverse() {
        match edge {
            Edge::Open(d) if skipping.is_none() => {
                if dropped.contains(&d.id()) {
                    skipping = Some(d.id());
                } else if let Some(text) = d.value().as_text() {
                    out.push_str(text);
                    out.push(' ');
                }
            }
            Edge::Close(d) if skipping == Some(d.id()) => skipping = None,
            _ => {}
        }
    }
    normalize(&out)
}

/// Whether an element sits inside `<main>`/`<article>`, where header and footer
/// are the policy's own.
fn inside_content(node: NodeRef<Node>) -> bool {
    node.ancestors().any(|a| {
        element(a).is_some_and(|e| {
            matches!(e.name(), "main" | "article") || e.attr("role") == Some("main")
        })
    })
}

/// A list of three or more items that are nearly all short links.
fn is_menu(list: NodeRef<Node>, stats: &HashMap<NodeId, Stats>) -> bool {
    let items: Vec<Stats> = list
        .children()
        .filter(|c| element(*c).is_some_and(|e| e.name() == "li"))
        .filter_map(|c| stats.get(&c.id()).copied())
        .collect();
    let linky = items
        .iter()
        .filter(|s| s.text <= 60 && s.link * 10 >= s.text * 9)
        .count();
    items.len() >= 3 && linky * 10 >= items.len() * 8
}

fn text_of(node: NodeRef<Node>) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        if let Some(text) = d.value().as_text() {
            out.push_str(text);
            out.push(' ');
        }
    }
    normalize(&out)
}

/// The element holding the policy: `<main>`, `role=main` or `<article>` when
/// it holds most of the page's prose, else the descent from `<body>` into
/// whichever child holds nearly all of its parent's prose.
fn main_content<'a>(
    body: NodeRef<'a, Node>,
    stats: &HashMap<NodeId, Stats>,
    dropped: &HashSet<NodeId>,
) -> NodeRef<'a, Node> {
    let prose = |n: NodeRef<Node>| stats.get(&n.id()).map(|s| s.prose()).unwrap_or(0);
    let total = prose(body) as f64;
    let marked_main = body
        .descendants()
        .filter(|n| stats.contains_key(&n.id()))
        .filter(|n| {
            element(*n).is_some_and(|e| {
                matches!(e.name(), "main" | "article")
                    || e.attr("role")
                        .is_some_and(|r| r.eq_ignore_ascii_case("main"))
            })
        })
        .max_by_key(|n| prose(*n));
    if let Some(main) = marked_main {
        if prose(main) as f64 >= MAIN_MIN_SHARE * total {
            return main;
        }
    }
    let mut node = body;
    loop {
        let parent = prose(node) as f64;
        let best = node
            .children()
            .filter(|c| element(*c).is_some_and(is_container) && !dropped.contains(&c.id()))
            .max_by_key(|c| prose(*c));
        match best {
            Some(child) if parent > 0.0 && prose(child) as f64 >= DESCEND_MIN_SHARE * parent => {
                node = child
            }
            _ => return node,
        }
    }
}

/// Elements that hold blocks, as opposed to being one (a paragraph, a list).
fn is_container(el: &Element) -> bool {
    matches!(
        el.name(),
        "div"
            | "section"
            | "article"
            | "main"
            | "table"
            | "tbody"
            | "tr"
            | "td"
            | "form"
            | "center"
            | "font"
            | "span"
    )
}

/// An introduction is at least this much prose (characters not in links).
const INTRO_MIN_PROSE: usize = 300;

/// The block of prose right before the content element, or before one of
/// its ancestors, when it introduces the policy: [`main_content`] steps
/// into the child that holds most of the text, and pages often set the
/// title, date and opening paragraphs in a sibling above the container of
/// the sections. Taken only when it is the nearest sibling with text, is
/// prose rather than links, and names privacy.
fn intro_before<'a>(
    body: NodeRef<'a, Node>,
    root: NodeRef<'a, Node>,
    stats: &HashMap<NodeId, Stats>,
    dropped: &HashSet<NodeId>,
) -> Option<NodeRef<'a, Node>> {
    let has_text = |n: &NodeRef<Node>| {
        !dropped.contains(&n.id()) && stats.get(&n.id()).is_some_and(|s| s.text > 0)
    };
    let mut node = root;
    while node.id() != body.id() {
        if let Some(sibling) = node.prev_siblings().find(has_text) {
            let s = stats.get(&sibling.id()).copied().unwrap_or_default();
            let intro = element(sibling).is_some_and(is_container)
                && s.prose() >= INTRO_MIN_PROSE
                && s.prose() * 5 >= s.text * 4
                && text_of(sibling).to_lowercase().contains("privacy");
            return intro.then_some(sibling);
        }
        node = node.parent()?;
    }
    None
}

/// The last `<h1>` before the content's first part, when no part holds
/// one: pages often set the policy's title above the container of its text.
fn title_heading_before(
    body: NodeRef<Node>,
    parts: &[NodeRef<Node>],
    dropped: &HashSet<NodeId>,
) -> Option<String> {
    let has_h1 = parts.iter().any(|p| {
        p.descendants()
            .any(|d| element(d).is_some_and(|e| e.name() == "h1"))
    });
    let root = *parts.first()?;
    if has_h1 {
        return None;
    }
    let mut last = None;
    for node in body.descendants() {
        if node.id() == root.id() {
            break;
        }
        if element(node).is_some_and(|e| e.name() == "h1")
            && !node
                .ancestors()
                .chain(std::iter::once(node))
                .any(|a| dropped.contains(&a.id()))
        {
            last = Some(node);
        }
    }
    last.map(text_of).filter(|t| !t.is_empty())
}

/// A list item at least this long (characters of text) may be a
/// container rather than an item: a few hundred words is a section.
const CONTAINER_ITEM_CHARS: usize = 1000;

/// List items under `root` that are containers, not items: sites build
/// whole documents as lists of collapsible sections (`<li>` holding a bold
/// header paragraph and the section's paragraphs). An item with at least
/// two child blocks that hold text, and a section's length, is walked as
/// a block, so its paragraphs are clauses and its bold header a heading,
/// as they would be outside a list.
fn container_items(
    root: NodeRef<Node>,
    dropped: &HashSet<NodeId>,
    stats: &HashMap<NodeId, Stats>,
) -> HashSet<NodeId> {
    let text = |n: NodeRef<Node>| stats.get(&n.id()).map_or(0, |s| s.text);
    root.descendants()
        .filter(|n| element(*n).is_some_and(|e| matches!(e.name(), "li" | "dd")))
        .filter(|n| !dropped.contains(&n.id()) && text(*n) >= CONTAINER_ITEM_CHARS)
        .filter(|item| {
            let blocks = item
                .children()
                .filter(|c| !dropped.contains(&c.id()) && text(*c) > 0)
                .filter(|c| {
                    element(*c).is_some_and(|e| {
                        is_block(e.name()) && !matches!(e.name(), "ul" | "ol" | "dl")
                    })
                })
                .count();
            blocks >= 2
        })
        .map(|n| n.id())
        .collect()
}

/// Which tables under `root` hold data (a row is a clause) rather than
/// layout (cells are containers): no nested tables or headings, more than
/// one column, no cell of page-like length.
fn data_tables(
    root: NodeRef<Node>,
    dropped: &HashSet<NodeId>,
    stats: &HashMap<NodeId, Stats>,
) -> HashSet<NodeId> {
    root.descendants()
        .filter(|n| element(*n).is_some_and(|e| e.name() == "table") && stats.contains_key(&n.id()))
        .filter(|table| {
            let mut columns = 0usize;
            for d in table.descendants().skip(1) {
                if dropped.contains(&d.id()) {
                    continue;
                }
                let Some(e) = element(d) else { continue };
                match e.name() {
                    "table" => return false,
                    name if is_heading(name) => return false,
                    "td" | "th" if stats.get(&d.id()).is_some_and(|s| s.text > 1500) => {
                        return false
                    }
                    "tr" => {
                        let cells = d
                            .children()
                            .filter(|c| {
                                element(*c).is_some_and(|e| matches!(e.name(), "td" | "th"))
                            })
                            .count();
                        columns = columns.max(cells);
                    }
                    _ => {}
                }
            }
            columns >= 2
        })
        .map(|n| n.id())
        .collect()
}

/// The page's `<title>` (not an SVG's).
fn page_title(doc: &Html) -> Option<String> {
    doc.tree
        .root()
        .descendants()
        .filter(|n| element(*n).is_some_and(|e| e.name() == "title"))
        .find(|n| {
            !n.ancestors()
                .any(|a| element(a).is_some_and(|e| e.name() == "svg"))
        })
        .map(text_of)
        .filter(|t| !t.is_empty())
}

/// Elements that start a new line when rendered.
pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "li"
            | "main"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// The open block elements, innermost last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A block boundary: text before and after it are separate blocks.
    Block,
    /// A block element inside a list item or table cell: only a space.
    Inline,
    Heading(u8),
    Item(u8),
    List,
    DataTable,
    Row,
    Cell,
}

/// Walks the content element into blocks.
struct Walker<'t> {
    tables: &'t HashSet<NodeId>,
    /// List items walked as blocks ([`container_items`]).
    containers: &'t HashSet<NodeId>,
    blocks: Vec<Block>,
    ctx: Vec<Ctx>,
    buf: String,
    /// The buffered text outside links (words apart), to tell a sentence
    /// with links from a link bar.
    unlinked: String,
    chars: usize,
    bold_chars: usize,
    link_chars: usize,
    links: usize,
    bold: usize,
    link: usize,
    breaks: u8,
    /// Where the current line (since the last `<br>`) starts in `buf`.
    line_start: usize,
    /// `chars`, `bold_chars` and `link_chars` where the current line starts.
    line_counts: (usize, usize, usize),
    /// Where the current line starts in `unlinked`.
    line_unlinked: usize,
    row: Vec<String>,
    last_heading: u8,
}

impl<'t> Walker<'t> {
    fn new(tables: &'t HashSet<NodeId>, containers: &'t HashSet<NodeId>) -> Self {
        Walker {
            tables,
            containers,
            blocks: Vec::new(),
            ctx: Vec::new(),
            buf: String::new(),
            unlinked: String::new(),
            chars: 0,
            bold_chars: 0,
            link_chars: 0,
            links: 0,
            bold: 0,
            link: 0,
            breaks: 0,
            line_start: 0,
            line_counts: (0, 0, 0),
            line_unlinked: 0,
            row: Vec::new(),
            last_heading: 1,
        }
    }

    fn walk(&mut self, root: NodeRef<Node>, dropped: &HashSet<NodeId>) {
        let mut skipping: Option<NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(text) => self.text(text),
                        Node::Element(el) => {
                            if dropped.contains(&node.id()) {
                                skipping = Some(node.id());
                            } else {
                                self.open(node.id(), el);
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(id) = skipping {
                        if id == node.id() {
                            skipping = None;
                        }
                        continue;
                    }
                    if let Node::Element(el) = node.value() {
                        self.close(el);
                    }
                }
            }
        }
        self.flush();
    }

    fn text(&mut self, text: &str) {
        let n = text.chars().filter(|c| !c.is_whitespace()).count();
        if n == 0 {
            self.buf.push(' ');
            return;
        }
        self.breaks = 0;
        self.buf.push_str(text);
        self.chars += n;
        if self.bold > 0 {
            self.bold_chars += n;
        }
        if self.link > 0 {
            self.link_chars += n;
        } else {
            self.unlinked.push(' ');
            self.unlinked.push_str(text);
            self.unlinked.push(' ');
        }
    }

    fn in_cell(&self) -> bool {
        self.ctx.contains(&Ctx::Cell)
    }

    fn in_item(&self) -> bool {
        matches!(
            self.ctx.iter().rev().find(|c| !matches!(c, Ctx::Inline)),
            Some(Ctx::Item(_))
        )
    }

    fn list_depth(&self) -> u8 {
        let lists = self.ctx.iter().filter(|c| **c == Ctx::List).count();
        u8::try_from(lists).unwrap_or(u8::MAX)
    }

    fn open(&mut self, id: NodeId, el: &Element) {
        let name = el.name();
        match name {
            "b" | "strong" => self.bold += 1,
            "a" => {
                self.link += 1;
                self.links += 1;
                self.unlinked.push(boilerplate::LINK_MARK);
            }
            "br" => return self.line_break(),
            "img" => self.buf.push(' '),
            _ => {}
        }
        if !is_block(name) {
            return;
        }
        self.breaks = 0;
        if self.in_cell() {
            self.buf.push(' ');
            self.ctx.push(Ctx::Inline);
            return;
        }
        let structural = self.ctx.iter().rev().find(|c| **c != Ctx::Inline).copied();
        let ctx = match name {
            "table" if self.tables.contains(&id) => Ctx::DataTable,
            "thead" | "tbody" | "tfoot" if structural == Some(Ctx::DataTable) => {
                self.ctx.push(Ctx::Inline);
                return;
            }
            "tr" if structural == Some(Ctx::DataTable) => {
                self.row.clear();
                Ctx::Row
            }
            "td" | "th" if structural == Some(Ctx::Row) => Ctx::Cell,
            "ul" | "ol" | "dl" => Ctx::List,
            "li" | "dd" if self.containers.contains(&id) => Ctx::Block,
            "li" | "dd" => Ctx::Item(self.list_depth().max(1)),
            name if is_heading(name) => Ctx::Heading(name.as_bytes()[1] - b'0'),
            "p" | "div" | "section" | "blockquote" | "center" | "dt" | "address" | "pre"
                if self.in_item() =>
            {
                self.buf.push(' ');
                self.ctx.push(Ctx::Inline);
                return;
            }
            _ => Ctx::Block,
        };
        self.flush();
        if ctx == Ctx::Cell {
            self.reset();
        }
        self.ctx.push(ctx);
    }

    fn close(&mut self, el: &Element) {
        let name = el.name();
        match name {
            "b" | "strong" => self.bold = self.bold.saturating_sub(1),
            "a" => self.link = self.link.saturating_sub(1),
            _ => {}
        }
        if !is_block(name) {
            return;
        }
        match self.ctx.pop() {
            Some(Ctx::Inline) => self.buf.push(' '),
            Some(Ctx::Cell) => {
                let cell = normalize(&self.buf);
                self.reset();
                if !cell.is_empty() {
                    self.row.push(cell);
                }
            }
            Some(Ctx::Row) => {
                let row = std::mem::take(&mut self.row).join(" | ");
                self.reset();
                self.blocks.push(Block::TableRow(row));
            }
            Some(ctx) => {
                // Close the block as what it was (heading, item), then forget it.
                self.ctx.push(ctx);
                self.flush();
                self.ctx.pop();
            }
            None => self.flush(),
        }
        self.breaks = 0;
    }

    fn line_break(&mut self) {
        if self.in_cell() {
            self.buf.push(' ');
            return;
        }
        self.breaks = self.breaks.saturating_add(1);
        if self.split_bold_line() {
            return;
        }
        let heading = self.bold_heading(&normalize(&self.buf));
        // A long line closed by a sentence end and a break is a paragraph
        // (pages that separate paragraphs by one `<br>`); short lines are
        // addresses and such, kept together.
        let line = self.buf[self.line_start.min(self.buf.len())..].trim_end();
        let sentence_end = line.chars().count() >= 60 && line.ends_with(['.', '!', '?']);
        if self.breaks >= 2 || heading || sentence_end {
            self.flush();
        } else {
            self.buf.push(' ');
            self.line_start = self.buf.len();
            self.line_counts = (self.chars, self.bold_chars, self.link_chars);
            self.line_unlinked = self.unlinked.len();
        }
    }

    /// A bold heading line closing lines of other text (an address, then
    /// `<b>TERMS OF USE</b><br>` on pages that set paragraphs apart by `<br>`
    /// only) is emitted as a heading of its own after the text before it.
    fn split_bold_line(&mut self) -> bool {
        let (chars, bold, link) = self.line_counts;
        let start = self.line_start.min(self.buf.len());
        if start == 0 || self.chars == chars || self.in_item() {
            return false;
        }
        let line_chars = self.chars - chars;
        let line_bold = self.bold_chars - bold;
        if line_bold * 10 < line_chars * 9
            || !boilerplate::heading_shaped(&normalize(&self.buf[start..]))
        {
            return false;
        }
        let inside_heading = self.ctx.iter().any(|c| matches!(c, Ctx::Heading(_)));
        if inside_heading {
            return false;
        }
        let line = self.buf.split_off(start);
        let line_unlinked = self
            .unlinked
            .split_off(self.line_unlinked.min(self.unlinked.len()));
        let line_links = self.link_chars - link;
        (self.chars, self.bold_chars, self.link_chars) = (chars, bold, link);
        self.flush();
        self.buf = line;
        self.unlinked = line_unlinked;
        (self.chars, self.bold_chars, self.link_chars) = (line_chars, line_bold, line_links);
        self.flush();
        true
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.unlinked.clear();
        self.line_start = 0;
        self.line_counts = (0, 0, 0);
        self.line_unlinked = 0;
        self.chars = 0;
        self.bold_chars = 0;
        self.link_chars = 0;
        self.links = 0;
    }

    /// Whether the buffered text is a short, all-bold line acting as a heading.
    fn bold_heading(&self, text: &str) -> bool {
        if self.chars == 0 || self.bold_chars * 10 < self.chars * 9 || self.in_item() {
            return false;
        }
        boilerplate::heading_shaped(text)
    }

    /// Emits the buffered text as a block of the innermost open kind.
    fn flush(&mut self) {
        if self.in_cell() {
            return;
        }
        let text = normalize(&self.buf);
        let unlinked = std::mem::take(&mut self.unlinked);
        let (chars, links, link_chars) = (self.chars, self.links, self.link_chars);
        let bold_heading = self.bold_heading(&text);
        self.reset();
        if text.is_empty()
            || boilerplate::is_control_text(&text)
            || boilerplate::is_copyright_line(&text)
        {
            return;
        }
        let kind = self
            .ctx
            .iter()
            .rev()
            .find(|c| matches!(c, Ctx::Heading(_) | Ctx::Item(_)))
            .copied();
        let block = match kind {
            Some(Ctx::Heading(level)) => {
                self.last_heading = level;
                Block::Heading { level, text }
            }
            _ if boilerplate::is_link_block(&text, &unlinked, chars, link_chars, links) => return,
            Some(Ctx::Item(depth)) => Block::ListItem { depth, text },
            _ if bold_heading => Block::Heading {
                level: (self.last_heading + 1).min(6),
                text,
            },
            _ => Block::Paragraph(text),
        };
        self.blocks.push(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::assert_offsets;

    fn texts(seg: &Segmented) -> Vec<&str> {
        seg.clauses.iter().map(|c| c.text.as_str()).collect()
    }

    const PAGE: &str = r##"<!DOCTYPE html><html><head><title>Privacy Policy | Acme</title>
<style>.x{color:red}</style><script>var tracking = "SCRIPT TEXT";</script></head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header"><a href="/"><img alt="Acme"></a><nav><a href="/">Home</a> <a href="/about">About us</a></nav></header>
<div id="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
<div class="layout">
<aside class="sidebar"><h3>Latest news</h3><ul><li><a href="/1">Acme wins award</a></li><li><a href="/2">Acme opens office</a></li><li><a href="/3">Acme hires</a></li></ul></aside>
<main>
<h1>Privacy Policy</h1>
<p>Last updated: May 1, 2024.</p>
<h2>Information We Collect</h2>
<p>We collect the following information:</p>
<ul><li>Your name and email address.</li><li>Your device identifiers,
   including <b>IP address</b>.</li></ul>
<h3>Cookies</h3>
<p>We use cookies to remember you.<br><br>You may disable them in your browser.</p>
<p><strong>Retention</strong></p>
<p>We keep data for 30 days.</p>
<h2>Partners</h2>
<table><tr><th>Partner</th><th>Purpose</th></tr><tr><td>Google</td><td>Analytics</td></tr></table>
<div class="share-buttons"><a href="https://twitter.com">Tweet</a> <a href="https://facebook.com">Share on Facebook</a></div>
</main>
</div>
<footer><p>© 2024 Acme Inc. All rights reserved.</p><a href="/terms">Terms</a></footer>
</body></html>"##;

    /// A modern privacy page: a menu that opens by a button, accordion
    /// questions in buttons with hidden answers (Radix/Next.js-style
    /// markup), tabs with hidden panels, `<details>`, a "read more" section,
    /// and a cookie dialog opened by a "Cookie settings" button.
    const COLLAPSED: &str = r##"<html><head><title>Privacy Policy</title></head><body>
<header><button aria-expanded="false" aria-controls="site-menu">Menu</button>
<div id="site-menu" hidden><a href="/">Home</a> <a href="/pricing">Pricing</a> <a href="/blog">Blog</a></div></header>
<main>
<h1>Privacy Policy</h1>
<p>This policy explains how Acme handles personal data when you use our services and website.</p>
<h3 data-orientation="vertical"><button type="button" aria-controls="radix-r1" aria-expanded="false" data-state="closed">What data do we collect?</button></h3>
<div data-state="closed" id="radix-r1" hidden role="region"><p>We collect your name, email address and the prompts you submit to our models.</p></div>
<div class="accordion-item"><button class="accordion-trigger" aria-expanded="false">How long do we keep it?</button>
<div class="accordion-panel" aria-hidden="true"><p>We keep account data for as long as your account is open and delete logs after 30 days.</p></div></div>
<div role="tablist"><button role="tab" aria-selected="true" aria-controls="eea">EEA</button><button role="tab" aria-controls="us">United States</button></div>
<div role="tabpanel" id="eea"><p>If you are in the EEA you may ask us to erase your personal data.</p></div>
<div role="tabpanel" id="us" hidden><p>California residents may request to know the categories of personal information we sell.</p></div>
<details><summary>Security</summary><p>We encrypt your data in transit and at rest.</p></details>
<div hidden="until-found"><p>We may update this policy and will notify you by email of material changes.</p></div>
<div class="icon" aria-hidden="true">★</div>
<p>Questions? Write to privacy@acme.example.</p>
</main>
<button aria-controls="cookie-dialog" aria-expanded="false">Cookie settings</button>
<div id="cookie-dialog" role="dialog" aria-modal="true" hidden><h2>Your cookie choices</h2><p>We use cookies to personalise content and ads. You can accept or reject them.</p><button>Accept all</button><button>Reject all</button></div>
</body></html>"##;

    #[test]
    fn collapsed_answers_tabs_and_details_are_kept_with_their_titles() {
        let seg = segment_html(COLLAPSED);
        let all = texts(&seg).join("\n");
        for kept in [
            "We collect your name, email address and the prompts",
            "delete logs after 30 days",
            "ask us to erase your personal data",
            "California residents may request",
            "We encrypt your data",
            "notify you by email of material changes",
            "privacy@acme.example",
        ] {
            assert!(all.contains(kept), "{kept:?} missing from {all}");
        }
        let collect = seg
            .clauses
            .iter()
            .find(|c| c.text.contains("prompts you submit"))
            .unwrap();
        assert_eq!(
            collect.heading_path(),
            "Privacy Policy > What data do we collect?"
        );
        assert_offsets(&seg);
    }

    #[test]
    fn hidden_menus_dialogs_and_icons_stay_out() {
        let seg = segment_html(COLLAPSED);
        let all = texts(&seg).join("\n");
        for dropped in [
            "Pricing",
            "Menu",
            "Cookie settings",
            "Your cookie choices",
            "personalise content and ads",
            "Accept all",
            "★",
            "United States",
        ] {
            assert!(!all.contains(dropped), "{dropped:?} kept in {all}");
        }
    }

    #[test]
    fn hundreds_of_line_breaks_in_a_row_are_one_paragraph_break() {
        let html = format!(
            "<p>We collect your email address to send you news.{}We never sell it to anyone.</p>",
            "<br>".repeat(300)
        );
        let seg = segment_html(&html);
        assert_eq!(
            texts(&seg),
            [
                "We collect your email address to send you news.",
                "We never sell it to anyone."
            ]
        );
    }

    /// The title and opening paragraph in a block beside the container
    /// that holds most of the text are the policy's opening, not left
    /// behind when the walk steps into that container; a sidebar of links
    /// there is not taken.
    #[test]
    fn an_introduction_beside_the_sections_is_kept() {
        let section = |h: &str| {
            format!(
                "<h2>{h}</h2><p>{}</p>",
                "We describe this practice of ours in detail here. ".repeat(30)
            )
        };
        let html = format!(
            "<div id='primary'>\
             <div class='intro'><span>Privacy Policy - Your Privacy Rights</span> <span>Last revised: January 7, 2014</span>\
             <p>Acme respects your privacy. When you use our sites and apps we collect information about you and use it \
             as this Privacy Policy explains, together with how other companies may use it and how to reach us.</p>\
             <p>If we make any material changes to our privacy practices, we will post a revised policy on this page.</p></div>\
             <div class='sections'>{}{}{}</div></div>\
             <div class='links'><a href='/a'>Home</a> <a href='/b'>Word of the day</a></div>",
            section("Information we collect"),
            section("How we use it"),
            section("Your choices")
        );
        let seg = segment_html(&html);
        assert_offsets(&seg);
        let texts = texts(&seg);
        assert!(
            texts[0].starts_with("Privacy Policy - Your Privacy Rights"),
            "{texts:?}"
        );
        assert!(
            texts[1].starts_with("Acme respects your privacy."),
            "{texts:?}"
        );
        assert!(!seg.text.contains("Word of the day"), "{texts:?}");
    }

    /// News sites set the policy beside a right rail of "Most Popular"
    /// teasers, each a headline and a summary sentence that read as prose.
    #[test]
    fn a_right_rail_of_popular_stories_is_furniture() {
        let policy = "We collect the information you give us when you subscribe. ".repeat(8);
        let teaser = |n: u32| {
            format!(
                "<li class='most-popular-article'><a href='/a{n}'><h3>What the Governor's Tenure Has Done to Workers</h3></a>\
                 <p class='dek'>As he prepares for a run, his labor legacy deserves inspection by everyone.</p></li>"
            )
        };
        let html = format!(
            "<div class='content'><h1>Privacy Policy</h1><p>{policy}</p><p>We keep it for a year.</p></div>\
             <div class='right-rail'><div class='most-popular-container'><h2>Most Popular</h2><ul>{}{}{}</ul></div></div>",
            teaser(1),
            teaser(2),
            teaser(3)
        );
        let seg = segment_html(&html);
        assert!(!seg.text.contains("Governor"), "{:?}", texts(&seg));
        assert!(!seg.text.contains("Most Popular"), "{:?}", texts(&seg));
        assert_eq!(texts(&seg).last().copied(), Some("We keep it for a year."));
    }

    #[test]
    fn furniture_is_dropped_and_structure_kept() {
        let seg = segment_html(PAGE);
        assert_offsets(&seg);
        assert_eq!(seg.title.as_deref(), Some("Privacy Policy | Acme"));
        for leak in [
            "SCRIPT",
            "Skip",
            "Home",
            "About us",
            "Accept",
            "improve your experience",
            "Latest news",
            "award",
            "Tweet",
            "Facebook",
            "©",
            "Terms",
            "color",
        ] {
            assert!(
                !seg.text.contains(leak),
                "{leak:?} leaked into {:?}",
                seg.text
            );
        }
        assert_eq!(
            texts(&seg),
            [
                "Last updated: May 1, 2024.",
                "We collect the following information:\n- Your name and email address.\n- Your device identifiers, including IP address.",
                "We use cookies to remember you.",
                "You may disable them in your browser.",
                "We keep data for 30 days.",
                "Partner | Purpose",
                "Google | Analytics",
            ]
        );
        let paths: Vec<_> = seg.clauses.iter().map(|c| c.heading_path()).collect();
        assert_eq!(paths[0], "Privacy Policy");
        assert_eq!(paths[1], "Privacy Policy > Information We Collect");
        assert_eq!(
            paths[2],
            "Privacy Policy > Information We Collect > Cookies"
        );
        assert_eq!(
            paths[4],
            "Privacy Policy > Information We Collect > Cookies > Retention"
        );
        assert_eq!(paths[6], "Privacy Policy > Partners");
    }

    #[test]
    fn policy_sections_named_cookies_are_kept() {
        let html = format!(
            "<body><div id='cookies'><h2>Cookies</h2><p>{}</p><p>To stop cookies, click Accept in the settings.</p></div></body>",
            "We use cookies and similar technologies to run the site. ".repeat(30)
        );
        let seg = segment_html(&html);
        assert!(seg.text.contains("To stop cookies"), "{}", seg.text);
    }

    /// A page with enough policy prose that the sections under test are
    /// small next to it, as real sections are.
    fn page_with(sections: &str) -> String {
        format!(
            "<body><main><h1>Privacy Policy</h1><p>{}</p>{sections}</main></body>",
            "We describe here how we handle the information you give us. ".repeat(40)
        )
    }

    #[test]
    fn cookie_named_sections_without_a_prompt_are_kept() {
        let seg = segment_html(&page_with(concat!(
            "<h4 id='cookies'>Cookies</h4><p>We use cookies to remember you.</p>",
            "<div class='gdpr-notice'><p>We disclose data only to our processors.</p></div>",
            "<h3 id='cookie-consent'>Cookie consent</h3><p>You choose which cookies we set.</p>",
            "<div class='cookie-bar'>We use cookies. <a href='#'>Got it!</a></div>",
            "<div id='cookie-law'>By continuing to browse you agree to our use of cookies.</div>",
        )));
        assert_offsets(&seg);
        for kept in [
            "Cookies",
            "We use cookies to remember you.",
            "We disclose data only to our processors.",
            "Cookie consent",
        ] {
            assert!(seg.text.contains(kept), "{kept:?} missing: {}", seg.text);
        }
        for leak in ["Got it", "By continuing to browse"] {
            assert!(!seg.text.contains(leak), "{leak:?} leaked: {}", seg.text);
        }
        let remember = seg
            .clauses
            .iter()
            .find(|c| c.text == "We use cookies to remember you.")
            .unwrap();
        assert_eq!(remember.heading_path(), "Privacy Policy > Cookies");
    }

    #[test]
    fn sections_whose_id_names_a_topic_are_kept() {
        // As on walmart.com, mlb.com and msn.com (OPP-115): ids made from
        // section titles, holding `share` or `ads`.
        let seg = segment_html(&page_with(concat!(
            "<div class='privacy-block nav-item' id='How Do We Share Your Personal Information?'>",
            "<h2>How Do We Share Your Personal Information?</h2>",
            "<div class='summary'>We will not sell or rent your personal information. ",
            "We may share your personal information in limited circumstances, such as ",
            "to conduct our business, when legally required, or with your consent. ",
            "<a href='#'>Learn More</a></div></div>",
            "<ul><li id='about_our_ads'><em>Network Advertisers</em><p>We allow select third ",
            "parties, such as those who deliver advertisements, to set cookies on our Services.",
            "</p></li></ul>",
            "<div id='pspBingSharingInformationModule'><label>Reasons We Share</label>",
            "<p>We share your personal information with your consent.</p></div>",
            "<h3 id='sharing'>Sharing</h3>",
            "<div id='share-tools'><a href='/t'>Tweet</a> <a href='/f'>Share on Facebook</a></div>",
            "<div id='ad-slot-top'>Advertisement</div>",
            "<div id='login-box'><p>Sign in to your account to see your orders.</p>",
            "<input type='text'><button>Sign in</button></div>",
            "<div id='copyright'>Copyright 2015 Acme Inc. Use of this site constitutes ",
            "acceptance of our terms.</div>",
        )));
        assert_offsets(&seg);
        for kept in [
            "How Do We Share Your Personal Information?",
            "We will not sell or rent your personal information.",
            "Network Advertisers",
            "deliver advertisements",
            "We share your personal information with your consent.",
            "Sharing",
        ] {
            assert!(seg.text.contains(kept), "{kept:?} missing: {}", seg.text);
        }
        for leak in [
            "Tweet",
            "Facebook",
            "Advertisement",
            "orders",
            "constitutes",
        ] {
            assert!(!seg.text.contains(leak), "{leak:?} leaked: {}", seg.text);
        }
    }

    #[test]
    fn sentences_with_links_are_not_navigation() {
        let seg = segment_html(&page_with(concat!(
            "<p>You can:</p><ul><li>ask us <a href='/a'>to correct</a> or ",
            "<a href='/b'>delete your data</a></li></ul>",
            "<p><a href='/'>Home</a> | <a href='/about'>About</a> | <a href='/jobs'>Jobs</a></p>",
        )));
        assert_offsets(&seg);
        assert!(
            seg.clauses
                .iter()
                .any(|c| c.text == "You can:\n- ask us to correct or delete your data"),
            "{:?}",
            texts(&seg)
        );
        assert!(!seg.text.contains("Jobs"), "{}", seg.text);
    }

    #[test]
    fn layout_tables_are_containers() {
        let long = "We describe our practices in detail here. ".repeat(50);
        let html = format!("<table><tr><td><a href='/'>Home</a></td><td><h1>Policy</h1><p>{long}</p><p>Second paragraph.</p></td></tr></table>");
        let seg = segment_html(&html);
        assert_eq!(seg.clauses.len(), 2, "{:?}", texts(&seg));
        assert_eq!(seg.clauses[1].text, "Second paragraph.");
        assert_eq!(seg.title.as_deref(), Some("Policy"));
    }

    /// A page built as a list of collapsible sections: each long item with
    /// a bold header and paragraphs is walked as a section (its header a
    /// heading, its paragraphs clauses), so the terms part can be told from
    /// the privacy part; a list of short items stays a list.
    #[test]
    fn list_items_holding_sections_are_sections() {
        let terms = "You agree to use the service lawfully and not to resell it. ".repeat(12);
        let privacy = "We collect your email address when you register for an account. ".repeat(12);
        let unit = |name: &str, body: &str| {
            format!(
                "<li class='unit collapsible'><div class='unit-title' style='cursor: pointer'><p><strong>{name}</strong></p></div>\
                 <div><p>{body}</p><p>{body}</p></div></li>"
            )
        };
        let html = format!(
            "<h1>User Agreement &amp; Privacy Policy</h1><ul>{}{}</ul>\
             <ul><li>Your name</li><li>Your email address</li></ul>",
            unit("I. Terms of Use", &terms),
            unit("II. Privacy Policy", &privacy)
        );
        let seg = segment_html(&html);
        assert_offsets(&seg);
        assert!(
            seg.clauses.iter().all(|c| !c.text.contains("resell")),
            "the terms section is left out: {:?}",
            texts(&seg)
        );
        let register: Vec<_> = seg
            .clauses
            .iter()
            .filter(|c| c.text.contains("register"))
            .collect();
        assert_eq!(
            register.len(),
            2,
            "one clause per paragraph: {:?}",
            texts(&seg)
        );
        assert!(register
            .iter()
            .all(|c| c.heading.last().map(String::as_str) == Some("II. Privacy Policy")));
        assert!(
            seg.clauses.iter().any(|c| c.text == "- Your name"),
            "{:?}",
            texts(&seg)
        );
    }

    #[test]
    fn bold_line_before_break_is_a_heading() {
        let seg = segment_html("<p><b>Security</b><br>We protect data.</p><p>We keep it.</p>");
        assert_eq!(texts(&seg), ["We protect data.", "We keep it."]);
        assert_eq!(seg.clauses[0].heading, ["Security"]);
    }

    #[test]
    fn bold_line_after_short_lines_is_a_heading() {
        let seg = segment_html(
            "<p>Acme Inc.<br>1 Main St.<br><b>TERMS OF USE</b><br>You agree to these terms.</p>",
        );
        assert_eq!(
            texts(&seg),
            ["Acme Inc. 1 Main St.", "You agree to these terms."]
        );
        assert_eq!(seg.clauses[1].heading, ["TERMS OF USE"]);
    }

    #[test]
    fn pathological_pages_do_not_panic() {
        let deep = "<div>".repeat(20_000) + "deep text" + &"</div>".repeat(20_000);
        let unclosed = "<html><body><p>One<p>Two<ul><li>three<li>four<table><tr><td>five";
        for html in [
            "",
            "   ",
            "<nav><a href='/'>Home</a></nav>",
            "<html><head><title>Only a title</title></head></html>",
            deep.as_str(),
            unclosed,
            "<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>",
            "<li>orphan item</li><td>orphan cell</td><h7>odd</h7><br><br><br>",
            "<svg><title>icon</title></svg><p>text</p>",
            "\u{0}<p>\u{feff}nul</p>",
        ] {
            let seg = segment_html(html);
            assert_offsets(&seg);
        }
        assert!(segment_html("<nav><a href='/'>Home</a></nav>")
            .clauses
            .is_empty());
        assert!(segment_html(&deep).text.contains("deep text"));
        assert_eq!(texts(&segment_html(unclosed))[0], "One");
    }
}
