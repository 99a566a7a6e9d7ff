//! RSS 2.0 rendering with the `rss` crate.
//!
//! One channel per slice: `atom:link rel="self"`, `<language>`, and per item
//! the title (safe to read as HTML, see [`title`]), link, a stable `<guid>` (`isPermaLink="true"` only when it is
//! the link), an RFC 2822 `pubDate`, the sanitized description with the
//! "also reported by" credits, `content:encoded` when there is full content,
//! the category, `<source url>` naming the origin feed, `dc:creator` and
//! `dc:language`, and the image as an enclosure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rss::extension::Extension;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;

use super::FeedMeta;
use crate::store::StoredItem;

/// Renders the channel as UTF-8 XML bytes.
pub fn render(meta: &FeedMeta, items: &[StoredItem]) -> Vec<u8> {
    let mut channel = rss::Channel {
        title: meta.title.clone(),
        link: meta.site_url.clone(),
        description: meta.description.clone(),
        language: Some(meta.language.clone()),
        generator: Some(format!("syndic {}", env!("CARGO_PKG_VERSION"))),
        last_build_date: Some(rfc2822(meta.updated)),
        ttl: Some(meta.ttl_minutes.to_string()),
        items: items.iter().map(|i| item(meta, i)).collect(),
        ..Default::default()
    };
    let self_link =
        Link { href: meta.self_url.clone(), rel: "self".into(), mime_type: Some("application/rss+xml".into()), ..Default::default() };
    channel.atom_ext = Some(AtomExtension { links: vec![self_link] });
    channel.namespaces = BTreeMap::from([
        ("atom".to_string(), rss::extension::atom::NAMESPACE.to_string()),
        ("dc".to_string(), rss::extension::dublincore::NAMESPACE.to_string()),
        ("content".to_string(), "http://purl.org/rss/1.0/modules/content/".to_string()),
        ("syndic".to_string(), super::SYNDIC_NAMESPACE.to_string()),
    ]);
    let mut out = Vec::with_capacity(1024 + items.len() * 1024);
    // Writing to a Vec cannot fail.
    channel.write_to(&mut out).ok();
    out
}

fn item(meta: &FeedMeta, i: &StoredItem) -> rss::Item {
    let id = i.public_id();
    let guid_is_link = i.public_link() == Some(id.as_str());
    let dc = DublinCoreExtension {
        creators: i.author.iter().cloned().collect(),
        languages: i.language.iter().cloned().collect(),
        ..Default::default()
    };
    rss::Item {
        title: Some(title(&i.title)),
        link: i.public_link().map(str::to_string),
        description: Some(super::description_html(i)),
        content: i.content_html.clone(),
        guid: Some(rss::Guid { value: id, permalink: guid_is_link }),
        pub_date: Some(rfc2822(DateTime::from_timestamp(i.published_at, 0).unwrap_or_default())),
        categories: vec![rss::Category { name: meta.category_title(&i.category).to_string(), domain: None }],
        source: Some(rss::Source { url: i.source_url.clone(), title: Some(i.source_name.clone()) }),
        enclosure: i.image.as_ref().map(|url| rss::Enclosure {
            url: url.clone(),
            length: "0".into(),
            mime_type: super::image_type(url).into(),
        }),
        dublin_core_ext: Some(dc),
        extensions: credits(i),
        ..Default::default()
    }
}

/// The plain-text title as an RSS title. RSS never said whether a title is
/// text or HTML, and many readers (syndic itself, on input) render it as
/// HTML after the XML decode: a title whose text is `<img onerror=…>` must
/// not become that element. Its `<` is escaped once more (`&amp;lt;` in the
/// XML), so that no `<` is left after one decode; `&` is left alone, so
/// that `AT&T` reads the same to readers of either kind.
fn title(text: &str) -> String {
    text.replace('<', "&lt;")
}

/// `<syndic:alsoReportedBy url="…">Name</syndic:alsoReportedBy>` per other
/// source that carried the story: machine-readable credits for readers and
/// portals (RSS allows one `<source>`, the origin's).
fn credits(i: &StoredItem) -> rss::extension::ExtensionMap {
    let also: Vec<Extension> = i
        .credits
        .iter()
        .map(|c| Extension {
            name: "syndic:alsoReportedBy".into(),
            value: Some(c.name.clone()),
            attrs: c.link.iter().map(|l| ("url".to_string(), l.clone())).collect(),
            children: BTreeMap::new(),
        })
        .collect();
    if also.is_empty() {
        return BTreeMap::new();
    }
    BTreeMap::from([("syndic".to_string(), BTreeMap::from([("alsoReportedBy".to_string(), also)]))])
}

fn rfc2822(d: DateTime<Utc>) -> String {
    d.to_rfc2822()
}
