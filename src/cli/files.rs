//! Which configuration and database a command uses, found the same way from
//! any directory ([`crate::config::paths`]) and said on stderr in one line
//! before the command runs:
//!
//! ```text
//! syndic: config /etc/syndic/syndic.toml, database /var/lib/syndic/syndic.db
//! ```
//!
//! Commands that only read the database never create one: a missing file
//! is an error naming the path, not a new empty database.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::{self, Config, LogFormat, paths};
use crate::store::Store;

/// What a command does with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// Nothing (`opml export`, `dedup-check`): not named, not opened.
    Unused,
    /// Names it without opening it (`check`: where the daemon would write).
    Named,
    /// Reads it; it must exist.
    Reads,
    /// Writes it; created when missing.
    Writes,
}

/// Finds the settings file (`--config`, `SYNDIC_CONFIG`, the defaults).
pub fn locate(flag: Option<PathBuf>) -> anyhow::Result<paths::Located> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    paths::locate(flag, std::env::var_os("SYNDIC_CONFIG"), &cwd).map_err(anyhow::Error::msg)
}

/// Finds and loads the configuration, says which files the command uses,
/// and checks that a database the command only reads is there.
pub fn load(flag: Option<PathBuf>, database: Database) -> anyhow::Result<Config> {
    load_checked(flag, database, false)
}

/// [`load`], refusing settings an install left as placeholders (the
/// commands that publish self links: `run`, `publish` and `check`), before
/// anything else is said of the database.
pub fn load_filled(flag: Option<PathBuf>, database: Database) -> anyhow::Result<Config> {
    load_checked(flag, database, true)
}

fn load_checked(flag: Option<PathBuf>, database: Database, filled: bool) -> anyhow::Result<Config> {
    let located = locate(flag)?;
    let config = config::load(&located.path).map_err(|errors| {
        let n = errors.0.len();
        anyhow::anyhow!("invalid configuration ({n} error{}):\n{errors}", if n == 1 { "" } else { "s" })
    })?;
    let db = &config.daemon.database;
    let shown = display(&located.path);
    let from = if located.how == "SYNDIC_CONFIG" { " (from SYNDIC_CONFIG)" } else { "" };
    let exists = db.exists();
    let line = match database {
        Database::Unused => format!("config {shown}{from}"),
        Database::Named => format!("config {shown}{from}, database {}{}", db.display(), if exists { "" } else { " (not created yet)" }),
        Database::Reads => format!("config {shown}{from}, database {}", db.display()),
        Database::Writes => format!("config {shown}{from}, database {}{}", db.display(), if exists { "" } else { " (new)" }),
    };
    if config.daemon.log_format == LogFormat::Json && database == Database::Writes {
        // The daemon's stderr is a JSON log then: keep every line JSON.
        let fields = serde_json::json!({ "message": line, "config": shown, "database": db.display().to_string() });
        eprintln!("{}", serde_json::json!({ "level": "INFO", "target": "syndic", "fields": fields }));
    } else {
        eprintln!("syndic: {line}");
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let old = paths::old_location(db, &paths::base_dir(&located.path), &cwd);
    if let Some(old) = &old {
        eprintln!(
            "syndic: note: {} exists: relative paths in the settings were once relative to the working directory and are \
             now relative to the settings file; to keep that database, set database = {:?} in {shown}",
            old.display(),
            old.display().to_string()
        );
    }
    if filled && let Some(e) = config::unfilled(&config) {
        anyhow::bail!("invalid configuration:\n{e}");
    }
    if database == Database::Reads && !exists {
        anyhow::bail!(
            "no database at {}: nothing has been fetched with this configuration yet (run `syndic fetch` or start \
             the service), or `database` in {shown} should point to the daemon's file",
            db.display()
        );
    }
    Ok(config)
}

/// Opens the configured database for reading only (never creating it).
pub fn open_for_reading(config: &Config) -> anyhow::Result<Store> {
    let db = &config.daemon.database;
    let store = Store::open_reader(db).with_context(|| format!("cannot read the database {}", db.display()))?;
    if let Some((found, latest)) = store.schema_behind()? {
        anyhow::bail!(
            "the database {} has schema version {found} and this syndic reads version {latest}: restart the service \
             (or run `syndic fetch`) once to upgrade it",
            db.display()
        );
    }
    Ok(store)
}

/// The settings file as an absolute path without `..` (it exists: it loaded).
fn display(path: &Path) -> String {
    path.canonicalize().or_else(|_| std::path::absolute(path)).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}
