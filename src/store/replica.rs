//! Where a node's replica stands in the shared store's log (`cluster`).
//!
//! A node on a shared PostgreSQL store keeps every story in a SQLite file
//! of its own, written only by applying the shared log in order; this
//! table holds which store it copies (`origin`, the store's id) and the
//! last record applied.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A source's schedule: id, host, next due time, why it is disabled.
pub type Scheduled = (String, String, i64, Option<String>);

impl Store {
    /// The shared store this file copies and the last record applied;
    /// `None` for a database of its own.
    pub fn replica_position(&self) -> Result<Option<(String, i64)>, StoreError> {
        Ok(self.conn.query_row("SELECT origin, seq FROM replica WHERE one = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
    }

    /// Records that the log of store `origin` is applied up to `seq`.
    pub fn set_replica_position(&mut self, origin: &str, seq: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO replica (one, origin, seq) VALUES (1, ?1, ?2) ON CONFLICT (one) DO UPDATE SET origin = ?1, seq = ?2",
            params![origin, seq],
        )?;
        Ok(())
    }

    /// A consistent copy of the whole database in a new file `to`, marked
    /// as the replica of store `origin` at log record `seq`. The copy is a
    /// single file (no WAL beside it), ready to be stored whole.
    pub fn copy_as_replica(&self, to: &std::path::Path, origin: &str, seq: i64) -> Result<(), StoreError> {
        self.conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])?;
        let copy = rusqlite::Connection::open(to)?;
        copy.execute(
            "INSERT INTO replica (one, origin, seq) VALUES (1, ?1, ?2) ON CONFLICT (one) DO UPDATE SET origin = ?1, seq = ?2",
            params![origin, seq],
        )?;
        copy.close().map_err(|(_, e)| e)?;
        Ok(())
    }

    /// Each source's schedule: id, host, next due time (0: now), why it
    /// is disabled.
    pub fn schedule(&self) -> Result<Vec<Scheduled>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, url, coalesce(next_fetch_at, 0), disabled_reason FROM sources ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            let url: String = r.get(1)?;
            let host = url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)).unwrap_or_default();
            Ok((r.get(0)?, host, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether no item is stored (a new file may become a replica).
    pub fn has_items(&self) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM items LIMIT 1")?.exists([])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_no_replica_until_told() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("r.db")).unwrap();
        assert_eq!(store.replica_position().unwrap(), None);
        store.set_replica_position("store-1", 7).unwrap();
        store.set_replica_position("store-1", 9).unwrap();
        assert_eq!(store.replica_position().unwrap(), Some(("store-1".to_string(), 9)));
        assert!(!store.has_items().unwrap());
    }
}
