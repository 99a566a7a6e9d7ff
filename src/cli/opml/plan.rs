//! Deciding what an import adds: which feeds become sources (with which
//! ids, in which category and region, see `sections`), which are
//! already configured, which cannot be placed, and why.
//!
//! A feed is known by its canonical URL ([`crate::normalize::url::canonical`]:
//! scheme, `www.`, trailing slash, tracking parameters folded), so a feed
//! listed in two folders becomes one source (the first folder, in file order,
//! that is a category wins) and a feed already in the source list is skipped
//! and named with the id it has there.

use std::collections::{HashMap, HashSet};

use super::Options;
use super::naming;
use super::read::{Document, Feed, Unique};
use super::sections::Sections;
use crate::config::{Config, Section};
use crate::model::SourceKind;

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
    /// Outlines that could not be read as feeds, and bad syndic
    /// attributes: (line, what, naming the line), in line order.
    pub problems: Vec<(usize, String)>,
    /// (id asked for by syndic:id, id given, why).
    pub renamed: Vec<(String, String, String)>,
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
        let Some(attrs) = Attrs::of(u.first, options.kind, &mut p.problems) else { continue };
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
                let id = naming::source_id(&u.url, &mut ids);
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
    // Found in three passes (reading, URLs, attributes); read in file order.
    p.problems.sort_by_key(|(line, _)| *line);
    p.new_categories = sections.new_categories.sections;
    p.new_regions = sections.new_regions.sections;
    p
}

/// Feeds grouped by canonical URL, in order of first appearance.
fn unique<'a>(doc: &'a Document, problems: &mut Vec<(usize, String)>) -> Vec<Unique<'a>> {
    let mut out: Vec<Unique<'a>> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for feed in &doc.feeds {
        let Some(url) = crate::normalize::url::clean(&feed.url, None) else {
            problems.push((feed.line, format!("line {}: «{}»: {:?} is not an http(s) URL", feed.line, feed.title, feed.url)));
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
    /// `kind` is what `--kind` gave, for an outline without `syndic:kind`.
    fn of(feed: &Feed, kind: SourceKind, problems: &mut Vec<(usize, String)>) -> Option<Attrs> {
        let get = |k: &str| feed.syndic.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut bad = |what: String| {
            problems.push((feed.line, format!("line {}: «{}»: {what}; not imported", feed.line, feed.title)));
            None
        };
        let kind = match get("kind") {
            None => kind,
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
                problems.push((
                    feed.line,
                    format!(
                        "line {}: «{}»: syndic:id {id:?} is not lower-case letters, digits and '-'; a new id is made",
                        feed.line, feed.title
                    ),
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
