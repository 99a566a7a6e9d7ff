//! Writing a plan into the source list.
//!
//! The additions are rendered as TOML (values quoted and escaped by
//! toml_edit) and appended to the file: every byte the admin wrote, comments
//! and order included, stays where it was. The result is validated like any
//! source list before it replaces the old one (a fresh temporary file,
//! synced, given the old file's permissions, renamed over it), so an import
//! never leaves a broken list behind. `--dry-run` prints the same text and
//! writes nothing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ImportError;
use super::plan::Plan;

fn quoted(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

/// The TOML the plan adds, headed by a comment naming the OPML file.
pub fn snippet(plan: &Plan, from: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Imported from {}", from.replace('\n', " "));
    for (table, sections) in [("category", &plan.new_categories), ("region", &plan.new_regions)] {
        for s in sections {
            let _ = write!(out, "\n[[{table}]]\nslug = {}\ntitle = {}\n", quoted(&s.slug), quoted(&s.title));
        }
    }
    for s in &plan.add {
        let _ = write!(
            out,
            "\n[[source]]\nid = {}\nname = {}\nurl = {}\nkind = {}\ncategory = {}\n",
            quoted(&s.id),
            quoted(&s.name),
            quoted(&s.url),
            quoted(s.kind.as_str()),
            quoted(&s.category)
        );
        if let Some(region) = &s.region {
            let _ = writeln!(out, "region = {}", quoted(region));
        }
        if s.priority != 0 {
            let _ = writeln!(out, "priority = {}", s.priority);
        }
        if let Some(interval) = &s.interval {
            let _ = writeln!(out, "interval = {}", quoted(interval));
        }
        if !s.enabled {
            let _ = writeln!(out, "enabled = false");
        }
    }
    out
}

/// Appends `snippet` to the source list at `sources` once the result
/// validates; on any error the file is unchanged.
pub fn apply(sources: &Path, snippet: &str, default_interval: Duration) -> Result<(), ImportError> {
    let io = |e| ImportError::Io(sources.display().to_string(), e);
    let original = std::fs::read_to_string(sources).map_err(io)?;
    let mut text = original.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(snippet);
    // Errors point into the list as it would be written.
    let would_be = PathBuf::from(format!("{} (as the import would write it)", sources.display()));
    crate::config::parse_sources(&text, &would_be, Some(default_interval)).map_err(ImportError::Invalid)?;
    let (tmp, mut file) = crate::atomic::temporary_beside(sources).map_err(io)?;
    let mut written = file.write_all(text.as_bytes()).and_then(|()| file.sync_all());
    if written.is_ok()
        && let Ok(meta) = std::fs::metadata(sources)
    {
        written = file.set_permissions(meta.permissions());
    }
    drop(file);
    match written.and_then(|()| std::fs::rename(&tmp, sources)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(io(e))
        }
    }
}
