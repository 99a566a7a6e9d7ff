//! SQLite storage: the only module that writes SQL.
//!
//! One [`Store`] is one connection. The daemon keeps one writer (all writes
//! go through it, one transaction per fetched feed) and separate readers for
//! rendering; WAL mode lets them run side by side. `synchronous = NORMAL` in
//! WAL mode keeps every committed transaction across a process crash, which
//! is the guarantee we need (a power cut may lose the last commits, never
//! consistency). Uniqueness is enforced by constraints, not by checks.

pub mod bands;
pub mod extract;
pub mod group;
pub mod items;
pub mod read;
pub mod retention;
pub mod schema;
pub mod sources;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use group::{GroupCommit, Pending, Stored, WRITER_GONE};
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
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// One connection to the database.
pub struct Store {
    conn: Connection,
    /// Band keys of recent items, for near-duplicate candidates (writer only).
    bands: bands::BandIndex,
}

impl Store {
    /// Opens (creating if needed) the database read-write and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let mut conn = Connection::open(path).map_err(open_err)?;
        configure(&conn, 32 << 10).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Checkpoint every 32 MB of WAL rather than 4: a page rewritten by
        // many commits in between is copied to the database once.
        conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let found = usize::try_from(found).unwrap_or(0);
        if found > schema::latest() {
            return Err(StoreError::TooNew { found, latest: schema::latest() });
        }
        schema::migrate(&mut conn)?;
        let mut store = Store { conn, bands: bands::BandIndex::default() };
        store.rebuild_bands(bands::default_cutoff(chrono::Utc::now().timestamp()))?;
        Ok(store)
    }

    /// The database file's path (`None` for an in-memory database).
    pub fn path(&self) -> Option<&Path> {
        self.conn.path().filter(|p| !p.is_empty()).map(Path::new)
    }

    /// Opens a second connection for reading only (rendering feeds).
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(open_err)?;
        configure(&conn, 16 << 10).map_err(open_err)?;
        Ok(Store { conn, bands: bands::BandIndex::default() })
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
