//! The HTTP client: one GET per poll, conditional when we can, bounded always.
//!
//! Politeness and safety live here, not in callers: the configured
//! User-Agent, `If-None-Match`/`If-Modified-Since` from the validators the
//! store kept, a connect timeout, a read timeout and a total timeout, at most
//! five redirects, and a body cap enforced while streaming (a declared
//! `Content-Length` over the cap fails before any body is read). A `304` is
//! an answer, not an error: [`Fetched::NotModified`]. Bodies are read as
//! bytes and decoded by [`charset`], never by reqwest's text guess.
//! Where a fetch may go is [`guard`]'s: a feed's redirects and an article
//! page (with its redirects) stay public or in the class of the configured
//! feed URL, judged again on the address connected to.

pub mod charset;
pub mod guard;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};
use url::Url;

pub use guard::{AddressClass, Reach, address_class, host_class, is_internal_ip};

/// Validators from the previous successful fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// The `ETag` the server sent.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent.
    pub last_modified: Option<String>,
}

/// Client settings, from `[daemon]`.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// User-Agent header.
    pub user_agent: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub total_timeout: Duration,
    /// Body cap in bytes.
    pub max_body_bytes: u64,
}

/// What a fetch brought back.
#[derive(Debug)]
pub enum Fetched {
    /// `304 Not Modified`: nothing to parse.
    NotModified {
        /// Time the request took.
        elapsed: Duration,
        /// How long the server says the answer stays fresh.
        fresh_for: Option<Duration>,
        /// The server's `Date` (unix seconds): its clock, to check ours by.
        date: Option<i64>,
    },
    /// A `2xx` response with its body.
    Body(Box<Body>),
}

/// A successful response.
#[derive(Debug)]
pub struct Body {
    /// HTTP status.
    pub status: u16,
    /// The URL after redirects.
    pub final_url: Url,
    /// Raw body bytes (content-encoding already undone).
    pub bytes: Vec<u8>,
    /// The `charset` parameter of `Content-Type`, if any.
    pub charset: Option<String>,
    /// The `Content-Type` media type, lower-cased.
    pub media_type: Option<String>,
    /// Validators for the next conditional request.
    pub validators: Validators,
    /// Time the request took, body included.
    pub elapsed: Duration,
    /// How long the server says the answer stays fresh
    /// (`Cache-Control: max-age`, else `Expires`).
    pub fresh_for: Option<Duration>,
    /// Where the feed moved, when every redirect was permanent (301/308).
    pub moved_to: Option<Url>,
    /// The server's `Date` (unix seconds): its clock, to check ours by.
    pub date: Option<i64>,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The server answered with a status we do not accept.
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// `Retry-After`, when given and readable.
        retry_after: Option<Duration>,
    },
    /// The body was larger than the configured cap.
    #[error("response body exceeds the {limit}-byte limit (raise daemon.max_body_bytes if this feed is legitimately that large)")]
    TooLarge {
        /// The cap that was hit.
        limit: u64,
    },
    /// The request timed out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Connecting, TLS, redirects or reading the body failed.
    #[error("{0}")]
    Transport(String),
    /// The SSRF guard refused the target (see [`guard`]): asking again
    /// will not change the answer.
    #[error("{0}")]
    Refused(String),
}

impl FetchError {
    /// The HTTP status, when the server gave one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Redirects followed per fetch.
const MAX_REDIRECTS: usize = 5;

/// A header on every request syndic makes. The admin check refuses any
/// request that carries it, so an item link pointing at syndic's own
/// `/status` (under whatever name or address) never reads admin pages:
/// syndic's own requests are never an admin client.
pub const OWN_REQUEST: &str = "x-syndic-fetch";

/// A reusable HTTP client for feeds and pages.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// For a feed's configured URL (its class is the admin's choice).
    client: reqwest::Client,
    /// One client per home class, each resolving through a
    /// [`guard::GuardedResolver`] for that class; built when first needed.
    guarded: Arc<[OnceLock<reqwest::Client>; 5]>,
    /// Where syndic itself listens: never a target of its own fetches.
    own: Arc<OnceLock<SocketAddr>>,
    settings: FetchSettings,
}

impl Fetcher {
    /// Builds the client. Fails only if the TLS backend cannot start.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, FetchError> {
        let client = build_client(&settings, None)?;
        Ok(Fetcher { client, guarded: Arc::default(), own: Arc::default(), settings })
    }

    /// Records the address syndic's server listens on: guarded fetches
    /// refuse it (the first call wins).
    pub fn set_own_listener(&self, addr: SocketAddr) {
        let _ = self.own.set(addr);
    }

    /// The client whose resolver keeps to `reach`.
    fn guarded(&self, reach: Reach) -> Result<&reqwest::Client, FetchError> {
        let slot = &self.guarded[reach.home.index()];
        if let Some(client) = slot.get() {
            return Ok(client);
        }
        let client = build_client(&self.settings, Some(reach))?;
        Ok(slot.get_or_init(|| client))
    }

    /// GETs a feed at its configured `url`, conditionally when `validators`
    /// has something. Redirects stay within the reach of `url`'s class.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        self.fetch(url, validators, None).await
    }

    /// GETs an article page linked from the feed at `feed_url`: the page and
    /// every redirect hop must be public or of the feed URL's class, judged
    /// on the address connected to, and never syndic's own listener.
    pub async fn get_page(&self, url: &Url, feed_url: &Url) -> Result<Fetched, FetchError> {
        let reach = Reach { home: host_class(feed_url).await };
        self.fetch(url, &Validators::default(), Some(reach)).await
    }

    /// `reach`: `None` while at a feed's configured URL (trusted as the
    /// admin wrote it); set from the first redirect on.
    async fn fetch(&self, url: &Url, validators: &Validators, mut reach: Option<Reach>) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let timeout = self.settings.total_timeout;
        // Redirects are followed here, not by reqwest, so that a permanent
        // move of the feed can be reported to the admin.
        let mut target = url.clone();
        let mut moved_to = None;
        let mut hops = 0;
        let mut response = loop {
            let client = match reach {
                None => &self.client,
                Some(reach) => {
                    if let Some(why) = reach.refuse(&target, self.own.get().copied()) {
                        return Err(FetchError::Refused(why));
                    }
                    self.guarded(reach)?
                }
            };
            let mut request = client.get(target.clone()).header(
                header::ACCEPT,
                "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8",
            );
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
            let response = request.send().await.map_err(|e| transport(e, timeout))?;
            if !response.status().is_redirection() || response.status().as_u16() == 304 {
                break response;
            }
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(FetchError::Transport(format!("more than {MAX_REDIRECTS} redirects (last to {target})")));
            }
            let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
            let next = location
                .and_then(|l| target.join(l).ok())
                .ok_or_else(|| FetchError::Transport(format!("HTTP {} redirect without a usable Location", response.status().as_u16())))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::Transport(format!("redirect to a non-HTTP URL refused: {next}")));
            }
            // SSRF guard: a redirect may not take us into a class of internal
            // addresses the source was not configured in: a public feed may
            // not bounce us into the local network, a loopback test feed not
            // to the cloud metadata service (link-local). Judged here on the
            // name's addresses now for a clear message, and again by the
            // guarded client's resolver on the address connected to.
            let here = match reach {
                Some(reach) => reach,
                None => Reach { home: host_class(url).await },
            };
            let to = host_class(&next).await;
            if !here.allows(to) {
                return Err(FetchError::Refused(format!(
                    "redirect from a {} address to a {} one refused: {next}",
                    here.home.name(),
                    to.name()
                )));
            }
            reach = Some(here);
            // Only an unbroken chain of permanent redirects from the
            // configured URL is a move the admin should make.
            let permanent = matches!(response.status().as_u16(), 301 | 308);
            if permanent && (hops == 1 || moved_to.is_some()) {
                moved_to = Some(next.clone());
            } else {
                moved_to = None;
            }
            target = next;
        };
        let status = response.status().as_u16();
        if status == 304 {
            let headers = response.headers();
            return Ok(Fetched::NotModified { elapsed: started.elapsed(), fresh_for: fresh_for(headers), date: server_date(headers) });
        }
        if !response.status().is_success() {
            return Err(FetchError::Status { status, retry_after: retry_after(response.headers()) });
        }
        let limit = self.settings.max_body_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let mut bytes = Vec::with_capacity(response.content_length().unwrap_or(64 * 1024).min(limit) as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(e, timeout))? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        let (media_type, charset) = content_type(&headers);
        let fresh = fresh_for(&headers);
        Ok(Fetched::Body(Box::new(Body {
            status,
            final_url,
            bytes,
            charset,
            media_type,
            validators: Validators {
                etag: header_string(&headers, header::ETAG),
                last_modified: header_string(&headers, header::LAST_MODIFIED),
            },
            elapsed: started.elapsed(),
            fresh_for: fresh,
            moved_to,
            date: server_date(&headers),
        })))
    }
}

impl Fetcher {
    /// Tells a WebSub hub that `feed` changed (`hub.mode=publish`).
    pub async fn websub_ping(&self, hub: &Url, feed: &str) -> Result<(), FetchError> {
        let body =
            url::form_urlencoded::Serializer::new(String::new()).append_pair("hub.mode", "publish").append_pair("hub.url", feed).finish();
        let response = self
            .client
            .post(hub.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| transport(e, self.settings.total_timeout))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(FetchError::Status { status: response.status().as_u16(), retry_after: None })
        }
    }
}

/// A client with syndic's settings; with `reach`, it resolves names
/// through a [`guard::GuardedResolver`].
fn build_client(settings: &FetchSettings, reach: Option<Reach>) -> Result<reqwest::Client, FetchError> {
    let mut own = HeaderMap::new();
    own.insert(OWN_REQUEST, header::HeaderValue::from_static("1"));
    let mut builder = reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .default_headers(own)
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.total_timeout)
        .timeout(settings.total_timeout)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(reach) = reach {
        builder = builder.dns_resolver(guard::GuardedResolver { reach });
    }
    builder.build().map_err(|e| FetchError::Transport(describe(&e)))
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Media type and charset from `Content-Type`.
fn content_type(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let Some(value) = header_string(headers, header::CONTENT_TYPE) else { return (None, None) };
    let mut parts = value.split(';');
    let media = parts.next().map(|m| m.trim().to_ascii_lowercase()).filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_string())
    });
    (media, charset)
}

/// Freshness the server grants: `Cache-Control: max-age` (`no-cache` and
/// `no-store` grant none), else `Expires`.
pub fn fresh_for(headers: &HeaderMap) -> Option<Duration> {
    if let Some(cc) = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) {
        for directive in cc.split(',').map(str::trim) {
            let lower = directive.to_ascii_lowercase();
            if lower == "no-cache" || lower == "no-store" {
                return None;
            }
            if let Some(secs) = lower.strip_prefix("max-age=").and_then(|v| v.trim_matches('"').parse::<u64>().ok()) {
                return Some(Duration::from_secs(secs));
            }
        }
    }
    let expires = headers.get(header::EXPIRES)?.to_str().ok()?;
    let when = httpdate::parse_http_date(expires.trim()).ok()?;
    when.duration_since(std::time::SystemTime::now()).ok()
}

/// The response's `Date`, as unix seconds.
pub fn server_date(headers: &HeaderMap) -> Option<i64> {
    let date = httpdate::parse_http_date(headers.get(header::DATE)?.to_str().ok()?.trim()).ok()?;
    date.duration_since(std::time::UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

fn transport(e: reqwest::Error, timeout: Duration) -> FetchError {
    if e.is_timeout() { FetchError::Timeout(timeout) } else { FetchError::Transport(describe(&e)) }
}

/// The whole error chain on one line: reqwest's top-level message alone
/// ("error sending request") does not tell an admin what went wrong.
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
