//! Applying the shared log to this node's replica, in order.
//!
//! One task per node: it reads the records after the last one applied,
//! applies them through the same writer a lone node stores its polls with
//! (feeds through the group commit, in order), records how far it got in
//! the replica, and hands each record's answer to the poll of this node
//! that appended it. It wakes on `NOTIFY syndic_log` (a dedicated
//! connection) and, should a notification be lost with its connection,
//! every second anyway.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;

use super::log::{CHANNEL, Record};
use super::{ClusterError, Node};
use crate::store::extract::Found;
use crate::store::{Failure, GroupCommit, Pending, Store, Stored, Touched};

/// Records read and applied at once.
const BATCH: i64 = 256;

/// What the follower needs from the node it runs in.
pub struct Replica {
    /// The writer connection.
    pub store: Arc<Mutex<Store>>,
    /// The writer's queue.
    pub commits: GroupCommit,
    /// Called with what each applied record changed (the publisher's cache).
    pub changed: Box<dyn Fn(&Touched) + Send + Sync>,
}

/// Refuses, before anything writes to it, a replica file that holds a
/// database of its own (the old single node's file, kept as a backup).
pub fn check_file(path: &std::path::Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let store = Store::open_reader(path)?;
    // A file older than the `replica` table is no replica either.
    let position = store.replica_position().ok().flatten();
    if position.is_none() && store.has_items().unwrap_or(false) {
        anyhow::bail!(
            "{} holds a database of its own: move it into PostgreSQL with `syndic migrate`, or give this node a new `replica` file",
            path.display()
        );
    }
    Ok(())
}

/// Checks that `store` may follow the shared store `node`: a replica of
/// it, or a new file, which is marked as its replica at once (a process
/// that ends before its follower first records how far it got, such as a
/// `syndic fetch`, must not leave a file that looks like a database of its
/// own). Returns the last record applied.
pub fn position(store: &mut Store, node: &Node) -> anyhow::Result<i64> {
    let file = store.path().map(|p| p.display().to_string()).unwrap_or_default();
    match store.replica_position()? {
        Some((origin, seq)) if origin == node.origin() => Ok(seq),
        Some((origin, _)) => anyhow::bail!(
            "{} is the replica of another shared database (id {origin}, this one is {}): give this node a new `replica` file",
            file,
            node.origin()
        ),
        None if store.has_items()? => anyhow::bail!(
            "{} holds a database of its own: move it into PostgreSQL with `syndic migrate`, or give this node a new `replica` file",
            file
        ),
        None => {
            store.set_replica_position(node.origin(), 0)?;
            Ok(0)
        }
    }
}

/// Applies the log from `from` on, for ever. Errors are logged and
/// retried; a record this build cannot read stops the follower (the
/// replica would diverge) with an error naming it.
pub async fn run(node: Arc<Node>, replica: Replica, from: i64, started_at: i64) {
    let wake = Arc::new(Notify::new());
    tokio::spawn(listen(node.url().to_string(), Arc::clone(&wake)));
    let mut applied = from;
    let mut stuck = None;
    loop {
        match step(&node, &replica, applied).await {
            Ok(Some(last)) => {
                applied = last;
                if stuck.take().is_some() {
                    tracing::info!(applied, "the replica applies the shared log again");
                    node.stall(false);
                }
                node.report(started_at, applied).await;
                continue;
            }
            Ok(None) => {
                node.report(started_at, applied).await;
            }
            Err(e @ ClusterError::Behind { .. }) => {
                tracing::error!(error = %e, "this node stops following the shared log and polling");
                node.stop_following(&e.to_string());
                return;
            }
            Err(e @ ClusterError::Record { .. }) => {
                tracing::error!(error = %e, "the replica cannot apply the shared log: this node stops following it and polling; upgrade syndic on this node");
                node.stop_following(&format!("{e}: this node stopped following the log and polling; upgrade syndic on it"));
                return;
            }
            Err(e @ ClusterError::Apply { seq, .. }) => {
                // Applied up to the record before; the loop tries again
                // (said once per record, and on /status until it passes).
                if stuck != Some(seq) {
                    tracing::error!(error = %e, "the replica waits on this record, and tries again every second");
                    stuck = Some(seq);
                }
                applied = seq - 1;
                node.set_error(&e.to_string());
                node.stall(true);
            }
            Err(e) => tracing::warn!(error = %e, "reading the shared log failed; retrying"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
    }
}

/// Applies the records after `after`; the last one applied, or `None`
/// when there was none.
async fn step(node: &Node, replica: &Replica, after: i64) -> Result<Option<i64>, ClusterError> {
    let began = std::time::Instant::now();
    let records = node.read_after(after, BATCH).await?;
    let Some(&(last, _)) = records.last() else { return Ok(None) };
    let count = records.len();
    // Numbers have no gaps: a gap is the part of the log pruned while
    // this node was away (only the snapshots remember it).
    if records[0].0 != after + 1 {
        return Err(ClusterError::Behind { applied: after, first: records[0].0 });
    }
    // Feeds go to the writer in order and are awaited together: the group
    // commit stores them in the order queued.
    let mut queued: Vec<Queued> = Vec::new();
    let mut failed = None;
    for (seq, body) in records {
        let record = Record::decode(seq, &body)?;
        match record {
            Record::Feed { source, record, priority, now, items, prints } => {
                let prints: Option<Vec<_>> = prints.iter().map(|p| p.fingerprint()).collect();
                let Some(prints) = prints.filter(|p| p.len() == items.len()) else {
                    return Err(ClusterError::Record { seq, reason: "a fingerprint does not read".into() });
                };
                let id = source.clone();
                let feed = Pending { items, prints, priority, now, ticket: None, record: Some((source, record)) };
                queued.push((seq, id, replica.commits.submit(feed)));
            }
            other => {
                failed = failed.or(settle(node, replica, &mut queued).await);
                let source = other.source().to_string();
                let stored = apply(&replica.store, other).await;
                if let Err(e) = &stored {
                    failed = failed.or(Some(Failed { seq, source, error: e.to_string() }));
                }
                node.answer(seq, stored);
            }
        }
    }
    failed = failed.or(settle(node, replica, &mut queued).await);
    // A record that could not be applied (a full disk) is applied again,
    // with those after it, on the next try: the replica never skips one.
    // Applying a record twice changes nothing.
    let upto = failed.as_ref().map_or(last, |f| f.seq - 1);
    let store = Arc::clone(&replica.store);
    let origin = node.origin().to_string();
    let saved = tokio::task::spawn_blocking(move || lock(&store).set_replica_position(&origin, upto)).await;
    if let Ok(Err(e)) = saved {
        tracing::warn!(error = %e, "could not record the replica's position (the records after it are applied again, which changes nothing)");
    }
    tracing::debug!(records = count, upto, ms = began.elapsed().as_millis() as u64, "applied from the shared log");
    match failed {
        Some(Failed { seq, source, error }) => Err(ClusterError::Apply { seq, feed: source, error }),
        None => Ok(Some(last)),
    }
}

/// A feed queued for the writer: its record, source and answer.
type Queued = (i64, String, tokio::sync::oneshot::Receiver<Stored>);

/// The first record of a step that could not be applied.
struct Failed {
    seq: i64,
    source: String,
    error: String,
}

/// Waits for the queued feeds and hands out their answers; the first
/// that failed.
async fn settle(node: &Node, replica: &Replica, queued: &mut Vec<Queued>) -> Option<Failed> {
    let mut failed = None;
    for (seq, source, answer) in queued.drain(..) {
        let stored = answer.await.unwrap_or_else(|_| Err(Failure::writer_gone()));
        match &stored {
            Ok((_, touched)) => (replica.changed)(touched),
            Err(e) => {
                failed = failed.or(Some(Failed { seq, source, error: e.to_string() }));
            }
        }
        node.answer(seq, stored);
    }
    failed
}

/// Applies a record other than a feed on the writer connection (a lone
/// node's polls write theirs so too).
pub(crate) async fn apply(store: &Arc<Mutex<Store>>, record: Record) -> Stored {
    let store = Arc::clone(store);
    let done = tokio::task::spawn_blocking(move || {
        let mut store = lock(&store);
        let mut touched = Touched::default();
        match record {
            Record::Fetch { source, record } => store.record_fetch(&source, &record)?,
            Record::MovedTo { source, to } => store.set_moved_to(&source, to.as_deref())?,
            Record::Disabled { source, reason } => store.disable_source(&source, &reason)?,
            // A job already done here (the record applied before a
            // restart) is not done twice.
            Record::Extracted { source, url, page, now } => {
                if let Some(job) = store.extraction_job(&source, &url)? {
                    let found = Found {
                        html: &page.html,
                        chars: page.chars,
                        image: page.image.as_deref(),
                        author: page.author.as_deref(),
                        published: page.published.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
                    };
                    touched = store.extraction_done(&job, &found, now)?;
                }
            }
            Record::NotExtracted { source, url, kind, error, now, retry_at } => {
                if let Some(job) = store.extraction_job(&source, &url)? {
                    store.extraction_failed(&job, &kind, &error, now, retry_at)?;
                }
            }
            Record::Feed { .. } => {}
        }
        Ok::<_, crate::store::StoreError>(touched)
    })
    .await;
    match done {
        Ok(Ok(touched)) => Ok((Default::default(), touched)),
        Ok(Err(e)) => Err(Failure::from(e)),
        Err(_) => Err(Failure::writer_gone()),
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps a connection listening on the log's channel and wakes the
/// follower on each notification; reconnects when the connection drops.
async fn listen(url: String, wake: Arc<Notify>) {
    loop {
        match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let listening = async {
                    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
                    Ok::<_, tokio_postgres::Error>(())
                };
                // The connection must be polled for LISTEN to be answered.
                let listened = {
                    let mut listening = std::pin::pin!(listening);
                    loop {
                        tokio::select! {
                            done = &mut listening => break done,
                            message = messages.next() => if message.is_none() { break Ok(()) },
                        }
                    }
                };
                if let Err(e) = listened {
                    tracing::warn!(error = %e, "LISTEN on the shared database failed; the follower reads every second");
                }
                while let Some(message) = messages.next().await {
                    match message {
                        Ok(tokio_postgres::AsyncMessage::Notification(_)) => wake.notify_one(),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "the listening connection to the shared database dropped");
                            break;
                        }
                    }
                }
                drop(client);
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect to the shared database to listen; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
