//! Files replaced whole: written under a temporary name in their own
//! directory, synced, then renamed over the old one, so that a reader sees
//! the old file or the new one, never half of one.
//!
//! The temporary name is random and the file is created with `O_EXCL` and
//! `O_NOFOLLOW`: with a predictable name (it used to end in the process
//! id), anyone who can write to the directory could plant a symlink there
//! and have syndic truncate and overwrite the file it points to. A rename
//! over a planted symlink replaces the link, never its target.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` (whose directory exists) through a fresh
/// temporary file, synced, and a rename. The file gets `mode` whatever the
/// process's umask (the service runs with 0077; a web server must read
/// what the static export writes).
pub fn write(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let (tmp, mut file) = temporary_beside(path)?;
    let written =
        file.set_permissions(std::fs::Permissions::from_mode(mode)).and_then(|()| file.write_all(bytes)).and_then(|()| file.sync_all());
    drop(file);
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Creates `dir` and its missing ancestors with `mode`, whatever the umask;
/// directories that exist keep theirs.
pub fn create_dirs(dir: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, mode)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// A new, empty file under a random name in `path`'s directory, for the
/// caller to fill, check and rename over `path`.
pub fn temporary_beside(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    create_temporary(dir, &name)
}

/// Creates a new file under a random name beside `name` in `dir`, never
/// opening anything that already exists there (a file or a symlink).
fn create_temporary(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
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
