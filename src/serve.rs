//! The HTTP side: feeds, the index page and health, with axum.
//!
//! Feeds come from the [`Publisher`]'s cache. Every feed response carries a
//! strong `ETag`, `Last-Modified` and `Cache-Control`, answers
//! `If-None-Match`/`If-Modified-Since` with `304`, and sends the pre-built
//! gzip body when the client accepts it. `HEAD` is answered like `GET`
//! without a body. Unknown paths and slices are `404`; a database failure
//! while rendering is a `503` with a short reason, logged in full.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::model::Slice;
use crate::publish::{Format, Publisher, Rendered, slice_title};

/// Shared state of the HTTP handlers.
pub struct AppState {
    /// Feeds and their cache.
    pub publisher: Arc<Publisher>,
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/feeds/{*path}", get(feed))
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}

/// `all.rss` → (All, Rss); `region/almaty.rss` → (Region, Rss).
pub fn parse_feed_path(path: &str) -> Option<(Slice, Format)> {
    let (stem, ext) = path.rsplit_once('.')?;
    let format = Format::from_extension(ext)?;
    let slug_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let slice = match stem.split('/').collect::<Vec<_>>().as_slice() {
        ["all"] => Slice::All,
        ["partners"] => Slice::Partners,
        ["region", r] if slug_ok(r) => Slice::Region((*r).to_string()),
        [c] if slug_ok(c) => Slice::Category((*c).to_string()),
        _ => return None,
    };
    Some((slice, format))
}

async fn feed(State(state): State<Arc<AppState>>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some((slice, format)) = parse_feed_path(&path) else {
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    let publisher = Arc::clone(&state.publisher);
    let rendered = tokio::task::spawn_blocking(move || publisher.feed(&slice, format)).await;
    match rendered {
        Ok(Ok(Some(r))) => respond(&r, &headers),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "no such feed\n").into_response(),
        Ok(Err(e)) => {
            tracing::error!(path = %path, error = %e, "rendering a feed failed");
            (StatusCode::SERVICE_UNAVAILABLE, "feed temporarily unavailable\n").into_response()
        }
        Err(e) => {
            tracing::error!(path = %path, error = %e, "rendering task failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

fn respond(r: &Rendered, req: &HeaderMap) -> Response {
    let mut headers = HeaderMap::new();
    let etag = HeaderValue::from_str(&r.etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let last_modified = httpdate::fmt_http_date(r.last_modified);
    headers.insert(header::ETAG, etag);
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if not_modified(r, req) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    if accepts_gzip(req) {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        (StatusCode::OK, headers, r.gzip.clone()).into_response()
    } else {
        (StatusCode::OK, headers, r.body.clone()).into_response()
    }
}

/// RFC 9110 §13.2.2: `If-None-Match` wins; `If-Modified-Since` only
/// without it.
fn not_modified(r: &Rendered, req: &HeaderMap) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == r.etag);
    }
    if let Some(since) = req.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).and_then(|v| httpdate::parse_http_date(v).ok()) {
        let modified = truncate_to_seconds(r.last_modified);
        return modified <= since;
    }
    false
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|coding| {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q_zero = parts.any(|p| matches!(p.trim().strip_prefix("q="), Some(q) if q.trim().parse::<f32>().is_ok_and(|q| q == 0.0)));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
    })
}

async fn index(State(state): State<Arc<AppState>>) -> Html<String> {
    let config = state.publisher.config();
    let base = config.daemon.public_url.as_str().trim_end_matches('/').to_string();
    let mut links = String::new();
    let mut rows = String::new();
    for slice in state.publisher.slices() {
        let title = slice_title(&config, &slice).unwrap_or_default();
        let title = html_escape::encode_text(&title);
        let href = format!("{base}/feeds/{}.rss", slice.path());
        let href = html_escape::encode_double_quoted_attribute(&href);
        links.push_str(&format!("<link rel=\"alternate\" type=\"application/rss+xml\" title=\"{title}\" href=\"{href}\">\n"));
        rows.push_str(&format!("<li><a href=\"{href}\">{title}</a> <code>{href}</code></li>\n"));
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>syndic — ленты новостей</title>\n{links}</head>\n\
         <body><h1>Ленты новостей</h1><p>Подпишитесь в любом RSS-ридере:</p><ul>\n{rows}</ul></body></html>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_paths() {
        let cases = [
            ("all.rss", Some((Slice::All, Format::Rss))),
            ("politics.rss", Some((Slice::Category("politics".into()), Format::Rss))),
            ("region/almaty-oblast.rss", Some((Slice::Region("almaty-oblast".into()), Format::Rss))),
            ("partners.rss", Some((Slice::Partners, Format::Rss))),
            ("../etc/passwd.rss", None),
            ("politics", None),
            ("politics.exe", None),
            ("a/b/c.rss", None),
            ("Politics.rss", None),
        ];
        for (path, want) in cases {
            assert_eq!(parse_feed_path(path), want, "{path}");
        }
    }

    #[test]
    fn accept_encoding() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br")));
        assert!(accepts_gzip(&h("br;q=1.0, gzip;q=0.8")));
        assert!(!accepts_gzip(&h("gzip;q=0")));
        assert!(!accepts_gzip(&h("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
