//! Prometheus metrics (`GET /metrics`, text exposition format).
//!
//! One [`Metrics`] per daemon, shared by the scheduler (fetch outcomes,
//! per-source health), the publisher (renders) and the HTTP layer
//! (requests by route and status). Label values are bounded: routes are
//! fixed names, outcomes an enum, sources the configured ids.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::IngestStats;

/// One finished poll, as the metrics see it (`pipeline::poll::PollReport::sample`).
#[derive(Debug, Clone, Copy)]
pub struct PollSample<'a> {
    /// The source polled.
    pub source: &'a str,
    /// `ok`, `not_modified` or `failed`.
    pub outcome: &'static str,
    /// The error's kind when it failed.
    pub error_kind: Option<&'static str>,
    /// Wall time.
    pub elapsed: std::time::Duration,
    /// Body bytes.
    pub bytes: u64,
    /// Store counts.
    pub stats: &'a IngestStats,
    /// Entries in the last body that parsed.
    pub last_entries: Option<usize>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExtractLabel {
    source: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabel {
    route: &'static str,
    status: u16,
}

/// Every metric the daemon exports.
pub struct Metrics {
    registry: Registry,
    fetches: Family<OutcomeLabel, Counter>,
    fetch_errors: Family<KindLabel, Counter>,
    /// Each failing source's last error kind, for `/status.json` (since
    /// start: the store keeps the message, not the kind).
    last_error_kinds: Mutex<HashMap<String, &'static str>>,
    fetch_seconds: Histogram,
    fetch_bytes: Counter,
    items: Family<KindLabel, Counter>,
    last_success: Family<SourceLabel, Gauge<f64, AtomicU64>>,
    failures: Family<SourceLabel, Gauge>,
    entries: Family<SourceLabel, Gauge>,
    requests: Family<RequestLabel, Counter>,
    /// The two series every feed reader hits, resolved once: a lookup in
    /// `requests` takes its lock and hashes the labels.
    feed_ok: Counter,
    feed_not_modified: Counter,
    renders: Counter,
    render_cache: Gauge,
    extractions: Family<ExtractLabel, Counter>,
    extract_success: Family<SourceLabel, Gauge<f64, AtomicU64>>,
    extract_median: Family<SourceLabel, Gauge>,
    extract_broken: Family<SourceLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric under the `syndic` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("syndic");
        let requests = Family::<RequestLabel, Counter>::default();
        let feed_ok = requests.get_or_create(&RequestLabel { route: "feed", status: 200 }).clone();
        let feed_not_modified = requests.get_or_create(&RequestLabel { route: "feed", status: 304 }).clone();
        let m = Metrics {
            fetches: Family::default(),
            fetch_errors: Family::default(),
            last_error_kinds: Mutex::default(),
            fetch_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            fetch_bytes: Counter::default(),
            items: Family::default(),
            last_success: Family::default(),
            failures: Family::default(),
            entries: Family::default(),
            requests,
            feed_ok,
            feed_not_modified,
            renders: Counter::default(),
            render_cache: Gauge::default(),
            extractions: Family::default(),
            extract_success: Family::default(),
            extract_median: Family::default(),
            extract_broken: Family::default(),
            registry: Registry::default(),
        };
        registry.register("fetches", "Fetches by outcome (ok, not_modified, failed)", m.fetches.clone());
        registry.register(
            "fetch_errors",
            "Failed polls by kind (timeout, transport, http_status, too_large, refused, parse, store, internal)",
            m.fetch_errors.clone(),
        );
        registry.register("fetch_duration_seconds", "Time per fetch, body and ingest included", m.fetch_seconds.clone());
        registry.register("fetch_bytes", "Response body bytes received", m.fetch_bytes.clone());
        registry.register("items", "Items stored by kind (new, updated, merged)", m.items.clone());
        registry.register(
            "source_last_success_timestamp_seconds",
            "Unix time of each source's last successful fetch",
            m.last_success.clone(),
        );
        registry.register("source_consecutive_failures", "Failed fetches since each source's last success", m.failures.clone());
        registry.register(
            "source_entries",
            "Entries in each source's last fetched body (0 means the feed reads as empty: see /status)",
            m.entries.clone(),
        );
        registry.register("http_requests", "HTTP requests served by route and status", m.requests.clone());
        registry.register("feed_renders", "Feeds rendered (cache misses)", m.renders.clone());
        registry.register("feed_cache_entries", "Rendered feeds held in memory (full-length feeds only)", m.render_cache.clone());
        registry.register("extractions", "Full-text extractions by source and outcome (ok or the failure kind)", m.extractions.clone());
        registry.register("extract_success_ratio", "Share of each source's recent pages that gave a story", m.extract_success.clone());
        registry.register("extract_median_chars", "Median extracted length of each source's recent pages", m.extract_median.clone());
        registry.register("extract_broken", "1 when a source's full-text extraction looks broken (see /status)", m.extract_broken.clone());
        Metrics { registry, ..m }
    }

    /// Exports every error kind from the start, at 0.
    pub fn seed_error_kinds(&self, kinds: &[&'static str]) {
        for &kind in kinds {
            let _ = self.fetch_errors.get_or_create(&KindLabel { kind });
        }
    }

    /// Records one finished poll.
    pub fn record_poll(&self, r: &PollSample<'_>) {
        self.fetches.get_or_create(&OutcomeLabel { outcome: r.outcome }).inc();
        self.fetch_seconds.observe(r.elapsed.as_secs_f64());
        self.fetch_bytes.inc_by(r.bytes);
        self.items.get_or_create(&KindLabel { kind: "new" }).inc_by(r.stats.new);
        self.items.get_or_create(&KindLabel { kind: "updated" }).inc_by(r.stats.updated);
        self.items.get_or_create(&KindLabel { kind: "merged" }).inc_by(r.stats.duplicates);
        let source = SourceLabel { source: r.source.to_string() };
        let mut kinds = self.last_error_kinds.lock().unwrap_or_else(|p| p.into_inner());
        match r.error_kind {
            Some(kind) => {
                self.failures.get_or_create(&source).inc();
                self.fetch_errors.get_or_create(&KindLabel { kind }).inc();
                kinds.insert(r.source.to_string(), kind);
            }
            None => {
                kinds.remove(r.source);
                if let Some(n) = r.last_entries {
                    self.entries.get_or_create(&source).set(n as i64);
                }
                self.failures.get_or_create(&source).set(0);
                self.last_success.get_or_create(&source).set(chrono::Utc::now().timestamp() as f64);
            }
        }
    }

    /// The kind of the error a source's last poll failed with, when it
    /// failed since the daemon started.
    pub fn last_error_kind(&self, source: &str) -> Option<&'static str> {
        self.last_error_kinds.lock().unwrap_or_else(|p| p.into_inner()).get(source).copied()
    }

    /// A source's gauges as the store last recorded them (at start).
    pub fn seed_source(&self, state: &crate::store::SourceState) {
        let source = SourceLabel { source: state.id.clone() };
        self.failures.get_or_create(&source).set(state.consecutive_failures);
        if let Some(at) = state.last_success_at {
            self.last_success.get_or_create(&source).set(at as f64);
        }
        if let Some(n) = state.last_entries {
            self.entries.get_or_create(&source).set(n);
        }
    }

    /// Records one extraction attempt: `outcome` is `ok` or a failure kind.
    pub fn record_extraction(&self, source: &str, outcome: &str) {
        self.extractions.get_or_create(&ExtractLabel { source: source.to_string(), outcome: outcome.to_string() }).inc();
    }

    /// Publishes a source's extraction health.
    pub fn set_extract_health(&self, source: &str, health: &crate::extract::health::Health) {
        let label = SourceLabel { source: source.to_string() };
        self.extract_success.get_or_create(&label).set(health.success_rate);
        self.extract_median.get_or_create(&label).set(health.median_chars as i64);
        self.extract_broken.get_or_create(&label).set(i64::from(health.alert.is_some()));
    }

    /// Records one HTTP response.
    pub fn record_request(&self, route: &'static str, status: u16) {
        match (route, status) {
            ("feed", 200) => self.feed_ok.inc(),
            ("feed", 304) => self.feed_not_modified.inc(),
            _ => self.requests.get_or_create(&RequestLabel { route, status }).inc(),
        };
    }

    /// Records one feed render.
    pub fn record_render(&self) {
        self.renders.inc();
    }

    /// Publishes how many renders the feed cache holds.
    pub fn set_render_cache(&self, entries: usize) {
        self.render_cache.set(entries as i64);
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        prometheus_client::encoding::text::encode(&mut out, &self.registry).ok();
        out
    }
}

/// The fixed route name for a request path (bounded label values).
pub fn route_of(path: &str) -> &'static str {
    match path {
        "/" => "index",
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        "/status" | "/status.json" => "status",
        "/feeds.opml" | "/sources.opml" => "opml",
        p if p.starts_with("/feeds/") => "feed",
        _ => "other",
    }
}
