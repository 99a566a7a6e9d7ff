//! Reading stories back: the newest canonical stories of a slice, each
//! with the other sources that carried it.

use rusqlite::params;

use super::{Store, StoreError};
use crate::model::Slice;

/// A stored item as published, with its source and the other copies.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    /// Row id.
    pub id: i64,
    /// The source's GUID for it.
    pub guid: String,
    /// The link readers follow.
    pub link: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Sanitized summary.
    pub summary_html: Option<String>,
    /// Sanitized full content.
    pub content_html: Option<String>,
    /// Author names.
    pub author: Option<String>,
    /// Image URL.
    pub image: Option<String>,
    /// Unix seconds.
    pub published_at: i64,
    /// Unix seconds of the last change.
    pub updated_at: i64,
    /// Unix seconds syndic first stored it.
    pub first_seen_at: i64,
    /// Language code.
    pub language: Option<String>,
    /// Category slug.
    pub category: String,
    /// Region slug.
    pub region: Option<String>,
    /// Source id.
    pub source_id: String,
    /// Source name, for crediting.
    pub source_name: String,
    /// Source feed URL.
    pub source_url: String,
    /// The story extracted from the article page, sanitized.
    pub full_html: Option<String>,
    /// Plain text of the summary (or content).
    pub text: String,
    /// Other sources that carried the same story.
    pub credits: Vec<Credit>,
    /// The id readers first saw for this story, when another copy was its
    /// canonical row then (see [`StoredItem::public_id`]).
    pub first_id: Option<String>,
    /// The link readers first saw, likewise.
    pub first_link: Option<String>,
}

impl StoredItem {
    /// The story's id in every published format (RSS `guid`, Atom `id`,
    /// JSON `id`): the GUID when it is the link, else a URN of source and
    /// GUID; once published it stays, even when a better copy of the story
    /// replaces this row's content, so that readers never see it twice.
    pub fn public_id(&self) -> String {
        self.first_id.clone().unwrap_or_else(|| own_id(&self.source_id, &self.guid, self.link.as_deref()))
    }

    /// The link readers follow: the first copy's, for the same reason.
    pub fn public_link(&self) -> Option<&str> {
        self.first_link.as_deref().or(self.link.as_deref())
    }
}

/// A row's own public id (see [`StoredItem::public_id`]).
pub(super) fn own_id(source_id: &str, guid: &str, link: Option<&str>) -> String {
    if link == Some(guid) { guid.to_string() } else { format!("syndic:{source_id}:{guid}") }
}

/// Another source's copy of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// Source name.
    pub name: String,
    /// Its link to the story.
    pub link: Option<String>,
}

const ITEM_COLUMNS: &str = "i.id, i.guid, i.link, i.title, i.summary_html, i.content_html, i.author, i.image, i.published_at,
    i.updated_at, i.language, i.category, i.region, i.source_id, s.name, s.url, i.full_html, i.text,
    i.public_id, i.public_link, i.first_seen_at";

impl Store {
    /// The newest `limit` canonical stories of a slice, newest first, each
    /// with the other sources that carried it.
    pub fn feed_items(&self, slice: &Slice, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        let (filter, args) = slice.sql_filter();
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.duplicate_of IS NULL AND {filter} ORDER BY i.published_at DESC, i.id DESC LIMIT ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok(StoredItem {
                id: r.get(0)?,
                guid: r.get(1)?,
                link: r.get(2)?,
                title: r.get(3)?,
                summary_html: r.get(4)?,
                content_html: r.get(5)?,
                author: r.get(6)?,
                image: r.get(7)?,
                published_at: r.get(8)?,
                updated_at: r.get(9)?,
                language: r.get(10)?,
                category: r.get(11)?,
                region: r.get(12)?,
                source_id: r.get(13)?,
                source_name: r.get(14)?,
                source_url: r.get(15)?,
                full_html: r.get(16)?,
                text: r.get(17)?,
                credits: Vec::new(),
                first_id: r.get(18)?,
                first_link: r.get(19)?,
                first_seen_at: r.get(20)?,
            })
        };
        let limit = limit as i64;
        let mut items: Vec<StoredItem> = match args.as_slice() {
            [] => stmt.query_map(params![limit], map)?.collect::<Result<_, _>>()?,
            [a] => stmt.query_map(params![limit, a], map)?.collect::<Result<_, _>>()?,
            [a, b, ..] => stmt.query_map(params![limit, a, b], map)?.collect::<Result<_, _>>()?,
        };
        let mut credits = self.conn.prepare_cached(
            "SELECT s.name, i.link FROM items i JOIN sources s ON s.id = i.source_id WHERE i.duplicate_of = ?1 ORDER BY i.id",
        )?;
        for item in &mut items {
            item.credits = credits.query_map([item.id], |r| Ok(Credit { name: r.get(0)?, link: r.get(1)? }))?.collect::<Result<_, _>>()?;
            item.credits.retain(|c| c.name != item.source_name || c.link != item.link);
        }
        Ok(items)
    }
}
