//! Page or feed: who is asking for `/feeds/*.rss` and `.atom`.
//!
//! A person who clicks a feed link should see a page they can read (and
//! learn how to subscribe); a feed reader must get the XML, byte for byte
//! what it always got. Both ask for the same URL, so the request decides.
//!
//! Why not an XSL stylesheet (`<?xml-stylesheet type="text/xsl"?>`): Chrome
//! disables XSLT from version 155 (blink-dev "Intent to Deprecate and
//! Remove: XSLT", 2025: deprecate in M143, remove in M155), and Gecko and
//! WebKit have said they will follow. A stylesheet would have shown a page
//! only in the browsers that still run XSLT and raw XML (or a download) in
//! the most used one, and it would have changed the bytes every reader
//! gets. The Chromium on the build machine (148) still ran XSLT when this
//! was decided; the browsers readers use no longer do.
//!
//! The rule: a browser *navigating* to the feed gets the page. Navigations
//! carry `Sec-Fetch-Dest: document` (Chrome 80+, Firefox 90+, Safari 16.4+,
//! sent to HTTPS and loopback origins), and every browser's navigation
//! `Accept` ranks `text/html` above `application/xml`
//! (`text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8`).
//! So: the page when `text/html` (or XHTML) is ranked strictly above every
//! feed or XML type the request names and `Sec-Fetch-Dest`, when present,
//! is `document`. Readers name feed types first (feedparser, FreshRSS's
//! SimplePie, which lists `text/html;q=0.7`), tie HTML with them (Miniflux
//! sends `application/xml, …, text/html, */*;q=0.9`: a tie is not a
//! preference), send `*/*` (curl, newsboat) or nothing: all get XML. A
//! script's `fetch()` says `Sec-Fetch-Dest: empty` and gets XML too.
//!
//! Responses say `Vary: Accept, Sec-Fetch-Dest, Accept-Encoding` ([`VARY`]),
//! and the page has an entity tag of its own, so that no cache hands a
//! page to a reader or answers a page's `If-None-Match` with the feed.

use axum::http::{HeaderMap, header};

pub use crate::publish::VARY;

/// Media types that mean "the feed itself" when a request names them.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
];

/// Media types of a page.
const PAGE_TYPES: &[&str] = &["text/html", "application/xhtml+xml"];

/// Whether this request should get the human page rather than the feed.
pub fn wants_page(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-dest").is_some_and(|dest| !dest.as_bytes().eq_ignore_ascii_case(b"document")) {
        return false;
    }
    // Every reader's poll comes through here (`serve::Front`): no allocation.
    let mut page = 0.0_f32;
    let mut feed = 0.0_f32;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { return false };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1.0), |(_, v)| v.trim().parse::<f32>().ok())
                .unwrap_or(0.0)
                .clamp(0.0, 1.0);
            let is = |types: &[&str]| types.iter().any(|t| t.eq_ignore_ascii_case(media));
            if is(PAGE_TYPES) {
                page = page.max(q);
            } else if is(FEED_TYPES) {
                feed = feed.max(q);
            }
        }
    }
    page > 0.0 && page > feed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accept headers as browsers and readers send them (browsers' for a
    /// navigation; readers' from their sources).
    #[test]
    fn browsers_get_the_page_and_readers_the_feed() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let safari = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let feedparser = "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1";
        let miniflux =
            "application/xml, application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, text/html, */*;q=0.9";
        let freshrss = "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1, application/unknown;q=0.1, */*;q=0.1";
        let table: &[(&str, Option<&str>, Option<&str>, bool)] = &[
            ("Chrome, https", Some(chrome), Some("document"), true),
            ("Chrome, plain http (no Sec-Fetch-*)", Some(chrome), None, true),
            ("Firefox", Some(firefox), Some("document"), true),
            ("Safari", Some(safari), Some("document"), true),
            ("Chrome in an iframe", Some(chrome), Some("iframe"), false),
            ("fetch() from a page", Some("*/*"), Some("empty"), false),
            ("fetch() asking for HTML", Some("text/html"), Some("empty"), false),
            ("feedparser", Some(feedparser), None, false),
            ("Miniflux (a tie is not a preference)", Some(miniflux), None, false),
            ("FreshRSS / SimplePie", Some(freshrss), None, false),
            ("newsboat / curl", Some("*/*"), None, false),
            ("no Accept (Feedly, Thunderbird, wget)", None, None, false),
            ("HTML refused", Some("text/html;q=0, */*"), None, false),
            ("q without a number", Some("text/html;q=x, application/xml"), None, false),
            ("upper-case", Some("TEXT/HTML, application/xml;Q=0.5"), Some("Document"), true),
        ];
        for (who, accept, dest, want) in table {
            let mut headers = HeaderMap::new();
            if let Some(a) = accept {
                headers.insert(header::ACCEPT, a.parse().unwrap());
            }
            if let Some(d) = dest {
                headers.insert("sec-fetch-dest", d.parse().unwrap());
            }
            assert_eq!(wants_page(&headers), *want, "{who}");
        }
    }
}
