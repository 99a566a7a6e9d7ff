//! Wiring: the scheduler's loop, the HTTP server, signals.
//!
//! [`Daemon::start`] opens the writer store, syncs the configured sources
//! and builds the publisher. [`Daemon::run`] binds the listener, then
//! loops over a `select!` of named steps: every second [`Scheduler`]
//! starts polls for due sources (within `politeness` limits) and a batch
//! of full-text pages; each finished poll or batch goes to metrics, the
//! publisher's cache and the exports; changed config files or SIGHUP
//! reload the configuration (a bad file keeps the running one). Every hour
//! (the first time ten minutes after start) retention runs, unless the
//! clock is far ahead of the upstreams' (`clock`); each tick checks the
//! database file and repairs what a clock that moved back left in the
//! future (`store::clock`, `store::health`). SIGINT or SIGTERM ends the
//! loop; `shutdown` says how the rest stops.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::Context as _;

use crate::config::{self, Config, Running, Source};
use crate::dedup::Matcher;

use crate::fetch::{FetchSettings, Fetcher};
use crate::metrics::Metrics;
use crate::normalize::date;
use crate::pipeline::enrich;
use crate::pipeline::poll::{Context, Outcome, PollReport};
use crate::publish::Publisher;
use crate::scheduler::{Batch, Finished, Scheduler};
use crate::serve::{self, AppState};
use crate::shutdown::{self, Asked, Signals, Trigger};

mod shared;
mod upkeep;
use crate::store::Store;

/// A configured, opened daemon.
pub struct Daemon {
    /// The configuration in force.
    pub config: Arc<Config>,
    /// The poll context (client, writer, date parser).
    pub ctx: Context,
    /// Feeds and their cache.
    pub publisher: Arc<Publisher>,
    /// The configuration in force and the last reload's rejection, as the
    /// publisher and the status page read them.
    pub running: Arc<Running>,
    /// Every metric the daemon exports.
    pub metrics: Arc<Metrics>,
}

impl Daemon {
    /// Opens the database and prepares everything but the network.
    pub fn start(config: Config) -> anyhow::Result<Daemon> {
        let mut store = Store::open(&config.daemon.database)?;
        store.sync_sources(&config.sources)?;
        // Per-source gauges start from what the store knows, not empty until
        // each source's next poll (hours away for one in backoff).
        let metrics = Arc::new(Metrics::new());
        metrics.seed_error_kinds(&crate::pipeline::PollError::KINDS);
        for source in &config.sources {
            metrics.seed_source(&store.source_state(&source.id)?);
        }
        // A window other than the default changes what the index spans.
        store.refresh_bands(chrono::Utc::now().timestamp() - 2 * config.daemon.dedup_window.as_secs() as i64)?;
        let fetcher = Fetcher::new(FetchSettings {
            user_agent: config.daemon.user_agent.clone(),
            connect_timeout: config.daemon.connect_timeout,
            total_timeout: config.daemon.fetch_timeout,
            max_body_bytes: config.daemon.max_body_bytes,
        })?;
        let tz = config.daemon.timezone;
        let matcher = Matcher::of(&config);
        let ctx = Context::new(fetcher, store, Arc::new(move |s| date::parse(s, tz)), matcher, config.daemon.max_concurrent_fetches);
        let config = Arc::new(config);
        let running = Arc::new(Running::new(Arc::clone(&config)));
        let publisher = Arc::new(Publisher::new(Arc::clone(&running), &config.daemon.database, Arc::clone(&metrics))?);
        let daemon = Daemon { config, ctx, publisher, running, metrics };
        // A clock that ran ahead while the daemon was down left its marks.
        daemon.repair_clock(chrono::Utc::now().timestamp())?;
        Ok(daemon)
    }

    /// Polls the given sources once, concurrently within the limits, and
    /// returns their reports in the order given (a source listed twice is
    /// polled once).
    pub async fn poll_all(&self, sources: &[Source]) -> Vec<PollReport> {
        let mut scheduler = Scheduler::new(self.ctx.clone(), &self.config);
        scheduler.start_polls(sources.iter().cloned());
        let mut reports = HashMap::new();
        while let Some(done) = scheduler.next(&self.config).await {
            if let Finished::Poll(report) = done {
                log_report(&report);
                self.metrics.record_poll(&report.sample());
                self.publisher.invalidate(&report.touched);
                reports.insert(report.source_id.clone(), report);
            }
        }
        sources.iter().filter_map(|s| reports.remove(&s.id)).collect()
    }

    /// Runs full-text jobs until none is due (for one-shot commands; the
    /// daemon runs them a batch at a time from its loop).
    pub async fn extract_all(&self) -> Vec<enrich::Outcome> {
        if !self.config.sources.iter().any(|s| s.full_text.is_some()) {
            return Vec::new();
        }
        let mut scheduler = Scheduler::new(self.ctx.clone(), &self.config);
        let mut all = Vec::new();
        loop {
            let batch = scheduler.batch_now(&self.config).await;
            if batch.outcomes.is_empty() {
                break;
            }
            self.finish_batch(&batch);
            all.extend(batch.outcomes);
        }
        all
    }

    /// Metrics, cache and exports for a finished batch of extractions.
    fn finish_batch(&self, batch: &Batch) {
        let metrics = &self.metrics;
        let mut touched = crate::store::Touched::default();
        for o in &batch.outcomes {
            metrics.record_extraction(&o.source_id, o.result.as_ref().map_or_else(|e| e.extraction_kind(), |_| "ok"));
            touched.slices.extend(o.touched.slices.iter().cloned());
        }
        for (source, health) in &batch.health {
            metrics.set_extract_health(source, health);
        }
        self.publisher.invalidate(&touched);
        self.after_change(&touched);
    }

    /// A poll's report in logs, metrics, the cache and the exports.
    fn finish_poll(&self, report: &PollReport) {
        log_report(report);
        self.metrics.record_poll(&report.sample());
        if self.ctx.cluster.is_some() {
            // The follower invalidated the cache and exports; only the
            // node that polled pings the hub.
            self.ping_hub(&report.touched);
            return;
        }
        self.publisher.invalidate(&report.touched);
        self.after_change(&report.touched);
    }

    /// Enabled sources that are due now (never fetched, or past their time).
    /// Read on the state reader: the daemon's loop never waits for the
    /// writer to finish a group.
    pub async fn due_sources(&self) -> anyhow::Result<Vec<Source>> {
        crate::scheduler::due(&self.ctx, &self.config).await
    }

    /// Serves HTTP and polls on schedule until SIGINT/SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        let listener =
            serve::conn::bind(self.config.daemon.listen).with_context(|| format!("cannot listen on {}", self.config.daemon.listen))?;
        self.run_on(listener).await
    }

    /// Like [`Daemon::run`], on a listener the caller bound.
    pub async fn run_on(mut self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        let changes = match self.config.daemon.cluster.clone() {
            Some(settings) => Some(self.join(&settings).await?),
            None => None,
        };
        let addr = listener.local_addr()?;
        tracing::info!(%addr, sources = self.config.sources.len(), "listening");
        // An item link at our own address must not make us fetch ourselves.
        self.ctx.fetcher.set_own_listener(addr);
        let last_tick = Arc::new(AtomicI64::new(0));
        // Off the async side: the writer may be building its index.
        let writer = Arc::clone(&self.ctx.store);
        let health = tokio::task::spawn_blocking(move || writer.lock().unwrap_or_else(|p| p.into_inner()).health()).await?;
        let front = serve::Front::new(Arc::new(AppState {
            publisher: Arc::clone(&self.publisher),
            store: Arc::clone(&self.ctx.store),
            states: Arc::clone(&self.ctx.states),
            metrics: Arc::clone(&self.metrics),
            running: Arc::clone(&self.running),
            last_tick: Arc::clone(&last_tick),
            health: Arc::clone(&health),
            cluster: self.ctx.cluster.clone(),
        }));
        let stop = Trigger::default();
        let server_stop = stop.subscribe();
        let fds = serve::conn::raise_fd_limit();
        tracing::debug!(open_files = fds, "open-file limit");
        let server = tokio::spawn(async move { serve::conn::serve(listener, front, server_stop).await });
        // Database open, listener bound: ready for systemd (Type=notify).
        let states = Arc::clone(&self.ctx.states);
        let (items, duplicates) = tokio::task::spawn_blocking(move || states.lock().unwrap_or_else(|p| p.into_inner()).counts()).await??;
        let status = format!("{} sources, {items} items ({duplicates} merged), listening on {addr}", self.config.sources.len());
        notify(&[sd_notify::NotifyState::Ready, sd_notify::NotifyState::Status(&status)]);
        let result = self.schedule_loop(&last_tick, &health, changes).await;
        self.leave().await;
        notify(&[sd_notify::NotifyState::Stopping]);
        stop.fire();
        shutdown::wait(server, shutdown::SERVER_GRACE).await;
        result
    }

    /// Ticks, finished work, config changes and signals, until a stop.
    async fn schedule_loop(
        &mut self,
        last_tick: &AtomicI64,
        health: &crate::store::health::Health,
        mut changes: Option<tokio::sync::mpsc::UnboundedReceiver<crate::store::Touched>>,
    ) -> anyhow::Result<()> {
        let mut signals = Signals::install()?;
        let mut scheduler = Scheduler::new(self.ctx.clone(), &self.config);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut lease_tick = tokio::time::interval(Duration::from_millis(100));
        lease_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first round waits for the first polls: their answers' `Date`
        // tells whether the clock is to be trusted (a store alone cannot
        // tell once fetches were recorded on a clock that jumped).
        let mut prune_tick = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_PRUNE, Duration::from_secs(3600));
        // Config files are watched by their modification times: no inotify
        // dependency, works on every filesystem, two seconds of latency.
        let mut watch_tick = tokio::time::interval(Duration::from_secs(2));
        let mut stamps = self.config_stamps();
        let mut export_retry = tokio::time::interval_at(tokio::time::Instant::now() + EXPORT_RETRY, EXPORT_RETRY);
        self.export_in_background();
        loop {
            tokio::select! {
                _ = prune_tick.tick() => {
                    self.prune_in_background();
                    self.shared_upkeep_in_background();
                }
                _ = export_retry.tick(), if self.export_failing() => self.export_in_background(),
                _ = tick.tick() => self.on_tick(&mut scheduler, last_tick, health).await?,
                // On a shared store a node leases only what it has room
                // for: while more is due, freed places are filled ten
                // times a second, not once.
                _ = lease_tick.tick(), if scheduler.more_due() => {
                    let due = scheduler.due(&self.config).await?;
                    scheduler.start_polls(due);
                }
                // What the follower applied from the shared log (any node's polls).
                Some(_) = async { changes.as_mut()?.recv().await } => self.export_in_background(),
                Some(done) = scheduler.next(&self.config), if scheduler.is_busy() => match done {
                    Finished::Poll(report) => self.finish_poll(&report),
                    Finished::Batch(batch) => self.finish_batch(&batch),
                },
                _ = watch_tick.tick() => {
                    let now = self.config_stamps();
                    if now != stamps {
                        tracing::info!("configuration files changed; reloading");
                        // A reload the database could not record (locked, disk
                        // full) is tried again on the next watch tick.
                        if self.reload(&scheduler).await != Reload::StoreFailed {
                            stamps = now;
                        }
                    }
                }
                asked = signals.next() => match asked {
                    Asked::Reload => {
                        stamps = self.config_stamps();
                        self.reload(&scheduler).await;
                    }
                    Asked::Stop => break,
                },
            }
        }
        tracing::info!(in_flight = scheduler.polls_in_flight(), "shutting down");
        scheduler.drain(&self.config, shutdown::POLL_GRACE, log_report).await;
        Ok(())
    }

    /// One second's chores: the clock and database-file checks, the
    /// watchdog ping, and starting what is due.
    async fn on_tick(&self, scheduler: &mut Scheduler, last_tick: &AtomicI64, health: &crate::store::health::Health) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp();
        let previous = last_tick.swap(now, Ordering::Relaxed);
        // A stat a second: a deleted or replaced database file is
        // logged (once) and reported by /healthz within a tick.
        health.check_file();
        // The wall clock moved back (an NTP step, an admin's fix):
        // what the fast clock stored is brought back to now.
        if previous > 0 && now < previous - 60 {
            let daemon = self.prune_handle();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = daemon.repair_clock(now) {
                    tracing::error!(error = %e, "could not repair times after the clock moved back; will retry at the next retention round");
                }
            });
        }
        // Pinged from the loop itself: a hung loop stops the pings
        // and systemd restarts the service.
        if sd_notify::watchdog_enabled().is_some() {
            notify(&[sd_notify::NotifyState::Watchdog]);
        }
        scheduler.start_batch(&self.config);
        let due = scheduler.due(&self.config).await?;
        scheduler.start_polls(due);
        Ok(())
    }

    /// Keeps the static copy current and tells the WebSub hub, when the
    /// poll changed any feed. Both run in the background; failures are logged.
    fn after_change(&self, touched: &crate::store::Touched) {
        if touched.slices.is_empty() {
            return;
        }
        self.export_in_background();
        self.ping_hub(touched);
    }

    /// Tells the WebSub hub about the feeds a poll changed.
    fn ping_hub(&self, touched: &crate::store::Touched) {
        if let Some(hub) = self.config.daemon.websub_hub.clone() {
            let base = self.config.daemon.public_url.as_str().trim_end_matches('/').to_string();
            let urls: Vec<String> = touched
                .slices
                .iter()
                .flat_map(|s| crate::publish::Format::ALL.map(|f| format!("{base}/feeds/{}.{}", s.path(), f.extension())))
                .collect();
            let fetcher = self.ctx.fetcher.clone();
            tokio::spawn(async move {
                for url in urls {
                    if let Err(e) = fetcher.websub_ping(&hub, &url).await {
                        tracing::warn!(hub = %hub, feed = %url, error = %e, "WebSub ping failed");
                    }
                }
            });
        }
    }

    /// Writes the static copy into `publish_dir` (when set) on the blocking
    /// pool: after a change, at start (a restart polls nothing that is not
    /// due, and the directory may be new or empty), after a reload (titles,
    /// sections) and, while the last export failed, every half minute, so
    /// that a fixed directory clears /healthz without waiting for news.
    fn export_in_background(&self) {
        if let Some(dir) = self.config.daemon.publish_dir.clone() {
            let publisher = Arc::clone(&self.publisher);
            tokio::task::spawn_blocking(move || match crate::publish::export::export(&publisher, &dir) {
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, dir = %dir.display(), "static export failed"),
            });
        }
    }

    /// Whether the last static export failed (and none succeeded since).
    fn export_failing(&self) -> bool {
        self.config.daemon.publish_dir.as_deref().and_then(crate::publish::export::problem).is_some()
    }

    /// Modification times of the settings file and the source list.
    fn config_stamps(&self) -> [Option<std::time::SystemTime>; 2] {
        let stamp = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        [stamp(&self.config.path), stamp(&self.config.sources_path)]
    }

    /// Loads the configuration files again and, when they are valid and
    /// the store recorded the new sources, puts them in force (the
    /// scheduler's limits are resized in place). The store is written on
    /// the blocking pool: the loop's thread never waits for the writer.
    pub(crate) async fn reload(&mut self, scheduler: &Scheduler) -> Reload {
        notify(&[sd_notify::NotifyState::Reloading]);
        let done = self.load_and_apply(scheduler).await;
        notify(&[sd_notify::NotifyState::Ready]);
        done
    }

    async fn load_and_apply(&mut self, scheduler: &Scheduler) -> Reload {
        let new = match config::load(&self.config.path) {
            Ok(new) => new,
            Err(errors) => {
                self.running.reject(errors.to_string());
                for e in &errors.0 {
                    tracing::error!(error = %e, "reload rejected; keeping the running configuration");
                }
                return Reload::Rejected;
            }
        };
        // The packaged placeholder is refused by `run` and `check`; a
        // reload must not let it in either (self links would carry it).
        if let Some(e) = config::unfilled(&new) {
            self.running.reject(e.to_string());
            tracing::error!(error = %e, "reload rejected; keeping the running configuration");
            return Reload::Rejected;
        }
        for (key, changed) in
            [("listen", new.daemon.listen != self.config.daemon.listen), ("database", new.daemon.database != self.config.daemon.database)]
        {
            if changed {
                tracing::warn!(
                    key,
                    "daemon.{key} changed: it takes effect only when the service restarts; the rest of the new configuration is in force"
                );
            }
        }
        let (store, sources) = (Arc::clone(&self.ctx.store), new.sources.clone());
        let synced = tokio::task::spawn_blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).sync_sources(&sources)).await;
        if let Err(e) = synced.map_err(anyhow::Error::from).and_then(|r| r.map_err(anyhow::Error::from)) {
            tracing::error!(error = %e, "reload: could not record the new sources; keeping the running configuration, will retry");
            return Reload::StoreFailed;
        }
        if let Some(node) = &self.ctx.cluster
            && let Err(e) = shared::sync(node, &new).await
        {
            tracing::error!(error = %e, "reload: keeping the running configuration, will retry");
            return Reload::StoreFailed;
        }
        tracing::info!(sources = new.sources.len(), "configuration reloaded");
        self.config = Arc::new(new);
        self.running.set(Arc::clone(&self.config));
        self.publisher.config_changed();
        scheduler.reload(&self.config);
        self.export_in_background();
        Reload::Done
    }
}

/// How often a failed static export is tried again.
const EXPORT_RETRY: Duration = Duration::from_secs(30);

/// When the first retention round runs after start.
const FIRST_PRUNE: Duration = Duration::from_secs(600);

/// How a reload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reload {
    /// The new configuration is in force.
    Done,
    /// The files are invalid; the running configuration stays.
    Rejected,
    /// Valid, but the database could not record it; try again.
    StoreFailed,
}

/// Tells systemd (when run under it) about the service's state.
fn notify(states: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "sd_notify failed");
    }
}

/// One log line per fetch.
pub fn log_report(r: &PollReport) {
    let ms = r.elapsed.as_millis() as u64;
    match &r.outcome {
        Outcome::Failed(error) => {
            tracing::warn!(source = %r.source_id, status = r.status, bytes = r.bytes, ms, %error, "fetch failed")
        }
        Outcome::NotModified => tracing::info!(source = %r.source_id, status = r.status, ms, "not modified"),
        Outcome::Ingested => tracing::info!(
            source = %r.source_id,
            status = r.status,
            bytes = r.bytes,
            ms,
            entries = r.entries,
            new = r.stats.new,
            updated = r.stats.updated,
            duplicates = r.stats.duplicates,
            "fetched"
        ),
    }
}

/// One line per report, for the `fetch` command.
pub fn summary_line(r: &PollReport) -> String {
    let status = r.status.map_or("-".to_string(), |s| s.to_string());
    match &r.outcome {
        Outcome::Failed(e) => format!("{:<24} FAILED  status={status} error={e}", r.source_id),
        Outcome::NotModified => format!("{:<24} 304     not modified ({} ms)", r.source_id, r.elapsed.as_millis()),
        Outcome::Ingested if r.entries == 0 => format!(
            "{:<24} EMPTY   status={status} entries=0 bytes={}: the feed reads as empty; check that the url still points at the feed",
            r.source_id, r.bytes
        ),
        Outcome::Ingested => format!(
            "{:<24} ok      status={status} entries={} new={} updated={} duplicates={} bytes={} ({} ms)",
            r.source_id,
            r.entries,
            r.stats.new,
            r.stats.updated,
            r.stats.duplicates,
            r.bytes,
            r.elapsed.as_millis()
        ),
    }
}
