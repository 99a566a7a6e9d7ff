//! JSON Feed 1.1 rendering with serde_json.
//!
//! Per item: `id`, `url`, `title`, `content_html` (full content, else the
//! summary with credits), `summary`, `image`, `date_published`,
//! `date_modified`, `authors`, `tags`, `language`, and a `_syndic`
//! extension (the spec's way to extend) naming the origin source and the
//! other sources that carried the story.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Value, json};

use super::FeedMeta;
use crate::store::StoredItem;

/// Renders the feed as UTF-8 JSON bytes.
pub fn render(meta: &FeedMeta, items: &[StoredItem]) -> Vec<u8> {
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.site_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": meta.language,
        "items": items.iter().map(|i| item(meta, i)).collect::<Vec<_>>(),
    });
    if let Some(hub) = &meta.hub {
        feed["hubs"] = json!([{ "type": "WebSub", "url": hub }]);
    }
    serde_json::to_vec_pretty(&feed).unwrap_or_default()
}

fn rfc3339(t: i64) -> String {
    DateTime::from_timestamp(t, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn item(meta: &FeedMeta, i: &StoredItem) -> Value {
    let description = super::description_html(i);
    let mut v = json!({
        "id": i.public_id(),
        "title": i.title,
        "content_html": i.content_html.clone().unwrap_or_else(|| description.clone()),
        "date_published": rfc3339(i.published_at),
        "date_modified": rfc3339(i.updated_at.max(i.published_at)),
        "tags": [meta.category_title(&i.category)],
        "_syndic": {
            "source": { "name": i.source_name, "feed_url": i.source_url },
            "also_reported_by": i.credits.iter().map(|c| json!({ "name": c.name, "url": c.link })).collect::<Vec<_>>(),
        },
    });
    if let Some(link) = i.public_link() {
        v["url"] = json!(link);
    }
    if i.content_html.is_some() && !description.is_empty() {
        v["summary"] = json!(crate::normalize::text::html_to_text(&description));
    }
    if let Some(image) = &i.image {
        v["image"] = json!(image);
    }
    if let Some(author) = &i.author {
        v["authors"] = json!([{ "name": author }]);
    }
    if let Some(language) = &i.language {
        v["language"] = json!(language);
    }
    v
}
