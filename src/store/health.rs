//! Is the database still there, and did the last commit land?
//!
//! Two things make a daemon write into the void while it answers `ok`:
//! the database file deleted or replaced under it (SQLite keeps writing
//! to the open, unlinked file; everything is lost at the next start), and
//! commits that fail (a full disk, a read-only or broken file). [`Health`]
//! remembers the file's device and inode from when it was opened and
//! compares them with what the path names now ([`Health::check_file`],
//! from the scheduler's tick and from `/healthz`), and the writer records
//! the outcome of every commit ([`Health::committed`], [`Health::failed`]). `/healthz` answers
//! 503 with [`Health::problem`] while either is wrong; `/status` shows it.
//! Each change is logged once, as an error when it goes wrong.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::StoreError;

/// The database's health, shared by the writer, the scheduler and the
/// HTTP server.
#[derive(Debug, Default)]
pub struct Health {
    /// The path and the (device, inode) it named when opened; `None` for
    /// a database without a file.
    file: Option<(PathBuf, (u64, u64))>,
    /// What is wrong with the file, if anything.
    file_problem: Mutex<Option<String>>,
    /// Why the last commit failed, if it did for a reason of the storage.
    commit_problem: Mutex<Option<String>>,
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

/// Sets `slot` to `now`, logging when it changes.
fn set(slot: &Mutex<Option<String>>, now: Option<String>) {
    let mut slot = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if *slot == now {
        return;
    }
    match &now {
        Some(problem) => tracing::error!(problem = %problem, "database unhealthy"),
        None => tracing::info!(was = slot.as_deref().unwrap_or_default(), "database healthy again"),
    }
    *slot = now;
}

/// Whether `e` says the storage itself is in trouble (as opposed to one
/// feed's rows breaking a constraint, or another process holding a lock
/// for a moment).
pub fn is_storage_trouble(e: &StoreError) -> bool {
    use rusqlite::ErrorCode::*;
    let code = match e {
        StoreError::Sqlite(e) | StoreError::Open { source: e, .. } => e.sqlite_error_code(),
        StoreError::Corrupt(_) | StoreError::Missing(_) => return true,
        StoreError::TooNew { .. }
        | StoreError::OtherVersion { .. }
        | StoreError::InUse
        | StoreError::Running { .. }
        | StoreError::Lock { .. } => {
            return false;
        }
    };
    matches!(code, Some(DiskFull | ReadOnly | SystemIoFailure | CannotOpen | DatabaseCorrupt | NotADatabase | PermissionDenied))
}

impl Health {
    /// The health of the database at `path`, as it is now.
    pub fn of(path: Option<&Path>) -> Health {
        let file = path.and_then(|p| identity(p).ok().map(|id| (p.to_path_buf(), id)));
        Health { file, ..Health::default() }
    }

    /// Compares the file the path names now with the one opened; returns
    /// (and remembers) what is wrong.
    pub fn check_file(&self) -> Option<String> {
        let (path, opened) = self.file.as_ref()?;
        let problem = match identity(path) {
            Ok(now) if now == *opened => None,
            Ok(_) => Some(format!(
                "database file {} was replaced by another file: writes go to the old one and are lost at restart; restart syndic",
                path.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
                "database file {} was deleted: writes go to the unlinked file and are lost at restart; restore it and restart syndic",
                path.display()
            )),
            Err(e) => Some(format!("database file {} cannot be examined: {e}", path.display())),
        };
        set(&self.file_problem, problem.clone());
        problem
    }

    /// A commit of stored items went through: the storage works again.
    /// (Only these clear a failure: a fetch record is a few bytes, and
    /// fits on a disk that has no room for a feed.)
    pub fn committed(&self) {
        set(&self.commit_problem, None);
    }

    /// A commit (of items, a fetch record, the source list) failed with
    /// `e`; only storage trouble counts.
    pub fn failed(&self, e: &StoreError) {
        if is_storage_trouble(e) {
            set(&self.commit_problem, Some(format!("the last commit failed: {e}")));
        }
    }

    /// What is wrong with the database, if anything: the file first, then
    /// the last commit.
    pub fn problem(&self) -> Option<String> {
        let file = self.file_problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        file.or_else(|| self.commit_problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_or_replaced_file_is_a_problem_until_it_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        std::fs::write(&path, b"x").unwrap();
        let health = Health::of(Some(&path));
        assert_eq!(health.check_file(), None);
        let moved = dir.path().join("moved.db");
        std::fs::rename(&path, &moved).unwrap();
        assert!(health.check_file().unwrap().contains("was deleted"));
        std::fs::write(&path, b"x").unwrap();
        assert!(health.check_file().unwrap().contains("was replaced"));
        assert!(health.problem().unwrap().contains("was replaced"));
        std::fs::rename(&moved, &path).unwrap();
        assert_eq!(health.check_file(), None);
        assert_eq!(health.problem(), None);
    }

    #[test]
    fn only_storage_failures_make_commits_unhealthy() {
        let health = Health::of(None);
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        health.failed(&StoreError::Sqlite(full));
        assert!(health.problem().unwrap().contains("the last commit failed"));
        let constraint = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT), None);
        health.failed(&StoreError::Sqlite(constraint));
        assert!(health.problem().is_some(), "a constraint error says nothing about the disk");
        health.committed();
        assert_eq!(health.problem(), None);
    }
}
