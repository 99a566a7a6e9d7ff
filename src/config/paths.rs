//! Where the configuration is found and where the paths in it point.
//!
//! The rules, so that every command run from any directory uses the same
//! files (an admin in their home directory running `syndic sources --config
//! /etc/syndic/syndic.toml` must see the daemon's database, not a new empty
//! one):
//!
//! - The settings file is `--config FILE`, else `$SYNDIC_CONFIG`, else
//!   `config/syndic.toml` when it exists (a source checkout), else
//!   `/etc/syndic/syndic.toml`.
//! - Relative paths in it (`sources`, `database`, `publish_dir`) are
//!   relative to the directory of the settings file, never to the working
//!   directory.
//! - Without `database`, the database is `syndic.db` in `$STATE_DIRECTORY`
//!   (what systemd's `StateDirectory=` sets), else `data/syndic.db` beside a
//!   `config/` directory that has a `data/` sibling (the repository layout),
//!   else `/var/lib/syndic/syndic.db`.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// The settings file used when `config/syndic.toml` is absent.
pub const SYSTEM_CONFIG: &str = "/etc/syndic/syndic.toml";

/// The settings file a checkout runs with, relative to the working directory.
pub const LOCAL_CONFIG: &str = "config/syndic.toml";

/// The state directory outside systemd.
pub const STATE_DIR: &str = "/var/lib/syndic";

/// The settings file to use and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The file (it may not exist when named explicitly).
    pub path: PathBuf,
    /// `--config`, `SYNDIC_CONFIG` or `default`.
    pub how: &'static str,
}

/// Finds the settings file: `flag`, else `SYNDIC_CONFIG` (`env`), else the
/// first of [`LOCAL_CONFIG`] (under `cwd`) and [`SYSTEM_CONFIG`] that exists.
/// The error names every path tried.
pub fn locate(flag: Option<PathBuf>, env: Option<OsString>, cwd: &Path) -> Result<Located, String> {
    if let Some(path) = flag {
        return Ok(Located { path, how: "--config" });
    }
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        return Ok(Located { path: PathBuf::from(path), how: "SYNDIC_CONFIG" });
    }
    let local = cwd.join(LOCAL_CONFIG);
    if local.is_file() {
        return Ok(Located { path: PathBuf::from(LOCAL_CONFIG), how: "default" });
    }
    let system = Path::new(SYSTEM_CONFIG);
    if system.is_file() {
        return Ok(Located { path: system.to_path_buf(), how: "default" });
    }
    Err(format!("no configuration found: tried {} and {SYSTEM_CONFIG}; pass --config FILE or set SYNDIC_CONFIG", local.display()))
}

/// The directory relative paths in the settings file at `config` resolve
/// against: the file's own directory, absolute (symlinks resolved when it
/// exists, so that `..` in a path means what the admin sees).
pub fn base_dir(config: &Path) -> PathBuf {
    let dir = config.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.canonicalize().or_else(|_| std::path::absolute(dir)).unwrap_or_else(|_| dir.to_path_buf())
}

/// `path` made absolute against `base`; leading `..` components are folded
/// into `base` so that printed paths read plainly (`/srv/data/syndic.db`,
/// not `/srv/config/../data/syndic.db`).
pub fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let mut out = base.to_path_buf();
    let mut rest = path.components().peekable();
    while let Some(c) = rest.peek() {
        match c {
            // `/..` is `/`, as the kernel reads it.
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            _ => break,
        }
        rest.next();
    }
    out.extend(rest);
    out
}

/// The database file: `configured` resolved against `base`, else the default
/// described in the module comment.
pub fn database(configured: Option<&str>, base: &Path) -> PathBuf {
    match configured {
        Some(path) => resolve(base, Path::new(path)),
        None => default_database(base, std::env::var_os("STATE_DIRECTORY")),
    }
}

fn default_database(base: &Path, state_directory: Option<OsString>) -> PathBuf {
    // systemd may list several directories, colon-separated: the first is ours.
    let state = state_directory.and_then(|dirs| dirs.to_str().and_then(|d| d.split(':').next()).map(PathBuf::from));
    if let Some(dir) = state.filter(|d| d.is_absolute()) {
        return dir.join("syndic.db");
    }
    if let Some(root) = base.parent().filter(|root| base.file_name() == Some("config".as_ref()) && root.join("data").is_dir()) {
        return root.join("data/syndic.db");
    }
    Path::new(STATE_DIR).join("syndic.db")
}

/// Where an older syndic put `database` (relative to the working directory)
/// when that file exists and the configured one does not: the admin should
/// point `database` at it instead of starting an empty database.
pub fn old_location(database: &Path, base: &Path, cwd: &Path) -> Option<PathBuf> {
    if database.exists() {
        return None;
    }
    let relative = database.strip_prefix(base).ok()?;
    let old = cwd.join(relative);
    (old != database && old.is_file()).then_some(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_against_the_config_directory() {
        let base = Path::new("/srv/syndic/config");
        let table = [
            ("data/syndic.db", "/srv/syndic/config/data/syndic.db"),
            ("../data/syndic.db", "/srv/syndic/data/syndic.db"),
            ("./x.db", "/srv/syndic/config/x.db"),
            ("/var/lib/syndic/s.db", "/var/lib/syndic/s.db"),
            ("../../../../x.db", "/x.db"),
        ];
        for (path, want) in table {
            assert_eq!(resolve(base, Path::new(path)), Path::new(want), "{path}");
        }
    }

    #[test]
    fn default_database_state_directory_then_repository_then_var_lib() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join("config")).unwrap();
        std::fs::create_dir_all(repo.path().join("data")).unwrap();
        let config = repo.path().join("config");
        assert_eq!(default_database(&config, Some("/var/lib/syndic:/var/lib/other".into())), Path::new("/var/lib/syndic/syndic.db"));
        assert_eq!(default_database(&config, None), repo.path().join("data/syndic.db"));
        assert_eq!(default_database(repo.path(), None), Path::new("/var/lib/syndic/syndic.db"));
        assert_eq!(default_database(Path::new("/etc/syndic"), Some("relative".into())), Path::new("/var/lib/syndic/syndic.db"));
    }

    #[test]
    fn locate_prefers_flag_then_env_then_local_then_system() {
        let cwd = tempfile::tempdir().unwrap();
        let flag = locate(Some("a.toml".into()), Some("b.toml".into()), cwd.path()).unwrap();
        assert_eq!((flag.path.as_path(), flag.how), (Path::new("a.toml"), "--config"));
        let env = locate(None, Some("b.toml".into()), cwd.path()).unwrap();
        assert_eq!((env.path.as_path(), env.how), (Path::new("b.toml"), "SYNDIC_CONFIG"));
        std::fs::create_dir_all(cwd.path().join("config")).unwrap();
        std::fs::write(cwd.path().join(LOCAL_CONFIG), "").unwrap();
        assert_eq!(locate(None, Some("".into()), cwd.path()).unwrap().path, Path::new(LOCAL_CONFIG));
        std::fs::remove_file(cwd.path().join(LOCAL_CONFIG)).unwrap();
        match locate(None, None, cwd.path()) {
            Ok(found) => assert_eq!(found.path, Path::new(SYSTEM_CONFIG), "only when /etc/syndic/syndic.toml exists"),
            Err(e) => assert!(e.contains("config/syndic.toml") && e.contains(SYSTEM_CONFIG) && e.contains("SYNDIC_CONFIG"), "{e}"),
        }
    }
}
