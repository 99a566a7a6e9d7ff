//! Where a poll's writes go: this node's store, or the shared log.
//!
//! A lone node writes to its own SQLite file. A node on a shared store
//! (`cluster`) appends each write to the shared log instead, and its
//! follower applies it here as on every other node; a poll's result is
//! answered once it is applied here, so the poll's report (and the feeds
//! it invalidates) is the same on both paths.

use super::PollError;
use super::poll::Context;
use crate::cluster::log::{Page, Print, Record};
use crate::extract::Extracted;
use crate::store::extract::Job;
use crate::store::{Failure, FetchRecord, Pending, Stored, Touched};

/// A feed for the writer, on whichever path: its answer comes when it is
/// stored (here) or applied (shared).
pub async fn store_feed(ctx: &Context, feed: Pending) -> Stored {
    let Some(node) = &ctx.cluster else {
        return ctx.commits.submit(feed).await.unwrap_or_else(|_| Err(Failure::writer_gone()));
    };
    let Some((source, record)) = feed.record else {
        return Err(Failure { kind: crate::store::FailureKind::Other, message: "internal error: a feed without its fetch".into() });
    };
    let shared = Record::Feed {
        source,
        record,
        priority: feed.priority,
        now: feed.now,
        prints: feed.prints.iter().map(Print::from).collect(),
        items: feed.items,
    };
    // The place in the backlog is given back once the log has the feed.
    let ticket = feed.ticket;
    let began = std::time::Instant::now();
    let (seq, answer) = node.append(&shared).await?;
    let appended = began.elapsed();
    drop(ticket);
    let stored = applied(node, answer).await;
    tracing::debug!(
        seq,
        append_ms = appended.as_millis() as u64,
        applied_ms = began.elapsed().as_millis() as u64,
        "poll stored through the shared log"
    );
    stored
}

/// Records a fetch that stored nothing (304, an error).
pub async fn record_fetch(ctx: &Context, id: &str, record: FetchRecord) -> Result<(), PollError> {
    write(ctx, Record::Fetch { source: id.to_string(), record }).await
}

/// Records where the feed moved to (or that it no longer does).
pub async fn set_moved_to(ctx: &Context, id: &str, to: Option<String>) -> Result<(), PollError> {
    write(ctx, Record::MovedTo { source: id.to_string(), to }).await
}

/// Stops polling a source (410 Gone) until its URL changes.
pub async fn disable(ctx: &Context, id: &str, reason: String) -> Result<(), PollError> {
    write(ctx, Record::Disabled { source: id.to_string(), reason }).await
}

/// A write other than a feed's items: to the log on a shared store, else
/// applied here as a follower applies it.
async fn write(ctx: &Context, record: Record) -> Result<(), PollError> {
    match &ctx.cluster {
        Some(node) => append(node, record).await,
        None => crate::cluster::follow::apply(&ctx.store, record).await.map(|_| ()).map_err(PollError::Store),
    }
}

/// Records an article page's extraction (or why it failed) in the shared
/// log; the answer comes once it is applied here.
pub async fn extraction(
    ctx: &Context,
    job: Job,
    extracted: Result<Extracted, PollError>,
    now: i64,
    retry_at: Option<i64>,
) -> (Result<usize, PollError>, Touched) {
    let Some(node) = &ctx.cluster else { return (Err(PollError::Internal("no shared store".into())), Touched::default()) };
    let (record, result) = match extracted {
        Ok(page) => {
            let chars = page.chars;
            let page =
                Page { html: page.html, chars, image: page.image, author: page.author, published: page.published.map(|d| d.timestamp()) };
            (Record::Extracted { source: job.source_id, url: job.url, page, now }, Ok(chars))
        }
        Err(e) => {
            let retry = if retry_at.is_some() { "; will retry" } else { "" };
            let record = Record::NotExtracted {
                source: job.source_id,
                url: job.url,
                kind: e.extraction_kind().to_string(),
                error: format!("{e}{retry}"),
                now,
                retry_at,
            };
            (record, Err(e))
        }
    };
    let applied = match node.append(&record).await {
        Ok((_, answer)) => applied(node, answer).await,
        Err(e) => Err(e.into()),
    };
    match applied {
        Ok((_, touched)) => (result, touched),
        Err(e) => (Err(PollError::Store(e)), Touched::default()),
    }
}

/// Appends and waits until the record is applied here.
async fn append(node: &crate::cluster::Node, record: Record) -> Result<(), PollError> {
    let (_, answer) = node.append(&record).await.map_err(|e| PollError::Store(e.into()))?;
    applied(node, answer).await.map(|_| ()).map_err(PollError::Store)
}

/// The answer to a record this node appended, once its follower applied
/// it here; a follower that fell a lease period behind (or stopped) is an
/// error for the poll, not a wait for ever (the record stays in the log).
async fn applied(node: &crate::cluster::Node, answer: tokio::sync::oneshot::Receiver<Stored>) -> Stored {
    match tokio::time::timeout(node.lease_period(), answer).await {
        Ok(answer) => answer.unwrap_or_else(|_| Err(Failure::writer_gone())),
        Err(_) => Err(Failure {
            kind: crate::store::FailureKind::Shared,
            message: format!(
                "stored in the shared log, but not applied to this node's replica within {} s (see the follower's errors)",
                node.lease_period().as_secs()
            ),
        }),
    }
}
