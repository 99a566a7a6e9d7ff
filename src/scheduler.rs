//! The daemon's scheduler: which sources are polled now, and what came of
//! the work it started.
//!
//! It owns four things the daemon's loop used to keep in locals: the polls
//! in flight (one task per source, never two for one source), the set of
//! sources running, the politeness [`Limits`] (one set for the daemon's
//! life: a reload resizes it, so host blocks from `Retry-After` and the
//! fetches in flight survive it) and the full-text batches (one at a
//! time). The loop asks it to start what is due on each tick and takes
//! each finished task from [`Scheduler::next`].
//!
//! A poll task that panics is a failed poll, not a lost one: its source is
//! freed for the next round and the panic is recorded as its error. No
//! method takes the writer's lock on the async side; reads go to the
//! state reader, writes to the blocking pool.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinError, JoinSet};

use crate::config::{Config, Source};
use crate::extract::health::Health;
use crate::pipeline::PollError;
use crate::pipeline::enrich::{self, Alerts};
use crate::pipeline::poll::{self, Context, Outcome, PollReport};
use crate::politeness::Limits;
use crate::schedule;
use crate::store::FetchRecord;

/// What finished.
pub enum Finished {
    /// A poll, panicked ones included.
    Poll(PollReport),
    /// A batch of full-text pages.
    Batch(Batch),
}

/// A finished batch of full-text pages and its sources' health.
pub struct Batch {
    /// One per page tried.
    pub outcomes: Vec<enrich::Outcome>,
    /// The health of each source in `outcomes`, judged after the batch.
    pub health: BTreeMap<String, Health>,
}

/// Polls and full-text batches in flight, and the limits they share.
pub struct Scheduler {
    ctx: Context,
    limits: Limits,
    polls: JoinSet<PollReport>,
    /// Poll task → its source, to free the source when the task panics.
    tasks: HashMap<tokio::task::Id, String>,
    running: HashSet<String>,
    batches: JoinSet<Batch>,
    alerts: Alerts,
    /// The last lease round failed (said once until one succeeds).
    lease_failing: std::sync::atomic::AtomicBool,
    /// How long each leased source waits for its host's turn.
    waits: std::sync::Mutex<HashMap<String, Duration>>,
    /// The last lease round filled every free place: lease again as soon
    /// as a poll ends, not at the next tick.
    more_due: std::sync::atomic::AtomicBool,
}

impl Scheduler {
    /// A scheduler for polls through `ctx`, within `config`'s limits.
    pub fn new(ctx: Context, config: &Config) -> Scheduler {
        Scheduler {
            ctx,
            limits: Limits::new(config),
            polls: JoinSet::new(),
            tasks: HashMap::new(),
            running: HashSet::new(),
            batches: JoinSet::new(),
            alerts: Alerts::default(),
            lease_failing: Default::default(),
            waits: Default::default(),
            more_due: Default::default(),
        }
    }

    /// The politeness limits every fetch goes through.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Applies a reloaded configuration's limits in place.
    pub fn reload(&self, config: &Config) {
        self.limits.resize(config);
    }

    /// Whether the last lease round from a shared store stopped for want
    /// of room, so that a finished poll should be followed by another.
    pub fn more_due(&self) -> bool {
        self.more_due.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a poll of this source is in flight.
    pub fn is_running(&self, source_id: &str) -> bool {
        self.running.contains(source_id)
    }

    /// Whether any poll or batch is in flight.
    pub fn is_busy(&self) -> bool {
        !self.polls.is_empty() || !self.batches.is_empty()
    }

    /// Polls in flight.
    pub fn polls_in_flight(&self) -> usize {
        self.polls.len()
    }

    /// Enabled sources of `config` that are due now ([`due`]); on a
    /// shared store, those of them this node leased (up to the fetches it
    /// may start).
    pub async fn due(&self, config: &Config) -> anyhow::Result<Vec<Source>> {
        let Some(node) = &self.ctx.cluster else { return due(&self.ctx, config).await };
        if !node.following() {
            return Ok(Vec::new());
        }
        // Polls waiting for their host's turn, or storing their result,
        // hold no fetch permit: leases may run ahead of the fetches in
        // flight (which the limits still cap), as a lone node starts every
        // due poll at once and lets them queue.
        let room = (config.daemon.max_concurrent_fetches * 4).saturating_sub(self.polls.len()) as i64;
        let candidates: Vec<&str> = config
            .sources
            .iter()
            .filter(|s| s.enabled && !self.is_running(&s.id) && !self.limits.is_blocked(s))
            .map(|s| s.id.as_str())
            .collect();
        let leased = match node
            .lease_due(&candidates, room, config.daemon.per_host_concurrency as i64, config.daemon.per_host_spacing)
            .await
        {
            Ok(leased) => {
                self.lease_failing.store(false, std::sync::atomic::Ordering::Relaxed);
                // The round was cut at the room there was: more may be due.
                self.more_due.store(leased.len() as i64 >= room && room > 0, std::sync::atomic::Ordering::Relaxed);
                leased
            }
            // The shared database is down or unreachable: nothing is
            // polled (no node could record it), feeds are still served
            // from the replica, and leasing is tried again every tick.
            Err(e) => {
                if !self.lease_failing.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::error!(error = %e, "cannot lease sources from the shared database; polling waits for it, feeds are still served");
                }
                return Ok(Vec::new());
            }
        };
        let mut waits = self.waits.lock().unwrap_or_else(|p| p.into_inner());
        let mut sources = Vec::with_capacity(leased.len());
        for (id, wait) in leased {
            if let Some(source) = config.source(&id) {
                waits.insert(id, wait);
                sources.push(source.clone());
            }
        }
        Ok(sources)
    }

    /// Starts a poll of each of `sources` that is not running already and
    /// whose host did not ask us to wait.
    pub fn start_polls(&mut self, sources: impl IntoIterator<Item = Source>) {
        for source in sources {
            if self.limits.is_blocked(&source) || self.is_running(&source.id) {
                continue;
            }
            let (ctx, limits) = (self.ctx.clone(), self.limits.clone());
            let id = source.id.clone();
            // The host's turn across all nodes (a shared store's lease).
            let wait = self.waits.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            self.spawn_poll(id, async move {
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                }
                let permit = limits.acquire(&source).await;
                poll::poll_source(&ctx, &source, permit).await
            });
        }
    }

    fn spawn_poll(&mut self, source_id: String, poll: impl Future<Output = PollReport> + Send + 'static) {
        let task = self.polls.spawn(poll);
        self.tasks.insert(task.id(), source_id.clone());
        self.running.insert(source_id);
    }

    /// Starts a batch of due full-text pages, unless one is running or no
    /// source wants full text.
    pub fn start_batch(&mut self, config: &Arc<Config>) {
        if !self.batches.is_empty() || !config.sources.iter().any(|s| s.full_text.is_some()) {
            return;
        }
        let (ctx, config, limits) = (self.ctx.clone(), Arc::clone(config), self.limits.clone());
        self.batches.spawn(async move { run_batch(&ctx, &config, &limits).await });
    }

    /// Runs one batch of due full-text pages here and now (for one-shot
    /// commands) and returns it with its alerts logged.
    pub async fn batch_now(&mut self, config: &Arc<Config>) -> Batch {
        let batch = run_batch(&self.ctx, config, &self.limits).await;
        self.alerts.update(&batch.health);
        batch
    }

    /// The next poll or batch to finish; `None` when nothing is in flight.
    /// A host that answered with `Retry-After` is blocked here, before the
    /// caller sees the report.
    pub async fn next(&mut self, config: &Config) -> Option<Finished> {
        let finished = loop {
            break tokio::select! {
                Some(joined) = self.polls.join_next_with_id(), if !self.polls.is_empty() => match self.poll_finished(joined, config) {
                    Some(report) => Finished::Poll(report),
                    // A panicked poll: its failure is being recorded by a
                    // task of its own, which reports it when done.
                    None => continue,
                },
                Some(joined) = self.batches.join_next(), if !self.batches.is_empty() => match joined {
                    Ok(batch) => Finished::Batch(batch),
                    Err(e) => {
                        tracing::error!(error = %e, "full text: a batch stopped (internal error); its pages stay queued");
                        Finished::Batch(Batch { outcomes: Vec::new(), health: BTreeMap::new() })
                    }
                },
                else => return None,
            };
        };
        match &finished {
            Finished::Poll(report) => {
                if let (Some(wait), Some(source)) = (report.retry_after, config.source(&report.source_id)) {
                    self.limits.block_host(source, wait);
                    if let Some(node) = self.ctx.cluster.clone() {
                        let host = source.url.host_str().unwrap_or_default().to_string();
                        tokio::spawn(async move {
                            if let Err(e) = node.block_host(&host, wait, "Retry-After").await {
                                tracing::warn!(host, error = %e, "could not block the host for the other nodes");
                            }
                        });
                    }
                    tracing::warn!(source = %report.source_id, seconds = wait.as_secs(), "host asked to wait (Retry-After); all its sources pause");
                }
            }
            Finished::Batch(batch) => self.alerts.update(&batch.health),
        }
        Some(finished)
    }

    /// Frees the task's source and returns its report. A task that
    /// panicked gives `None`: its failure is recorded on the source by a
    /// task of its own ([`Scheduler::record_failure`]), which keeps the
    /// source running until it is written and then reports it. Nothing
    /// here waits: [`Scheduler::next`] runs inside the daemon's `select!`,
    /// where a tick may drop it at any await, and the report with it.
    fn poll_finished(&mut self, joined: Result<(tokio::task::Id, PollReport), JoinError>, config: &Config) -> Option<PollReport> {
        match joined {
            Ok((task, report)) => {
                self.tasks.remove(&task);
                self.running.remove(&report.source_id);
                Some(report)
            }
            Err(e) => {
                let source_id = self.tasks.remove(&e.id()).unwrap_or_default();
                let report = failed(&source_id, e);
                let interval = config.source(&source_id).map_or(config.daemon.default_interval, |s| s.interval);
                self.record_failure(report, interval);
                None
            }
        }
    }

    /// Records a poll that never got to record itself (its task panicked
    /// or was cancelled): a failure, backed off like the source's next
    /// failure would be (a source that panics on every poll waits longer
    /// each time). Written on the blocking pool by a task in the poll set,
    /// so the source stays running (a tick does not poll it again with its
    /// old due time) until the failure is written, and the report comes
    /// out of [`Scheduler::next`] then.
    fn record_failure(&mut self, report: PollReport, interval: Duration) {
        let ctx = self.ctx.clone();
        let id = report.source_id.clone();
        self.spawn_poll(id.clone(), async move {
            let Outcome::Failed(error) = &report.outcome else { return report };
            let error = error.to_string();
            let states = Arc::clone(&ctx.states);
            let state_of = id.clone();
            let failures = tokio::task::spawn_blocking(move || {
                states.lock().unwrap_or_else(|p| p.into_inner()).source_state(&state_of).map_or(0, |s| s.consecutive_failures)
            })
            .await
            .unwrap_or(0)
            .max(0) as u32
                + 1;
            let now = chrono::Utc::now().timestamp();
            let wait = schedule::delay(&id, interval, failures, None);
            let record = FetchRecord { at: now, error: Some(error), next_fetch_at: now + wait.as_secs() as i64, ..FetchRecord::default() };
            if let Err(e) = crate::pipeline::record::record_fetch(&ctx, &id, record).await {
                tracing::error!(source = %id, error = %e, "could not record the failed poll");
            }
            report
        });
    }

    /// Gives the polls in flight `grace` to finish (each is reported to
    /// `each`), then cancels them and every full-text batch.
    pub async fn drain(&mut self, config: &Config, grace: Duration, mut each: impl FnMut(&PollReport)) {
        self.batches.shutdown().await;
        let finished = crate::shutdown::within(grace, async {
            while let Some(done) = self.next(config).await {
                if let Finished::Poll(report) = done {
                    each(&report);
                }
            }
        })
        .await;
        if !finished {
            tracing::warn!(in_flight = self.polls.len(), "in-flight fetches cancelled after {} s", grace.as_secs());
            self.polls.abort_all();
        }
    }
}

/// Enabled sources of `config` that are due now (never fetched, or past
/// their time), read on the state reader off the async side.
pub async fn due(ctx: &Context, config: &Config) -> anyhow::Result<Vec<Source>> {
    let states = Arc::clone(&ctx.states);
    let next = tokio::task::spawn_blocking(move || states.lock().unwrap_or_else(|p| p.into_inner()).next_due()).await??;
    let next: HashMap<String, Option<i64>> = next.into_iter().collect();
    let now = chrono::Utc::now().timestamp();
    Ok(config
        .sources
        .iter()
        // A source missing from the map was disabled by its upstream (410).
        .filter(|s| s.enabled && next.get(&s.id).is_some_and(|t| t.is_none_or(|t| t <= now)))
        .cloned()
        .collect())
}

/// One batch of due pages, then the health of their sources (read off the
/// async side, on the state reader).
async fn run_batch(ctx: &Context, config: &Arc<Config>, limits: &Limits) -> Batch {
    let outcomes = enrich::run_due(ctx, config, limits).await;
    let health = enrich::health_of(ctx, &outcomes).await;
    Batch { outcomes, health }
}

/// The report of a poll whose task ended without one.
fn failed(source_id: &str, e: JoinError) -> PollReport {
    let why = match e.try_into_panic() {
        Ok(panic) => {
            let message = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
            format!("the poll panicked: {}", message.as_deref().unwrap_or("no message"))
        }
        Err(_) => "the poll was cancelled".to_string(),
    };
    PollReport::failed(source_id, PollError::Internal(format!("internal error: {why}")))
}

#[cfg(test)]
mod tests;
