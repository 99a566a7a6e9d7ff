//! Article metadata from a page's `<head>` and JSON-LD: what fills the gaps
//! a feed leaves (no image, no date, no author).
//!
//! Order of evidence: Open Graph / `article:` properties, then schema.org
//! JSON-LD (`NewsArticle`, `Article`, … anywhere in the document, `@graph`
//! included), then plain `<meta name=…>`, then the page's own `<h1>`.

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use crate::normalize::{date, text, url as urls};

/// What the page says about its article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMeta {
    /// Headline.
    pub title: Option<String>,
    /// Lead / description.
    pub lead: Option<String>,
    /// Lead image, absolute.
    pub image: Option<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Author names.
    pub author: Option<String>,
}

fn selector(css: &str) -> Selector {
    // The selectors here are constants, checked by the tests.
    Selector::parse(css).unwrap_or_else(|_| unreachable!("bad built-in selector {css}"))
}

/// Reads the metadata of a parsed page at `base`.
pub fn read(doc: &Html, base: &Url, tz: chrono_tz::Tz) -> PageMeta {
    let metas = selector("meta[content]");
    let mut m = PageMeta::default();
    let mut published_raw: Option<String> = None;
    let mut meta_author: Option<String> = None;
    let mut description: Option<String> = None;
    for el in doc.select(&metas) {
        let e = el.value();
        let key = e.attr("property").or_else(|| e.attr("name")).or_else(|| e.attr("itemprop")).unwrap_or_default().to_ascii_lowercase();
        let Some(content) = e.attr("content").map(str::trim).filter(|c| !c.is_empty()) else { continue };
        match key.as_str() {
            "og:title" => m.title = m.title.take().or_else(|| Some(text::clean(content))),
            "og:description" => m.lead = m.lead.take().or_else(|| Some(text::clean(content))),
            "description" => description = description.or_else(|| Some(text::clean(content))),
            "og:image" | "og:image:url" | "og:image:secure_url" | "twitter:image" => {
                m.image = m.image.take().or_else(|| urls::clean(content, Some(base)).map(String::from));
            }
            "article:published_time" | "datepublished" | "pubdate" | "date" => {
                published_raw = published_raw.or_else(|| Some(content.to_string()));
            }
            "author" | "article:author" if !content.starts_with("http") => {
                meta_author = meta_author.or_else(|| Some(text::clean(content)));
            }
            _ => {}
        }
    }
    let ld = json_ld(doc);
    m.lead = m.lead.or(description);
    m.published = published_raw.or(ld.published).and_then(|d| date::parse(&d, tz));
    m.author = ld.author.or(meta_author).filter(|a| !a.is_empty());
    m.image = m.image.or_else(|| ld.image.and_then(|i| urls::clean(&i, Some(base)).map(String::from)));
    m.title = m.title.or(ld.headline).or_else(|| first_text(doc, "h1")).or_else(|| first_text(doc, "title"));
    m
}

fn first_text(doc: &Html, css: &str) -> Option<String> {
    doc.select(&selector(css)).next().map(|e| text::collapse(&e.text().collect::<String>())).filter(|t| !t.is_empty())
}

#[derive(Default)]
struct LinkedData {
    headline: Option<String>,
    published: Option<String>,
    author: Option<String>,
    image: Option<String>,
}

/// The first article object in the page's JSON-LD blocks.
fn json_ld(doc: &Html) -> LinkedData {
    let scripts = selector(r#"script[type="application/ld+json"]"#);
    let mut out = LinkedData::default();
    for script in doc.select(&scripts) {
        let raw: String = script.text().collect();
        let Ok(value) = serde_json::from_str::<Value>(raw.trim()) else { continue };
        if let Some(article) = find_article(&value, 0) {
            out.headline = article.get("headline").and_then(Value::as_str).map(text::clean);
            out.published = article.get("datePublished").and_then(Value::as_str).map(str::to_string);
            out.author = article.get("author").and_then(names);
            out.image = article.get("image").and_then(image_url);
            return out;
        }
    }
    out
}

const ARTICLE_TYPES: &[&str] = &["NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle", "WebPage"];

/// Depth-first search for an object whose `@type` is an article type.
fn find_article(v: &Value, depth: usize) -> Option<&serde_json::Map<String, Value>> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Object(o) => {
            let typed = match o.get("@type") {
                Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(|t| ARTICLE_TYPES.contains(&t)),
                _ => false,
            };
            if typed && o.contains_key("datePublished") | o.contains_key("headline") {
                return Some(o);
            }
            o.get("@graph").and_then(|g| find_article(g, depth + 1))
        }
        Value::Array(a) => a.iter().find_map(|x| find_article(x, depth + 1)),
        _ => None,
    }
}

/// `"Name"`, `{"name": "Name"}` or a list of either, joined with ", ".
fn names(v: &Value) -> Option<String> {
    let list: Vec<String> = match v {
        Value::String(s) => vec![text::clean(s)],
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(text::clean).into_iter().collect(),
        Value::Array(a) => a.iter().filter_map(names).collect(),
        _ => vec![],
    };
    let joined = list.into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>().join(", ");
    (!joined.is_empty()).then_some(joined)
}

/// `"url"`, `{"url": "…"}` or the first of a list.
fn image_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("url").and_then(Value::as_str).map(str::to_string),
        Value::Array(a) => a.iter().find_map(image_url),
        _ => None,
    }
}
