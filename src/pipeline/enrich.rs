//! Running full-text jobs: fetch the page, extract, store, record.
//!
//! Jobs are created by the store for new items of sources with `full_text`
//! (see `store::extract`). Pages go through the same [`Fetcher`](crate::fetch::Fetcher)
//! as feeds (timeouts, body cap, redirects) and the same
//! per-host [`Limits`]; a page and its redirects may reach only public
//! addresses and those of the class of the feed that linked it, never
//! syndic's own listener (`fetch::guard`). They are decoded with [`charset::decode_page`] so a
//! late `<meta charset>` or a windows-1251 page reads right. A network
//! failure or a 5xx is retried with backoff ([`MAX_ATTEMPTS`] in all); a
//! page that is there but yields no story is not. Either way the item keeps
//! the feed's own summary.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use url::Url;

use crate::config::{Config, Rule};
use crate::extract::{self, health, health::Health};
use crate::fetch::{FetchError, Fetched, charset};
use crate::pipeline::PollError;
use crate::pipeline::poll::Context;
use crate::politeness::Limits;
use crate::store::Touched;
use crate::store::extract::{Found, Job};

/// Pages fetched per round.
pub const BATCH: usize = 32;

/// Attempts per page before it is given up.
pub const MAX_ATTEMPTS: i64 = 4;

/// First retry delay; doubles per attempt.
const RETRY_BASE: Duration = Duration::from_secs(600);

/// What one job came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The job's source.
    pub source_id: String,
    /// The page.
    pub url: String,
    /// Characters extracted, or why not.
    pub result: Result<usize, PollError>,
    /// Feed slices that changed.
    pub touched: Touched,
}

/// Runs the jobs due now, up to [`BATCH`], concurrently within `limits`.
pub async fn run_due(ctx: &Context, config: &Arc<Config>, limits: &Limits) -> Vec<Outcome> {
    // On a shared store one node at a time fetches article pages.
    if let Some(node) = &ctx.cluster {
        match node.hold("full-text").await {
            Ok(true) => {}
            Ok(false) => return Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "full text: cannot tell which node fetches article pages; skipping this batch");
                return Vec::new();
            }
        }
    }
    let now = Utc::now().timestamp();
    let store = Arc::clone(&ctx.store);
    let jobs = tokio::task::spawn_blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).due_extractions(now, BATCH)).await;
    let jobs = match jobs {
        Ok(Ok(jobs)) => jobs,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "full text: cannot read pending pages");
            return Vec::new();
        }
        Err(e) => {
            tracing::error!(error = %e, "full text: internal error");
            return Vec::new();
        }
    };
    let mut set = JoinSet::new();
    let mut dropped = HashSet::new();
    for job in jobs {
        let source = config.source(&job.source_id);
        let Some((rule, feed_url)) = source.and_then(|s| Some((s.full_text.clone()?, s.url.clone()))) else {
            // The admin turned full text off (or removed the source).
            dropped.insert(job.source_id);
            continue;
        };
        let Ok(url) = Url::parse(&job.url) else { continue };
        if limits.is_url_blocked(&url) {
            continue;
        }
        let ctx = ctx.clone();
        let limits = limits.clone();
        let tz = config.daemon.timezone;
        set.spawn(async move { run_one(&ctx, &limits, job, (url, feed_url), rule, tz).await });
    }
    if !dropped.is_empty() {
        let store = Arc::clone(&ctx.store);
        let _ = tokio::task::spawn_blocking(move || {
            let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
            for source in dropped {
                if let Err(e) = store.drop_extractions(&source) {
                    tracing::error!(source = %source, error = %e, "full text: cannot drop jobs");
                }
            }
        })
        .await;
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(outcome) = joined {
            outcomes.push(outcome);
        }
    }
    outcomes
}

/// `urls`: the page, and the feed it was linked from (whose class bounds
/// what the page and its redirects may reach).
async fn run_one(ctx: &Context, limits: &Limits, job: Job, urls: (Url, Url), rule: Rule, tz: chrono_tz::Tz) -> Outcome {
    let (url, feed_url) = urls;
    let fetched = {
        let _permit = limits.acquire_url(&url).await;
        ctx.fetcher.get_page(&url, &feed_url).await
    };
    let now = Utc::now().timestamp();
    let store = Arc::clone(&ctx.store);
    let source_id = job.source_id.clone();
    let page_url = job.url.clone();
    let job_attempts = job.attempts;
    // Extraction is CPU work like parsing a feed: it runs on a CPU worker,
    // and only then is the writer's connection taken.
    let extracted = ctx
        .cpu
        .run(move || match fetched {
            Ok(Fetched::Body(body)) => {
                let decoded = charset::decode_page(&body.bytes, body.charset.as_deref());
                extract::extract(&decoded.text, &body.final_url, &rule, tz).map_err(PollError::from)
            }
            Ok(Fetched::NotModified { .. }) => {
                Err(FetchError::Transport("the server answered 304 to an unconditional request".into()).into())
            }
            Err(e) => Err(e.into()),
        })
        .await
        .unwrap_or_else(|e| Err(e.into()));
    // A failed fetch that may pass is tried again later, with backoff.
    let retry_at = match &extracted {
        Err(PollError::Fetch(e)) if retryable(e) && job_attempts + 1 < MAX_ATTEMPTS => {
            Some(now + (RETRY_BASE.as_secs() << job_attempts.clamp(0, 8)) as i64)
        }
        _ => None,
    };
    if ctx.cluster.is_some() {
        let (result, touched) = super::record::extraction(ctx, job, extracted, now, retry_at).await;
        log_outcome(&source_id, &page_url, &result, retry_at);
        return Outcome { source_id, url: page_url, result, touched };
    }
    let work = tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        match extracted {
            Ok(page) => {
                let found = Found {
                    html: &page.html,
                    chars: page.chars,
                    image: page.image.as_deref(),
                    author: page.author.as_deref(),
                    published: page.published,
                };
                let touched = store.extraction_done(&job, &found, now)?;
                Ok((Ok(page.chars), touched))
            }
            Err(e) => {
                let retry = if retry_at.is_some() { "; will retry" } else { "" };
                store.extraction_failed(&job, e.extraction_kind(), &format!("{e}{retry}"), now, retry_at)?;
                Ok((Err(e), Touched::default()))
            }
        }
    })
    .await;
    let (result, touched) = match work {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            let e: crate::store::StoreError = e;
            (Err(PollError::Store(e.into())), Touched::default())
        }
        Err(e) => (Err(PollError::Internal(e.to_string())), Touched::default()),
    };
    log_outcome(&source_id, &page_url, &result, retry_at);
    Outcome { source_id, url: page_url, result, touched }
}

fn log_outcome(source_id: &str, page_url: &str, result: &Result<usize, PollError>, retry_at: Option<i64>) {
    match result {
        Ok(chars) => tracing::info!(source = %source_id, url = %page_url, chars, "full text extracted"),
        Err(e) => {
            let retry = if retry_at.is_some() { "; will retry" } else { "" };
            tracing::warn!(source = %source_id, url = %page_url, kind = e.extraction_kind(), error = %format!("{e}{retry}"), "full text not extracted; the feed's summary stays")
        }
    }
}

/// Network trouble, timeouts and server errors may pass; a 404 will not.
fn retryable(e: &FetchError) -> bool {
    match e {
        FetchError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        FetchError::TooLarge { .. } | FetchError::Refused(_) => false,
        FetchError::Timeout(_) | FetchError::Transport(_) => true,
    }
}

/// Remembers which sources are flagged, so the log says it once when a
/// source breaks and once when it recovers.
#[derive(Debug, Default)]
pub struct Alerts {
    flagged: HashSet<String>,
}

impl Alerts {
    /// Logs the sources whose health changed between flagged and not.
    /// Pure bookkeeping: the health was read off the async side
    /// ([`health_of`]).
    pub fn update(&mut self, health: &BTreeMap<String, Health>) {
        for (source, health) in health {
            let source = source.as_str();
            match (&health.alert, self.flagged.contains(source)) {
                (Some(alert), false) => {
                    tracing::error!(source, alert = %alert, "full-text extraction is broken; check the selector with `syndic extract`");
                    self.flagged.insert(source.to_string());
                }
                (None, true) => {
                    tracing::info!(source, "full-text extraction recovered");
                    self.flagged.remove(source);
                }
                _ => {}
            }
        }
    }
}

/// The extraction health of the sources of `outcomes`, judged from their
/// latest attempts, read on the state reader on the blocking pool (never
/// the writer's lock on the async side).
pub async fn health_of(ctx: &Context, outcomes: &[Outcome]) -> BTreeMap<String, Health> {
    let sources: HashSet<String> = outcomes.iter().map(|o| o.source_id.clone()).collect();
    let states = Arc::clone(&ctx.states);
    let read = tokio::task::spawn_blocking(move || {
        let store = states.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = BTreeMap::new();
        for source in sources {
            match store.extraction_attempts(&source) {
                Ok(attempts) => {
                    if let Some(health) = health::of(&attempts) {
                        out.insert(source, health);
                    }
                }
                Err(e) => tracing::warn!(source = %source, error = %e, "full text: cannot read the extraction log"),
            }
        }
        out
    });
    read.await.unwrap_or_default()
}
