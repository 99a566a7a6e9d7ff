//! Full-text jobs and their outcomes.
//!
//! A job row is written in the same transaction as the new item it belongs
//! to and deleted in the same transaction as the extracted story is stored
//! (or when it is given up), so a crash never loses or repeats one. The
//! `extractions` log keeps the last [`LOG_PER_SOURCE`] outcomes per source
//! for the breakage alerts.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::items::slices_of;
use super::{Store, StoreError, Touched};
use crate::extract::health::{self, Attempt};

/// Outcomes kept per source.
const LOG_PER_SOURCE: i64 = 50;

/// A page waiting to be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The item the page belongs to.
    pub item_id: i64,
    /// Its source.
    pub source_id: String,
    /// The article page.
    pub url: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// What an extraction found, as stored.
#[derive(Debug, Clone, Default)]
pub struct Found<'a> {
    /// Sanitized story HTML.
    pub html: &'a str,
    /// Its length in characters.
    pub chars: usize,
    /// Lead image, used when the feed gave none.
    pub image: Option<&'a str>,
    /// Author, used when the feed gave none.
    pub author: Option<&'a str>,
    /// Publication time, used when the feed gave none.
    pub published: Option<DateTime<Utc>>,
}

impl Store {
    /// Up to `limit` jobs due at `now`, oldest first. Jobs of items that
    /// turned out to be copies of another story are dropped: the story's
    /// representative is the one published.
    pub fn due_extractions(&mut self, now: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM extract_jobs WHERE next_at <= ?1 AND item_id IN (SELECT id FROM items WHERE duplicate_of IS NOT NULL)",
            [now],
        )?;
        let jobs = tx
            .prepare_cached("SELECT item_id, source_id, url, attempts FROM extract_jobs WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2")?
            .query_map(params![now, limit as i64], |r| {
                Ok(Job { item_id: r.get(0)?, source_id: r.get(1)?, url: r.get(2)?, attempts: r.get(3)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(jobs)
    }

    /// The job for `url` of `source`, if it is still waiting (a node on a
    /// shared store finds the job another node did by its page).
    pub fn extraction_job(&self, source_id: &str, url: &str) -> Result<Option<Job>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT item_id, source_id, url, attempts FROM extract_jobs WHERE source_id = ?1 AND url = ?2")?
            .query_row(params![source_id, url], |r| {
                Ok(Job { item_id: r.get(0)?, source_id: r.get(1)?, url: r.get(2)?, attempts: r.get(3)? })
            })
            .optional()?)
    }

    /// Jobs waiting (due or not).
    pub fn pending_extractions(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM extract_jobs", [], |r| r.get(0))?)
    }

    /// Stores an extracted story: the page fills the item's gaps (image,
    /// author, a date the feed did not give), the job is done.
    pub fn extraction_done(&mut self, job: &Job, found: &Found<'_>, now: i64) -> Result<Touched, StoreError> {
        let tx = self.conn.transaction()?;
        let published = found.published.map(|d| d.timestamp()).filter(|&t| t <= now + 600);
        tx.execute(
            "UPDATE items SET full_html = ?2, image = coalesce(image, ?3), author = coalesce(author, ?4),
               published_at = CASE WHEN date_guessed = 1 AND ?5 IS NOT NULL THEN ?5 ELSE published_at END,
               date_guessed = CASE WHEN ?5 IS NOT NULL THEN 0 ELSE date_guessed END,
               updated_at = ?6
             WHERE id = ?1",
            params![job.item_id, found.html, found.image, found.author, published, now],
        )?;
        tx.execute("DELETE FROM extract_jobs WHERE item_id = ?1", [job.item_id])?;
        log(&tx, &job.source_id, now, None, found.chars)?;
        let touched = slices_of(&tx, &BTreeSet::from([job.item_id]))?;
        tx.commit()?;
        Ok(touched)
    }

    /// Records a failed attempt. `retry_at` schedules another one; `None`
    /// gives the page up (the item keeps the feed's summary).
    pub fn extraction_failed(&mut self, job: &Job, kind: &str, error: &str, now: i64, retry_at: Option<i64>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        match retry_at {
            Some(at) => {
                tx.execute(
                    "UPDATE extract_jobs SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE item_id = ?1",
                    params![job.item_id, at, error],
                )?;
            }
            None => {
                tx.execute("DELETE FROM extract_jobs WHERE item_id = ?1", [job.item_id])?;
            }
        }
        log(&tx, &job.source_id, now, Some((kind, error)), 0)?;
        tx.commit()?;
        Ok(())
    }

    /// Drops the jobs of a source that no longer asks for full text.
    pub fn drop_extractions(&mut self, source_id: &str) -> Result<usize, StoreError> {
        Ok(self.conn.execute("DELETE FROM extract_jobs WHERE source_id = ?1", [source_id])?)
    }

    /// The latest extraction attempts of one source, newest first (at most
    /// [`health::WINDOW`]). The store only hands them back: whether the
    /// source looks broken is for `extract::health` to judge.
    pub fn extraction_attempts(&self, source_id: &str) -> Result<Vec<Attempt>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT ok, chars, error_kind FROM extractions WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2")?
            .query_map(params![source_id, health::WINDOW as i64], |r| {
                Ok(Attempt { ok: r.get(0)?, chars: r.get::<_, i64>(1)?.max(0) as usize, error: r.get(2)? })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// The most recent extraction error of a source.
    pub fn last_extraction_error(&self, source_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT error FROM extractions WHERE source_id = ?1 AND ok = 0 ORDER BY id DESC LIMIT 1", [source_id], |r| r.get(0))
            .optional()?
            .flatten())
    }
}

fn log(tx: &rusqlite::Transaction<'_>, source: &str, now: i64, error: Option<(&str, &str)>, chars: usize) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO extractions (source_id, at, ok, chars, error_kind, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![source, now, error.is_none(), chars as i64, error.map(|e| e.0), error.map(|e| e.1)],
    )?;
    tx.execute(
        "DELETE FROM extractions WHERE source_id = ?1 AND id <= (SELECT id FROM extractions WHERE source_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        params![source, LOG_PER_SOURCE],
    )?;
    Ok(())
}
