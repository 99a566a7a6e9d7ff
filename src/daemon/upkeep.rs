//! Upkeep beside polling: retention (old stories deleted a batch at a
//! time, never one a feed still shows, and not while our clock is far
//! ahead of the upstreams') and the repair of due times a clock that moved
//! back left in the future.

use std::sync::Arc;

use super::Daemon;

impl Daemon {
    /// Deletes stories older than `retention` (never one a feed still
    /// shows), a batch at a time with the writer released in between, and
    /// lets the near-duplicate index drop expired keys. Returns rows deleted.
    pub fn prune(&self) -> anyhow::Result<usize> {
        self.prune_at(chrono::Utc::now().timestamp())
    }

    /// [`Daemon::prune`] with the clock reading `now`. Nothing is deleted
    /// when `now` is more than `store::clock::CLOCK_MARGIN` past the
    /// upstreams' clocks (`clock`), or, before any upstream told its time,
    /// past the newest recorded fetch: the round is skipped with a warning.
    pub fn prune_at(&self, now: i64) -> anyhow::Result<usize> {
        self.repair_clock(now)?;
        let ahead = match self.ctx.upstream_clock.now() {
            Some(upstreams) => Some(now - upstreams).filter(|&ahead| ahead > crate::store::clock::CLOCK_MARGIN),
            None => self.ctx.store.lock().unwrap_or_else(|p| p.into_inner()).clock_jump(now)?,
        };
        if let Some(ahead) = ahead {
            tracing::warn!(
                ahead_secs = ahead,
                "retention skipped: the clock is {} h ahead of the upstreams' clocks or of the newest recorded fetch (it jumped ahead, or the daemon was stopped that long); nothing is deleted until it agrees",
                ahead / 3600
            );
            return Ok(0);
        }
        let cutoff = now - self.config.daemon.retention.as_secs() as i64;
        let mut protected = std::collections::HashSet::new();
        {
            let store = self.ctx.store.lock().unwrap_or_else(|p| p.into_inner());
            for slice in self.publisher.slices() {
                protected.extend(store.feed_ids(&slice, self.config.daemon.items_per_feed)?);
            }
        }
        let mut total = 0;
        loop {
            let n = self.ctx.store.lock().unwrap_or_else(|p| p.into_inner()).prune_batch(cutoff, &protected)?;
            total += n;
            if n == 0 {
                break;
            }
        }
        // The near-duplicate index lets keys older than twice the window go.
        let band_cutoff = now - 2 * self.config.daemon.dedup_window.as_secs() as i64;
        self.ctx.store.lock().unwrap_or_else(|p| p.into_inner()).refresh_bands(band_cutoff)?;
        Ok(total)
    }

    /// Undoes what a clock that ran ahead of `now` left: future item dates
    /// and next-due times (see `store::clock`); logs and refreshes the
    /// feeds when anything changed.
    pub fn repair_clock(&self, now: i64) -> anyhow::Result<crate::store::clock::Repaired> {
        let due: Vec<crate::store::clock::Due> = self
            .config
            .sources
            .iter()
            .map(|s| crate::store::clock::Due {
                id: s.id.clone(),
                interval: s.interval.as_secs() as i64,
                longest: crate::schedule::longest_delay(&s.id, s.interval).as_secs() as i64,
            })
            .collect();
        let repaired = self.ctx.store.lock().unwrap_or_else(|p| p.into_inner()).repair_clock(now, &due)?;
        if repaired != crate::store::clock::Repaired::default() {
            tracing::warn!(
                items = repaired.items,
                sources = repaired.sources,
                "the clock was behind times already stored (it ran ahead, then moved back): future item dates set to now, next fetches rescheduled from now"
            );
        }
        if repaired.items > 0 {
            self.publisher.invalidate(&crate::store::Touched { slices: self.publisher.slices().into_iter().collect() });
        }
        Ok(repaired)
    }

    /// Retention, on the blocking pool.
    pub(super) fn prune_in_background(&self) {
        let daemon = self.prune_handle();
        tokio::task::spawn_blocking(move || match daemon.prune() {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "retention: pruned old items"),
            Err(e) => tracing::error!(error = %e, "retention: pruning failed; will retry"),
        });
    }

    /// A cheap copy sharing the store and publisher, for background work.
    pub(super) fn prune_handle(&self) -> Daemon {
        Daemon {
            config: Arc::clone(&self.config),
            ctx: self.ctx.clone(),
            publisher: Arc::clone(&self.publisher),
            running: Arc::clone(&self.running),
            metrics: Arc::clone(&self.metrics),
        }
    }
}
