//! Configuration: the daemon settings file and the source list admins edit.
//!
//! Loading is three steps. The TOML is parsed into spanned tables, and each
//! table is checked against its key schema ([`schema`]: unknown keys, values
//! of the wrong kind, missing keys, each with the nearest valid key). What
//! is left is deserialized into `Raw*` structs, entry by entry, and small
//! validators turn them into a [`Config`] holding real `Duration`s, `Url`s,
//! time zones and compiled `Regex`es. Every problem of both files is
//! reported as `file:line:column: key: message` ([`report`]), all of them
//! at once, and a configuration with any error is never returned: a daemon
//! never starts, or reloads, half-configured. Relative paths are relative
//! to the settings file ([`paths`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use crate::model::SourceKind;

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
    /// SQLite database file (with `database = "postgres://…"`, this
    /// node's replica of the shared store: `replica`, else the default).
    pub database: PathBuf,
    /// The shared PostgreSQL store, when `database` names one.
    pub cluster: Option<ClusterSettings>,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Base URL readers reach us at; used in self links.
    pub public_url: Url,
    /// User-Agent sent to publishers.
    pub user_agent: String,
    /// Zone for dates that carry no offset, and for times on the pages.
    pub timezone: chrono_tz::Tz,
    /// The portal's name: page headings and channel titles
    /// ("Политика — {title}"). Default `syndic`, so that feeds readers
    /// already follow keep their titles until the admin names the portal.
    pub title: String,
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

/// This machine's name, the default name of a node.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "syndic".into())
}

/// Several nodes on one PostgreSQL store (`crate::cluster`).
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// `postgres://user@host:port/db`.
    pub url: String,
    /// This node's name in leases and the log (default: the host name).
    pub node: String,
    /// How long a leased source is this node's before another may poll it.
    pub lease: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    database: Option<Spanned<String>>,
    replica: Option<Spanned<String>>,
    node: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    #[serde(rename = "sources")]
    _sources: Option<serde::de::IgnoredAny>,
    user_agent: Option<String>,
    timezone: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
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

/// Reads and validates the settings file and the source list it points to.
/// Relative paths in the settings (`sources`, `database`, `publish_dir`)
/// are relative to the settings file's directory. Every problem of both
/// files is reported, in file order.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = read(path)?;
    let base = paths::base_dir(path);
    let mut report = Report::new(path, &text);
    let (raw, sources_name) = parse_settings(&text, &mut report);
    let sources_path = base.join(sources_name.as_deref().unwrap_or("sources.toml"));
    let daemon = raw.and_then(|raw| validate_daemon(raw, &base, &mut report));
    let mut errors = report.finish();
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

/// The `[daemon]` table, checked against its key schema, and the name of
/// the source list (read even when other keys are wrong, so that the
/// source list's errors are reported too).
fn parse_settings(text: &str, report: &mut Report<'_>) -> (Option<RawDaemon>, Option<String>) {
    let mut doc = match DeTable::parse(text) {
        Ok(doc) => doc.into_inner(),
        Err(e) => {
            report.toml(&e);
            return (None, None);
        }
    };
    schema::top_level(&mut doc, schema::DAEMON_FILE, report);
    let Some(mut daemon) = doc.remove("daemon") else {
        // `[deamon]` was reported above with its "did you mean".
        if report.errors.is_empty() {
            report.at(0..0, "the [daemon] table is missing; the settings file starts with [daemon]");
        }
        return (None, None);
    };
    let sources_name = daemon.get_ref().get("sources").and_then(|s| s.get_ref().as_str()).map(str::to_string);
    report.scope = Scope::table("daemon");
    // [daemon] has no required keys: nothing is ever filled in.
    schema::check(&mut daemon, schema::DAEMON, report);
    let raw = deserialize(daemon, report);
    report.scope = Scope::default();
    (raw, sources_name)
}

/// Reads one table (already checked against its schema) into its `Raw*`
/// struct; an error serde still finds is reported in the current scope.
fn deserialize<T: serde::de::DeserializeOwned>(value: Spanned<DeValue<'_>>, report: &mut Report<'_>) -> Option<T> {
    T::deserialize(toml::de::ValueDeserializer::from(value)).map_err(|e| report.toml(&e)).ok()
}

/// Takes the array of tables `name` out of a document.
fn entries<'i>(doc: &mut DeTable<'i>, name: &str, report: &mut Report<'_>) -> Vec<Spanned<DeValue<'i>>> {
    let Some(value) = doc.remove(name) else { return Vec::new() };
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items.into_iter().collect(),
        other => {
            let hint = if other.is_table() { format!("; write [[{name}]], with double brackets") } else { String::new() };
            report.at(span, format!("{name}: expected [[{name}]] tables, found {}{hint}", schema::found(&other)));
            Vec::new()
        }
    }
}

fn read(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError { file: path.to_path_buf(), line: 0, column: 0, message: format!("cannot read the file: {e}") }])
    })
}

fn validate_daemon(raw: RawDaemon, base: &Path, report: &mut Report<'_>) -> Option<Daemon> {
    let errors_before = report.errors.len();
    report.scope = Scope::table("daemon");
    let shared =
        raw.database.as_ref().map(|d| d.get_ref().trim()).filter(|d| d.starts_with("postgres://") || d.starts_with("postgresql://"));
    let database = match shared {
        Some(_) => paths::database(raw.replica.as_ref().map(|r| r.get_ref().as_str()), base),
        None => paths::database(raw.database.as_ref().map(|d| d.get_ref().as_str()), base),
    };
    // A URL that is not PostgreSQL's (a typo, another database) must not
    // become a file path: the node would quietly run alone.
    if let Some(d) =
        raw.database.as_ref().filter(|d| shared.is_none() && (d.get_ref().contains("://") || d.get_ref().trim().starts_with("postgres")))
    {
        report.key(
            d.span(),
            "database",
            format!("{:?} is neither a file path nor a postgres://user@host/db URL (the shared store is PostgreSQL only)", d.get_ref()),
        );
    }
    if shared.is_none() {
        for (key, span) in [("replica", raw.replica.as_ref().map(|r| r.span())), ("node", raw.node.as_ref().map(|n| n.span()))] {
            if let Some(span) = span {
                report.key(
                    span,
                    key,
                    format!("{key} belongs to a node of a shared PostgreSQL database: set database = \"postgres://…\" too, or remove it"),
                );
            }
        }
    }
    if let Some(url) = shared
        && let Err(e) = url.parse::<tokio_postgres::Config>()
        && let Some(d) = &raw.database
    {
        report.key(d.span(), "database", format!("not a PostgreSQL URL: {e}"));
    }
    let node = match &raw.node {
        Some(n) if n.get_ref().trim().is_empty() || n.get_ref().len() > 64 => {
            report.key(n.span(), "node", "a node's name has 1 to 64 characters");
            String::new()
        }
        Some(n) => n.get_ref().trim().to_string(),
        None => host_name(),
    };
    let listen = match raw.listen {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(l) => l.get_ref().parse().unwrap_or_else(|_| {
            report.key(l.span(), "listen", format!("{:?} is not an address such as \"127.0.0.1:8080\"", l.get_ref()));
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
                report.key(tz.span(), "timezone", format!("unknown zone {:?}; use an IANA name such as \"Asia/Almaty\"", tz.get_ref()))
            })
            .ok(),
    };
    let title = match raw.title {
        None => "syndic".to_string(),
        Some(t) if t.get_ref().trim().is_empty() => {
            report.at(t.span(), "title: the portal's name may not be empty (leave the key out for \"syndic\")");
            String::new()
        }
        Some(t) => t.into_inner().trim().to_string(),
    };
    let default_interval = duration(raw.default_interval.as_ref(), "default_interval", Duration::from_secs(900), report);
    let retention = duration(raw.retention.as_ref(), "retention", Duration::from_secs(90 * 86400), report);
    let connect_timeout = duration(raw.connect_timeout.as_ref(), "connect_timeout", Duration::from_secs(10), report);
    let fetch_timeout = duration(raw.fetch_timeout.as_ref(), "fetch_timeout", Duration::from_secs(60), report);
    let cluster = shared.map(|url| ClusterSettings {
        url: url.to_string(),
        node,
        // A poll ends within its fetch timeout (a node leases no more of a
        // host's sources than it may fetch at once) and the time to store it.
        lease: fetch_timeout * 2 + Duration::from_secs(10),
    });
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
        report.key(t.span(), "admin_token", "use at least 16 characters");
    }
    report.scope = Scope::default();
    if report.errors.len() > errors_before {
        return None;
    }
    Some(Daemon {
        database,
        cluster,
        listen,
        public_url: public_url?,
        user_agent: raw.user_agent.unwrap_or_else(|| format!("syndic/{}", env!("CARGO_PKG_VERSION"))),
        timezone: timezone?,
        title,
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
        publish_dir: raw.publish_dir.map(|dir| paths::resolve(base, Path::new(&dir))),
        admin_token: raw.admin_token.map(Spanned::into_inner),
        admin_loopback: raw.admin_loopback.unwrap_or(true),
        trusted_proxies,
    })
}

mod css;
/// The `public_url` the packaged settings file ships with: the `.invalid`
/// top-level domain never resolves (RFC 2606), so it cannot be mistaken for
/// a real address.
pub const PUBLIC_URL_PLACEHOLDER: &str = "https://CHANGE-ME.invalid/";

/// A setting an install leaves for the admin to fill in and that still
/// holds its placeholder: `daemon.public_url` on a `.invalid` host. Self
/// links and feed ids would carry it, so the daemon refuses to start.
pub fn unfilled(config: &Config) -> Option<ConfigError> {
    let host = config.daemon.public_url.host_str()?;
    if host != "invalid" && !host.ends_with(".invalid") {
        return None;
    }
    let text = std::fs::read_to_string(&config.path).unwrap_or_default();
    let line = text.lines().position(|l| l.trim_start().starts_with("public_url")).map_or(0, |i| i + 1);
    Some(ConfigError {
        file: config.path.clone(),
        line,
        column: usize::from(line > 0),
        message: format!(
            "public_url: {:?} is the placeholder the install ships with; set it to the address readers reach the feeds at, such as \"https://feeds.example.kz\"",
            config.daemon.public_url.as_str()
        ),
    })
}

mod fulltext;
pub mod paths;
mod report;
mod rule;
mod running;
mod schema;
mod source;
mod source_list;
mod suggest;
mod values;

pub use report::{ConfigError, ConfigErrors};
use report::{Report, Scope};

pub use css::check as check_selector;
pub use fulltext::Policy;
pub use rule::Rule;
pub use running::Running;
pub use source_list::{SourceList, load_sources, parse_sources};
pub use values::{IpRange, parse_duration};
use values::{count, duration, http_url, ip_ranges, regexes};

#[cfg(test)]
mod tests;
