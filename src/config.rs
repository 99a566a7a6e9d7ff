//! Configuration: the daemon settings file and the source list admins edit.
//!
//! Loading is two steps. First the TOML is deserialized into `Raw*` structs
//! that reject unknown keys and keep the byte span of every value an admin
//! can get wrong. Then small validators turn them into a [`Config`] holding
//! real `Duration`s, `Url`s, time zones and compiled `Regex`es. Every problem
//! found is reported as `file:line:column: message`, all of them at once, and
//! a configuration with any error is never returned: a daemon never starts, or
//! reloads, half-configured.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::model::SourceKind;

/// One configuration problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line, 0 when the problem is the file as a whole.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
        }
    }
}

/// Every problem found in a configuration; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// The validated configuration the daemon runs on.
#[derive(Debug, Clone)]
pub struct Config {
    /// Path of the daemon settings file this was loaded from.
    pub path: PathBuf,
    /// Path of the source list.
    pub sources_path: PathBuf,
    /// Daemon-wide settings.
    pub daemon: Daemon,
    /// Categories in the order the admin listed them.
    pub categories: Vec<Section>,
    /// Regions in the order the admin listed them.
    pub regions: Vec<Section>,
    /// Every source, enabled or not.
    pub sources: Vec<Source>,
}

impl Config {
    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The category with this slug.
    pub fn category(&self, slug: &str) -> Option<&Section> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    /// The region with this slug.
    pub fn region(&self, slug: &str) -> Option<&Section> {
        self.regions.iter().find(|c| c.slug == slug)
    }
}

/// `[daemon]` settings.
#[derive(Debug, Clone)]
pub struct Daemon {
    /// SQLite database file.
    pub database: PathBuf,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Base URL readers reach us at; used in self links.
    pub public_url: Url,
    /// User-Agent sent to publishers.
    pub user_agent: String,
    /// Zone for dates that carry no offset.
    pub timezone: chrono_tz::Tz,
    /// Poll interval for sources that set none.
    pub default_interval: Duration,
    /// Fetches in flight at once, all hosts together.
    pub max_concurrent_fetches: usize,
    /// Fetches in flight at once against one host.
    pub per_host_concurrency: usize,
    /// Minimum time between the starts of two requests to one host.
    pub per_host_spacing: Duration,
    /// Items in each published feed.
    pub items_per_feed: usize,
    /// How long items are kept.
    pub retention: Duration,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: u64,
    /// Time allowed to connect to an upstream.
    pub connect_timeout: Duration,
    /// Time allowed for a whole fetch, body included.
    pub fetch_timeout: Duration,
    /// Log format: human-readable text or one JSON object per line.
    pub log_format: LogFormat,
    /// Items are matched as the same story only within this time window.
    pub dedup_window: Duration,
    /// Extra boilerplate removed before matching (case-insensitive regexes).
    pub dedup_boilerplate: Vec<Regex>,
    /// WebSub hub announced in every feed and pinged when a feed changes.
    pub websub_hub: Option<Url>,
    /// Directory the daemon keeps a static copy of every feed in.
    pub publish_dir: Option<PathBuf>,
    /// Token that opens `/metrics` and `/status*` from anywhere
    /// (`Authorization: Bearer …` or `?token=…`).
    pub admin_token: Option<String>,
    /// Whether loopback clients may see `/metrics`, `/status*` and
    /// `/sources.opml` without the token.
    pub admin_loopback: bool,
    /// Reverse proxies (addresses or CIDR blocks, none by default) whose
    /// `X-Forwarded-For` names the real client. A request from one of them
    /// is judged by the right-most address in that header that is not a
    /// trusted proxy: a visitor a proxy on this host forwards is not a
    /// loopback client. From any other peer the header is ignored.
    pub trusted_proxies: Vec<IpRange>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Plain text, no colours unless stderr is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// A category or region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// URL-safe key, used in feed paths.
    pub slug: String,
    /// Title shown to readers.
    pub title: String,
}

/// One upstream feed.
#[derive(Debug, Clone)]
pub struct Source {
    /// Stable key in the database.
    pub id: String,
    /// Name shown to readers when crediting the source.
    pub name: String,
    /// Feed address.
    pub url: Url,
    /// Regional or partner.
    pub kind: SourceKind,
    /// Default category slug for its items.
    pub category: String,
    /// Region slug, if the source belongs to one.
    pub region: Option<String>,
    /// Higher wins when two sources carry the same story.
    pub priority: i64,
    /// Poll interval.
    pub interval: Duration,
    /// The feed's own category terms (lower-cased) mapped to our slugs.
    pub categories: HashMap<String, String>,
    /// Entries whose title matches any of these are dropped.
    pub exclude: Vec<Regex>,
    /// Disabled sources are kept in the database but not polled.
    pub enabled: bool,
    /// How to read the story from article pages; `None`: feed text only.
    pub full_text: Option<Rule>,
    /// What may be republished, and the credit line.
    pub policy: Policy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    daemon: RawDaemon,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    database: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    sources: Option<Spanned<String>>,
    user_agent: Option<String>,
    timezone: Option<Spanned<String>>,
    default_interval: Option<Spanned<String>>,
    max_concurrent_fetches: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    per_host_spacing: Option<Spanned<String>>,
    items_per_feed: Option<Spanned<i64>>,
    retention: Option<Spanned<String>>,
    max_body_bytes: Option<Spanned<i64>>,
    connect_timeout: Option<Spanned<String>>,
    fetch_timeout: Option<Spanned<String>>,
    log_format: Option<LogFormat>,
    dedup_window: Option<Spanned<String>>,
    #[serde(default)]
    dedup_boilerplate: Vec<Spanned<String>>,
    websub_hub: Option<Spanned<String>>,
    publish_dir: Option<String>,
    admin_token: Option<Spanned<String>>,
    admin_loopback: Option<bool>,
    #[serde(default)]
    trusted_proxies: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSources {
    #[serde(default)]
    category: Vec<RawSection>,
    #[serde(default)]
    region: Vec<RawSection>,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    slug: Spanned<String>,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    name: String,
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

/// Collects located errors for one file.
struct Report<'a> {
    file: &'a Path,
    text: &'a str,
    errors: Vec<ConfigError>,
}

impl<'a> Report<'a> {
    fn new(file: &'a Path, text: &'a str) -> Self {
        Report { file, text, errors: Vec::new() }
    }

    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.text, span.start);
        self.errors.push(ConfigError { file: self.file.to_path_buf(), line, column, message: message.into() });
    }

    fn whole(&mut self, message: impl Into<String>) {
        self.errors.push(ConfigError { file: self.file.to_path_buf(), line: 0, column: 0, message: message.into() });
    }

    fn toml(&mut self, e: &toml::de::Error) {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => self.at(span, message),
            None => self.whole(message),
        }
    }
}

/// 1-based line and character column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Reads and validates the settings file and the source list it points to.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = read(path)?;
    let mut report = Report::new(path, &text);
    let raw: RawSettings = match toml::from_str(&text) {
        Ok(raw) => raw,
        Err(e) => {
            report.toml(&e);
            return Err(ConfigErrors(report.errors));
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let sources_name = raw.daemon.sources.as_ref().map_or("sources.toml", |s| s.get_ref().as_str());
    let sources_path = base.join(sources_name);
    let daemon = validate_daemon(raw.daemon, &mut report);
    let mut errors = report.errors;
    let sources = load_sources(&sources_path, daemon.as_ref().map(|d| d.default_interval));
    match (daemon, sources) {
        (Some(daemon), Ok((categories, regions, sources))) if errors.is_empty() => {
            Ok(Config { path: path.to_path_buf(), sources_path, daemon, categories, regions, sources })
        }
        (_, result) => {
            if let Err(ConfigErrors(more)) = result {
                errors.extend(more);
            }
            Err(ConfigErrors(errors))
        }
    }
}

fn read(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError { file: path.to_path_buf(), line: 0, column: 0, message: format!("cannot read the file: {e}") }])
    })
}

fn validate_daemon(raw: RawDaemon, report: &mut Report<'_>) -> Option<Daemon> {
    let errors_before = report.errors.len();
    let database = raw.database.map_or_else(|| PathBuf::from("data/syndic.db"), |d| PathBuf::from(d.into_inner()));
    let listen = match raw.listen {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(l) => l.get_ref().parse().unwrap_or_else(|_| {
            report.at(l.span(), format!("listen: {:?} is not an address such as \"127.0.0.1:8080\"", l.get_ref()));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        }),
    };
    let public_url = match raw.public_url {
        None => Url::parse(&format!("http://{listen}")).ok(),
        Some(u) => http_url(&u, "public_url", report),
    };
    let timezone = match raw.timezone {
        None => Some(chrono_tz::Asia::Almaty),
        Some(tz) => tz
            .get_ref()
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                report.at(tz.span(), format!("timezone: unknown zone {:?}; use an IANA name such as \"Asia/Almaty\"", tz.get_ref()))
            })
            .ok(),
    };
    let default_interval = duration(raw.default_interval.as_ref(), "default_interval", Duration::from_secs(900), report);
    let retention = duration(raw.retention.as_ref(), "retention", Duration::from_secs(90 * 86400), report);
    let connect_timeout = duration(raw.connect_timeout.as_ref(), "connect_timeout", Duration::from_secs(10), report);
    let fetch_timeout = duration(raw.fetch_timeout.as_ref(), "fetch_timeout", Duration::from_secs(60), report);
    let max_concurrent_fetches = count(raw.max_concurrent_fetches.as_ref(), "max_concurrent_fetches", 16, 1..=4096, report);
    let per_host_concurrency = count(raw.per_host_concurrency.as_ref(), "per_host_concurrency", 2, 1..=64, report);
    let items_per_feed = count(raw.items_per_feed.as_ref(), "items_per_feed", 50, 1..=1000, report);
    let max_body_bytes = count(raw.max_body_bytes.as_ref(), "max_body_bytes", 16 << 20, 1024..=(1 << 30), report);
    let per_host_spacing = match &raw.per_host_spacing {
        Some(v) if v.get_ref().trim() == "0" || v.get_ref().trim() == "0s" => Duration::ZERO,
        other => duration(other.as_ref(), "per_host_spacing", Duration::from_millis(500), report),
    };
    let dedup_window = duration(raw.dedup_window.as_ref(), "dedup_window", Duration::from_secs(72 * 3600), report);
    let dedup_boilerplate = regexes(&raw.dedup_boilerplate, "dedup_boilerplate", "(?i)", report);
    let websub_hub = raw.websub_hub.as_ref().and_then(|h| http_url(h, "websub_hub", report));
    let trusted_proxies = ip_ranges(&raw.trusted_proxies, "trusted_proxies", report);
    if let Some(t) = raw.admin_token.as_ref().filter(|t| t.get_ref().len() < 16) {
        report.at(t.span(), "admin_token: use at least 16 characters");
    }
    if report.errors.len() > errors_before {
        return None;
    }
    Some(Daemon {
        database,
        listen,
        public_url: public_url?,
        user_agent: raw.user_agent.unwrap_or_else(|| format!("syndic/{}", env!("CARGO_PKG_VERSION"))),
        timezone: timezone?,
        default_interval,
        max_concurrent_fetches: max_concurrent_fetches as usize,
        per_host_concurrency: per_host_concurrency as usize,
        per_host_spacing,
        items_per_feed: items_per_feed as usize,
        retention,
        max_body_bytes: max_body_bytes as u64,
        connect_timeout,
        fetch_timeout,
        log_format: raw.log_format.unwrap_or(LogFormat::Text),
        dedup_window,
        dedup_boilerplate,
        websub_hub,
        publish_dir: raw.publish_dir.map(PathBuf::from),
        admin_token: raw.admin_token.map(Spanned::into_inner),
        admin_loopback: raw.admin_loopback.unwrap_or(true),
        trusted_proxies,
    })
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
    let raw: RawSources = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            report.toml(&e);
            return Err(ConfigErrors(report.errors));
        }
    };
    let categories = sections(raw.category, "category", &mut report);
    let regions = sections(raw.region, "region", &mut report);
    let default_interval = default_interval.unwrap_or(Duration::from_secs(900));
    let mut seen = HashSet::new();
    let mut sources = Vec::with_capacity(raw.source.len());
    for s in raw.source {
        if let Some(source) = validate_source(s, &categories, &regions, default_interval, &mut seen, &mut report) {
            sources.push(source);
        }
    }
    if report.errors.is_empty() { Ok((categories, regions, sources)) } else { Err(ConfigErrors(report.errors)) }
}

fn sections(raw: Vec<RawSection>, what: &str, report: &mut Report<'_>) -> Vec<Section> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in raw {
        let slug = s.slug.get_ref();
        if !is_slug(slug) {
            report.at(s.slug.span(), format!("{what} slug {slug:?} must be lower-case letters, digits and '-'"));
        } else if slug == "all" || slug == "partners" || slug == "region" {
            report.at(s.slug.span(), format!("{what} slug {slug:?} is reserved for a built-in feed"));
        } else if !seen.insert(slug.clone()) {
            report.at(s.slug.span(), format!("duplicate {what} slug {slug:?}"));
        } else {
            out.push(Section { slug: s.slug.into_inner(), title: s.title });
        }
    }
    out
}

fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn validate_source(
    s: RawSource,
    categories: &[Section],
    regions: &[Section],
    default_interval: Duration,
    seen: &mut HashSet<String>,
    report: &mut Report<'_>,
) -> Option<Source> {
    let errors_before = report.errors.len();
    let id = s.id.get_ref();
    if !is_slug(id) {
        report.at(s.id.span(), format!("source id {id:?} must be lower-case letters, digits and '-'"));
    } else if !seen.insert(id.clone()) {
        report.at(s.id.span(), format!("duplicate source id {id:?}; ids are database keys and must be unique"));
    }
    let url = http_url(&s.url, "url", report);
    let known = |list: &[Section], slug: &str| list.iter().any(|c| c.slug == slug);
    if !known(categories, s.category.get_ref()) {
        report.at(s.category.span(), format!("unknown category {:?}; add a [[category]] with that slug", s.category.get_ref()));
    }
    if let Some(r) = &s.region
        && !known(regions, r.get_ref())
    {
        report.at(r.span(), format!("unknown region {:?}; add a [[region]] with that slug", r.get_ref()));
    }
    let interval = duration(s.interval.as_ref(), "interval", default_interval, report);
    if let Some(i) = &s.interval
        && interval < Duration::from_secs(60)
    {
        report.at(i.span(), "interval: poll no more often than once a minute");
    }
    let mut map = HashMap::new();
    for (term, slug) in s.categories {
        if !known(categories, slug.get_ref()) {
            report.at(slug.span(), format!("categories: unknown category {:?}", slug.get_ref()));
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
        name: s.name,
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

mod fulltext;
mod rule;
mod running;
mod source;
mod values;

pub use fulltext::Policy;
pub use rule::Rule;
pub use running::Running;
pub use values::{IpRange, parse_duration};
use values::{count, duration, http_url, ip_ranges, regexes};

#[cfg(test)]
mod tests;
