//! Deciding what an import adds: which category each feed goes to, which
//! feeds are already configured, which cannot be placed.
//!
//! A folder is a category when its title, folded (case, `ё`), equals a
//! category's title or slug, or when their transliterations agree
//! («Политика», `politika` and `Politika` all name the category titled
//! «Политика», whatever its slug). In nested folders the innermost one that
//! is a category counts. syndic's own `syndic:category` names the slug
//! outright. A feed in no category folder goes to `--category` when given;
//! a folder that is no category becomes one with `--create-categories`;
//! otherwise its feeds are reported and left out.
//!
//! A feed is known by its canonical URL ([`crate::normalize::url::canonical`]:
//! scheme, `www.`, trailing slash, tracking parameters folded), so a feed
//! listed in two folders becomes one source (the first folder, in file order,
//! that is a category wins) and a feed already in the source list is skipped
//! and named with the id it has there.

use std::collections::{HashMap, HashSet};

use super::naming::{self, fold};
use super::read::{Document, Feed};
use crate::config::{Config, Section};
use crate::model::SourceKind;

/// What the admin asked for on the command line.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// The category for feeds in no folder that is a category.
    pub category: Option<String>,
    /// Make a category of each folder that is none yet.
    pub create_categories: bool,
}

/// A source to append to the source list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    pub id: String,
    pub name: String,
    pub url: String,
    pub kind: SourceKind,
    pub category: String,
    pub region: Option<String>,
    pub priority: i64,
    /// As written in the file (`10m`), when it said.
    pub interval: Option<String>,
    pub enabled: bool,
    /// Why this category, for the report.
    pub because: String,
}

/// A feed listed in more than one folder.
#[derive(Debug, Clone)]
pub struct Merged {
    pub url: String,
    pub folders: Vec<String>,
    pub winner: String,
    pub why: &'static str,
}

/// Everything the import would do.
#[derive(Debug, Default)]
pub struct Plan {
    pub add: Vec<NewSource>,
    pub new_categories: Vec<Section>,
    pub new_regions: Vec<Section>,
    /// (name, url, id of the configured source with that URL).
    pub skipped: Vec<(String, String, String)>,
    pub merged: Vec<Merged>,
    /// Left out, grouped by reason, each with (name, url).
    pub left_out: Vec<(String, Vec<(String, String)>)>,
    /// Outlines that could not be read as feeds, and bad syndic attributes.
    pub problems: Vec<String>,
    /// (id asked for by syndic:id, id given, why).
    pub renamed: Vec<(String, String, String)>,
}

/// One feed and every place the file lists it.
struct Unique<'a> {
    url: url::Url,
    first: &'a Feed,
    all: Vec<&'a Feed>,
}

/// Builds the plan; changes nothing.
pub fn plan(doc: &Document, config: &Config, options: &Options) -> Plan {
    let mut p = Plan { problems: doc.problems.clone(), ..Plan::default() };
    let categories = Index::of(&config.categories);
    let regions = Index::of(&config.regions);
    let configured: HashMap<String, &str> =
        config.sources.iter().map(|s| (crate::normalize::url::canonical(&s.url), s.id.as_str())).collect();
    let mut ids: HashSet<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let mut new_categories = Index::default();
    let mut new_regions = Index::default();
    if options.create_categories {
        // What a syndic export declares comes along, empty or not, unless
        // it is here under another slug.
        for (slug, title) in &doc.categories {
            if categories.find(slug).is_none() && categories.find(title).is_none() && !new_categories.has_slug(slug) {
                new_categories.sections.push(Section { slug: slug.clone(), title: title.clone() });
            }
        }
        for (slug, title) in &doc.regions {
            if !regions.has_slug(slug) && regions.find(title).is_none() && !new_regions.has_slug(slug) {
                new_regions.sections.push(Section { slug: slug.clone(), title: title.clone() });
            }
        }
    }
    let mut left_out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut leave = |reason: String, feed: &Feed| match left_out.iter_mut().find(|(r, _)| *r == reason) {
        Some((_, list)) => list.push((feed.title.clone(), feed.url.clone())),
        None => left_out.push((reason, vec![(feed.title.clone(), feed.url.clone())])),
    };

    for u in unique(doc, &mut p.problems) {
        let key = crate::normalize::url::canonical(&u.url);
        if let Some(id) = configured.get(&key) {
            p.skipped.push((u.first.title.clone(), u.first.url.clone(), id.to_string()));
            continue;
        }
        let Some(attrs) = Attrs::of(u.first, &mut p.problems) else { continue };
        // The category.
        let placed = place(&u, &categories);
        let (category, because, why) = match placed {
            Placed::Category { slug, because, why } => (slug, because, why),
            Placed::Folder(folder) if options.create_categories => {
                let slug = new_categories.find(&folder).unwrap_or_else(|| new_categories.add(&folder, &categories));
                (slug, format!("new category from folder «{folder}»"), "no folder is a category; the first one listed became one")
            }
            Placed::Slug(slug, folder) if options.create_categories => {
                let title = folder.unwrap_or_else(|| slug.clone());
                if !new_categories.has_slug(&slug) {
                    new_categories.sections.push(Section { slug: slug.clone(), title });
                }
                (slug, "new category from syndic:category".to_string(), "syndic:category names it")
            }
            _ if options.category.is_some() => {
                (options.category.clone().unwrap_or_default(), "--category".to_string(), "no folder is a category; --category")
            }
            Placed::Folder(folder) => {
                leave(format!("folder «{folder}» is not a category"), u.first);
                continue;
            }
            Placed::Slug(slug, folder) => {
                let folder = folder.map(|f| format!(" (folder «{f}»)")).unwrap_or_default();
                leave(format!("category \"{slug}\"{folder} is not configured"), u.first);
                continue;
            }
            Placed::Nowhere => {
                leave("in no folder".to_string(), u.first);
                continue;
            }
        };
        // The region.
        // A region is known by its slug, or by the title the file's head gives it.
        let titled = |slug: &str| doc.regions.iter().find(|(s, _)| s == slug).and_then(|(_, title)| regions.find(title));
        let region = match &attrs.region {
            None => None,
            Some(slug) if regions.has_slug(slug) || new_regions.has_slug(slug) => Some(slug.clone()),
            Some(slug) if titled(slug).is_some() => titled(slug),
            Some(slug) if options.create_categories => {
                let title = doc.regions.iter().find(|(s, _)| s == slug).map_or_else(|| slug.clone(), |(_, t)| t.clone());
                new_regions.sections.push(Section { slug: slug.clone(), title });
                Some(slug.clone())
            }
            Some(slug) => {
                leave(format!("region \"{slug}\" is not configured"), u.first);
                continue;
            }
        };
        // The id.
        let id = match &attrs.id {
            Some(wanted) if !ids.contains(wanted) => {
                ids.insert(wanted.clone());
                wanted.clone()
            }
            wanted => {
                let id = naming::unique(&naming::source_base(&u.url), &mut ids);
                if let Some(wanted) = wanted {
                    p.renamed.push((wanted.clone(), id.clone(), "another source has that id".into()));
                }
                id
            }
        };
        if u.all.len() > 1 {
            let mut folders: Vec<String> = Vec::new();
            for f in &u.all {
                let name = f.folders.last().cloned().unwrap_or_else(|| "(no folder)".into());
                if !folders.contains(&name) {
                    folders.push(name);
                }
            }
            if folders.len() > 1 {
                let winner = because.clone();
                p.merged.push(Merged { url: u.first.url.clone(), folders, winner, why });
            }
        }
        p.add.push(NewSource {
            id,
            name: u.first.title.clone(),
            url: u.url.to_string(),
            kind: attrs.kind,
            category,
            region,
            priority: attrs.priority,
            interval: attrs.interval,
            enabled: attrs.enabled,
            because,
        });
    }
    p.new_categories = new_categories.sections;
    p.new_regions = new_regions.sections;
    p.left_out = left_out;
    p
}

/// Feeds grouped by canonical URL, in order of first appearance.
fn unique<'a>(doc: &'a Document, problems: &mut Vec<String>) -> Vec<Unique<'a>> {
    let mut out: Vec<Unique<'a>> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for feed in &doc.feeds {
        let Some(url) = crate::normalize::url::clean(&feed.url, None) else {
            problems.push(format!("line {}: «{}»: {:?} is not an http(s) URL", feed.line, feed.title, feed.url));
            continue;
        };
        let key = crate::normalize::url::canonical(&url);
        match by_key.get(&key) {
            Some(&i) => out[i].all.push(feed),
            None => {
                by_key.insert(key, out.len());
                out.push(Unique { url, first: feed, all: vec![feed] });
            }
        }
    }
    out
}

enum Placed {
    /// A configured category, why, and why over other folders.
    Category { slug: String, because: String, why: &'static str },
    /// The innermost folder of the first listing; no category.
    Folder(String),
    /// syndic:category names a slug that is not configured (and the folder title).
    Slug(String, Option<String>),
    /// In no folder at all.
    Nowhere,
}

fn place(u: &Unique<'_>, categories: &Index) -> Placed {
    // syndic:category is exact when the slug is configured here.
    let named = u.all.iter().find_map(|f| f.syndic.get("category").map(|slug| (slug, f)));
    if let Some((slug, _)) = named
        && categories.has_slug(slug)
    {
        return Placed::Category { slug: slug.clone(), because: "syndic:category".into(), why: "syndic:category names it" };
    }
    for f in &u.all {
        for folder in f.folders.iter().rev() {
            if let Some(slug) = categories.find(folder) {
                return Placed::Category {
                    slug,
                    because: format!("folder «{folder}»"),
                    why: "the first folder in the file that is a category",
                };
            }
        }
    }
    if let Some((slug, f)) = named {
        return Placed::Slug(slug.clone(), f.folders.last().cloned());
    }
    match u.all.iter().find_map(|f| f.folders.last()) {
        Some(folder) => Placed::Folder(folder.clone()),
        None => Placed::Nowhere,
    }
}

/// syndic's own attributes of a feed, checked.
struct Attrs {
    id: Option<String>,
    kind: SourceKind,
    region: Option<String>,
    priority: i64,
    interval: Option<String>,
    enabled: bool,
}

impl Attrs {
    fn of(feed: &Feed, problems: &mut Vec<String>) -> Option<Attrs> {
        let get = |k: &str| feed.syndic.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut bad = |what: String| {
            problems.push(format!("line {}: «{}»: {what}; not imported", feed.line, feed.title));
            None
        };
        let kind = match get("kind") {
            None => SourceKind::Partner,
            Some(k) => match SourceKind::parse(k) {
                Some(k) => k,
                None => return bad(format!("syndic:kind {k:?} is neither \"regional\" nor \"partner\"")),
            },
        };
        let priority = match get("priority").map(str::parse::<i64>) {
            None => 0,
            Some(Ok(p)) => p,
            Some(Err(_)) => return bad(format!("syndic:priority {:?} is not a whole number", get("priority").unwrap_or_default())),
        };
        let interval = get("interval").map(str::to_string);
        if let Some(i) = &interval
            && crate::config::parse_duration(i).is_err()
        {
            return bad(format!("syndic:interval {i:?} is not a duration such as \"15m\""));
        }
        let slug_ok = |s: &&str| s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let id = match get("id") {
            Some(id) if slug_ok(&id) => Some(id.to_string()),
            Some(id) => {
                problems.push(format!(
                    "line {}: «{}»: syndic:id {id:?} is not lower-case letters, digits and '-'; a new id is made",
                    feed.line, feed.title
                ));
                None
            }
            None => None,
        };
        let region = get("region").map(str::to_string);
        let enabled = get("enabled") != Some("false");
        Some(Attrs { id, kind, region, priority, interval, enabled })
    }
}

/// Categories (or regions) by every name that finds them.
#[derive(Default)]
struct Index {
    sections: Vec<Section>,
}

impl Index {
    fn of(sections: &[Section]) -> Index {
        Index { sections: sections.to_vec() }
    }

    fn has_slug(&self, slug: &str) -> bool {
        self.sections.iter().any(|s| s.slug == slug)
    }

    /// The slug of the section `name` names.
    fn find(&self, name: &str) -> Option<String> {
        let folded = fold(name);
        let translit = naming::slug(name);
        self.sections
            .iter()
            .find(|s| {
                fold(&s.title) == folded
                    || s.slug == folded
                    || (!translit.is_empty() && (s.slug == translit || naming::slug(&s.title) == translit))
            })
            .map(|s| s.slug.clone())
    }

    /// A new section for folder `title`, its slug unlike any in `self` or `configured`.
    fn add(&mut self, title: &str, configured: &Index) -> String {
        let mut taken: HashSet<String> = self.sections.iter().chain(&configured.sections).map(|s| s.slug.clone()).collect();
        taken.extend(["all", "partners", "region"].map(String::from));
        let base = naming::slug(title);
        let slug = naming::unique(if base.is_empty() { "category" } else { &base }, &mut taken);
        self.sections.push(Section { slug: slug.clone(), title: title.to_string() });
        slug
    }
}

#[cfg(test)]
mod tests;
