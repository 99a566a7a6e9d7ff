//! One writer process per database: `syndic run`, or `syndic fetch`
//! polling on its own, holds an exclusive `flock` on a lock file beside the
//! database (`syndic.db.lock`) for as long as it runs, with its process id
//! and its role (`run` or `fetch`) inside.
//!
//! Two daemons on one file would each poll every source and each believe
//! its own in-memory index of recent stories, so the same story would be
//! stored twice. SQLite's own locks cannot tell: they are taken per
//! transaction. The lock is the kernel's, so it goes with the process,
//! however it ends; a stale file left behind locks nothing. It is a file
//! of its own, not the database: closing any descriptor of a file drops
//! the process's POSIX locks on it, SQLite's included.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use super::StoreError;

/// The lock, held until dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
}

/// The lock file of the database at `database`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the database's lock for `syndic run`, or says which process holds it.
pub fn acquire(database: &Path) -> Result<RunLock, StoreError> {
    acquire_as(database, "run")
}

/// Takes the database's lock for the command `role` (`run`, `fetch`), or
/// says which process holds it and as what.
pub fn acquire_as(database: &Path, role: &str) -> Result<RunLock, StoreError> {
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let path = lock_path(database);
    let io = |e: std::io::Error| StoreError::Lock { path: path.display().to_string(), reason: e.to_string() };
    // Not truncated on open: the holder's pid is read before anything is written.
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let mut words = text.split_whitespace();
            let pid = words.next().and_then(|p| p.parse().ok());
            // Lock files written before the role was recorded are a daemon's.
            let role = words.next().unwrap_or("run").to_string();
            return Err(StoreError::Running { path: database.display().to_string(), pid, role });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).and_then(|()| file.rewind()).and_then(|()| writeln!(file, "{} {role}", std::process::id())).map_err(io)?;
    Ok(RunLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("syndic.db");
        let first = acquire(&db).unwrap();
        assert_eq!(first.path, dir.path().join("syndic.db.lock"));
        match acquire(&db) {
            Err(StoreError::Running { pid, role, .. }) => assert_eq!((pid, role.as_str()), (Some(std::process::id()), "run")),
            other => panic!("{other:?}"),
        }
        drop(first);
        assert!(acquire(&db).is_ok(), "the lock goes with its holder; the file left behind locks nothing");
    }
}
