//! `syndic opml import`: adds an OPML file's feeds to `sources.toml`.
//!
//! The source list is edited with toml_edit, so the admin's comments,
//! ordering and formatting stay as they were; new sources are appended as
//! `[[source]]` tables. Feeds whose URL is already configured are skipped.
//! The edited file is validated like any config before it replaces the old
//! one (through a temporary file and a rename): an import never leaves a
//! broken source list behind.

use std::collections::HashSet;
use std::path::Path;

use regex::Regex;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::config::{ConfigErrors, load_sources};

/// One feed found in the OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// `title` or `text`.
    pub title: String,
    /// `xmlUrl`.
    pub url: String,
    /// syndic's own `category` attribute, when exported by syndic.
    pub category: Option<String>,
}

/// Why an import failed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading or writing a file failed.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The source list is not valid TOML to begin with.
    #[error("{0}: {1}")]
    Toml(String, toml_edit::TomlError),
    /// The result would not be a valid configuration.
    #[error("the imported source list would be invalid; nothing was written:\n{0}")]
    Invalid(ConfigErrors),
    /// The OPML file has no feeds.
    #[error("{0}: no <outline xmlUrl=…> feeds found")]
    Empty(String),
}

/// Every `<outline>` with an `xmlUrl`.
pub fn parse_opml(text: &str) -> Vec<OpmlFeed> {
    let outline = Regex::new(r"(?s)<outline\b([^>]*)>").unwrap_or_else(|_| unreachable!());
    let attr = Regex::new(r#"([A-Za-z_:][\w:.-]*)\s*=\s*"([^"]*)""#).unwrap_or_else(|_| unreachable!());
    outline
        .captures_iter(text)
        .filter_map(|c| {
            let attrs: Vec<(String, String)> = attr
                .captures_iter(&c[1])
                .map(|a| (a[1].to_string(), html_escape::decode_html_entities(&a[2]).trim().to_string()))
                .collect();
            let get = |k: &str| attrs.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
            let url = get("xmlUrl")?;
            let title = get("title").or_else(|| get("text")).unwrap_or_else(|| url.clone());
            Some(OpmlFeed { title, url, category: get("category") })
        })
        .collect()
}

/// Adds the feeds of `opml` to the source list at `sources`; `category`
/// overrides the category for all of them. Returns the ids added.
pub fn import(opml: &Path, sources: &Path, category: Option<&str>) -> Result<Vec<String>, ImportError> {
    let opml_text = std::fs::read_to_string(opml).map_err(|e| ImportError::Io(opml.display().to_string(), e))?;
    let feeds = parse_opml(&opml_text);
    if feeds.is_empty() {
        return Err(ImportError::Empty(opml.display().to_string()));
    }
    let text = std::fs::read_to_string(sources).map_err(|e| ImportError::Io(sources.display().to_string(), e))?;
    let mut doc: DocumentMut = text.parse().map_err(|e| ImportError::Toml(sources.display().to_string(), e))?;
    let (categories, mut ids, urls) = existing(&doc);
    let fallback = categories.first().cloned().unwrap_or_else(|| "news".into());
    let mut added = Vec::new();
    for feed in feeds {
        if urls.contains(&feed.url) {
            continue;
        }
        let id = unique_id(&feed.url, &mut ids);
        let cat = category
            .map(str::to_string)
            .or_else(|| feed.category.clone().filter(|c| categories.contains(c)))
            .unwrap_or_else(|| fallback.clone());
        let mut table = Table::new();
        table["id"] = value(id.clone());
        table["name"] = value(feed.title.clone());
        table["url"] = value(feed.url.clone());
        table["kind"] = value("partner");
        table["category"] = value(cat);
        let list = doc.entry("source").or_insert(Item::ArrayOfTables(Default::default()));
        if let Some(array) = list.as_array_of_tables_mut() {
            array.push(table);
        }
        added.push(id);
    }
    let new_text = doc.to_string();
    // A random, freshly created name: a symlink planted at a predictable
    // one would have been written through.
    let (tmp, mut file) = crate::atomic::temporary_beside(sources).map_err(|e| ImportError::Io(sources.display().to_string(), e))?;
    let written = std::io::Write::write_all(&mut file, new_text.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ImportError::Io(tmp.display().to_string(), e));
    }
    if let Err(mut errors) = load_sources(&tmp, None) {
        let _ = std::fs::remove_file(&tmp);
        // The positions are in the list as the import would have written
        // it, not in the temporary file's (random, already removed) name.
        let would_be = std::path::PathBuf::from(format!("{} (as the import would write it)", sources.display()));
        for e in errors.0.iter_mut().filter(|e| e.file == tmp) {
            e.file = would_be.clone();
        }
        return Err(ImportError::Invalid(errors));
    }
    std::fs::rename(&tmp, sources).map_err(|e| ImportError::Io(sources.display().to_string(), e))?;
    Ok(added)
}

type Existing = (Vec<String>, HashSet<String>, HashSet<String>);

fn existing(doc: &DocumentMut) -> Existing {
    let strings = |key: &str, field: &str| -> Vec<String> {
        doc.get(key)
            .and_then(Item::as_array_of_tables)
            .map(|a| a.iter().filter_map(|t| t.get(field).and_then(Item::as_str).map(str::to_string)).collect())
            .unwrap_or_default()
    };
    (strings("category", "slug"), strings("source", "id").into_iter().collect(), strings("source", "url").into_iter().collect())
}

/// A slug from the feed's host and path, made unique among `ids`.
fn unique_id(url: &str, ids: &mut HashSet<String>) -> String {
    let parsed = url::Url::parse(url).ok();
    let host = parsed.as_ref().and_then(|u| u.host_str()).unwrap_or("feed").trim_start_matches("www.");
    let path = parsed.as_ref().map(|u| u.path().to_string()).unwrap_or_default();
    let raw = format!("{host}-{path}");
    let mut slug = String::new();
    for c in raw.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let base = slug.trim_matches('-').chars().take(48).collect::<String>().trim_end_matches('-').to_string();
    let mut id = base.clone();
    let mut n = 2;
    while ids.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    ids.insert(id.clone());
    id
}
