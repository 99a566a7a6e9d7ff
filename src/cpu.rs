//! The threads that do the CPU half of polls: one per core, each taking
//! the next job (decode → parse → normalize → fingerprint a fetched feed,
//! or extract an article page) from one queue as soon as it is done with
//! the last.
//!
//! Jobs used to run on tokio's blocking pool behind a semaphore of one slot
//! per core. Every job then passed through the async runtime twice (the
//! slot's release woke the next task, which spawned the next job), and
//! with both cores busy those wake-ups waited for a time slice: a slot
//! stood empty between two feeds while dozens waited for it, and a tenth
//! of the machine idled. Here a thread that finishes a job takes the next
//! one itself.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// Each worker's stack. feed-rs reads nested elements by recursion, about
/// 6.5 KB of stack a level in a debug build (a feed nested 300 deep fits in
/// Rust's default 2 MB, 400 does not): 8 MB holds a parse at the limit
/// that `parse::depth` enforces with five times room to spare (1,400 levels fit). Only the
/// pages a thread touches take memory.
pub const STACK_BYTES: usize = 8 << 20;

/// Why a job gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The job panicked (the message is the panic's); the worker goes on.
    #[error("internal error: {0}")]
    Panicked(String),
    /// No worker thread could be started.
    #[error("internal error: no CPU worker is running")]
    NoWorker,
    /// The worker stopped before it answered.
    #[error("internal error: the CPU worker stopped")]
    Stopped,
}

/// A fixed set of worker threads and their queue; cheap to clone. The
/// threads end when the last clone is dropped.
#[derive(Clone)]
pub struct Pool {
    queue: Sender<Job>,
    threads: usize,
}

impl Pool {
    /// `threads` workers (at least one).
    pub fn new(threads: usize) -> Pool {
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let threads = threads.max(1);
        for i in 0..threads {
            let jobs = Arc::clone(&jobs);
            let spawned = std::thread::Builder::new().name(format!("syndic-cpu-{i}")).stack_size(STACK_BYTES).spawn(move || work(&jobs));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a CPU worker thread");
            }
        }
        Pool { queue, threads }
    }

    /// One worker per core.
    pub fn per_core() -> Pool {
        Pool::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` on a worker when one is free and returns its result; a
    /// panic in `f` becomes an error, and the worker goes on.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, JobError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        });
        self.queue.send(job).map_err(|_| JobError::NoWorker)?;
        match rx.await {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(panic)) => Err(JobError::Panicked(panic_message(panic.as_ref()))),
            Err(_) => Err(JobError::Stopped),
        }
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // One worker waits in `recv`, the others for the lock; a job goes
        // to whichever gets it first.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a job panicked".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn jobs_run_on_the_workers_and_a_panic_is_an_error_that_spares_the_worker() {
        let pool = Pool::new(1);
        let name = pool.run(|| std::thread::current().name().map(str::to_string)).await.unwrap();
        assert_eq!(name.as_deref(), Some("syndic-cpu-0"));
        let failed = pool.run(|| -> u32 { panic!("malformed input") }).await;
        assert_eq!(failed, Err(JobError::Panicked("malformed input".to_string())));
        assert_eq!(pool.run(|| 2 + 2).await, Ok(4), "the one worker survived the panic");
    }

    #[tokio::test]
    async fn a_job_waits_while_every_worker_is_busy() {
        let pool = Pool::new(1);
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || blocked.recv().is_ok()).await }
        });
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| "done").await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "the second job ran while the only worker was busy");
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(true));
        assert_eq!(tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap(), Ok("done"));
    }
}
