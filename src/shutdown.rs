//! How the daemon is told to stop, and how its tasks are drained.
//!
//! The shape is mini-redis's. Signals arrive in one place ([`Signals`]):
//! SIGINT or SIGTERM ends the scheduler's loop, SIGHUP asks for a reload
//! and stops nothing. When the loop ends, the daemon fires the
//! [`Trigger`]; every task holding one of its receivers (the HTTP server)
//! sees it, stops taking new work and finishes what it holds. Work in
//! flight is then drained ([`drain`]): polls get [`POLL_GRACE`] to finish
//! (each commits its own feed, so a poll cut short loses only itself),
//! then are cancelled; the server gets [`SERVER_GRACE`]. A poll task that
//! panicked is not lost in the drain: it is reported like any other. Full-text
//! batches are cancelled at once: a page in hand stays queued.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

/// How long polls in flight may take to finish once a stop is asked.
pub const POLL_GRACE: Duration = Duration::from_secs(10);

/// How long the HTTP server may take to close its connections.
pub const SERVER_GRACE: Duration = Duration::from_secs(5);

/// The process signals the daemon listens to.
pub struct Signals {
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    /// Installs the handlers (before the first await, so a signal sent
    /// right after start is not lost).
    pub fn install() -> anyhow::Result<Signals> {
        let install = |kind| signal(kind).context("cannot install signal handler");
        Ok(Signals { terminate: install(SignalKind::terminate())?, hangup: install(SignalKind::hangup())? })
    }

    /// The next signal that arrives.
    pub async fn next(&mut self) -> Asked {
        tokio::select! {
            _ = self.terminate.recv() => Asked::Stop,
            _ = tokio::signal::ctrl_c() => Asked::Stop,
            _ = self.hangup.recv() => Asked::Reload,
        }
    }
}

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// SIGTERM or SIGINT: stop, draining what is in flight.
    Stop,
    /// SIGHUP: load the configuration again.
    Reload,
}

/// Tells every subscribed task that the daemon stops.
pub struct Trigger(watch::Sender<bool>);

impl Default for Trigger {
    fn default() -> Trigger {
        Trigger(watch::channel(false).0)
    }
}

impl Trigger {
    /// A receiver that turns `true` when [`Trigger::fire`] is called.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }

    /// Tells every receiver to stop.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

/// Runs `work` (draining tasks) for at most `grace`; whether it finished.
/// The caller cancels what is left when it did not.
pub async fn within(grace: Duration, work: impl Future<Output = ()>) -> bool {
    tokio::time::timeout(grace, work).await.is_ok()
}

/// Waits up to `grace` for `task`; gives up on it after that.
pub async fn wait<T>(task: impl Future<Output = T>, grace: Duration) {
    let _ = tokio::time::timeout(grace, task).await;
}
