//! Full text from article pages, for sources that opt in with `full_text`.
//!
//! Two modes. A **selector** rule (`full_text = { selector = "div.article",
//! remove = [".banner"] }`) takes the elements the admin named, minus the
//! ones listed in `remove`. **Auto** (`full_text = "auto"`) lets
//! `dom_smoothie` (a port of Mozilla's Readability) find the story by text
//! density. Both then pass through the same cleanup: scripts, forms, menus,
//! share bars and blocks that announce themselves as chrome («Читайте
//! также», «Новости партнеров», a lone "×") are dropped, lazy-loaded images
//! get their real `src`, and the result is sanitized like every other piece
//! of upstream HTML (relative URLs made absolute against the page).
//!
//! Page metadata ([`meta`]) is read in both modes: headline, lead, `og:image`,
//! publication date and author from `<meta>` tags and JSON-LD.
//! [`health`] turns extraction outcomes into breakage alerts; the runner
//! that fetches pages for new items is `pipeline::enrich`, and the rule
//! itself ([`Rule`]) is part of the configuration.

pub mod clean;
pub mod health;
pub mod meta;

use chrono::{DateTime, Utc};
use scraper::Html;
use url::Url;

use crate::config::Rule;
use crate::normalize::html::Sanitizer;
use crate::normalize::text;

/// What an article page gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The headline (`og:title`, else the page's `<h1>`, else `<title>`).
    pub title: Option<String>,
    /// The lead / standfirst (`og:description` or `<meta name=description>`).
    pub lead: Option<String>,
    /// The story as sanitized HTML: lead paragraph, body, inline images.
    pub html: String,
    /// The story as plain text.
    pub text: String,
    /// Characters of `text`.
    pub chars: usize,
    /// `og:image` (absolute).
    pub image: Option<String>,
    /// `article:published_time` or JSON-LD `datePublished`.
    pub published: Option<DateTime<Utc>>,
    /// `<meta name=author>` or JSON-LD `author`.
    pub author: Option<String>,
}

/// Why a page gave no story.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The configured selector matched no element.
    #[error("selector {0:?} matched nothing on the page (site redesign?)")]
    NoMatch(String),
    /// Something matched but held (almost) no text.
    #[error("extracted only {0} characters of text")]
    TooShort(usize),
    /// Auto mode found no readable story.
    #[error("no article found on the page: {0}")]
    Unreadable(String),
}

impl ExtractError {
    /// A short stable word for metrics labels and the database.
    pub fn kind(&self) -> &'static str {
        match self {
            ExtractError::NoMatch(_) => "no_match",
            ExtractError::TooShort(_) => "too_short",
            ExtractError::Unreadable(_) => "unreadable",
        }
    }
}

/// Less text than this is not a story (a caption, a paywall stub).
pub const MIN_CHARS: usize = 80;

/// Extracts the story from an article page at `url`. `tz` reads dates
/// that carry no offset.
pub fn extract(html: &str, url: &Url, rule: &Rule, tz: chrono_tz::Tz) -> Result<Extracted, ExtractError> {
    // html5ever checks the stack of open elements for every start tag: a
    // page nested tens of thousands deep costs it quadratic time. Such
    // pages are refused before parsing, on a linear estimate.
    let depth = nesting_estimate(html);
    if depth > MAX_DEPTH {
        return Err(ExtractError::Unreadable(format!("page nested about {depth} levels deep (limit {MAX_DEPTH}): refused")));
    }
    let doc = Html::parse_document(html);
    let meta = meta::read(&doc, url, tz);
    let body = match rule {
        Rule::Selector { css, selector, remove, .. } => {
            let roots: Vec<_> = doc.select(selector).collect();
            if roots.is_empty() {
                return Err(ExtractError::NoMatch(css.clone()));
            }
            let cut = clean::Cut::new(&doc, remove, meta.title.as_deref());
            roots.iter().map(|r| cut.serialize(*r)).collect::<String>()
        }
        Rule::Auto => {
            // Readability's scoring walks ancestors per node: a hostile page
            // nested thousands deep would take minutes. Real articles are a
            // few dozen levels deep.
            let (depth, elements) = shape(&doc);
            if depth > MAX_AUTO_DEPTH || elements > MAX_AUTO_ELEMENTS {
                return Err(ExtractError::Unreadable(format!(
                    "page too complex for auto mode ({elements} elements, {depth} levels deep); configure a selector"
                )));
            }
            let config = dom_smoothie::Config { max_elements_to_parse: MAX_AUTO_ELEMENTS, ..Default::default() };
            let mut readability = dom_smoothie::Readability::new(html, Some(url.as_str()), Some(config))
                .map_err(|e| ExtractError::Unreadable(e.to_string()))?;
            let article = readability.parse().map_err(|e| ExtractError::Unreadable(e.to_string()))?;
            // Readability keeps what is dense with text; the same cleanup
            // as selector mode then drops chrome it let through.
            let fragment = Html::parse_fragment(&article.content);
            let cut = clean::Cut::new(&fragment, &[], meta.title.as_deref());
            cut.serialize(fragment.root_element())
        }
    };
    let html = Sanitizer::new(url).clean(&body).unwrap_or_default();
    let text = text::html_to_text(&html);
    let chars = text.chars().count();
    if chars < MIN_CHARS {
        return Err(ExtractError::TooShort(chars));
    }
    Ok(Extracted {
        title: meta.title,
        lead: meta.lead,
        html,
        text,
        chars,
        image: meta.image,
        published: meta.published,
        author: meta.author,
    })
}

/// Deepest nesting accepted before parsing (estimated).
const MAX_DEPTH: usize = 1024;

/// Deepest nesting auto mode accepts.
const MAX_AUTO_DEPTH: usize = 256;

/// Elements that never take an end tag.
const VOID: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param", "!doctype"];

/// The deepest nesting of start tags over end tags, reading tag names only
/// (void elements, comments and self-closed tags do not nest). Unclosed
/// `<p>` or `<li>` make it an over-estimate on real pages by a few levels.
pub fn nesting_estimate(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = bytes[start..].iter().take(16).take_while(|b| b.is_ascii_alphanumeric() || **b == b'!').count();
        if len == 0 || bytes[start..].starts_with(b"!--") {
            continue;
        }
        let name = html[start..start + len].to_ascii_lowercase();
        if closing {
            depth = depth.saturating_sub(1);
        } else if !VOID.contains(&name.as_str()) && !name.starts_with('!') {
            let end = bytes[start..].iter().position(|&b| b == b'>').map_or(bytes.len(), |p| start + p);
            if end > 0 && bytes.get(end - 1) != Some(&b'/') {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

/// Most elements auto mode accepts (a long article page has 2–5 thousand).
const MAX_AUTO_ELEMENTS: usize = 50_000;

/// Nesting depth and element count, in one pass.
fn shape(doc: &Html) -> (usize, usize) {
    let (mut depth, mut max, mut elements) = (0usize, 0usize, 0usize);
    for edge in doc.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) if n.value().is_element() => {
                elements += 1;
                depth += 1;
                max = max.max(depth);
            }
            ego_tree::iter::Edge::Close(n) if n.value().is_element() => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (max, elements)
}

/// The elements on a page most likely to hold its story, as CSS paths,
/// best first: offered when a selector matches nothing.
pub fn suggest(html: &str, n: usize) -> Vec<String> {
    clean::candidates(&Html::parse_document(html), n)
}

#[cfg(test)]
mod tests;
