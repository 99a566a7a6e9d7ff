//! Retention: old stories leave the database a batch at a time.
//!
//! A story (its canonical row and every copy) is deleted once its canonical
//! row was published before the cutoff, unless it is among the newest
//! `items_per_feed` of any feed: a quiet feed never empties. Each batch is
//! its own short transaction, so ingest and rendering interleave with a
//! long prune instead of waiting for it.

use std::collections::HashSet;

use rusqlite::params;

use super::{Store, StoreError};
use crate::model::Slice;

/// Stories deleted per transaction.
pub const PRUNE_BATCH: usize = 500;

impl Store {
    /// Ids of the canonical rows shown in `slice` (newest `limit`).
    pub fn feed_ids(&self, slice: &Slice, limit: usize) -> Result<Vec<i64>, StoreError> {
        Ok(self.feed_items(slice, limit)?.into_iter().map(|i| i.id).collect())
    }

    /// Deletes up to [`PRUNE_BATCH`] stories published before `cutoff`
    /// that are not in `protected`; returns how many rows went.
    pub fn prune_batch(&mut self, cutoff: i64, protected: &HashSet<i64>) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let stories: Vec<i64> = {
            let mut stmt =
                tx.prepare_cached("SELECT id FROM items WHERE duplicate_of IS NULL AND published_at < ?1 ORDER BY published_at LIMIT ?2")?;
            let limit = (PRUNE_BATCH + protected.len()) as i64;
            stmt.query_map(params![cutoff, limit], |r| r.get::<_, i64>(0))?
                .filter_map(Result::ok)
                .filter(|id| !protected.contains(id))
                .take(PRUNE_BATCH)
                .collect()
        };
        let mut deleted = 0;
        {
            let mut copies = tx.prepare_cached("DELETE FROM items WHERE duplicate_of = ?1")?;
            let mut story = tx.prepare_cached("DELETE FROM items WHERE id = ?1")?;
            for id in &stories {
                deleted += copies.execute([id])?;
                deleted += story.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(deleted)
    }
}
