//! Static export: every feed in every format, `index.html` and
//! `feeds.opml`, plus pre-compressed `.gz` copies, for a plain web server.
//!
//! Each file is written to a temporary name in its directory, synced, then
//! renamed over the old one: a reader polling the directory sees the old
//! file or the new one, never half of one (nginx's `gzip_static` serves the
//! `.gz` siblings directly).
//!
//! The temporary file is [`crate::atomic`]'s: a random name, created with
//! `O_EXCL` and `O_NOFOLLOW`, so that a symlink planted in the directory is
//! never written through.
//!
//! Files are 0644 and the directories made for them 0755 whatever the
//! umask (the service runs with `UMask=0077`; nginx reads what is written
//! here as another user). The last failure per directory is kept until an
//! export there succeeds: `/healthz` and `/status` show it ([`problem`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Format, Publisher, index, opml};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Reading the database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Mode of exported files: the web server reads them as another user.
const FILE_MODE: u32 = 0o644;
/// Mode of the directories an export creates.
const DIR_MODE: u32 = 0o755;

/// The last failed export per directory, cleared by the next success.
/// Process-wide: the export runs on a blocking thread of the daemon and
/// the HTTP handlers read it; one daemon has one `publish_dir`.
static FAILURES: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());

/// Why the last export into `dir` failed, while no later one succeeded.
pub fn problem(dir: &Path) -> Option<String> {
    let failures = FAILURES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    failures.iter().find(|(d, _)| d == dir).map(|(_, e)| e.clone())
}

fn record(dir: &Path, outcome: Option<String>) {
    let mut failures = FAILURES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    failures.retain(|(d, _)| d != dir);
    if let Some(e) = outcome {
        failures.push((dir.to_path_buf(), format!("static export to {} failed: {e}", dir.display())));
    }
}

/// Writes everything under `dir`; returns the number of files written.
/// The outcome is what [`problem`] reports for `dir` until the next export.
pub fn export(publisher: &Publisher, dir: &Path) -> Result<usize, ExportError> {
    let result = export_files(publisher, dir);
    record(dir, result.as_ref().err().map(ToString::to_string));
    result
}

fn export_files(publisher: &Publisher, dir: &Path) -> Result<usize, ExportError> {
    let mut written = 0;
    for slice in publisher.slices() {
        for format in Format::ALL {
            let Some(feed) = publisher.feed(&slice, format)? else { continue };
            let path = dir.join("feeds").join(format!("{}.{}", slice.path(), format.extension()));
            write_atomic(&path, &feed.body)?;
            write_atomic(&path.with_extension(format!("{}.gz", format.extension())), &feed.gzip())?;
            written += 2;
        }
    }
    let index = index::render(publisher)?;
    write_atomic(&dir.join("index.html"), index.as_bytes())?;
    let feeds = opml::feeds(&publisher.config(), &publisher.slices());
    write_atomic(&dir.join("feeds.opml"), feeds.as_bytes())?;
    Ok(written + 2)
}

/// Writes `bytes` to `path` through a fresh temporary file and a rename
/// (mode 0644, missing directories 0755).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    crate::atomic::create_dirs(parent, DIR_MODE)
        .and_then(|()| crate::atomic::write(path, bytes, FILE_MODE))
        .map_err(|source| ExportError::Io { path: path.display().to_string(), source })
}
