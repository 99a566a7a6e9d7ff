//! The source list (`sources.toml`): categories, regions and sources,
//! each entry checked against its key schema and then validated on its own,
//! so that one broken `[[source]]` never hides the problems of another.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::fulltext;
use super::report::{Report, Scope};
use super::values::{duration, http_url, regexes};
use super::{ConfigErrors, Section, Source, deserialize, entries, read, schema, suggest};
use crate::model::SourceKind;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSection {
    slug: Spanned<String>,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    id: Spanned<String>,
    name: Spanned<String>,
    url: Spanned<String>,
    kind: SourceKind,
    category: Spanned<String>,
    region: Option<Spanned<String>>,
    #[serde(default)]
    priority: i64,
    interval: Option<Spanned<String>>,
    #[serde(default)]
    categories: HashMap<String, Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default = "default_true")]
    enabled: bool,
    full_text: Option<Spanned<fulltext::RawFullText>>,
    publish: Option<Spanned<String>>,
    excerpt_chars: Option<Spanned<i64>>,
    attribution: Option<Spanned<String>>,
}

fn default_true() -> bool {
    true
}

pub type SourceList = (Vec<Section>, Vec<Section>, Vec<Source>);

/// Reads and validates a source list on its own. `default_interval` is the
/// daemon's; `None` when the daemon settings were broken (a default is used
/// so that the source list's own errors are still all reported).
pub fn load_sources(path: &Path, default_interval: Option<Duration>) -> Result<SourceList, ConfigErrors> {
    let text = read(path)?;
    parse_sources(&text, path, default_interval)
}

/// Validates source-list text as if read from `path` (errors name it).
pub fn parse_sources(text: &str, path: &Path, default_interval: Option<Duration>) -> Result<SourceList, ConfigErrors> {
    let mut report = Report::new(path, text);
    let mut doc = match DeTable::parse(text) {
        Ok(doc) => doc.into_inner(),
        Err(e) => {
            report.toml(&e);
            return Err(ConfigErrors(report.finish()));
        }
    };
    schema::top_level(&mut doc, schema::SOURCES_FILE, &mut report);
    let (categories, rejected_categories) = sections(entries(&mut doc, "category", &mut report), "category", &mut report);
    let (regions, rejected_regions) = sections(entries(&mut doc, "region", &mut report), "region", &mut report);
    let default_interval = default_interval.unwrap_or(Duration::from_secs(900));
    let mut seen = Seen::default();
    let mut sources = Vec::new();
    for (index, mut entry) in entries(&mut doc, "source", &mut report).into_iter().enumerate() {
        let id = entry.get_ref().get("id").and_then(|v| v.get_ref().as_str()).map(str::to_string);
        report.scope = Scope::entry("source", index, id.as_deref());
        let filled = schema::check(&mut entry, schema::SOURCE, &mut report);
        let errors_before = report.errors.len();
        let known = Known { categories: (&categories, &rejected_categories), regions: (&regions, &rejected_regions) };
        let source = deserialize::<RawSource>(entry, &mut report)
            .and_then(|raw| validate_source(raw, known, default_interval, &mut seen, &mut report));
        if filled.is_empty() {
            sources.extend(source);
        } else {
            // Its other values were checked; the placeholders say nothing.
            report.forget_about(errors_before, &filled);
        }
    }
    report.scope = Scope::default();
    let errors = report.finish();
    if errors.is_empty() { Ok((categories, regions, sources)) } else { Err(ConfigErrors(errors)) }
}

/// A `[[category]]` or `[[region]]` whose slug was refused: (slug, line,
/// what to do).
type Rejected = (String, usize, String);

/// The valid sections, and the slugs refused (so that a source naming one
/// is told why it is unknown).
fn sections(raw: Vec<Spanned<DeValue<'_>>>, what: &str, report: &mut Report<'_>) -> (Vec<Section>, Vec<Rejected>) {
    let mut out: Vec<Section> = Vec::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    for (index, mut entry) in raw.into_iter().enumerate() {
        report.scope = Scope::entry(what, index, None);
        // A section without a title still defines its slug: sources naming
        // it get no second, misleading error.
        let filled = schema::check(&mut entry, schema::SECTION, report);
        let errors_before = report.errors.len();
        let Some(s) = deserialize::<RawSection>(entry, report) else { continue };
        let slug = s.slug.get_ref();
        if !is_slug(slug) {
            let fix = slug_form(slug);
            let (such, todo) = match is_slug(&fix) {
                true => (format!(", such as {fix:?}"), format!("write slug = {fix:?} there")),
                false => (String::new(), "write it in lower-case letters, digits and '-'".to_string()),
            };
            report.key(s.slug.span(), "slug", format!("{slug:?} must be lower-case letters, digits and '-'{such}"));
            rejected.push((slug.clone(), report.line_of(s.slug.span().start), todo));
        } else if slug == "all" || slug == "partners" || slug == "region" {
            report.key(s.slug.span(), "slug", format!("{slug:?} is reserved for a built-in feed"));
            rejected.push((slug.clone(), report.line_of(s.slug.span().start), "it is reserved for a built-in feed: choose another".into()));
        } else if out.iter().any(|c| &c.slug == slug) {
            report.key(s.slug.span(), "slug", format!("duplicate {what} slug {slug:?}"));
        } else {
            out.push(Section { slug: s.slug.into_inner(), title: s.title });
        }
        report.forget_about(errors_before, &filled);
    }
    report.scope = Scope::default();
    (out, rejected)
}

/// `Politics` → `politics`, `almaty_oblast` → `almaty-oblast`: a slug
/// written the way it is refused, in the form accepted.
fn slug_form(slug: &str) -> String {
    let dashed: String = slug.trim().to_lowercase().chars().map(|c| if c == '_' || c.is_whitespace() { '-' } else { c }).collect();
    dashed.chars().filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-').collect()
}

fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What the sources before this one took: ids and feeds.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    /// [`same_feed`] key → the id of the source with that url.
    urls: HashMap<String, String>,
}

/// A url as a feed: `www.` and a trailing slash make no
/// other feed.
fn same_feed(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    // The scheme stays: an https:// feed and an http:// one on the same
    // host may be served differently (a TLS check is tested that way).
    format!("{}://{}{port}{}{query}", url.scheme(), host.strip_prefix("www.").unwrap_or(host), url.path().trim_end_matches('/'))
}

/// The categories and regions a source may name.
#[derive(Clone, Copy)]
struct Known<'a> {
    categories: (&'a [Section], &'a [Rejected]),
    regions: (&'a [Section], &'a [Rejected]),
}

/// `unknown category "sports"; did you mean "sport"?`, the refused
/// `[[category]]` it means, or what to do when no slug is near.
fn unknown_slug(what: &str, slug: &str, (list, rejected): (&[Section], &[Rejected])) -> String {
    let slugs = list.iter().map(|c| c.slug.as_str());
    if let Some((refused, line, todo)) = rejected.iter().find(|(r, ..)| slug_form(r) == slug_form(slug)) {
        return format!("unknown {what} {slug:?}: the [[{what}]] at line {line} has slug {refused:?}, which was refused; {todo}");
    }
    match suggest::nearest(slug, slugs.clone()) {
        Some(near) => format!("unknown {what} {slug:?}; did you mean {near:?}?"),
        None if list.is_empty() && !rejected.is_empty() => {
            let lines: Vec<String> = rejected.iter().map(|(_, l, _)| l.to_string()).collect();
            format!("unknown {what} {slug:?}; no valid [[{what}]] is defined (the slugs at lines {} were refused)", lines.join(", "))
        }
        None if list.is_empty() => format!("unknown {what} {slug:?}; no [[{what}]] is defined: add one with that slug"),
        None => format!(
            "unknown {what} {slug:?}; add a [[{what}]] with that slug, or use one of {}",
            slugs.map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn validate_source(s: RawSource, known: Known<'_>, default_interval: Duration, seen: &mut Seen, report: &mut Report<'_>) -> Option<Source> {
    let errors_before = report.errors.len();
    let id = s.id.get_ref();
    if !is_slug(id) {
        report.key(s.id.span(), "id", format!("{id:?} must be lower-case letters, digits and '-'"));
    } else if !seen.ids.insert(id.clone()) {
        report.key(s.id.span(), "id", format!("duplicate source id {id:?}; ids are database keys and must be unique"));
    }
    if s.name.get_ref().trim().is_empty() {
        report.key(s.name.span(), "name", "is empty; write the name readers see, such as \"Tengrinews\"");
    }
    let url = http_url(&s.url, "url", report);
    // A retired source (enabled = false) may keep the url its successor took.
    if let Some(u) = url.as_ref().filter(|_| s.enabled) {
        match seen.urls.get(&same_feed(u)) {
            Some(other) => report.key(
                s.url.span(),
                "url",
                format!("{:?} is also the url of source {other:?}; a feed is polled once: keep one of the two", s.url.get_ref()),
            ),
            None => {
                seen.urls.insert(same_feed(u), id.clone());
            }
        }
    }
    let has = |(list, _): (&[Section], &[Rejected]), slug: &str| list.iter().any(|c| c.slug == slug);
    if !has(known.categories, s.category.get_ref()) {
        report.key(s.category.span(), "category", unknown_slug("category", s.category.get_ref(), known.categories));
    }
    if let Some(r) = &s.region
        && !has(known.regions, r.get_ref())
    {
        report.key(r.span(), "region", unknown_slug("region", r.get_ref(), known.regions));
    }
    let interval = duration(s.interval.as_ref(), "interval", default_interval, report);
    if let Some(i) = &s.interval
        && interval < Duration::from_secs(60)
    {
        report.key(i.span(), "interval", "poll no more often than once a minute");
    }
    let mut map = HashMap::new();
    for (term, slug) in s.categories {
        if !has(known.categories, slug.get_ref()) {
            report.key(slug.span(), &format!("categories.{term:?}"), unknown_slug("category", slug.get_ref(), known.categories));
        }
        map.insert(term.trim().to_lowercase(), slug.into_inner());
    }
    let exclude = regexes(&s.exclude, "exclude", "", report);
    let keys = fulltext::RawKeys {
        full_text: s.full_text.as_ref(),
        publish: s.publish.as_ref(),
        excerpt_chars: s.excerpt_chars.as_ref(),
        attribution: s.attribution.as_ref(),
    };
    let (full_text, policy) = fulltext::validate(keys, report);
    if report.errors.len() > errors_before {
        return None;
    }
    Some(Source {
        id: s.id.into_inner(),
        name: s.name.into_inner(),
        url: url?,
        kind: s.kind,
        category: s.category.into_inner(),
        region: s.region.map(Spanned::into_inner),
        priority: s.priority,
        interval,
        categories: map,
        exclude,
        enabled: s.enabled,
        full_text,
        policy,
    })
}
