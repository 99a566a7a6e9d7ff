//! `syndic opml import`: adds the feeds of a reader's OPML export to the
//! source list, folders becoming categories.
//!
//! Four steps, one module each: [`read`] parses the file (any reader's
//! dialect) into feeds with their folder paths; [`plan`] decides, without
//! touching anything, which feeds become which sources in which category
//! and which are skipped or left out, and why (folders and regions matched
//! in `sections`); [`write`] appends the new
//! `[[category]]`, `[[region]]` and `[[source]]` tables to the source list
//! (validated first, comments kept); [`report`] tells the admin all of it.
//! [`naming`] makes the ids and slugs. The export side is
//! [`crate::publish::opml::sources`], whose `syndic:*` attributes make
//! export → import give back the same sources.

use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigErrors};
use crate::model::SourceKind;

pub mod naming;
pub mod plan;
pub mod read;
pub mod report;
mod sections;
pub mod write;

pub use plan::Plan;

/// What the admin asked for on the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The category for feeds in no folder that is a category.
    pub category: Option<String>,
    /// Make a category of each folder that is none yet.
    pub create_categories: bool,
    /// The kind of every imported source whose outline has no `syndic:kind`.
    pub kind: SourceKind,
}

impl Default for Options {
    /// Partner: an OPML file usually lists other sites' feeds.
    fn default() -> Options {
        Options { category: None, create_categories: false, kind: SourceKind::Partner }
    }
}

/// Why an import failed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading or writing a file failed.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The OPML file is larger than [`read::MAX_BYTES`].
    #[error("{0}: larger than {max} MB; is it an OPML file?", max = read::MAX_BYTES >> 20)]
    TooLarge(String),
    /// The OPML file cannot be read as OPML.
    #[error("{0}: {1}")]
    Read(String, read::ReadError),
    /// The OPML file lists no feeds at all.
    #[error("{0}: no feeds in it (no <outline> has an xmlUrl)")]
    Empty(String),
    /// The result would not be a valid configuration.
    #[error("the imported source list would be invalid; nothing was written:\n{0}")]
    Invalid(ConfigErrors),
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug)]
pub struct Outcome {
    /// The OPML file.
    pub file: PathBuf,
    /// The source list.
    pub sources: PathBuf,
    /// Feed outlines in the file (a feed in two folders counts twice).
    pub listed: usize,
    /// The kind given to sources whose outline does not say (`--kind`).
    pub kind: SourceKind,
    /// The decisions.
    pub plan: Plan,
    /// The TOML appended (or that would be).
    pub toml: String,
    /// Whether the source list was changed.
    pub written: bool,
}

/// Imports `file` into the source list of `config`; with `dry_run` only
/// plans it.
pub fn import(file: &Path, config: &Config, options: &Options, dry_run: bool) -> Result<Outcome, ImportError> {
    let name = file.display().to_string();
    let bytes = read_bounded(file).map_err(|e| match e {
        Bounded::Io(e) => ImportError::Io(name.clone(), e),
        Bounded::TooLarge => ImportError::TooLarge(name.clone()),
    })?;
    let doc = read::read(&bytes).map_err(|e| ImportError::Read(name.clone(), e))?;
    if doc.feeds.is_empty() && doc.problems.is_empty() {
        return Err(ImportError::Empty(name));
    }
    let plan = plan::plan(&doc, config, options);
    let from = file.file_name().map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
    let toml = write::snippet(&plan, &from);
    let changes = !plan.add.is_empty() || !plan.new_categories.is_empty() || !plan.new_regions.is_empty();
    let written = !dry_run && changes;
    if written {
        write::apply(&config.sources_path, &toml, config.daemon.default_interval)?;
    }
    Ok(Outcome {
        file: file.to_path_buf(),
        sources: config.sources_path.clone(),
        listed: doc.feeds.len(),
        kind: options.kind,
        plan,
        toml,
        written,
    })
}

enum Bounded {
    Io(std::io::Error),
    TooLarge,
}

/// The file's bytes, refusing more than [`read::MAX_BYTES`] without reading them all.
fn read_bounded(path: &Path) -> Result<Vec<u8>, Bounded> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(Bounded::Io)?;
    let mut bytes = Vec::new();
    file.take(read::MAX_BYTES + 1).read_to_end(&mut bytes).map_err(Bounded::Io)?;
    if bytes.len() as u64 > read::MAX_BYTES {
        return Err(Bounded::TooLarge);
    }
    Ok(bytes)
}
