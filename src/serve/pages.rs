//! Serving the human side of a feed URL: the page a browser gets instead
//! of the XML ([`negotiate`](super::negotiate) decides), its script, and
//! the headers every HTML page carries.
//!
//! The page is made from the rendered feed on request (a browser visit is
//! rare next to readers' polls, and a render is a millisecond), with its
//! own entity tag: the feed's tag plus `-page` and a hash of the zone the
//! dates are shown in, so a `304` is never given for the other
//! representation, and a new zone is a new page. `Last-Modified`,
//! `Cache-Control` and `Vary` are the feed's.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::model::Slice;
use crate::publish::layout::CSP;
use crate::publish::page::{self, PageInput};
use crate::publish::{Format, Rendered};

/// The copy button's script, served at `/feed-page.js`.
pub const SCRIPT: &str = include_str!("../publish/page.js");

/// The page of `rendered` (the feed of `slice` in `format`), answered like
/// the feed: `304` on a matching `If-None-Match`/`If-Modified-Since`.
/// `None` when the feed cannot be shown as a page (JSON Feed).
pub fn respond(config: &Config, slice: &Slice, format: Format, rendered: &Rendered, request: &HeaderMap) -> Option<Response> {
    if format == Format::Json {
        return None;
    }
    let tz = config.daemon.timezone;
    let etag = format!("{}-page-{:08x}\"", rendered.etag.trim_end_matches('"'), xxhash_rust::xxh3::xxh3_64(tz.name().as_bytes()) as u32);
    let mut headers = rendered.headers_for(super::encoding::Coding::Identity).clone();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if super::not_modified(rendered, &etag, request) {
        return Some((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let base = config.daemon.public_url.as_str().trim_end_matches('/');
    let url = |f: Format| format!("{base}/feeds/{}.{}", slice.path(), f.extension());
    let alternates: Vec<(Format, String)> = Format::ALL.iter().map(|&f| (f, url(f))).collect();
    let self_url = url(format);
    let home = format!("{base}/");
    let input = PageInput {
        feed: &rendered.body,
        format,
        self_url: &self_url,
        alternates: &alternates,
        home: &home,
        portal: &config.daemon.title,
        tz,
    };
    let html = page::render(&input)?;
    html_headers(&mut headers);
    Some((StatusCode::OK, headers, html).into_response())
}

/// `Content-Type`, CSP and no-sniff for an HTML page.
pub fn html_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// An HTML page with [`html_headers`].
pub fn html(body: String) -> Response {
    let mut headers = HeaderMap::new();
    html_headers(&mut headers);
    (StatusCode::OK, headers, body).into_response()
}

/// `/feed-page.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// `Content-Disposition` for an OPML file named after the portal's host
/// (`news.example.kz-feeds.opml`), so that a click saves it for import.
pub fn opml_download(config: &Config, stem: &str) -> [(header::HeaderName, String); 2] {
    let host = config.daemon.public_url.host_str().unwrap_or("syndic");
    let name: String =
        format!("{host}-{stem}.opml").chars().map(|c| if c.is_ascii_alphanumeric() || "-._".contains(c) { c } else { '-' }).collect();
    [
        (header::CONTENT_TYPE, "text/x-opml; charset=utf-8".to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ]
}
