//! Politeness toward publishers: how many requests, how close together.
//!
//! Three limits stack for every fetch. A global semaphore caps fetches in
//! flight (`max_concurrent_fetches`). A per-host semaphore caps fetches to
//! one host (`per_host_concurrency`), and a per-host clock spaces the
//! *starts* of requests to one host by at least `per_host_spacing`: twenty
//! feeds of one portal are fetched one after another, not in a burst. When
//! a host answers 429/503 with `Retry-After`, the whole host is blocked
//! until then (capped at a day): the scheduler skips its sources, whichever
//! feed of that host it was. Conditional GET, the per-source interval and
//! backoff live in `fetch` and `schedule`; this module only orders starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::{Config, Source};

/// Permits held for the duration of one fetch.
pub struct Permit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

#[derive(Default)]
struct Host {
    slots: Option<Arc<Semaphore>>,
    next_start: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// The shared limits; cheap to clone.
#[derive(Clone)]
pub struct Limits {
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, Host>>>,
    per_host: usize,
    spacing: Duration,
}

fn host_of(source: &Source) -> String {
    source.url.host_str().unwrap_or_default().to_ascii_lowercase()
}

impl Limits {
    /// Limits from `[daemon]`.
    pub fn new(config: &Config) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(config.daemon.max_concurrent_fetches)),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            per_host: config.daemon.per_host_concurrency,
            spacing: config.daemon.per_host_spacing,
        }
    }

    /// Waits for a host slot, the host's spacing and a global slot.
    pub async fn acquire(&self, source: &Source) -> Option<Permit> {
        self.acquire_host(host_of(source)).await
    }

    /// [`Limits::acquire`] for any URL on a host (article pages share their
    /// host's limits with its feeds).
    pub async fn acquire_url(&self, url: &url::Url) -> Option<Permit> {
        self.acquire_host(url.host_str().unwrap_or_default().to_ascii_lowercase()).await
    }

    async fn acquire_host(&self, host: String) -> Option<Permit> {
        let slots = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let h = hosts.entry(host.clone()).or_default();
            Arc::clone(h.slots.get_or_insert_with(|| Arc::new(Semaphore::new(self.per_host))))
        };
        let host_permit = slots.acquire_owned().await.ok()?;
        // Reserve the next start time for this host, then sleep until ours.
        let start = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let h = hosts.entry(host).or_default();
            let now = Instant::now();
            let start = h.next_start.map_or(now, |t| t.max(now));
            h.next_start = Some(start + self.spacing);
            start
        };
        tokio::time::sleep_until(start).await;
        let global_permit = Arc::clone(&self.global).acquire_owned().await.ok()?;
        Some(Permit { _host: host_permit, _global: global_permit })
    }

    /// Blocks every source of `source`'s host for `wait` (at most a day).
    pub fn block_host(&self, source: &Source, wait: Duration) {
        let until = Instant::now() + wait.min(Duration::from_secs(86_400));
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let h = hosts.entry(host_of(source)).or_default();
        h.blocked_until = Some(h.blocked_until.map_or(until, |t| t.max(until)));
    }

    /// Whether `url`'s host asked us to wait and the time is not up.
    pub fn is_url_blocked(&self, url: &url::Url) -> bool {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.get(&host).and_then(|h| h.blocked_until).is_some_and(|t| t > Instant::now())
    }

    /// Whether `source`'s host asked us to wait and the time is not up.
    pub fn is_blocked(&self, source: &Source) -> bool {
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.get(&host_of(source)).and_then(|h| h.blocked_until).is_some_and(|t| t > Instant::now())
    }
}
