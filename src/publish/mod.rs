//! Republishing: stored stories to feed bytes, rendered once per change.
//!
//! [`Publisher`] owns a read-only store connection and a cache of rendered
//! feeds keyed by slice and format. A cached feed holds its body, its gzip
//! form (compressed once per render, not per request), a strong `ETag` from
//! the bytes and a `Last-Modified` from the newest change. Ingest reports
//! the slices it touched and [`Publisher::invalidate`] drops just those, so a
//! fetch that changes nothing re-renders nothing.
//!
//! Only the full feed (`items_per_feed` items) is cached: at most one
//! render per configured slice and format. A `?limit=N` below that is
//! rendered for the request and dropped: cached too, every distinct `N` a
//! client made up stayed in memory with its compressed forms (1,200 such
//! requests held 1.27 GB). Readers poll the plain URL; a shorter feed
//! costs its requester a render, not the daemon its memory.

pub mod atom;
pub mod coding;
pub mod export;
pub mod index;
pub mod json;
pub mod layout;
pub mod opml;
pub mod page;
pub mod policy;
pub mod rss;
pub mod status_page;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::config::{Config, Running};
use crate::model::Slice;
use crate::store::slice::Placement;
use crate::store::{Store, StoreError, StoredItem, Touched};
use coding::Coding;

/// Namespace of our own extension elements (credits).
pub const SYNDIC_NAMESPACE: &str = "https://github.com/syndic/syndic/ns/1.0";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RSS 2.0.
    Rss,
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.1.
    Json,
}

impl Format {
    /// Every format, in index order.
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// From a file extension.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "rss" | "xml" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// The `Content-Type` served.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The name shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }
}

/// Channel-level facts every format needs.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// Channel title.
    pub title: String,
    /// Channel description.
    pub description: String,
    /// Our URL for this very feed.
    pub self_url: String,
    /// The portal's front page.
    pub site_url: String,
    /// Channel language.
    pub language: String,
    /// Newest change among the items.
    pub updated: DateTime<Utc>,
    /// Suggested polling interval for readers, in minutes.
    pub ttl_minutes: u64,
    /// WebSub hub, when configured.
    pub hub: Option<String>,
    /// Category slug to its title, for each item's `<category>`.
    pub category_titles: std::collections::HashMap<String, String>,
}

impl FeedMeta {
    /// The title of category `slug` (the slug itself for one no longer
    /// configured).
    pub fn category_title<'a>(&'a self, slug: &'a str) -> &'a str {
        self.category_titles.get(slug).map_or(slug, String::as_str)
    }
}

/// A rendered feed, ready to serve.
#[derive(Debug)]
pub struct Rendered {
    /// The bytes.
    pub body: bytes::Bytes,
    /// The same bytes gzip-compressed, made on first demand.
    gzip: std::sync::OnceLock<bytes::Bytes>,
    /// The same bytes brotli-compressed, made on first demand.
    brotli: std::sync::OnceLock<bytes::Bytes>,
    /// Strong entity tag, quoted.
    pub etag: String,
    /// Newest change, as an HTTP date.
    pub last_modified: std::time::SystemTime,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Number of items.
    pub items: usize,
    /// The response headers a `200` and a `304` share (`ETag`,
    /// `Last-Modified`, `Cache-Control`, `Vary`), built once per render
    /// rather than per request: for the identity, gzip and brotli bodies,
    /// each with its own `ETag` (RFC 9110 §8.8.3).
    pub headers: [axum::http::HeaderMap; 3],
}

impl Rendered {
    /// The shared headers for a response in `coding`.
    pub fn headers_for(&self, coding: Coding) -> &axum::http::HeaderMap {
        &self.headers[coding as usize]
    }

    /// The body gzip-compressed. Compressed when first asked for, not at
    /// render: a feed re-rendered after every commit would otherwise pay
    /// both compressions (brotli's is the slowest part of a render) before
    /// anyone reads it, delaying new items for every reader.
    pub fn gzip(&self) -> bytes::Bytes {
        self.gzip.get_or_init(|| gzip(&self.body).into()).clone()
    }

    /// The body brotli-compressed, made on first demand like [`Rendered::gzip`].
    pub fn brotli(&self) -> bytes::Bytes {
        self.brotli.get_or_init(|| brotli(&self.body).into()).clone()
    }
}

/// Renders and caches feeds.
pub struct Publisher {
    /// The configuration in force (the daemon replaces it on reload).
    running: Arc<Running>,
    reader: Mutex<Store>,
    /// Full-length renders: one per configured slice and format at most.
    cache: RwLock<HashMap<(Slice, Format), Arc<Rendered>>>,
    /// Bumped (under the cache's write lock) by every invalidation: a
    /// render that began before one may have read the database before the
    /// change and must not be cached after it, or the change would stay
    /// invisible until the next one.
    generation: std::sync::atomic::AtomicU64,
    /// Where renders are counted (the publisher does not hand it out).
    metrics: Arc<crate::metrics::Metrics>,
}

impl Publisher {
    /// A publisher reading from the database at `db`.
    pub fn new(running: Arc<Running>, db: &Path, metrics: Arc<crate::metrics::Metrics>) -> Result<Publisher, StoreError> {
        Ok(Publisher {
            running,
            reader: Mutex::new(Store::open_reader(db)?),
            cache: RwLock::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            metrics,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.running.get()
    }

    /// Drops every cached feed after the configuration in force changed
    /// (titles, names and slices may have changed with it).
    pub fn config_changed(&self) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        cache.clear();
        self.metrics.set_render_cache(0);
    }

    /// Drops the cached renders of the touched slices.
    pub fn invalidate(&self, touched: &Touched) {
        if touched.slices.is_empty() {
            return;
        }
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        cache.retain(|(slice, _), _| !touched.slices.contains(slice));
        self.metrics.set_render_cache(cache.len());
    }

    /// Caches a render made from a database read that began at `generation`,
    /// unless an invalidation came since (then it is served, not kept).
    fn keep(&self, key: (Slice, Format), rendered: &Arc<Rendered>, generation: u64) -> bool {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        let current = self.generation.load(std::sync::atomic::Ordering::SeqCst) == generation;
        if current {
            cache.insert(key, Arc::clone(rendered));
            self.metrics.set_render_cache(cache.len());
        }
        current
    }

    /// Every slice that has a feed, in index order.
    pub fn slices(&self) -> Vec<Slice> {
        let config = self.config();
        let mut out = vec![Slice::All, Slice::Partners];
        out.extend(config.categories.iter().map(|c| Slice::Category(c.slug.clone())));
        out.extend(config.regions.iter().map(|r| Slice::Region(r.slug.clone())));
        let mut pairs: Vec<Slice> = Vec::new();
        for s in config.sources.iter().filter(|s| s.enabled) {
            for slice in placements(s).flat_map(|p| Slice::containing(&p)) {
                if matches!(slice, Slice::CategoryRegion(..)) && !pairs.contains(&slice) {
                    pairs.push(slice);
                }
            }
        }
        pairs.sort();
        out.extend(pairs);
        out
    }

    /// The feed for `slice` in `format`, rendered now if not cached;
    /// `None` when no such slice is configured.
    pub fn feed(&self, slice: &Slice, format: Format) -> Result<Option<Arc<Rendered>>, StoreError> {
        self.feed_limited(slice, format, None)
    }

    /// The cached render, if there is one: never touches the database, so
    /// the server can answer from it without leaving the async runtime.
    /// Only full-length feeds are cached (see the module notes).
    pub fn cached(&self, slice: &Slice, format: Format, limit: Option<usize>) -> Option<Arc<Rendered>> {
        let per_feed = self.running.read(|c| c.daemon.items_per_feed);
        if limit.is_some_and(|l| l < per_feed) {
            return None;
        }
        self.cache.read().unwrap_or_else(|p| p.into_inner()).get(&(slice.clone(), format)).cloned()
    }

    /// Renders held in the cache (at most one per slice and format).
    pub fn cached_renders(&self) -> usize {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Like [`Publisher::feed`] with at most `limit` items (never more than
    /// `items_per_feed`; `0` gives a valid feed with no items). Only a
    /// full-length render is cached.
    pub fn feed_limited(&self, slice: &Slice, format: Format, limit: Option<usize>) -> Result<Option<Arc<Rendered>>, StoreError> {
        let config = self.config();
        let limit = limit.unwrap_or(config.daemon.items_per_feed).min(config.daemon.items_per_feed);
        let full = limit == config.daemon.items_per_feed;
        let key = (slice.clone(), format);
        if full && let Some(hit) = self.cache.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(Some(Arc::clone(hit)));
        }
        let Some(title) = slice_title(&config, slice) else { return Ok(None) };
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let mut items = self.reader.lock().unwrap_or_else(|p| p.into_inner()).feed_items(slice, limit)?;
        policy::apply(&config, &mut items);
        let updated = items
            .iter()
            // The feed changed when a story came in or changed, whatever
            // date the story itself carries: a story dated before the newest
            // one must still move `Last-Modified`, or readers that ask with
            // `If-Modified-Since` get 304 and never see it.
            .map(|i| i.updated_at.max(i.published_at).max(i.first_seen_at))
            .max()
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .unwrap_or_else(Utc::now);
        let base = config.daemon.public_url.as_str().trim_end_matches('/').to_string();
        let meta = FeedMeta {
            title: format!("{title} — {}", config.daemon.title),
            description: format!("{title}: новости из всех источников, без повторов"),
            self_url: format!("{base}/feeds/{}.{}", slice.path(), format.extension()),
            site_url: format!("{base}/"),
            language: "ru".into(),
            updated,
            ttl_minutes: (config.daemon.default_interval.as_secs() / 60).max(1),
            hub: config.daemon.websub_hub.as_ref().map(|h| h.to_string()),
            category_titles: config.categories.iter().map(|c| (c.slug.clone(), c.title.clone())).collect(),
        };
        self.metrics.record_render();
        let body = match format {
            Format::Rss => rss::render(&meta, &items),
            Format::Atom => atom::render(&meta, &items),
            Format::Json => json::render(&meta, &items),
        };
        let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body));
        let rendered = Arc::new(Rendered {
            gzip: std::sync::OnceLock::new(),
            brotli: std::sync::OnceLock::new(),
            headers: [Coding::Identity, Coding::Gzip, Coding::Brotli]
                .map(|coding| shared_headers(&coding.etag(&etag), updated.into(), max_age(&config, slice))),
            etag,
            last_modified: updated.into(),
            content_type: format.content_type(),
            items: items.len(),
            body: body.into(),
        });
        if full {
            self.keep(key, &rendered, generation);
        }
        Ok(Some(rendered))
    }
}

/// The validator and caching headers of a rendered feed; `max_age`: the
/// seconds readers and caches may keep it (the shortest poll interval of
/// the sources feeding the slice).
fn shared_headers(etag: &str, modified: std::time::SystemTime, max_age: u64) -> axum::http::HeaderMap {
    use axum::http::{HeaderValue, header};
    let mut headers = axum::http::HeaderMap::with_capacity(8);
    // The etag is hex digits in quotes and the rest ASCII we format: always valid.
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    // The same URL is a page for browsers (see `serve::negotiate`): caches
    // must key on what decides that as well as on the coding.
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    headers
}

/// The request headers that choose the representation of a feed URL: the
/// page or the feed (`serve::negotiate`), and the coding.
pub const VARY: &str = "Accept, Sec-Fetch-Dest, Accept-Encoding";

/// The title of a slice, or `None` when it is not configured.
pub fn slice_title(config: &Config, slice: &Slice) -> Option<String> {
    match slice {
        Slice::All => Some("Все новости".into()),
        Slice::Partners => Some("Новости партнеров".into()),
        Slice::Category(c) => config.category(c).map(|c| c.title.clone()),
        Slice::Region(r) => config.region(r).map(|r| r.title.clone()),
        Slice::CategoryRegion(c, r) => Some(format!("{} — {}", config.category(c)?.title, config.region(r)?.title)),
    }
}

/// Where a source's items can be placed: its category, or any its feed's
/// own categories map to, in its region.
fn placements(s: &crate::config::Source) -> impl Iterator<Item = Placement<'_>> {
    let partner = s.kind == crate::model::SourceKind::Partner;
    std::iter::once(&s.category).chain(s.categories.values()).map(move |c| Placement { category: c, region: s.region.as_deref(), partner })
}

/// The shortest poll interval among the enabled sources that can feed
/// `slice` (the default interval when none does), in seconds.
fn max_age(config: &Config, slice: &Slice) -> u64 {
    config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .filter(|s| placements(s).any(|p| slice.takes(&p)))
        .map(|s| s.interval.as_secs())
        .min()
        .unwrap_or(config.daemon.default_interval.as_secs())
}

/// The description HTML: the summary, then "Также: …" crediting the other
/// sources that carried the story.
pub fn description_html(i: &StoredItem) -> String {
    let mut html = i.summary_html.clone().unwrap_or_default();
    if !i.credits.is_empty() {
        let credits: Vec<String> = i
            .credits
            .iter()
            .map(|c| {
                let name = html_escape::encode_text(&c.name);
                match &c.link {
                    Some(link) => format!("<a href=\"{}\">{name}</a>", html_escape::encode_double_quoted_attribute(link)),
                    None => name.into_owned(),
                }
            })
            .collect();
        html.push_str(&format!("<p>Источник: {}. Также: {}</p>", html_escape::encode_text(&i.source_name), credits.join(", ")));
    }
    html
}

/// A MIME type for an image URL, from its extension.
pub fn image_type(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    match path.rsplit('.').next() {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        _ => "image/jpeg",
    }
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 5);
    let params = ::brotli::enc::BrotliEncoderParams { quality: 9, ..Default::default() };
    // Reading from a slice and writing to a Vec cannot fail.
    ::brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok();
    out
}

/// Level 5 with zlib-rs: a feed is compressed again after every change,
/// and a reader waits for it. On a 385 KB `all.json`, miniz_oxide at the
/// default level 6 took 25 ms (most of the render, and of the freshness
/// latency); zlib-rs takes 9.5 ms at level 6 and 4.2 ms at level 5, whose
/// output is 6 % larger (58.2 KB against 54.6 KB).
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::new(5));
    // Writing to a Vec cannot fail.
    enc.write_all(body).ok();
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_that_began_before_an_invalidation_is_served_but_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("syndic.toml"),
            format!("[daemon]\ndatabase = \"{}\"\nsources = \"sources.toml\"\n", dir.path().join("s.db").display()),
        )
        .unwrap();
        std::fs::write(dir.path().join("sources.toml"), "[[category]]\nslug = \"politics\"\ntitle = \"Политика\"\n").unwrap();
        let config = Arc::new(crate::config::load(&dir.path().join("syndic.toml")).unwrap());
        drop(Store::open(&config.daemon.database).unwrap());
        let publisher =
            Publisher::new(Arc::new(Running::new(Arc::clone(&config))), &config.daemon.database, Arc::new(crate::metrics::Metrics::new()))
                .unwrap();
        let render = publisher.feed(&Slice::All, Format::Rss).unwrap().unwrap();
        let key = (Slice::All, Format::Rss);
        assert!(publisher.cached(&Slice::All, Format::Rss, None).is_some(), "a quiet render is kept");

        // A render reads the database, a commit lands and invalidates,
        // then the render finishes: it must not become the cached answer.
        let before = publisher.generation.load(std::sync::atomic::Ordering::SeqCst);
        let touched = Touched { slices: [Slice::All].into_iter().collect() };
        publisher.invalidate(&touched);
        assert!(!publisher.keep(key.clone(), &render, before), "stale render refused");
        assert!(publisher.cached(&Slice::All, Format::Rss, None).is_none());
        let now = publisher.generation.load(std::sync::atomic::Ordering::SeqCst);
        assert!(publisher.keep(key, &render, now), "a render after the change is kept");
    }

    #[test]
    fn only_full_length_feeds_are_cached() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("syndic.toml"),
            format!("[daemon]\ndatabase = \"{}\"\nsources = \"sources.toml\"\nitems_per_feed = 20\n", dir.path().join("s.db").display()),
        )
        .unwrap();
        std::fs::write(dir.path().join("sources.toml"), "").unwrap();
        let config = Arc::new(crate::config::load(&dir.path().join("syndic.toml")).unwrap());
        drop(Store::open(&config.daemon.database).unwrap());
        let publisher =
            Publisher::new(Arc::new(Running::new(Arc::clone(&config))), &config.daemon.database, Arc::new(crate::metrics::Metrics::new()))
                .unwrap();
        for limit in 0..500 {
            for format in Format::ALL {
                publisher.feed_limited(&Slice::All, format, Some(limit)).unwrap().unwrap();
            }
        }
        // 20 and above are the full feed: one render per format.
        assert_eq!(publisher.cached_renders(), 3);
        assert!(publisher.cached(&Slice::All, Format::Rss, Some(5)).is_none());
        assert!(publisher.cached(&Slice::All, Format::Rss, Some(20)).is_some());
        assert_eq!(publisher.feed_limited(&Slice::All, Format::Json, Some(0)).unwrap().unwrap().items, 0);
    }
}
