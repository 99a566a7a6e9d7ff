//! Atom 1.0 rendering with `atom_syndication`.
//!
//! `rel="self"` and `rel="alternate"` links on the feed; per entry a
//! stable `id` (a `tag:`-free URN when the source gave no permalink),
//! `published` and `updated` in RFC 3339, an HTML `summary` with credits,
//! HTML `content` when there is full text, the category, the author, the
//! image as an enclosure link, and `<source>` naming the origin feed.

use atom_syndication::{Category, Content, Entry, Feed, Link, Person, Source, Text};
use chrono::{DateTime, FixedOffset, Utc};

use super::FeedMeta;
use crate::store::StoredItem;

/// Renders the feed as UTF-8 XML bytes.
pub fn render(meta: &FeedMeta, items: &[StoredItem]) -> Vec<u8> {
    let feed = Feed {
        title: Text::plain(meta.title.clone()),
        id: meta.self_url.clone(),
        updated: fixed(meta.updated),
        subtitle: Some(Text::plain(meta.description.clone())),
        lang: Some(meta.language.clone()),
        links: vec![link(&meta.self_url, "self", "application/atom+xml"), link(&meta.site_url, "alternate", "text/html")]
            .into_iter()
            .chain(meta.hub.iter().map(|h| link(h, "hub", "")))
            .collect(),
        generator: Some(atom_syndication::Generator { value: "syndic".into(), version: Some(env!("CARGO_PKG_VERSION").into()), uri: None }),
        entries: items.iter().map(|i| entry(meta, i)).collect(),
        ..Default::default()
    };
    // Writing to a Vec cannot fail.
    feed.write_to(Vec::with_capacity(1024 + items.len() * 1024)).unwrap_or_default()
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link { href: href.to_string(), rel: rel.to_string(), mime_type: Some(mime.to_string()).filter(|m| !m.is_empty()), ..Default::default() }
}

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

fn entry(meta: &FeedMeta, i: &StoredItem) -> Entry {
    let mut links: Vec<Link> = i.public_link().iter().map(|l| link(l, "alternate", "text/html")).collect();
    if let Some(image) = &i.image {
        links.push(link(image, "enclosure", super::image_type(image)));
    }
    // atom_syndication has no `xml:lang` on `<entry>`: the item's language
    // goes on the elements that hold its text.
    let lang = i.language.clone();
    let html = |value: String| Text { value, r#type: atom_syndication::TextType::Html, lang: lang.clone(), ..Default::default() };
    Entry {
        title: Text { lang: lang.clone(), ..Text::plain(i.title.clone()) },
        id: i.public_id(),
        updated: fixed(DateTime::from_timestamp(i.updated_at.max(i.published_at), 0).unwrap_or_default()),
        published: Some(fixed(DateTime::from_timestamp(i.published_at, 0).unwrap_or_default())),
        authors: i.author.iter().map(|a| Person { name: a.clone(), ..Default::default() }).collect(),
        categories: vec![Category {
            term: i.category.clone(),
            label: Some(meta.category_title(&i.category).to_string()),
            ..Default::default()
        }],
        links,
        summary: Some(html(super::description_html(i))),
        content: i.content_html.as_ref().map(|c| Content {
            value: Some(c.clone()),
            content_type: Some("html".into()),
            lang: lang.clone(),
            ..Default::default()
        }),
        source: Some(Source {
            title: Text::plain(i.source_name.clone()),
            id: i.source_url.clone(),
            updated: fixed(DateTime::from_timestamp(i.updated_at, 0).unwrap_or_default()),
            links: vec![link(&i.source_url, "self", "")],
            ..Default::default()
        }),
        ..Default::default()
    }
}
