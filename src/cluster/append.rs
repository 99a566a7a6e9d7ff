//! Appending to the shared log in groups.
//!
//! Appends number themselves under one row lock (`log_head`), so they run
//! one at a time across all nodes; a transaction per poll made that lock
//! the limit (a node storing a busy cycle waited most of a second per
//! poll). So a node's polls queue their records, and one task appends
//! every record queued by the time it is free in one transaction: each
//! record still checks its own lease (a lost one is refused alone), the
//! group takes its numbers with one update, and one `NOTIFY` announces
//! them all. As with the SQLite writer's group commit, a lone record is
//! appended at once and the groups grow by themselves under load.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::log::CHANNEL;
use super::{ClusterError, NOW};
use crate::store::Stored;

/// Records appended in one transaction, at most.
const GROUP: usize = 256;

/// Polls waiting for their record to be applied on this node.
pub(crate) type Waiters = Arc<Mutex<HashMap<i64, oneshot::Sender<Stored>>>>;

/// What an append gives back: the record's number and the answer that
/// comes once it is applied here.
pub(crate) type Appended = Result<(i64, oneshot::Receiver<Stored>), ClusterError>;

/// One record waiting for the appender.
pub(crate) struct Queued {
    pub source: String,
    pub kind: &'static str,
    /// A poll's next due time: the record ends the lease (and needs it).
    pub next_fetch_at: Option<i64>,
    /// Why the source is disabled, for a 410 record.
    pub disabled: Option<String>,
    pub body: Vec<u8>,
    pub reply: oneshot::Sender<Appended>,
}

/// Appends what is queued, a group at a time, until the node is dropped.
pub(crate) async fn run(pool: Pool, node: String, waiters: Waiters, mut queue: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let replies = match append(&pool, &node, &waiters, &group).await {
            Ok(replies) => replies,
            Err(e) => {
                let message = e.to_string();
                group.iter().map(|_| Err(ClusterError::Append(message.clone()))).collect()
            }
        };
        for (queued, reply) in group.into_iter().zip(replies) {
            let _ = queued.reply.send(reply);
        }
    }
}

/// One transaction for `group`; a reply for each record.
async fn append(pool: &Pool, node: &str, waiters: &Waiters, group: &[Queued]) -> Result<Vec<Appended>, ClusterError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let fence = tx
        .prepare_cached(&format!(
            "UPDATE sources SET next_fetch_at = $2, leased_by = NULL, lease_until = NULL, fetching = false,
                polled_at = {NOW}, polled_by = $3, polls = polls + 1
             WHERE id = $1 AND leased_by = $3"
        ))
        .await?;
    let mut kept = Vec::with_capacity(group.len());
    for q in group {
        let held = match q.next_fetch_at {
            Some(next) => tx.execute(&fence, &[&q.source, &next, &node]).await? == 1,
            None => true,
        };
        if held && let Some(reason) = &q.disabled {
            tx.execute("UPDATE sources SET disabled = $2 WHERE id = $1", &[&q.source, reason]).await?;
        }
        kept.push(held);
    }
    let count = kept.iter().filter(|&&k| k).count() as i64;
    let mut seqs = Vec::with_capacity(group.len());
    if count > 0 {
        let last: i64 = tx.query_one("UPDATE log_head SET seq = seq + $1 RETURNING seq", &[&count]).await?.get(0);
        let insert =
            tx.prepare_cached(&format!("INSERT INTO log (seq, at, node, source, kind, body) VALUES ($1, {NOW}, $2, $3, $4, $5)")).await?;
        let mut seq = last - count;
        for (q, &held) in group.iter().zip(&kept) {
            if held {
                seq += 1;
                tx.execute(&insert, &[&seq, &node, &q.source, &q.kind, &q.body]).await?;
                seqs.push(Some(seq));
            } else {
                seqs.push(None);
            }
        }
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &last.to_string()]).await?;
    } else {
        seqs.resize(group.len(), None);
    }
    // Registered before the commit: the follower may apply a record the
    // moment it is committed.
    let answers: Vec<Option<oneshot::Receiver<Stored>>> = seqs
        .iter()
        .map(|seq| {
            seq.map(|seq| {
                let (tx, rx) = oneshot::channel();
                waiters.lock().unwrap_or_else(PoisonError::into_inner).insert(seq, tx);
                rx
            })
        })
        .collect();
    if let Err(e) = tx.commit().await {
        let mut waiting = waiters.lock().unwrap_or_else(PoisonError::into_inner);
        for seq in seqs.iter().flatten() {
            waiting.remove(seq);
        }
        return Err(e.into());
    }
    Ok(group
        .iter()
        .zip(seqs.into_iter().zip(answers))
        .map(|(q, (seq, answer))| match (seq, answer) {
            (Some(seq), Some(answer)) => Ok((seq, answer)),
            _ => Err(ClusterError::LeaseLost(q.source.clone())),
        })
        .collect())
}
