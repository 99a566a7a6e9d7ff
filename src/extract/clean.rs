//! Cutting the chrome out of an article and writing what is left as HTML.
//!
//! A [`Cut`] knows which elements of a parsed page to leave out: the admin's
//! `remove` selectors, tags that never belong in a story (scripts, forms,
//! menus), elements whose class or id names them as chrome (`share-bar`,
//! `partners`, `banner`…), blocks that announce themselves in their first
//! words («Читайте также», «Новости партнеров», «Реклама»), close buttons
//! (a lone "×") and the headline itself (readers show the title already).
//! Serializing is iterative, so a hostile page nested a million levels deep
//! cannot exhaust the stack.

use std::collections::HashSet;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

use crate::normalize::text;

/// Tags dropped with everything inside them.
const DROP_TAGS: &[&str] = &[
    "script", "style", "noscript", "iframe", "object", "embed", "form", "button", "input", "select", "textarea", "nav", "aside", "footer",
    "svg", "template", "dialog", "canvas", "link", "meta", "title", "head",
];

/// Words in a class or id that mark page chrome.
const CHROME_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "banner",
    "advert",
    "advertisement",
    "ad",
    "ads",
    "adv",
    "promo",
    "related",
    "partner",
    "partners",
    "subscribe",
    "subscription",
    "comments",
    "breadcrumb",
    "breadcrumbs",
    "menu",
    "nav",
    "navbar",
    "sidebar",
    "popup",
    "modal",
    "cookie",
    "smi2",
    "recommend",
    "recommended",
    "readmore",
    "tags",
    "author-box",
];

/// First words of blocks that are not the story (lower case).
const CHROME_OPENERS: &[&str] = &[
    "читайте также",
    "читайте по теме",
    "читайте нас",
    "смотрите также",
    "по теме:",
    "новости партнеров",
    "новости партнёров",
    "реклама",
    "подписывайтесь",
    "подпишитесь",
    "сондай-ақ оқыңыз",
    "тағы оқыңыз",
    "серіктестер жаңалықтары",
    "жарнама",
    "read also",
    "read more",
    "advertisement",
];

/// Blocks longer than this are never dropped for their first words: a story
/// paragraph may start with «Реклама…».
const OPENER_MAX_CHARS: usize = 400;

/// Nodes read to judge a block by its first words; blocks with more are
/// not short announcements.
const HEAD_NODES: usize = 64;

/// Close buttons and similar single glyphs.
const GLYPHS: &[&str] = &["×", "✕", "✖", "╳", "x", "X"];

/// Elements without end tags.
const VOID: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];

/// The set of elements of one page that are left out.
pub struct Cut {
    removed: HashSet<NodeId>,
}

impl Cut {
    /// Decides what to leave out of `doc`: `remove` selectors, built-in
    /// chrome, and the first heading that repeats `title`.
    pub fn new(doc: &Html, remove: &[Selector], title: Option<&str>) -> Cut {
        let mut removed: HashSet<NodeId> = remove.iter().flat_map(|s| doc.select(s)).map(|e| e.id()).collect();
        let title = title.map(|t| text::collapse(t).to_lowercase());
        let mut headline_dropped = false;
        for node in doc.tree.nodes() {
            let Some(el) = ElementRef::wrap(node) else { continue };
            let name = el.value().name();
            if DROP_TAGS.contains(&name) || is_chrome(el) {
                removed.insert(el.id());
                continue;
            }
            if !headline_dropped
                && matches!(name, "h1" | "h2")
                && let Some(t) = &title
                && text::collapse(&el.text().collect::<String>()).to_lowercase() == *t
            {
                removed.insert(el.id());
                headline_dropped = true;
            }
        }
        Cut { removed }
    }

    /// `root` and what is inside it, as HTML, without the cut elements.
    /// (`root` itself is never cut: the admin asked for it.)
    pub fn serialize(&self, root: ElementRef<'_>) -> String {
        let mut out = String::new();
        let mut skipping: Option<NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    if node.id() != root.id() && self.removed.contains(&node.id()) {
                        skipping = Some(node.id());
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) if !GLYPHS.contains(&t.trim()) => out.push_str(&html_escape::encode_text(&**t)),
                        Node::Element(e) => open_tag(&mut out, e),
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if skipping == Some(node.id()) {
                        skipping = None;
                        continue;
                    }
                    if skipping.is_none()
                        && let Node::Element(e) = node.value()
                        && !VOID.contains(&e.name())
                    {
                        out.push_str("</");
                        out.push_str(e.name());
                        out.push('>');
                    }
                }
            }
        }
        out
    }
}

/// Writes an element's start tag; lazy-loaded images get their real source.
fn open_tag(out: &mut String, e: &scraper::node::Element) {
    let name = e.name();
    out.push('<');
    out.push_str(name);
    let lazy =
        (name == "img").then(|| ["data-src", "data-lazy-src", "data-original", "data-full-src"].iter().find_map(|a| e.attr(a))).flatten();
    for (attr, value) in e.attrs() {
        if attr == "src" && lazy.is_some() {
            continue;
        }
        push_attr(out, attr, value);
    }
    if let Some(src) = lazy {
        push_attr(out, "src", src);
    }
    out.push('>');
}

fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    out.push_str(&html_escape::encode_double_quoted_attribute(value));
    out.push('"');
}

/// Whether an element is chrome by its class/id words, its first words,
/// or being a lone close glyph.
fn is_chrome(el: ElementRef<'_>) -> bool {
    let e = el.value();
    if matches!(e.name(), "html" | "body" | "main" | "article") {
        return false;
    }
    let names = e.attr("class").into_iter().chain(e.attr("id")).chain(e.attr("role"));
    for name in names {
        for word in name.split(|c: char| c.is_whitespace() || c == '-' || c == '_') {
            if CHROME_WORDS.contains(&word.to_ascii_lowercase().as_str()) {
                return true;
            }
        }
    }
    if e.attr("aria-hidden") == Some("true") || e.attr("hidden").is_some() {
        return true;
    }
    if !matches!(e.name(), "p" | "div" | "section" | "ul" | "ol" | "span" | "strong" | "b" | "a" | "h2" | "h3" | "h4" | "li") {
        return false;
    }
    // Judged on the first text inside, read from a bounded number of nodes:
    // a page nested a hundred thousand deep must not make this quadratic.
    let mut head = String::new();
    let mut complete = true;
    for (seen, node) in el.descendants().enumerate() {
        if seen >= HEAD_NODES || head.len() > OPENER_MAX_CHARS * 4 {
            complete = false;
            break;
        }
        if let Node::Text(t) = node.value() {
            head.push_str(t);
        }
    }
    let head = text::collapse(&head);
    if complete && GLYPHS.contains(&head.as_str()) {
        return true;
    }
    let lower = head.to_lowercase();
    complete && head.chars().count() <= OPENER_MAX_CHARS && CHROME_OPENERS.iter().any(|o| lower.starts_with(o))
}

/// The elements most likely to hold the story, scored by the text of their
/// direct `<p>` children, as CSS selectors an admin can paste.
pub fn candidates(doc: &Html, n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, String)> = Vec::new();
    for node in doc.tree.nodes() {
        let Some(el) = ElementRef::wrap(node) else { continue };
        if !matches!(el.value().name(), "div" | "article" | "section" | "main" | "td") {
            continue;
        }
        let score: usize = el
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| c.value().name() == "p")
            .map(|p| p.text().map(|t| t.trim().chars().count()).sum::<usize>())
            .sum();
        if score > 0 {
            scored.push((score, css_path(el)));
        }
    }
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut seen = HashSet::new();
    scored.into_iter().map(|(_, css)| css).filter(|c| seen.insert(c.clone())).take(n).collect()
}

/// `tag#id`, else `tag.class.class`, else the tag.
fn css_path(el: ElementRef<'_>) -> String {
    let e = el.value();
    let name = e.name();
    if let Some(id) = e.id().filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        return format!("{name}#{id}");
    }
    let classes: Vec<&str> = e.classes().filter(|c| c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')).collect();
    if classes.is_empty() { name.to_string() } else { format!("{name}.{}", classes.join(".")) }
}
