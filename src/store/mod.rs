//! SQLite storage: the only module that writes SQL.
//!
//! One [`Store`] is one connection. The daemon keeps one writer (all writes
//! go through it, one transaction per fetched feed) and separate readers for
//! rendering; WAL mode lets them run side by side. `synchronous = NORMAL` in
//! WAL mode keeps every committed transaction across a process crash, which
//! is the guarantee we need (a power cut may lose the last commits, never
//! consistency). Uniqueness is enforced by constraints, not by checks.

pub mod bands;
pub mod clock;
pub mod compact;
pub mod extract;
mod failure;
pub mod group;
pub mod health;
pub mod items;
pub mod lock;
pub mod read;
pub mod replica;
pub mod retention;
pub mod schema;
pub mod slice;
pub mod sources;
pub mod templates;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use compact::{Compacted, compact};
pub use failure::{Failure, FailureKind};
pub use group::{GroupCommit, Pending, Stored};
pub use items::{FeedItems, FeedResult, IngestStats, Touched};
pub use read::{Credit, StoredItem};
pub use sources::{FetchRecord, SourceState};

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// SQLite's reason.
        source: rusqlite::Error,
    },
    /// The database was written by a newer syndic.
    #[error("database schema version {found} is newer than this build understands ({latest}); upgrade syndic")]
    TooNew {
        /// Version in the file.
        found: usize,
        /// Version this build writes.
        latest: usize,
    },
    /// `PRAGMA integrity_check` found damage.
    #[error("database integrity check failed: {0}")]
    Corrupt(String),
    /// There is no database file where one was expected.
    #[error("no database at {0}")]
    Missing(String),
    /// Another process has the database open (`syndic compact`).
    #[error("the database is in use by another process; stop the daemon first (systemctl stop syndic)")]
    InUse,
    /// Another `syndic run` or `syndic fetch` writes to this database (see
    /// [`lock`]).
    #[error("{path} is in use by syndic {role}{}: stop it first (systemctl stop syndic, or wait for the fetch), or give this one another database", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Running {
        /// The database.
        path: String,
        /// The other process, when its lock file says.
        pid: Option<u32>,
        /// What it runs as: `run` or `fetch`.
        role: String,
    },
    /// The database is not at this build's schema version, and this
    /// command may not migrate it (a daemon runs on it).
    #[error(
        "the database is at schema version {found} and this syndic writes version {latest}: use the syndic binary the running daemon was started from"
    )]
    OtherVersion {
        /// Version in the file.
        found: usize,
        /// Version this build writes.
        latest: usize,
    },
    /// The lock file beside the database cannot be used.
    #[error("cannot lock {path}: {reason}")]
    Lock {
        /// The lock file.
        path: String,
        /// The system's reason.
        reason: String,
    },
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Page size of a new database file, in bytes.
const PAGE_SIZE: i64 = 16 << 10;

/// One connection to the database.
pub struct Store {
    conn: Connection,
    /// Band keys of recent items, for near-duplicate candidates (writer only).
    bands: bands::BandIndex,
    /// The feed slices of recently changed stories (writer only).
    story_slices: items::StorySlices,
    /// The file's identity and the last commit's outcome (writer only).
    health: std::sync::Arc<health::Health>,
}

impl Store {
    /// Opens (creating if needed) the database read-write and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let mut conn = Connection::open(path).map_err(open_err)?;
        // 16 KB pages for a new file (an existing one keeps its size): an
        // item's row is a few KB of text and HTML, so with 4 KB pages
        // nearly every insert split a page, and a commit wrote a frame
        // (and its checksum) per 4 KB. With 16 KB, storing an item costs
        // about a tenth less. Set before anything is written (WAL mode
        // writes the header, and the page size with it), and before the
        // cache size: SQLite turns a cache given in KiB into pages at the
        // page size it knows then, and keeps that count when the page
        // size changes (a 32 MB cache held 128 MB).
        conn.busy_timeout(Duration::from_secs(5)).map_err(open_err)?;
        conn.pragma_update(None, "page_size", PAGE_SIZE).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        configure(&conn, 32 << 10).map_err(open_err)?;
        // Checkpoint every 32 MB of WAL rather than 4: a page rewritten by
        // many commits in between is copied to the database once.
        conn.pragma_update(None, "wal_autocheckpoint", pages(&conn, 32 << 20)?)?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let found = usize::try_from(found).unwrap_or(0);
        if found > schema::latest() {
            return Err(StoreError::TooNew { found, latest: schema::latest() });
        }
        schema::migrate(&mut conn)?;
        let health = std::sync::Arc::new(health::Health::of(Some(path)));
        let mut store = Store { conn, bands: bands::BandIndex::default(), story_slices: Default::default(), health };
        store.rebuild_bands(bands::default_cutoff(chrono::Utc::now().timestamp()))?;
        Ok(store)
    }

    /// The database file's path (`None` for an in-memory database).
    pub fn path(&self) -> Option<&Path> {
        self.conn.path().filter(|p| !p.is_empty()).map(Path::new)
    }

    /// The database's health (see [`health`]), shared with whoever reports it.
    pub fn health(&self) -> std::sync::Arc<health::Health> {
        std::sync::Arc::clone(&self.health)
    }

    /// A connection to a database a running daemon holds, for a command
    /// that asks the daemon for something (`syndic fetch` beside `syndic
    /// run`): no migration and no duplicate index; refused when the file's
    /// schema is not this build's.
    pub fn open_beside_daemon(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(open_err)?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let found = usize::try_from(found).unwrap_or(0);
        if found != schema::latest() {
            return Err(StoreError::OtherVersion { found, latest: schema::latest() });
        }
        Ok(Store { conn, bands: bands::BandIndex::default(), story_slices: Default::default(), health: Default::default() })
    }

    /// Opens a second connection for reading only (rendering feeds).
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(open_err)?;
        configure(&conn, 16 << 10).map_err(open_err)?;
        Ok(Store { conn, bands: bands::BandIndex::default(), story_slices: Default::default(), health: Default::default() })
    }

    /// The file's schema version and this build's, when the file's is older
    /// (a read-only connection cannot migrate it).
    pub fn schema_behind(&self) -> Result<Option<(usize, usize)>, StoreError> {
        let found: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let found = usize::try_from(found).unwrap_or(0);
        Ok((found < schema::latest()).then_some((found, schema::latest())))
    }

    /// `PRAGMA integrity_check`: `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let result: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" { Ok(()) } else { Err(StoreError::Corrupt(result)) }
    }

    /// Whether the database accepts writes (a read-only file or mount does not).
    pub fn writable(&self) -> bool {
        !self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true)
    }

    /// Number of items stored and how many of them are duplicates.
    pub fn counts(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row("SELECT count(*), count(duplicate_of) FROM items", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }
}

/// This database's page size, in bytes.
fn page_size(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "page_size", |r| r.get(0))
}

/// `bytes` in pages of this database.
fn pages(conn: &Connection, bytes: i64) -> rusqlite::Result<i64> {
    Ok(bytes / page_size(conn)?.max(512))
}

fn configure(conn: &Connection, cache_kib: i64) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // Ingest and polling use about 25 distinct statements; with rusqlite's
    // default of 16 cached, they pushed each other out and were compiled
    // again and again.
    conn.set_prepared_statement_cache_capacity(64);
    // Candidate lookups touch index pages all over the file: keep them in
    // memory rather than re-reading them through the kernel. No mmap: every
    // page a query touched through a mapping stayed in the process's RSS
    // (a category render walks the whole category: 448 MB of a 10,000-
    // source database were mapped in), while the page cache is bounded
    // here and the kernel's is shared and reclaimable.
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_has_16_kb_pages_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(page_size(&fresh.conn).unwrap(), PAGE_SIZE);

        // A database written by an earlier build, with SQLite's default
        // 4 KB pages and an item in it.
        let old = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&old).unwrap();
            conn.pragma_update(None, "page_size", 4096).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            schema::migrate(&mut conn).unwrap();
            conn.execute_batch(
                "INSERT INTO sources (id, name, url, kind, category) VALUES ('a', 'A', 'https://a.kz/rss', 'news', 'politics');
                 INSERT INTO items (source_id, guid, title, text, published_at, first_seen_at, updated_at, category)
                   VALUES ('a', 'g1', 'T', 'x', 1, 1, 1, 'politics');",
            )
            .unwrap();
        }
        let reopened = Store::open(&old).unwrap();
        assert_eq!(page_size(&reopened.conn).unwrap(), 4096, "changing it would rewrite the whole file");
        assert_eq!(reopened.counts().unwrap(), (1, 0));
        reopened.integrity_check().unwrap();
    }

    /// Bytes of page cache `store`'s connection holds.
    fn cache_used(store: &Store) -> i64 {
        let (mut current, mut high) = (0, 0);
        // SAFETY: the handle is live for the call, and the out-pointers are
        // this frame's.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(store.conn.handle(), rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED, &mut current, &mut high, 0)
        };
        assert_eq!(rc, 0);
        i64::from(current)
    }

    #[test]
    fn page_caches_hold_the_bytes_they_are_given_with_16_kb_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.db");
        let store = Store::open(&path).unwrap();
        // 48 MB of rows, more than either cache, then read back in full.
        store.conn.execute_batch("CREATE TABLE filler (b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) INSERT INTO filler SELECT randomblob(4000) FROM n;").unwrap();
        let scan = |s: &Store| s.conn.query_row("SELECT sum(length(b)) FROM filler", [], |r| r.get::<_, i64>(0)).unwrap();
        let reader = Store::open_reader(&path).unwrap();
        assert_eq!(scan(&store), 48_000_000);
        assert_eq!(scan(&reader), 48_000_000);
        // Before the header was read first, these were four times as large.
        let mb = |bytes: i64| bytes as f64 / (1 << 20) as f64;
        assert!(mb(cache_used(&store)) <= 33.0, "writer: {:.1} MB", mb(cache_used(&store)));
        assert!(mb(cache_used(&reader)) <= 17.0, "reader: {:.1} MB", mb(cache_used(&reader)));
    }
}
