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

/// The shared limits; cheap to clone. One set lives as long as the
/// daemon: a reload resizes it in place ([`Limits::resize`]), so the
/// fetches in flight keep counting against the new sizes and hosts that
/// asked us to wait stay blocked.
#[derive(Clone)]
pub struct Limits {
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, Host>>>,
    sizes: Arc<Mutex<Sizes>>,
}

/// The configured sizes the semaphores were last set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    global: usize,
    per_host: usize,
    spacing: Duration,
}

impl Sizes {
    fn of(config: &Config) -> Sizes {
        Sizes {
            global: config.daemon.max_concurrent_fetches,
            per_host: config.daemon.per_host_concurrency,
            spacing: config.daemon.per_host_spacing,
        }
    }
}

fn host_of(source: &Source) -> String {
    source.url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// Changes `semaphore`'s size from `from` to `to` permits. Growing adds
/// permits at once; shrinking takes free permits away now and the rest as
/// the fetches holding them finish (a background task waits for them).
fn resize_semaphore(semaphore: &Arc<Semaphore>, from: usize, to: usize) {
    if to > from {
        semaphore.add_permits(to - from);
        return;
    }
    let owed = from - to - semaphore.forget_permits(from - to);
    let Ok(owed) = u32::try_from(owed) else { return };
    if owed == 0 {
        return;
    }
    let semaphore = Arc::clone(semaphore);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            if let Ok(permits) = semaphore.acquire_many_owned(owed).await {
                permits.forget();
            }
        });
    }
}

impl Limits {
    /// Limits from `[daemon]`.
    pub fn new(config: &Config) -> Limits {
        let sizes = Sizes::of(config);
        Limits {
            global: Arc::new(Semaphore::new(sizes.global)),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            sizes: Arc::new(Mutex::new(sizes)),
        }
    }

    /// Applies a reloaded `[daemon]`: the global and per-host caps and the
    /// spacing change in place. Permits held by fetches in flight stay
    /// counted, and host blocks (Retry-After) and reserved start times are
    /// kept: building new limits instead let old and new fetches overlap
    /// (up to twice the cap in flight) and forgot every block.
    pub fn resize(&self, config: &Config) {
        let new = Sizes::of(config);
        let mut sizes = self.sizes.lock().unwrap_or_else(|p| p.into_inner());
        if *sizes == new {
            return;
        }
        resize_semaphore(&self.global, sizes.global, new.global);
        if sizes.per_host != new.per_host {
            let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            for slots in hosts.values().filter_map(|h| h.slots.as_ref()) {
                resize_semaphore(slots, sizes.per_host, new.per_host);
            }
        }
        *sizes = new;
    }

    fn sizes(&self) -> Sizes {
        *self.sizes.lock().unwrap_or_else(|p| p.into_inner())
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
        let Sizes { per_host, spacing, .. } = self.sizes();
        let slots = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let h = hosts.entry(host.clone()).or_default();
            Arc::clone(h.slots.get_or_insert_with(|| Arc::new(Semaphore::new(per_host))))
        };
        let host_permit = slots.acquire_owned().await.ok()?;
        // Reserve the next start time for this host, then sleep until ours.
        let start = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let h = hosts.entry(host).or_default();
            let now = Instant::now();
            let start = h.next_start.map_or(now, |t| t.max(now));
            h.next_start = Some(start + spacing);
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
