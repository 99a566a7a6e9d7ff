//! Static export: every feed in every format, `index.html` and
//! `feeds.opml`, plus pre-compressed `.gz` copies, for a plain web server.
//!
//! Each file is written to a temporary name in its directory, synced, then
//! renamed over the old one: a reader polling the directory sees the old
//! file or the new one, never half of one (nginx's `gzip_static` serves the
//! `.gz` siblings directly).
//!
//! The temporary name is random and the file is created with `O_EXCL` and
//! `O_NOFOLLOW`: with a predictable name (it used to end in the process
//! id), anyone who can write to the directory could plant a symlink there
//! and have syndic truncate and overwrite the file it points to. A rename
//! over a planted symlink replaces the link, never its target.

use std::io::Write;
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
    let io = |source| ExportError::Io { path: path.display().to_string(), source };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (tmp, mut file) = create_temporary(parent, &name).map_err(io)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(io(e))
        }
    }
}

/// Creates a new file under a random name beside `name` in `dir`, never
/// opening anything that already exists there (a file or a symlink).
fn create_temporary(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    use std::hash::{BuildHasher, Hasher};
    use std::os::unix::fs::OpenOptionsExt;
    let mut last = None;
    for attempt in 0..16u64 {
        // RandomState is seeded from the OS's randomness once per process
        // and then stepped; mixing in the time and the attempt gives a new
        // name every call.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(attempt);
        hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        let tmp = dir.join(format!(".{name}.tmp-{:016x}", hasher.finish()));
        match std::fs::OpenOptions::new().write(true).create_new(true).custom_flags(libc::O_NOFOLLOW).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}
