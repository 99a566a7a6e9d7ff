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
    let mut sections = Sections::new(doc, config, options);
    let configured: HashMap<String, &str> =
        config.sources.iter().map(|s| (crate::normalize::url::canonical(&s.url), s.id.as_str())).collect();
    let mut ids: HashSet<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    for u in unique(doc, &mut p.problems) {
        if let Some(id) = configured.get(&crate::normalize::url::canonical(&u.url)) {
            p.skipped.push((u.first.title.clone(), u.first.url.clone(), id.to_string()));
            continue;
        }
        let Some(attrs) = Attrs::of(u.first, &mut p.problems) else { continue };
        // Both decided before either is made, so a feed left out leaves no
        // empty category or region behind.
        let decided = sections.category(&u).and_then(|c| Ok((c, sections.region(attrs.region.as_deref())?)));
        let (category, region) = match decided {
            Ok(both) => both,
            Err(reason) => {
                let feed = (u.first.title.clone(), u.first.url.clone());
                match p.left_out.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, list)) => list.push(feed),
                    None => p.left_out.push((reason, vec![feed])),
                }
                continue;
            }
        };
        let region = region.map(|r| sections.make_region(r));
        let (slug, because, why) = (sections.make_category(category.slug), category.because, category.why);
        let id = match attrs.id {
            Some(wanted) if !ids.contains(&wanted) => {
                ids.insert(wanted.clone());
                wanted
            }
            wanted => {
                let id = naming::unique(&naming::source_base(&u.url), &mut ids);
                if let Some(wanted) = wanted {
                    p.renamed.push((wanted, id.clone(), "another source has that id".into()));
                }
                id
            }
        };
        let mut folders: Vec<String> = Vec::new();
        for f in &u.all {
            let name = f.folders.last().cloned().unwrap_or_else(|| "(no folder)".into());
            if !folders.contains(&name) {
                folders.push(name);
            }
        }
        if folders.len() > 1 {
            p.merged.push(Merged { url: u.first.url.clone(), folders, winner: because.clone(), why });
        }
        p.add.push(NewSource {
            id,
            name: u.first.title.clone(),
            url: u.url.to_string(),
            kind: attrs.kind,
            category: slug,
            region,
            priority: attrs.priority,
            interval: attrs.interval,
            enabled: attrs.enabled,
            because,
        });
    }
    p.new_categories = sections.new_categories.sections;
    p.new_regions = sections.new_regions.sections;
    p
}

/// A category or region chosen for a feed, maybe still to be made.
enum Choice {
    /// Configured, or made already for an earlier feed.
    Existing(String),
    /// To be made.
    New(Section),
}

/// The category chosen, why, and why over the other folders listing it.
struct CategoryChoice {
    slug: Choice,
    because: String,
    why: &'static str,
}

/// The categories and regions configured and those the import makes.
struct Sections<'a> {
    doc: &'a Document,
    options: &'a Options,
    categories: Index,
    regions: Index,
    new_categories: Index,
    new_regions: Index,
}

impl<'a> Sections<'a> {
    fn new(doc: &'a Document, config: &Config, options: &'a Options) -> Sections<'a> {
        let mut s = Sections {
            doc,
            options,
            categories: Index::of(&config.categories),
            regions: Index::of(&config.regions),
            new_categories: Index::default(),
            new_regions: Index::default(),
        };
        if options.create_categories {
            // What a syndic export declares comes along, empty or not,
            // unless it is here under another slug.
            for (slug, title) in &doc.categories {
                if s.categories.find(slug).is_none() && s.categories.find(title).is_none() && !s.new_categories.has_slug(slug) {
                    s.new_categories.sections.push(Section { slug: slug.clone(), title: title.clone() });
                }
            }
            for (slug, title) in &doc.regions {
                if !s.regions.has_slug(slug) && s.regions.find(title).is_none() && !s.new_regions.has_slug(slug) {
                    s.new_regions.sections.push(Section { slug: slug.clone(), title: title.clone() });
                }
            }
        }
        s
    }

    /// The feed's category, or why it has none.
    fn category(&self, u: &Unique<'_>) -> Result<CategoryChoice, String> {
        let create = self.options.create_categories;
        let existing = |slug: String, because: String, why| Ok(CategoryChoice { slug: Choice::Existing(slug), because, why });
        match place(u, &self.categories) {
            Placed::Category { slug, because, why } => existing(slug, because, why),
            Placed::Folder(folder) if create => {
                let because = format!("new category from folder «{folder}»");
                let why = "no folder is a category; the first one listed became one";
                match self.new_categories.find(&folder) {
                    Some(slug) => existing(slug, because, why),
                    None => Ok(CategoryChoice { slug: Choice::New(self.new_categories.section(&folder, &self.categories)), because, why }),
                }
            }
            Placed::Slug(slug, folder) if create => {
                let (because, why) = ("new category from syndic:category".to_string(), "syndic:category names it");
                if self.new_categories.has_slug(&slug) {
                    return existing(slug, because, why);
                }
                let title = folder.unwrap_or_else(|| slug.clone());
                Ok(CategoryChoice { slug: Choice::New(Section { slug, title }), because, why })
            }
            _ if self.options.category.is_some() => {
                existing(self.options.category.clone().unwrap_or_default(), "--category".into(), "no folder is a category; --category")
            }
            Placed::Folder(folder) => Err(format!("folder «{folder}» is not a category")),
            Placed::Slug(slug, folder) => {
                let folder = folder.map(|f| format!(" (folder «{f}»)")).unwrap_or_default();
                Err(format!("category \"{slug}\"{folder} is not configured"))
            }
            Placed::Nowhere => Err("in no folder".to_string()),
        }
    }

    /// The feed's region (by slug, or by the title the file's head gives
    /// it), or why it cannot have it.
    fn region(&self, slug: Option<&str>) -> Result<Option<Choice>, String> {
        let Some(slug) = slug else { return Ok(None) };
        if self.regions.has_slug(slug) || self.new_regions.has_slug(slug) {
            return Ok(Some(Choice::Existing(slug.to_string())));
        }
        let title = self.doc.regions.iter().find(|(s, _)| s == slug).map(|(_, t)| t.clone());
        if let Some(found) = title.as_deref().and_then(|t| self.regions.find(t)) {
            return Ok(Some(Choice::Existing(found)));
        }
        if self.options.create_categories {
            return Ok(Some(Choice::New(Section { slug: slug.to_string(), title: title.unwrap_or_else(|| slug.to_string()) })));
        }
        Err(format!("region \"{slug}\" is not configured"))
    }

    fn make_category(&mut self, choice: Choice) -> String {
        make(&mut self.new_categories, choice)
    }

    fn make_region(&mut self, choice: Choice) -> String {
        make(&mut self.new_regions, choice)
    }
}

fn make(index: &mut Index, choice: Choice) -> String {
    match choice {
        Choice::Existing(slug) => slug,
        Choice::New(section) => {
            let slug = section.slug.clone();
            if !index.has_slug(&slug) {
                index.sections.push(section);
            }
            slug
        }
    }
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

    /// A section for folder `title` with a slug unlike any in `self` or
    /// `configured` (not added: see [`make`]).
    fn section(&self, title: &str, configured: &Index) -> Section {
        let mut taken: HashSet<String> = self.sections.iter().chain(&configured.sections).map(|s| s.slug.clone()).collect();
        taken.extend(["all", "partners", "region"].map(String::from));
        let base = naming::slug(title);
        let slug = naming::unique(if base.is_empty() { "category" } else { &base }, &mut taken);
        Section { slug, title: title.to_string() }
    }
}

#[cfg(test)]
mod tests;
