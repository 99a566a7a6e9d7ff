//! A store error as it leaves the writer: a kind and the message.
//!
//! [`StoreError`] holds SQLite's error, which can be neither cloned nor
//! sent to every feed of a failed group commit; a [`Failure`] keeps what
//! the stages after it need: the message the log and `last_error` show,
//! and a [`FailureKind`] for the metrics' `kind` label and the status
//! page, so a full disk and a lost lock are told apart from a bug.

use super::StoreError;

/// What kind of trouble the database had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The disk (or the file system's quota) is full.
    DiskFull,
    /// The file or its directory cannot be written by this process.
    ReadOnly,
    /// Another process held the database longer than the busy timeout.
    Locked,
    /// The file is damaged or is no database.
    Corrupt,
    /// The system failed to read or write the file.
    Io,
    /// The writer thread is not running (a bug).
    WriterGone,
    /// The shared PostgreSQL store failed or refused (`cluster`).
    Shared,
    /// Anything else (a constraint, a query).
    Other,
}

impl FailureKind {
    /// Every kind, in the order of [`FailureKind::label`].
    pub const ALL: [FailureKind; 8] = [
        FailureKind::DiskFull,
        FailureKind::ReadOnly,
        FailureKind::Locked,
        FailureKind::Corrupt,
        FailureKind::Io,
        FailureKind::WriterGone,
        FailureKind::Shared,
        FailureKind::Other,
    ];

    /// The word of the `kind` label (`store_disk_full`, …; `store` for
    /// [`FailureKind::Other`], `internal` for a writer that is gone).
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::DiskFull => "store_disk_full",
            FailureKind::ReadOnly => "store_read_only",
            FailureKind::Locked => "store_locked",
            FailureKind::Corrupt => "store_corrupt",
            FailureKind::Io => "store_io",
            FailureKind::WriterGone => "internal",
            FailureKind::Shared => "store_shared",
            FailureKind::Other => "store",
        }
    }
}

/// A store error that can be cloned and sent: its kind and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// What kind of trouble.
    pub kind: FailureKind,
    /// What the log and the source's `last_error` say.
    pub message: String,
}

impl Failure {
    /// The writer thread is gone: every feed queued for it fails so.
    pub fn writer_gone() -> Failure {
        Failure { kind: FailureKind::WriterGone, message: "internal error: the writer thread is not running".into() }
    }
}

impl From<&StoreError> for Failure {
    fn from(e: &StoreError) -> Failure {
        use rusqlite::ErrorCode::*;
        let code = match e {
            StoreError::Sqlite(e) | StoreError::Open { source: e, .. } => e.sqlite_error_code(),
            StoreError::Corrupt(_) => Some(DatabaseCorrupt),
            _ => None,
        };
        let kind = match code {
            Some(DiskFull) => FailureKind::DiskFull,
            Some(ReadOnly | PermissionDenied | CannotOpen) => FailureKind::ReadOnly,
            Some(DatabaseBusy | DatabaseLocked) => FailureKind::Locked,
            Some(DatabaseCorrupt | NotADatabase) => FailureKind::Corrupt,
            Some(SystemIoFailure) => FailureKind::Io,
            _ => FailureKind::Other,
        };
        let mut message = e.to_string();
        if kind == FailureKind::ReadOnly {
            // Most often an admin command run as root made the file (or its
            // -wal) root's, and the daemon's user cannot write it.
            message.push_str(
                "; the database file, its -wal and -shm files and their directory must be writable by the user syndic runs as \
                 (run admin commands as that user: sudo -u syndic syndic …; see docs/operations.md)",
            );
        }
        Failure { kind, message }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_errors_get_the_kind_an_operator_acts_on() {
        let sqlite = |code: i32| StoreError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None));
        let kind = |e: StoreError| Failure::from(&e).kind;
        assert_eq!(kind(sqlite(rusqlite::ffi::SQLITE_FULL)), FailureKind::DiskFull);
        assert_eq!(kind(sqlite(rusqlite::ffi::SQLITE_BUSY)), FailureKind::Locked);
        assert_eq!(kind(sqlite(rusqlite::ffi::SQLITE_NOTADB)), FailureKind::Corrupt);
        assert_eq!(kind(sqlite(rusqlite::ffi::SQLITE_CONSTRAINT)), FailureKind::Other);
        let read_only = Failure::from(&sqlite(rusqlite::ffi::SQLITE_READONLY));
        assert_eq!(read_only.kind, FailureKind::ReadOnly);
        assert!(read_only.message.contains("writable by the user syndic runs as"), "{}", read_only.message);
        assert_eq!(Failure::writer_gone().kind.label(), "internal");
    }
}
