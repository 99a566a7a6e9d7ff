//! MinHash band keys, written behind.
//!
//! Every new item has 18 band keys, and they are random: written with the
//! item, they dirtied a different `item_bands` page each, so every feed's
//! commit wrote hundreds of pages to the WAL (measured: 250 µs of the
//! 290 µs an item cost to store). So the keys of recent items live in
//! memory ([`BandBuffer`], consulted next to the table at lookup) and are
//! written to the table in large sorted batches ([`Store::flush_bands`]),
//! where neighbouring keys share pages.
//!
//! Nothing is lost in a crash: the keys are derived from the profile stored
//! with each item, and `band_state.flushed_to` says up to which item id the
//! table is complete; at open, the keys of later items are rebuilt from
//! their profiles. Within a transaction the buffer can be rolled back, so
//! a feed rolled back to its savepoint takes its keys back out.

use std::time::{Duration, Instant};

use super::{Store, StoreError};
use crate::dedup::near;

/// Buffered keys that trigger a flush (some 5,500 items).
const FLUSH_KEYS: usize = 100_000;

/// The longest a key stays only in memory.
const FLUSH_AGE: Duration = Duration::from_secs(300);

/// Band keys of items not yet in `item_bands`.
///
/// The keys sit in one vector in the order they were added, each linking
/// to the previous key of its band; a map holds the newest key of each
/// band. One allocation for all keys instead of a vector per band, and a
/// rollback is a truncation that restores each band's previous head.
#[derive(Debug, Default)]
pub struct BandBuffer {
    keys: Vec<Key>,
    newest: foldhash::HashMap<i64, u32>,
    since: Option<Instant>,
    /// Keys below this index are committed and never rolled back.
    settled: usize,
}

#[derive(Debug)]
struct Key {
    band: i64,
    item: i64,
    published_at: i64,
    /// The band's previous key, or [`NONE`].
    previous: u32,
}

const NONE: u32 = u32::MAX;

impl BandBuffer {
    /// Adds a key of `item` published at `published_at`.
    pub fn add(&mut self, band: i64, item: i64, published_at: i64) {
        // Flushed long before 4 billion keys (FLUSH_KEYS).
        let Ok(at) = u32::try_from(self.keys.len()) else { return };
        let previous = self.newest.insert(band, at).unwrap_or(NONE);
        self.keys.push(Key { band, item, published_at, previous });
        self.since.get_or_insert_with(Instant::now);
    }

    /// Items with `band` published within `from..=to`, newest key first.
    pub fn items(&self, band: i64, from: i64, to: i64) -> impl Iterator<Item = i64> + '_ {
        let mut at = self.newest.get(&band).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let key = self.keys.get(at as usize)?;
            at = key.previous;
            Some(key)
        })
        .filter(move |k| (from..=to).contains(&k.published_at))
        .map(|k| k.item)
    }

    /// A point to roll back to.
    pub fn mark(&self) -> usize {
        self.keys.len()
    }

    /// Takes back every key added since `mark` (never a settled one).
    pub fn rollback_to(&mut self, mark: usize) {
        while self.keys.len() > mark.max(self.settled) {
            let Some(key) = self.keys.pop() else { break };
            if key.previous == NONE {
                self.newest.remove(&key.band);
            } else {
                self.newest.insert(key.band, key.previous);
            }
        }
    }

    /// The keys added so far are committed: they are never rolled back.
    pub fn settle(&mut self) {
        self.settled = self.keys.len();
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn due(&self) -> bool {
        self.keys.len() >= FLUSH_KEYS || self.since.is_some_and(|t| t.elapsed() >= FLUSH_AGE)
    }
}

impl Store {
    /// Rebuilds the buffer from the profiles of items stored after the
    /// last flush (at open).
    pub(super) fn load_bands(&mut self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, published_at, profile FROM items WHERE id > (SELECT flushed_to FROM band_state) AND profile IS NOT NULL",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, published_at, profile): (i64, i64, Vec<u8>) = (row.get(0)?, row.get(1)?, row.get(2)?);
            if let Some(profile) = near::Profile::from_bytes(&profile) {
                for band in near::bands(&profile) {
                    self.bands.add(band, id, published_at);
                }
            }
        }
        self.bands.settle();
        Ok(())
    }

    /// Writes the buffer to `item_bands` when it is large or old enough.
    pub(super) fn flush_bands_if_due(&mut self) {
        if self.bands.due()
            && let Err(e) = self.flush_bands()
        {
            // The keys stay in memory and are tried again after the next commit.
            tracing::warn!(error = %e, keys = self.bands.len(), "could not write band keys; keeping them in memory");
        }
    }

    /// Writes every buffered key to `item_bands`, sorted, in one
    /// transaction, and records that the table is complete up to the
    /// newest item.
    pub fn flush_bands(&mut self) -> Result<usize, StoreError> {
        if self.bands.is_empty() {
            return Ok(0);
        }
        let mut keys: Vec<(i64, i64, i64)> = self.bands.keys.iter().map(|k| (k.band, k.published_at, k.item)).collect();
        keys.sort_unstable();
        let tx = self.conn.transaction()?;
        {
            // Many rows per statement: per-statement overhead (bind, step,
            // reset) was a third of the flush.
            let mut chunks = keys.chunks_exact(ROWS_PER_INSERT);
            let mut insert = tx.prepare_cached(&insert_rows(ROWS_PER_INSERT))?;
            for chunk in &mut chunks {
                insert.execute(rusqlite::params_from_iter(chunk.iter().flat_map(|(band, t, id)| [band, t, id])))?;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                tx.prepare(&insert_rows(rest.len()))?
                    .execute(rusqlite::params_from_iter(rest.iter().flat_map(|(band, t, id)| [band, t, id])))?;
            }
        }
        tx.execute("UPDATE band_state SET flushed_to = (SELECT coalesce(max(id), 0) FROM items)", [])?;
        tx.commit()?;
        self.filter.written(keys.iter().map(|k| k.0));
        if self.filter.wants_build() {
            self.rebuild_band_filter();
        }
        self.bands = BandBuffer::default();
        Ok(keys.len())
    }
}

/// Rows written by one `INSERT` statement of a flush.
const ROWS_PER_INSERT: usize = 128;

/// `INSERT OR IGNORE INTO item_bands … VALUES (?, ?, ?), …` for `rows` rows.
fn insert_rows(rows: usize) -> String {
    let mut sql = String::from("INSERT OR IGNORE INTO item_bands (band, published_at, item_id) VALUES ");
    for i in 0..rows {
        sql.push_str(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" });
    }
    sql
}

impl Drop for Store {
    /// A writer that stops cleanly writes its buffered keys, so the next
    /// start has nothing to rebuild (after a crash it rebuilds them).
    fn drop(&mut self) {
        if !self.bands.is_empty()
            && let Err(e) = self.flush_bands()
        {
            tracing::warn!(error = %e, "could not write band keys at exit; they are rebuilt at the next start");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::dedup::Matcher;
    use crate::model::Item;

    fn story(source: &str) -> Item {
        Item::sample(
            source,
            1,
            "Акимат Алматы объявил о ремонте проспекта Абая до конца сентября",
            "Ремонт проспекта Абая в Алматы продлится до конца сентября, движение транспорта на участке \
             от Желтоксан до Байтурсынова ограничат, сообщили в акимате города.",
        )
    }

    /// Stores `source`'s copy of the story; returns how many were merged.
    /// With `crash`, the store is abandoned without its clean-exit flush.
    fn ingest_then(path: &std::path::Path, source: &str, crash: bool) -> u64 {
        let mut store = Store::open(path).unwrap();
        let sources: Vec<Source> =
            ["a", "b", "c"].iter().map(|id| Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap())).collect();
        store.sync_sources(&sources).unwrap();
        let matcher = Matcher::default();
        let item = story(source);
        let print = matcher.fingerprint(&item.title, &item.text);
        let (stats, _) = store.ingest(&[item], &[print], 0, chrono::Utc::now().timestamp(), &matcher).unwrap();
        if crash {
            std::mem::forget(store);
        }
        stats.duplicates
    }

    fn ingest(path: &std::path::Path, source: &str) -> u64 {
        ingest_then(path, source, false)
    }

    #[test]
    fn keys_not_yet_written_survive_a_restart_and_written_ones_are_found_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bands.db");
        assert_eq!(ingest_then(&path, "a", true), 0);
        // The process died without its flush: the next one rebuilds the
        // keys from the stored profile and finds the story.
        assert_eq!(ingest_then(&path, "b", true), 1, "the copy from b is matched through rebuilt keys");
        let mut store = Store::open(&path).unwrap();
        assert!(store.bands.len() >= 18, "keys of both items rebuilt: {}", store.bands.len());
        let written = store.flush_bands().unwrap();
        assert_eq!(written, store.conn.query_row("SELECT count(*) FROM item_bands", [], |r| r.get::<_, i64>(0)).unwrap() as usize);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert!(store.bands.is_empty(), "nothing to rebuild after a flush");
        drop(store);
        assert_eq!(ingest(&path, "c"), 1, "the copy from c is matched through the table");
        let store = Store::open(&path).unwrap();
        assert!(store.bands.is_empty(), "a clean exit wrote its keys");
    }

    #[test]
    fn the_filter_built_at_open_lets_stored_keys_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bands.db");
        assert_eq!(ingest(&path, "a"), 0);
        let mut store = Store::open(&path).unwrap();
        store.flush_bands().unwrap();
        drop(store);
        // Reopened: the filter is built from the table; once it is in use,
        // the story's keys must still reach the table.
        let mut store = Store::open(&path).unwrap();
        store.filter.wait();
        assert!(matches!(store.filter, crate::store::filter::FilterState::Ready(_)));
        let sources: Vec<Source> =
            ["a", "b"].iter().map(|id| Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap())).collect();
        store.sync_sources(&sources).unwrap();
        let matcher = Matcher::default();
        let item = story("b");
        let print = matcher.fingerprint(&item.title, &item.text);
        let (stats, _) = store.ingest(&[item], &[print], 0, chrono::Utc::now().timestamp(), &matcher).unwrap();
        assert_eq!(stats.duplicates, 1, "matched through the filter and the table");
    }

    #[test]
    fn a_flush_writes_every_key_exactly_once_across_statement_chunks() {
        // More keys than one multi-row statement holds, and a remainder,
        // with a key already in the table (ignored, not an error).
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("bands.db")).unwrap();
        store.conn.execute("INSERT INTO item_bands (band, published_at, item_id) VALUES (5, 1005, 5)", []).unwrap();
        let keys = 3 * ROWS_PER_INSERT + 17;
        for i in 0..keys as i64 {
            store.bands.add(i, i, 1000 + i);
        }
        store.bands.settle();
        assert_eq!(store.flush_bands().unwrap(), keys);
        let rows: Vec<(i64, i64, i64)> = store
            .conn
            .prepare("SELECT band, published_at, item_id FROM item_bands ORDER BY band")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, (0..keys as i64).map(|i| (i, 1000 + i, i)).collect::<Vec<_>>());
        assert!(store.bands.is_empty());
    }

    #[test]
    fn rollback_takes_back_exactly_the_keys_added_since_the_mark() {
        let mut b = BandBuffer::default();
        b.add(7, 1, 100);
        b.add(8, 1, 100);
        b.settle();
        let mark = b.mark();
        b.add(7, 2, 110);
        b.add(9, 2, 110);
        assert_eq!(b.items(7, 0, 200).collect::<Vec<_>>(), vec![2, 1], "newest first");
        b.rollback_to(mark);
        assert_eq!(b.items(7, 0, 200).collect::<Vec<_>>(), vec![1]);
        assert_eq!(b.items(9, 0, 200).count(), 0);
        assert_eq!(b.len(), 2);
        assert_eq!(b.items(8, 101, 200).count(), 0, "outside the window");
        // Nested marks (a feed's savepoint inside the batch's transaction).
        let batch = b.mark();
        b.add(7, 3, 120);
        let feed = b.mark();
        b.add(7, 4, 130);
        b.add(8, 4, 130);
        b.rollback_to(feed);
        assert_eq!(b.items(7, 0, 200).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(b.items(8, 0, 200).collect::<Vec<_>>(), vec![1]);
        b.rollback_to(batch);
        assert_eq!(b.items(7, 0, 200).collect::<Vec<_>>(), vec![1]);
        b.rollback_to(0);
        assert_eq!(b.len(), 2, "settled keys are never taken back");
    }
}
