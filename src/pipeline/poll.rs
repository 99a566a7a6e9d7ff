//! The orchestrator for one source: fetch → decode → parse → normalize →
//! fingerprint → store, in that order, read top to bottom.
//!
//! Every failure of a stage ends here as data: it is recorded on the source
//! (status, error, consecutive failures, next due time) and returned in the
//! [`PollReport`]; nothing a source sends can fail the caller. CPU-bound
//! work (decoding, parsing, sanitizing, SQLite) runs on the blocking pool.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Source;
use crate::dedup;
use crate::fetch::{Body, FetchError, Fetched, Fetcher, charset};
use crate::metrics::PollSample;
use crate::model::Item;
use crate::normalize::Normalizer;
use crate::parse::{self, DateParser};
use crate::pipeline::PollError;
use crate::politeness::Permit;
use crate::schedule;
use crate::store::{FetchRecord, GroupCommit, IngestStats, Pending, Store, Touched};

/// What a poll needs; cheap to clone.
#[derive(Clone)]
pub struct Context {
    /// The HTTP client.
    pub fetcher: Fetcher,
    /// The writer connection.
    pub store: Arc<Mutex<Store>>,
    /// A reading connection for the sources' state, so a poll can start
    /// while the writer stores a group (the writer's lock is held for
    /// most of a busy minute, and a poll waiting for it held back its
    /// fetch); the writer connection itself when the store has no file.
    pub states: Arc<Mutex<Store>>,
    /// The date reader for this daemon's zone.
    pub dates: DateParser,
    /// Near-duplicate settings.
    pub matcher: Arc<dedup::Matcher>,
    /// The writer thread's queue (one commit for all the feeds in it).
    pub commits: GroupCommit,
    /// The threads that decode, parse, normalize and fingerprint fetched
    /// feeds: one per core.
    pub cpu: crate::cpu::Pool,
    /// Places in the pipeline between a fetch's start and the writer
    /// taking its items ([`backlog`]): bounds the bodies and parsed feeds
    /// held in memory.
    pub backlog: Arc<tokio::sync::Semaphore>,
    /// The upstreams' clocks, from their answers' `Date`: retention's check
    /// on ours.
    pub upstream_clock: Arc<crate::clock::Upstreams>,
    /// Each source's template prefixes, learned from what it stored
    /// ([`dedup::template`]) and left out of its items' fingerprints.
    pub templates: Arc<dedup::template::Learned>,
    /// The shared store this node polls for, when there is one: polls are
    /// leased from it and their results go to its log ([`super::record`]).
    pub cluster: Option<Arc<crate::cluster::Node>>,
}

impl Context {
    /// A context for polls into `store`, with one CPU worker per core, the
    /// writer thread, and room for `fetches` fetches in flight.
    pub fn new(fetcher: Fetcher, store: Store, dates: DateParser, matcher: dedup::Matcher, fetches: usize) -> Context {
        let states = store.path().and_then(|path| Store::open_reader(path).ok());
        let (store, matcher) = (Arc::new(Mutex::new(store)), Arc::new(matcher));
        let states = states.map_or_else(|| Arc::clone(&store), |reader| Arc::new(Mutex::new(reader)));
        let commits = GroupCommit::start(Arc::clone(&store), Arc::clone(&matcher));
        Context {
            fetcher,
            store,
            states,
            dates,
            matcher,
            commits,
            cpu: crate::cpu::Pool::per_core(),
            backlog: backlog(fetches),
            upstream_clock: Arc::default(),
            templates: Arc::default(),
            cluster: None,
        }
    }
}

/// Places for `fetches` fetches in flight and, on top, eight fetched feeds
/// per core waiting for a CPU worker or for the writer. The fetch permit
/// (the publisher's limits) is given back when the body is in; the place
/// in the backlog when the writer takes the items. Holding the fetch
/// permit to the end of the commit instead made the pipeline run in
/// bursts: every feed of a group commit held its place while the group
/// was written, so no feed was fetched or parsed meanwhile, and a third
/// of the second core sat idle.
pub fn backlog(fetches: usize) -> Arc<tokio::sync::Semaphore> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Arc::new(tokio::sync::Semaphore::new(fetches + 8 * cores))
}

/// How a poll ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server said 304.
    NotModified,
    /// A body was parsed and stored.
    Ingested,
    /// Fetching, decoding, parsing or storing failed.
    Failed(PollError),
}

/// What one poll did, for logs, the CLI and the cache.
#[derive(Debug, Clone)]
pub struct PollReport {
    /// Source id.
    pub source_id: String,
    /// How it ended.
    pub outcome: Outcome,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// Body bytes.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Entries in the feed.
    pub entries: usize,
    /// Entries in the last body that parsed: this poll's, or on a 304 the
    /// stored count (`None` when nothing was ever counted).
    pub last_entries: Option<usize>,
    /// Store counts.
    pub stats: IngestStats,
    /// Feed slices that changed.
    pub touched: Touched,
    /// The server's `Retry-After` on a 429/503.
    pub retry_after: Option<Duration>,
}

impl PollReport {
    /// A report of nothing done yet (it ends as "not modified").
    pub fn new(source_id: &str) -> PollReport {
        PollReport {
            source_id: source_id.to_string(),
            outcome: Outcome::NotModified,
            status: None,
            bytes: 0,
            elapsed: Duration::ZERO,
            entries: 0,
            last_entries: None,
            stats: IngestStats::default(),
            touched: Touched::default(),
            retry_after: None,
        }
    }

    /// The report in metric terms.
    pub fn sample(&self) -> PollSample<'_> {
        let (outcome, error_kind) = match &self.outcome {
            Outcome::Ingested => ("ok", None),
            Outcome::NotModified => ("not_modified", None),
            Outcome::Failed(e) => ("failed", Some(e.kind())),
        };
        PollSample {
            source: &self.source_id,
            outcome,
            error_kind,
            elapsed: self.elapsed,
            bytes: self.bytes,
            stats: &self.stats,
            last_entries: self.last_entries,
        }
    }

    /// A poll that failed before it fetched anything.
    pub fn failed(source_id: &str, error: PollError) -> PollReport {
        PollReport { outcome: Outcome::Failed(error), ..PollReport::new(source_id) }
    }
}

/// Polls one source once and records the result. `permit`, the
/// publisher's limits for this fetch, is given back when the response is in.
pub async fn poll_source(ctx: &Context, source: &Source, permit: Option<Permit>) -> PollReport {
    let started = std::time::Instant::now();
    let mut report = PollReport::new(&source.id);
    let state = {
        let store = Arc::clone(&ctx.states);
        let id = source.id.clone();
        blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).source_state(&id).map_err(store_error)).await
    };
    let state = match state {
        Ok(state) => state,
        Err(e) => {
            report.outcome = Outcome::Failed(e);
            return report;
        }
    };
    // Never closed; were it, the poll would go on without a place.
    let ticket = Arc::clone(&ctx.backlog).acquire_owned().await.ok();
    let now = Utc::now();
    let fetched = ctx.fetcher.get(&source.url, &state.validators).await;
    drop(permit);
    if let Some(node) = ctx.cluster.clone() {
        // The host's place is free for any node's next fetch.
        let id = source.id.clone();
        tokio::spawn(async move {
            if let Err(e) = node.fetched(&id).await {
                tracing::debug!(source = %id, error = %e, "could not mark the fetch done in the shared database");
            }
        });
    }
    let failures = u32::try_from(state.consecutive_failures).unwrap_or(u32::MAX);
    let mut record = FetchRecord { at: now.timestamp(), ..FetchRecord::default() };
    let mut recorded = false;
    let date = match &fetched {
        Ok(Fetched::NotModified { date, .. }) => *date,
        Ok(Fetched::Body(body)) => body.date,
        Err(_) => None,
    };
    if let Some(date) = date {
        ctx.upstream_clock.observe(&source.id, date);
    }
    match fetched {
        Ok(Fetched::NotModified { fresh_for, .. }) => {
            report.status = Some(304);
            report.last_entries = state.last_entries.and_then(|n| usize::try_from(n).ok());
            record.status = Some(304);
            record.next_fetch_at = next(now, source, 0, fresh_for);
        }
        Ok(Fetched::Body(body)) => {
            let fresh_for = body.fresh_for;
            let moved_to = body.moved_to.as_ref().map(|u| u.to_string());
            if let Some(to) = &moved_to {
                tracing::warn!(source = %source.id, from = %source.url, to = %to, "feed moved permanently; update its url in the source list");
            }
            if (moved_to.is_some() || state.moved_to.is_some())
                && let Err(e) = super::record::set_moved_to(ctx, &source.id, moved_to.clone()).await
            {
                tracing::error!(source = %source.id, error = %e, "could not record where the feed moved");
            }
            report.status = Some(body.status);
            report.bytes = body.bytes.len() as u64;
            record.status = Some(body.status);
            record.bytes = report.bytes;
            let fetch = Fetch { record: record.clone(), started, fresh_for };
            match ingest(ctx, source, body, now, ticket, fetch).await {
                Ok((entries, stats, touched)) => {
                    report.outcome = Outcome::Ingested;
                    report.entries = entries;
                    report.last_entries = Some(entries);
                    report.stats = stats;
                    report.touched = touched;
                    // The writer recorded the fetch with the items.
                    recorded = true;
                }
                Err(e) => {
                    record.error = Some(e.to_string());
                    report.outcome = Outcome::Failed(e);
                    record.next_fetch_at = next(now, source, failures + 1, None);
                }
            }
        }
        Err(e) => {
            let retry_after = match &e {
                FetchError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            report.retry_after = retry_after;
            report.status = e.status();
            record.status = e.status();
            if e.status() == Some(410) {
                let reason = "the feed answered 410 Gone: polling stopped; change its url (or remove it) in the source list".to_string();
                tracing::error!(source = %source.id, url = %source.url, "{reason}");
                if let Err(e) = super::record::disable(ctx, &source.id, reason).await {
                    tracing::error!(source = %source.id, error = %e, "could not record that the feed is gone");
                }
            }
            record.error = Some(e.to_string());
            report.outcome = Outcome::Failed(e.into());
            record.next_fetch_at = next(now, source, failures + 1, retry_after);
        }
    }
    report.elapsed = started.elapsed();
    if recorded {
        return report;
    }
    record.duration_ms = report.elapsed.as_millis() as u64;
    if let Err(e) = super::record::record_fetch(ctx, &source.id, record).await {
        tracing::error!(source = %source.id, error = %e, "could not record fetch result");
    }
    report
}

/// The fetch a body came from, to be recorded with its items.
struct Fetch {
    /// Time, status and size filled in.
    record: FetchRecord,
    /// When the poll started.
    started: std::time::Instant,
    /// How long the response says it stays fresh.
    fresh_for: Option<Duration>,
}

type Ingested = (usize, IngestStats, Touched);

/// decode → parse → normalize → fingerprint (on a CPU worker) → store
/// (the writer), for one response body. The worker queues the feed for the
/// writer itself and goes on to the next one; the writer records the fetch
/// in the transaction that stores the items.
async fn ingest(
    ctx: &Context,
    source: &Source,
    body: Box<Body>,
    now: DateTime<Utc>,
    ticket: Option<tokio::sync::OwnedSemaphorePermit>,
    fetch: Fetch,
) -> Result<Ingested, PollError> {
    let (worker_ctx, source) = (ctx.clone(), source.clone());
    // Items are dated (and seen) by the upstreams' clocks when ours is far
    // ahead of them: stamped by a jumped clock, they would top every feed
    // once it is set right.
    let dated = ctx.upstream_clock.item_time(now);
    let (entries, answer) = ctx
        .cpu
        .run(move || {
            let Body { bytes, charset, final_url, validators, .. } = *body;
            let prepared = prepare(&worker_ctx, &source, &bytes, charset.as_deref(), &final_url, dated)?;
            let Fetch { mut record, started, fresh_for } = fetch;
            record.validators = Some(validators);
            // Never more often than the feed's <ttl> or the response's
            // freshness allow (the longest wins; capped at a day).
            let floor = [fresh_for, prepared.ttl].into_iter().flatten().max();
            record.next_fetch_at = next(now, &source, 0, floor);
            record.duration_ms = started.elapsed().as_millis() as u64;
            let entries = prepared.entries;
            record.entries = Some(entries as u64);
            let feed = prepared.pending(source.priority, dated, ticket, Some((source.id, record)));
            // A lone node queues the feed for its writer from here, and
            // this worker goes on at once; a shared store's log is
            // appended to from the async side.
            let feed = match &worker_ctx.cluster {
                None => Ok(worker_ctx.commits.submit(feed)),
                Some(_) => Err(feed),
            };
            Ok::<_, PollError>((entries, feed))
        })
        .await??;
    let stored = match answer {
        Ok(queued) => queued.await.unwrap_or_else(|_| Err(crate::store::Failure::writer_gone())),
        Err(feed) => super::record::store_feed(ctx, feed).await,
    };
    let (stats, touched) = stored.map_err(PollError::Store)?;
    Ok((entries, stats, touched))
}

/// A feed's items, ready for the writer.
pub struct Prepared {
    /// Entries in the feed.
    pub entries: usize,
    /// The feed's `<ttl>`.
    pub ttl: Option<Duration>,
    items: Vec<Item>,
    prints: Vec<dedup::Fingerprint>,
}

impl Prepared {
    /// Stores the items (with other feeds' when the writer is busy),
    /// waiting for the writer (not on an async runtime's thread).
    pub fn store(self, ctx: &Context, priority: i64, now: DateTime<Utc>) -> Result<(IngestStats, Touched), PollError> {
        ctx.commits.store(self.pending(priority, now, None, None)).map_err(PollError::Store)
    }

    /// The items as a feed for the writer.
    fn pending(
        self,
        priority: i64,
        now: DateTime<Utc>,
        ticket: Option<tokio::sync::OwnedSemaphorePermit>,
        record: Option<(String, FetchRecord)>,
    ) -> Pending {
        Pending { items: self.items, prints: self.prints, priority, now: now.timestamp(), ticket, record }
    }
}

/// The CPU half of a poll, for bytes already fetched from `url`: decode,
/// parse, normalize, fingerprint. [`Prepared::store`] is the other half.
pub fn prepare(
    ctx: &Context,
    source: &Source,
    bytes: &[u8],
    http_charset: Option<&str>,
    url: &url::Url,
    now: DateTime<Utc>,
) -> Result<Prepared, PollError> {
    let decoded = charset::decode(bytes, http_charset);
    let xml = charset::prepare_xml(&decoded.text);
    let xml = cap_entries(&xml, MAX_ENTRIES);
    let feed = parse::parse(&xml, url, &ctx.dates)?;
    let normalizer = Normalizer::new(source, url, now);
    let entries = feed.entries.len();
    let mut feed = feed;
    if entries >= MAX_ENTRIES {
        // Feeds list newest first; a feed this long is a dump or an attack.
        tracing::warn!(source = %source.id, kept = MAX_ENTRIES, "feed has too many entries; only the first are read");
        feed.entries.truncate(MAX_ENTRIES);
    }
    let ttl = feed.ttl.map(|minutes| Duration::from_secs(u64::from(minutes) * 60));
    let mut items: Vec<Item> = feed.entries.into_iter().filter_map(|e| normalizer.normalize(e)).collect();
    let templates = source_templates(ctx, &source.id);
    let prints: Vec<dedup::Fingerprint> = items
        .iter_mut()
        .map(|item| {
            item.content_hash = dedup::content_hash(&item.title, &item.text);
            ctx.matcher.fingerprint_templated(&item.title, &item.text, &templates)
        })
        .collect();
    Ok(Prepared { entries, ttl, items, prints })
}

/// The template prefixes of `source_id` (learned from its stored titles
/// through the reading connection, at most every
/// [`dedup::template::RELEARN`]); none when its history cannot be read,
/// which costs a little precision, never the poll.
fn source_templates(ctx: &Context, source_id: &str) -> Arc<dedup::template::Templates> {
    ctx.templates.get(source_id, std::time::Instant::now(), || {
        let states = ctx.states.lock().unwrap_or_else(|p| p.into_inner());
        states
            .learn_templates(source_id)
            .inspect_err(|e| tracing::warn!(source = %source_id, error = %e, "could not read the source's titles to learn its templates"))
            .ok()
    })
}

/// Entries stored per fetch, at most (a busy agency feed has 50–500).
pub const MAX_ENTRIES: usize = 5_000;

/// Cuts an XML feed after its `max`-th `</item>` or `</entry>` and closes
/// the document, so a feed of a million tiny items is never parsed whole
/// (the parsed model is some 40 times the size of the text).
pub fn cap_entries(xml: &str, max: usize) -> std::borrow::Cow<'_, str> {
    // Nearly every feed is far below the cap: counting the closing tags
    // with a SIMD search settles that without visiting every `</`.
    let closing = |tag: &str| memchr::memmem::find_iter(xml.as_bytes(), tag).count();
    if closing("</item>") + closing("</entry>") < max {
        return std::borrow::Cow::Borrowed(xml);
    }
    let mut seen = 0;
    let mut from = 0;
    while let Some(i) = xml[from..].find("</") {
        let at = from + i;
        from = at + 2;
        let rest = &xml[from..];
        let close = if rest.starts_with("item>") {
            "item>".len()
        } else if rest.starts_with("entry>") {
            "entry>".len()
        } else {
            continue;
        };
        seen += 1;
        if seen == max {
            let cut = from + close;
            let head = &xml[..cut];
            let closers = if head.contains("<rdf:RDF") {
                "</rdf:RDF>"
            } else if head.contains("<rss") {
                "</channel></rss>"
            } else {
                "</feed>"
            };
            return if xml[cut..].contains("</item>") || xml[cut..].contains("</entry>") {
                std::borrow::Cow::Owned(format!("{head}{closers}"))
            } else {
                std::borrow::Cow::Borrowed(xml)
            };
        }
    }
    std::borrow::Cow::Borrowed(xml)
}

fn next(now: DateTime<Utc>, source: &Source, failures: u32, retry_after: Option<Duration>) -> i64 {
    let delay = schedule::delay(&source.id, source.interval, failures, retry_after);
    now.timestamp() + delay.as_secs() as i64
}

/// Runs `f` on the blocking pool; a panic there becomes an error.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, PollError> + Send + 'static) -> Result<T, PollError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| Err(PollError::Internal(format!("internal error: {e}"))))
}

fn store_error(e: crate::store::StoreError) -> PollError {
    PollError::Store(e.into())
}

#[cfg(test)]
mod tests;
