//! The shared nouns of the pipeline.
//!
//! `Entry` is what the parse stage hands over: one feed entry adapted from
//! whatever format it came in, with no feed-rs type leaking past `parse`.
//! `Item` is what the normalize stage produces and the store keeps: clean text,
//! sanitized HTML, canonical link and a UTC date. Everything downstream of
//! `normalize` sees only `Item`.

use chrono::{DateTime, Utc};

/// Whether a source is one of the portal's own regional feeds or a partner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A regional newsroom of the portal itself.
    Regional,
    /// A partner site whose stories are republished with credit.
    Partner,
}

impl SourceKind {
    /// The word used in the database and in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Regional => "regional",
            SourceKind::Partner => "partner",
        }
    }

    /// Reads the word written by [`SourceKind::as_str`].
    pub fn parse(s: &str) -> Option<SourceKind> {
        match s {
            "regional" => Some(SourceKind::Regional),
            "partner" => Some(SourceKind::Partner),
            _ => None,
        }
    }
}

/// One feed entry as parsed, before any cleaning.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// The entry's own id (`<guid>`, `<id>`), if it carried one.
    pub guid: Option<String>,
    /// The entry's main link, already resolved against the feed's base URL.
    pub link: Option<String>,
    /// Title as found (may contain entities or markup).
    pub title: Option<String>,
    /// Summary or description, HTML or text.
    pub summary: Option<String>,
    /// Full content (`content:encoded`, Atom `<content>`), HTML or text.
    pub content: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// The feed's own category terms for this entry.
    pub categories: Vec<String>,
    /// Publication date when the parser could read one.
    pub published: Option<DateTime<Utc>>,
    /// Last update date when given.
    pub updated: Option<DateTime<Utc>>,
    /// An image (enclosure or media content) URL.
    pub image: Option<String>,
}

/// A normalized item, ready for deduplication and storage.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// Id of the source that delivered it.
    pub source_id: String,
    /// Stable per-source key: the entry's GUID, else its canonical link.
    pub guid: String,
    /// The link readers follow (tracking parameters removed).
    pub link: Option<String>,
    /// The match key for "same page": scheme and `www.` folded, query sorted.
    pub canonical_link: Option<String>,
    /// Plain-text title, entities decoded, whitespace collapsed.
    pub title: String,
    /// Sanitized summary HTML.
    pub summary_html: Option<String>,
    /// Sanitized full content HTML, when the feed carried it.
    pub content_html: Option<String>,
    /// Plain text of the summary (or content), for matching and search.
    pub text: String,
    /// Author names joined with ", ".
    pub author: Option<String>,
    /// Absolute image URL.
    pub image: Option<String>,
    /// Publication time in UTC (first-seen time when the feed gave none).
    pub published_at: DateTime<Utc>,
    /// `ru`, `kk` or `en`, when the text says.
    pub language: Option<String>,
    /// Category slug.
    pub category: String,
    /// Region slug.
    pub region: Option<String>,
    /// Hash of the normalized title and text, `None` when too short to trust.
    pub content_hash: Option<i64>,
    /// Whether the feed gave no usable date (`published_at` is first-seen
    /// time, and the article page may know better).
    pub date_guessed: bool,
    /// Whether the story's article page should be fetched for full text.
    pub wants_full_text: bool,
}

#[cfg(test)]
impl Item {
    /// A plain Russian item `n` of `source`, published now (store tests).
    pub(crate) fn sample(source: &str, n: usize, title: &str, text: &str) -> Item {
        Item {
            source_id: source.into(),
            guid: format!("{source}-{n}"),
            link: Some(format!("https://{source}.kz/news/{n}")),
            canonical_link: Some(format!("https://{source}.kz/news/{n}")),
            title: title.into(),
            summary_html: None,
            content_html: None,
            text: text.into(),
            author: None,
            image: None,
            published_at: chrono::Utc::now(),
            language: Some("ru".into()),
            category: "politics".into(),
            region: None,
            content_hash: None,
            date_guessed: false,
            wants_full_text: false,
        }
    }
}

/// A subset of the stored stories that is published as one feed. Which
/// stories it holds is defined once, in `store::slice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slice {
    /// Every story.
    All,
    /// Stories in one category (through any of their copies).
    Category(String),
    /// Stories from one region.
    Region(String),
    /// Stories from partner sources.
    Partners,
    /// Stories in one category from one region.
    CategoryRegion(String, String),
}

impl Slice {
    /// The feed's path stem under `/feeds/`: `all`, `politics`, `region/almaty`, `partners`.
    pub fn path(&self) -> String {
        match self {
            Slice::All => "all".into(),
            Slice::Category(c) => c.clone(),
            Slice::Region(r) => format!("region/{r}"),
            Slice::Partners => "partners".into(),
            Slice::CategoryRegion(c, r) => format!("{c}/{r}"),
        }
    }
}
