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

use std::path::Path;

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

/// Writes everything under `dir`; returns the number of files written.
pub fn export(publisher: &Publisher, dir: &Path) -> Result<usize, ExportError> {
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

/// Writes `bytes` to `path` through a fresh temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .and_then(|()| crate::atomic::write(path, bytes))
        .map_err(|source| ExportError::Io { path: path.display().to_string(), source })
}
