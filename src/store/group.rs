//! Group commit: feeds are parsed and normalized on every core at once, but
//! there is one writer, and a commit costs a WAL write of every page it
//! touched. So a feed ready to be stored joins a queue, and the writer
//! thread stores every feed queued by the time it is free in one
//! transaction ([`Store::ingest_many`], a savepoint per feed when one
//! fails) and hands each its own result. A lone feed is committed at once;
//! under load the groups grow by themselves and the commits become fewer.
//!
//! The writer is a thread of its own, so that a feed is queued without
//! waiting (the CPU worker that prepared it goes on to the next feed), and
//! the writer starts the next group as soon as the last is committed. A
//! feed may come with a ticket (its place in the poll pipeline, see
//! `poll::backlog`): it is given back as soon as the writer takes the feed,
//! not when the commit ends, so that the next feeds are fetched and parsed
//! while this group is written.
//!
//! Checkpoints (copying the WAL back into the database file, and syncing
//! it) run on a thread of their own with its own connection, at most once
//! a second while feeds are written. Left to the writer's commits
//! (SQLite's autocheckpoint every 32 MB of WAL), each one stopped the
//! writer for its copy and sync, every parsed feed waited behind it, and
//! both cores idled: a 100,000-item ingest ran 23 % faster with no
//! checkpoints at all. The writer keeps an autocheckpoint at 128 MB, should
//! the thread fall behind.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{Failure, FeedItems, FetchRecord, IngestStats, Store, Touched};
use crate::dedup::{Fingerprint, Matcher};
use crate::model::Item;

/// What storing one feed did, or why nothing of it was stored.
pub type Stored = Result<(IngestStats, Touched), Failure>;

/// The writer's queue; cheap to clone. Dropping the last clone waits for
/// the writer to store what is queued and end: the store it held is then
/// released at a known point (a clean close, before the process exits),
/// not whenever the thread gets round to it.
#[derive(Clone)]
pub struct GroupCommit {
    writer: Arc<Writer>,
}

struct Writer {
    queue: Option<Sender<Job>>,
    /// The writer, then the checkpointer (which ends when the writer does).
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.queue.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Checkpoints, at most one per this while feeds are written.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The writer's own autocheckpoint (bytes of WAL), should the checkpointer
/// fall behind.
const WRITER_AUTOCHECKPOINT: i64 = 128 << 20;

/// One feed for the writer.
pub struct Pending {
    /// The feed's items, new and seen before.
    pub items: Vec<Item>,
    /// `prints[i]` fingerprints `items[i]`.
    pub prints: Vec<Fingerprint>,
    /// The source's priority.
    pub priority: i64,
    /// The poll's time (unix seconds).
    pub now: i64,
    /// Given back when the writer takes the feed.
    pub ticket: Option<tokio::sync::OwnedSemaphorePermit>,
    /// The fetch that brought the feed (source id, record), stored with
    /// the items and their counts (see [`FeedItems::record`]).
    pub record: Option<(String, FetchRecord)>,
}

struct Job {
    feed: Pending,
    reply: tokio::sync::oneshot::Sender<Stored>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GroupCommit {
    /// Starts the writer thread for `store`.
    pub fn start(store: Arc<Mutex<Store>>, matcher: Arc<Matcher>) -> GroupCommit {
        let (queue, jobs) = channel();
        let mut threads = Vec::new();
        let (checkpointer, health) = {
            let store = lock(&store);
            (checkpointer(&store), store.health())
        };
        let (written, checkpoints) = std::sync::mpsc::sync_channel::<()>(1);
        let spawned = std::thread::Builder::new().name("syndic-writer".into()).spawn(move || {
            write(&jobs, &store, &matcher, &written, &health);
        });
        match spawned {
            Ok(thread) => threads.push(thread),
            // Every feed then fails with "the writer is not running".
            Err(e) => tracing::error!(error = %e, "could not start the writer thread"),
        }
        if let Some(conn) = checkpointer {
            match std::thread::Builder::new().name("syndic-checkpoint".into()).spawn(move || checkpoint(&conn, &checkpoints)) {
                Ok(thread) => threads.push(thread),
                Err(e) => tracing::error!(error = %e, "could not start the checkpoint thread"),
            }
        }
        GroupCommit { writer: Arc::new(Writer { queue: Some(queue), threads }) }
    }

    /// Queues one feed's items, to be stored all or nothing, possibly in
    /// the same transaction as other feeds; the answer comes when they are
    /// committed or have failed.
    pub fn submit(&self, feed: Pending) -> tokio::sync::oneshot::Receiver<Stored> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        // Were the writer gone, `reply` is dropped with the job, and the
        // answer says so.
        if let Some(queue) = &self.writer.queue {
            let _ = queue.send(Job { feed, reply });
        }
        answer
    }

    /// [`GroupCommit::submit`], waiting for the answer (not on an async
    /// runtime's thread).
    pub fn store(&self, feed: Pending) -> Stored {
        self.submit(feed).blocking_recv().unwrap_or_else(|_| Err(Failure::writer_gone()))
    }
}

/// A connection for the checkpoint thread, with the writer's own
/// autocheckpoint moved out of the way; `None` (and the writer keeps
/// checkpointing) for a store without a file or a connection that fails.
fn checkpointer(store: &Store) -> Option<rusqlite::Connection> {
    let path = store.path()?;
    let opened = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|conn| {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        store.conn.pragma_update(None, "wal_autocheckpoint", super::pages(&store.conn, WRITER_AUTOCHECKPOINT)?)?;
        Ok(conn)
    });
    opened.inspect_err(|e| tracing::warn!(error = %e, "no checkpoint thread; the writer checkpoints as it commits")).ok()
}

/// The checkpoint thread: after a commit, waits a moment (so that the
/// commits of a busy second share one checkpoint), then copies the WAL
/// into the database without blocking the writer (`PASSIVE`). When the
/// writer ends, what it committed since is copied before this thread ends:
/// closing the store would not do it while a read-only connection (the
/// server's) is still open, and a stopped daemon's database file alone
/// (a backup copy of it) would miss the last second of items.
fn checkpoint(conn: &rusqlite::Connection, written: &Receiver<()>) {
    while written.recv().is_ok() {
        // Commits until then share this checkpoint.
        let due = std::time::Instant::now() + CHECKPOINT_EVERY;
        let ended = loop {
            match written.recv_timeout(due.saturating_duration_since(std::time::Instant::now())) {
                Ok(()) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break false,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break true,
            }
        };
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)));
        match done {
            Ok((frames, copied)) => tracing::debug!(frames, copied, "checkpoint"),
            Err(e) => tracing::warn!(error = %e, "checkpoint failed; will retry after the next commit"),
        }
        if ended {
            return;
        }
    }
}

/// The writer thread: a group of every feed queued, one transaction; the
/// checkpoint thread hears of every commit.
/// Every commit's outcome goes to `health`.
fn write(
    jobs: &Receiver<Job>,
    store: &Mutex<Store>,
    matcher: &Matcher,
    written: &std::sync::mpsc::SyncSender<()>,
    health: &super::health::Health,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        group.extend(jobs.try_iter());
        for job in &mut group {
            drop(job.feed.ticket.take());
        }
        let feeds: Vec<FeedItems<'_>> = group
            .iter()
            .map(|j| FeedItems {
                items: &j.feed.items,
                prints: &j.feed.prints,
                priority: j.feed.priority,
                now: j.feed.now,
                record: j.feed.record.as_ref().map(|(source, record)| (source.as_str(), record)),
            })
            .collect();
        let stored = lock(store).ingest_many(&feeds, matcher);
        drop(feeds);
        // A feed can fail alone on a full disk (its rows spilled to the
        // WAL before the commit): that is the storage's health too.
        match &stored {
            Ok(results) => match results.iter().filter_map(|r| r.as_ref().err()).find(|e| super::health::is_storage_trouble(e)) {
                Some(e) => health.failed(e),
                None => health.committed(),
            },
            Err(e) => health.failed(e),
        }
        // One pending notice is enough.
        let _ = written.try_send(());
        match stored {
            Ok(results) => {
                for (job, result) in group.into_iter().zip(results) {
                    let _ = job.reply.send(result.map_err(Failure::from));
                }
            }
            Err(e) => {
                for job in group {
                    let _ = job.reply.send(Err(Failure::from(&e)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    fn item(source: &str, n: usize) -> Item {
        Item::sample(source, n, &format!("Заголовок {n} от {source}"), &format!("Текст новости номер {n} источника {source}"))
    }

    /// A store at `path` with source `s0`, and its writer.
    fn writer_on(path: &std::path::Path) -> (Arc<Mutex<Store>>, Arc<Matcher>, GroupCommit) {
        let mut store = Store::open(path).unwrap();
        let source = Source::example("s0", url::Url::parse("https://s0.kz/rss").unwrap());
        store.sync_sources(std::slice::from_ref(&source)).unwrap();
        let store = Arc::new(Mutex::new(store));
        let matcher = Arc::new(Matcher::default());
        let group = GroupCommit::start(Arc::clone(&store), Arc::clone(&matcher));
        (store, matcher, group)
    }

    /// A feed of `n` new items from `s0`.
    fn feed_of(matcher: &Matcher, n: usize) -> Pending {
        let items: Vec<Item> = (0..n).map(|n| item("s0", n)).collect();
        let prints = items.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
        Pending { items, prints, priority: 0, now: chrono::Utc::now().timestamp(), ticket: None, record: None }
    }

    #[test]
    fn concurrent_feeds_are_stored_each_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("g.db")).unwrap();
        let sources: Vec<Source> =
            (0..8).map(|i| Source::example(&format!("s{i}"), url::Url::parse(&format!("https://s{i}.kz/rss")).unwrap())).collect();
        store.sync_sources(&sources).unwrap();
        let store = Arc::new(Mutex::new(store));
        let matcher = Arc::new(Matcher::default());
        let group = GroupCommit::start(Arc::clone(&store), Arc::clone(&matcher));
        // Feed "ghost" names a source that does not exist: its items break
        // the foreign key, so that feed alone must fail and leave nothing.
        let results: Vec<(String, Stored)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| format!("s{i}"))
                .chain(["ghost".to_string()])
                .map(|id| {
                    let (group, matcher) = (&group, &matcher);
                    scope.spawn(move || {
                        let mut items: Vec<Item> = (0..30).map(|n| item(&id, n)).collect();
                        if id == "ghost" {
                            // The first items are fine as rows; the last fails.
                            items.iter_mut().take(29).for_each(|i| i.source_id = "s0".into());
                        }
                        let prints = items.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
                        let feed = Pending { items, prints, priority: 0, now: chrono::Utc::now().timestamp(), ticket: None, record: None };
                        let done = group.store(feed);
                        (id, done)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (id, done) in &results {
            match done {
                Ok((stats, _)) => {
                    assert_ne!(id, "ghost");
                    assert_eq!(stats.new, 30, "{id}");
                }
                Err(e) => {
                    assert_eq!(id, "ghost");
                    assert!(e.message.contains("FOREIGN KEY") && e.kind == crate::store::FailureKind::Other, "{e}");
                }
            }
        }
        assert!(results.iter().any(|(id, r)| id == "ghost" && r.is_err()));
        assert_eq!(store.lock().unwrap().counts().unwrap().0, 8 * 30, "the failed feed left no rows; the others all of theirs");
    }

    #[test]
    fn a_feed_gives_back_its_ticket_when_the_writer_takes_it_not_when_it_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let source = Source::example("s0", url::Url::parse("https://s0.kz/rss").unwrap());
        store.sync_sources(std::slice::from_ref(&source)).unwrap();
        let store = Arc::new(Mutex::new(store));
        let matcher = Arc::new(Matcher::default());
        let group = GroupCommit::start(Arc::clone(&store), Arc::clone(&matcher));
        let places = Arc::new(tokio::sync::Semaphore::new(1));
        let ticket = Arc::clone(&places).try_acquire_owned().ok();
        let items: Vec<Item> = (0..3).map(|n| item("s0", n)).collect();
        let prints = items.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
        // The store is busy (a reader's lock, a prune): the writer takes the
        // feed and waits for it.
        let busy = store.lock().unwrap();
        let mut answer = group.submit(Pending { items, prints, priority: 0, now: chrono::Utc::now().timestamp(), ticket, record: None });
        let waited = std::time::Instant::now();
        while places.available_permits() == 0 {
            assert!(waited.elapsed() < std::time::Duration::from_secs(10), "the ticket was never given back");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(answer.try_recv().is_err(), "nothing is committed while the store is held");
        assert_eq!(busy.counts().unwrap().0, 0);
        drop(busy);
        let (stats, _) = answer.blocking_recv().unwrap().unwrap();
        assert_eq!(stats.new, 3);
        assert_eq!(store.lock().unwrap().counts().unwrap().0, 3);
    }

    #[test]
    fn once_the_writer_ends_the_database_file_alone_holds_every_item_even_with_a_reader_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let (_store, matcher, group) = writer_on(&path);
        // The server's connection, open for the whole life of a daemon.
        let reader = Store::open_reader(&path).unwrap();
        assert_eq!(group.store(feed_of(&matcher, 200)).unwrap().0.new, 200);
        // Stopped at once, well within the checkpoint thread's wait.
        drop(group);
        // What an admin's backup of the stopped daemon's file would hold.
        let copy = dir.path().join("backup.db");
        std::fs::copy(&path, &copy).unwrap();
        let backup = rusqlite::Connection::open(&copy).unwrap();
        let count: i64 = backup.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 200);
        assert_eq!(reader.counts().unwrap().0, 200);
    }

    #[test]
    fn committed_pages_reach_the_database_file_within_seconds_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let (store, matcher, group) = writer_on(&path);
        let autocheckpoint: i64 = store.lock().unwrap().conn.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0)).unwrap();
        assert_eq!(autocheckpoint * (16 << 10), WRITER_AUTOCHECKPOINT, "the writer leaves checkpoints to the thread (16 KB pages)");
        // In WAL mode only a checkpoint writes to the database file itself.
        let before = std::fs::metadata(&path).unwrap().len();
        assert_eq!(group.store(feed_of(&matcher, 300)).unwrap().0.new, 300);
        let waited = std::time::Instant::now();
        while std::fs::metadata(&path).unwrap().len() <= before {
            assert!(waited.elapsed() < std::time::Duration::from_secs(10), "nothing was checkpointed ({before} bytes)");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Dropping the last handle ends both threads promptly.
        let dropped = std::time::Instant::now();
        drop(group);
        assert!(dropped.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(store.lock().unwrap().counts().unwrap().0, 300);
    }
}
