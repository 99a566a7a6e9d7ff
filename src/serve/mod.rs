//! The HTTP side: feeds, the index page and health, with axum.
//!
//! Feeds come from the [`Publisher`]'s cache. Every feed response carries a
//! strong `ETag` (one per content coding, see [`encoding`]),
//! `Last-Modified` and `Cache-Control`, answers
//! `If-None-Match`/`If-Modified-Since` with `304`, and sends the brotli or
//! gzip body when the client accepts it. `HEAD` is answered like `GET`
//! without a body. Unknown paths and slices are `404`; a database failure
//! while rendering is a `503` with a short reason, logged in full.
//!
//! A plain `GET`/`HEAD` of a feed already rendered is answered by [`Front`]
//! before the router: it is nearly all of the traffic, and axum's
//! middleware and extractors were most of the per-request cost
//! (`bench/serve`: 0.86× nginx through the router, 1.26–1.29× without).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;

pub mod admin;
pub mod conn;
pub mod encoding;
pub mod negotiate;
pub mod pages;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use tower::ServiceExt as _;

use crate::model::Slice;
use crate::publish::{Format, Publisher, Rendered};

/// Shared state of the HTTP handlers.
pub struct AppState {
    /// Feeds and their cache.
    pub publisher: Arc<Publisher>,
    /// The writer connection (`/healthz` checks that it is free).
    pub store: Arc<std::sync::Mutex<crate::store::Store>>,
    /// A reading connection for the status pages: they never wait for the
    /// writer to finish a group (the writer itself when the store has no
    /// file).
    pub states: Arc<std::sync::Mutex<crate::store::Store>>,
    /// Every metric the daemon exports.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The configuration in force and the last reload's rejection.
    pub running: Arc<crate::config::Running>,
    /// Unix time of the scheduler's last tick (0 before the first).
    pub last_tick: Arc<std::sync::atomic::AtomicI64>,
    /// The database file and the last commit.
    pub health: Arc<crate::store::health::Health>,
    /// The shared store, when this node is one of several.
    pub cluster: Option<Arc<crate::cluster::Node>>,
}

/// What answers every request: a feed already rendered straight from the
/// publisher's cache, anything else through the [`router`].
///
/// Cached feeds are nearly all of the traffic (readers polling, mostly for
/// a `304`); answering them here skips the router's middleware, path and
/// query extraction and per-request allocations. Same headers, same
/// metrics, same conditional and encoding rules as the routed handler.
#[derive(Clone)]
pub struct Front {
    state: Arc<AppState>,
    router: Router,
}

/// Where a request goes after the cache was asked.
enum Next {
    Answered(Response),
    Route(Router, Request<hyper::body::Incoming>),
}

impl Front {
    /// The front for `state`, with its router.
    pub fn new(state: Arc<AppState>) -> Front {
        Front { router: router(Arc::clone(&state)), state }
    }

    /// Answers one request from `peer`.
    pub fn call(
        &self,
        mut request: Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> impl Future<Output = Result<Response, Infallible>> + Send + use<> {
        let next = match self.cached_feed(&request) {
            Some(response) => Next::Answered(response),
            None => {
                request.extensions_mut().insert(ConnectInfo(peer));
                Next::Route(self.router.clone(), request)
            }
        };
        async move {
            match next {
                Next::Answered(response) => Ok(response),
                Next::Route(router, request) => router.oneshot(request).await,
            }
        }
    }

    /// The response to a plain `GET`/`HEAD` of a cached feed; `None` for
    /// anything else (a query, an escaped path, a feed not rendered yet).
    fn cached_feed<B>(&self, request: &Request<B>) -> Option<Response> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) || request.uri().query().is_some() {
            return None;
        }
        let path = request.uri().path().strip_prefix("/feeds/")?;
        if path.contains('%') {
            return None;
        }
        let (slice, format) = parse_feed_path(path)?;
        if format != Format::Json && negotiate::wants_page(request.headers()) {
            return None;
        }
        let hit = self.state.publisher.cached(&slice, format, None)?;
        let response = respond(&hit, request.headers());
        self.state.metrics.record_request("feed", response.status().as_u16());
        Some(response)
    }
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/feeds/{*path}", get(feed))
        .route("/feeds.opml", get(feeds_opml))
        .route("/feed-page.js", get(pages::script))
        .route("/healthz", get(healthz))
        .merge(
            Router::new()
                .route("/sources.opml", get(sources_opml))
                .route("/status", get(status_html))
                .route("/status.json", get(status_json))
                .route("/metrics", get(metrics))
                .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), admin_only)),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), count_requests))
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
        [c, r] if slug_ok(c) && slug_ok(r) => Slice::CategoryRegion((*c).to_string(), (*r).to_string()),
        [c] if slug_ok(c) => Slice::Category((*c).to_string()),
        _ => return None,
    };
    Some((slice, format))
}

/// `?limit=N` of a feed request: `Ok(None)` without one; other parameters
/// (a reader's `utm_source`, a cache buster) are ignored. A limit that is
/// no whole number is the client's error, said in words.
fn feed_limit(query: Option<&str>) -> Result<Option<usize>, String> {
    let Some(query) = query else { return Ok(None) };
    let mut limit = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == "limit" {
            let n =
                value.trim().parse::<usize>().map_err(|_| format!("limit must be a whole number of items (0 or more), not {value:?}\n"))?;
            limit = Some(n);
        }
    }
    Ok(limit)
}

async fn feed(State(state): State<Arc<AppState>>, Path(path): Path<String>, RawQuery(query): RawQuery, request: Request) -> Response {
    // The request's own headers, borrowed: a `HeaderMap` extractor copies them.
    let headers = request.headers();
    let Some((slice, format)) = parse_feed_path(&path) else {
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    let limit = match feed_limit(query.as_deref()) {
        Ok(limit) => limit,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    if format != Format::Json && negotiate::wants_page(headers) {
        let publisher = Arc::clone(&state.publisher);
        let request_headers = headers.clone();
        let page = tokio::task::spawn_blocking(move || {
            let rendered = publisher.feed_limited(&slice, format, limit)?;
            Ok::<_, crate::store::StoreError>(rendered.map(|r| {
                pages::respond(&publisher.config(), &slice, format, &r, &request_headers).unwrap_or_else(|| respond(&r, &request_headers))
            }))
        })
        .await;
        return match page {
            Ok(Ok(Some(response))) => response,
            Ok(Ok(None)) => (StatusCode::NOT_FOUND, "no such feed\n").into_response(),
            Ok(Err(e)) => {
                tracing::error!(path = %path, error = %e, "rendering a feed page failed");
                (StatusCode::SERVICE_UNAVAILABLE, "feed temporarily unavailable\n").into_response()
            }
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
        };
    }
    if let Some(hit) = state.publisher.cached(&slice, format, limit) {
        return respond(&hit, headers);
    }
    let publisher = Arc::clone(&state.publisher);
    let rendered = tokio::task::spawn_blocking(move || publisher.feed_limited(&slice, format, limit)).await;
    match rendered {
        Ok(Ok(Some(r))) => respond(&r, headers),
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
    let coding = encoding::choose(req);
    let shared = r.headers_for(coding);
    let etag = shared.get(header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let unchanged = not_modified(r, etag, req);
    let mut headers = shared.clone();
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    let body = match coding {
        encoding::Coding::Brotli => r.brotli(),
        encoding::Coding::Gzip => r.gzip(),
        encoding::Coding::Identity => r.body.clone(),
    };
    if let Some(token) = coding.token() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    (StatusCode::OK, headers, body).into_response()
}

/// RFC 9110 §13.2.2: `If-None-Match` wins; `If-Modified-Since` only
/// without it. `etag`: the tag of the coding being served.
fn not_modified(r: &Rendered, etag: &str, req: &HeaderMap) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == etag);
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

async fn index(State(state): State<Arc<AppState>>) -> Response {
    let publisher = Arc::clone(&state.publisher);
    match tokio::task::spawn_blocking(move || crate::publish::index::render(&publisher)).await {
        Ok(Ok(html)) => pages::html(html),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "rendering the index failed");
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable\n").into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
    }
}

/// `/metrics`, `/status*` and `/sources.opml` are for admins (see [`admin`]).
async fn admin_only(State(state): State<Arc<AppState>>, request: Request, next: axum::middleware::Next) -> Response {
    let config = state.running.get();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if admin::allowed(&config.daemon, peer, request.headers(), request.uri().query()) {
        next.run(request).await
    } else {
        (StatusCode::FORBIDDEN, "forbidden: admin pages need a loopback client or the admin token\n").into_response()
    }
}

async fn count_requests(State(state): State<Arc<AppState>>, request: Request, next: axum::middleware::Next) -> Response {
    let route = crate::metrics::route_of(request.uri().path());
    let response = next.run(request).await;
    state.metrics.record_request(route, response.status().as_u16());
    response
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode()).into_response()
}

/// 200 when the database file is the one opened, its last commit went
/// through, it is writable, the scheduler ticked in the last 30 s and the
/// last static export into `publish_dir` (if set) went through; 503 with
/// the reason otherwise.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let tick = state.last_tick.load(std::sync::atomic::Ordering::Relaxed);
    let age = chrono::Utc::now().timestamp() - tick;
    if tick > 0 && age > 30 {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("scheduler stalled: last tick {age} s ago\n")).into_response();
    }
    state.health.check_file();
    if let Some(problem) = state.health.problem() {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{problem}\n")).into_response();
    }
    let writable = match state.store.try_lock() {
        Ok(store) => store.writable(),
        // Busy writing: writable by definition.
        Err(std::sync::TryLockError::WouldBlock) => true,
        Err(std::sync::TryLockError::Poisoned(_)) => false,
    };
    if !writable {
        return (StatusCode::SERVICE_UNAVAILABLE, "database is not writable\n").into_response();
    }
    if let Some(problem) = export_problem(&state) {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{problem}\n")).into_response();
    }
    (StatusCode::OK, "ok\n").into_response()
}

/// Why the last static export into `daemon.publish_dir` failed, if it did.
fn export_problem(state: &AppState) -> Option<String> {
    state.running.get().daemon.publish_dir.as_deref().and_then(crate::publish::export::problem)
}

async fn status_rows(state: &Arc<AppState>) -> Result<Vec<crate::status::SourceStatus>, Response> {
    let config = state.running.get();
    let store = Arc::clone(&state.states);
    match tokio::task::spawn_blocking(move || crate::status::collect(&config, &store.lock().unwrap_or_else(|p| p.into_inner()))).await {
        Ok(Ok(mut rows)) => {
            let metrics = &state.metrics;
            for row in &mut rows {
                // Only while the stored state says the source is failing: a
                // one-shot `syndic fetch` may have fixed it since.
                row.last_error_kind = row.state.last_error.as_ref().and(metrics.last_error_kind(&row.id));
            }
            Ok(rows)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "status query failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "status temporarily unavailable\n").into_response())
        }
        Err(_) => Err((StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()),
    }
}

async fn status_html(State(state): State<Arc<AppState>>) -> Response {
    match status_rows(&state).await {
        Ok(rows) => {
            let config = state.running.get();
            let export = export_problem(&state);
            let shared = state.cluster.as_ref().map(|n| n.view().line());
            pages::html(crate::publish::status_page::html(
                &rows,
                crate::publish::status_page::Problems {
                    config: state.running.error().as_deref(),
                    database: state.health.problem().as_deref(),
                    export: export.as_deref(),
                    shared: shared.as_deref(),
                },
                &config,
            ))
        }
        Err(r) => r,
    }
}

async fn status_json(State(state): State<Arc<AppState>>) -> Response {
    match status_rows(&state).await {
        Ok(rows) => {
            let body = serde_json::json!({
                "config_error": state.running.error(),
                "database_error": state.health.problem(),
                "export_error": export_problem(&state),
                "shared_store": state.cluster.as_ref().map(|n| n.view()),
                "sources": rows
            });
            ([(header::CONTENT_TYPE, "application/json")], serde_json::to_vec_pretty(&body).unwrap_or_default()).into_response()
        }
        Err(r) => r,
    }
}

/// Our feeds as OPML, served as a file to save and import (a browser
/// would otherwise show it as text).
async fn feeds_opml(State(state): State<Arc<AppState>>) -> Response {
    let config = state.running.get();
    let body = crate::publish::opml::feeds(&config, &state.publisher.slices());
    (pages::opml_download(&config, "feeds"), body).into_response()
}

async fn sources_opml(State(state): State<Arc<AppState>>) -> Response {
    let config = state.running.get();
    let body = crate::publish::opml::sources(&config);
    (pages::opml_download(&config, "sources"), body).into_response()
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
            ("politics/almaty.atom", Some((Slice::CategoryRegion("politics".into(), "almaty".into()), Format::Atom))),
            ("all.json", Some((Slice::All, Format::Json))),
            ("Politics.rss", None),
        ];
        for (path, want) in cases {
            assert_eq!(parse_feed_path(path), want, "{path}");
        }
    }
}
