//! `syndic compact`: the database file rewritten with the page size new
//! files get (16 KB) and without the free pages retention left behind.
//!
//! An existing file keeps the page size it was created with: changing it
//! means rewriting the whole file (`VACUUM`), which needs the file to
//! itself, out of WAL mode. So it is an admin's command, run with the
//! daemon stopped, never something the daemon does at start. `VACUUM` runs
//! in one transaction with a rollback journal: a crash midway leaves the
//! old file as it was.

use std::path::Path;

use rusqlite::Connection;

use super::{PAGE_SIZE, StoreError, page_size};

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// Page size before and after, in bytes.
    pub page_size: (i64, i64),
    /// File size before and after, in bytes.
    pub bytes: (u64, u64),
}

/// Rewrites the database at `path` (which must exist) with 16 KB pages.
/// Fails, changing nothing, while another process has it open.
pub fn compact(path: &Path) -> Result<Compacted, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Missing(path.display().to_string()));
    }
    let size = || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    // Nobody may wait here: a running daemon is an error, not a queue.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let before = (page_size(&conn)?, size());
    // Leaving WAL mode needs every other connection gone; SQLite answers
    // with the mode it is in, or "locked".
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)).map_err(in_use)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::InUse);
    }
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    let vacuumed = conn.execute_batch("VACUUM").map_err(in_use);
    // Back to WAL whatever happened (the daemon would switch it back too).
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    vacuumed?;
    Ok(Compacted { page_size: (before.0, page_size(&conn)?), bytes: (before.1, size()) })
}

/// "Database is locked" means another process has the file open.
fn in_use(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => StoreError::InUse,
        _ => StoreError::Sqlite(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, schema};

    /// A database as an earlier build wrote it: 4 KB pages, WAL, `items`
    /// rows.
    fn old_database(path: &Path, items: usize) {
        let mut conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "page_size", 4096).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        schema::migrate(&mut conn).unwrap();
        conn.execute("INSERT INTO sources (id, name, url, kind, category) VALUES ('a', 'A', 'https://a.kz/rss', 'news', 'politics')", [])
            .unwrap();
        for n in 0..items {
            conn.execute(
                "INSERT INTO items (source_id, guid, title, text, published_at, first_seen_at, updated_at, category)
                 VALUES ('a', ?1, 'Заголовок', ?2, 1, 1, 1, 'politics')",
                rusqlite::params![format!("g{n}"), "текст новости ".repeat(100)],
            )
            .unwrap();
        }
    }

    #[test]
    fn an_old_database_gets_16_kb_pages_and_keeps_every_item() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        old_database(&path, 300);
        let done = compact(&path).unwrap();
        assert_eq!(done.page_size, (4096, PAGE_SIZE));
        let store = Store::open(&path).unwrap();
        assert_eq!(store.counts().unwrap(), (300, 0));
        store.integrity_check().unwrap();
        let mode: String = store.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_database_in_use_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        old_database(&path, 10);
        // As a running daemon holds it.
        let running = Store::open(&path).unwrap();
        let err = compact(&path).unwrap_err();
        assert!(matches!(err, StoreError::InUse), "{err}");
        assert!(err.to_string().contains("stop the daemon"), "{err}");
        assert_eq!(page_size(&running.conn).unwrap(), 4096);
        assert_eq!(running.counts().unwrap(), (10, 0));
        assert!(matches!(compact(&dir.path().join("none.db")), Err(StoreError::Missing(_))));
    }
}
