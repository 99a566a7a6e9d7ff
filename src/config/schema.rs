//! The key schema of both config files, checked before serde sees them.
//!
//! serde stops at the first problem of a file and describes it in Rust
//! terms (`invalid type: string "high", expected i64`), so a typo in one
//! key hid a wrong type three lines further down. Here every table is
//! walked against the list of keys it may hold: each unknown key (with the
//! nearest known one), each value of the wrong kind (said in words, with
//! what was found) and each missing required key is reported, and the
//! offending keys are taken out so that serde then reads what is left of
//! the entry, and the validators still check every other value.
//!
//! A new key is one line in [`DAEMON`] or [`SOURCE`] plus its field in the
//! `Raw*` struct (a test checks that each listed key deserializes).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::report::Report;
use super::suggest::{did_you_mean, nearest};

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// A string.
    Text,
    /// An integer.
    Number,
    /// `true` or `false`.
    Bool,
    /// An array of strings.
    Texts,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A table whose values are strings (any keys).
    TextMap,
    /// A string, or a table with these keys.
    TextOrTable(&'static [Field]),
}

/// One key a table may hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: false }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: true }
}

use Kind::*;

/// `[daemon]` in syndic.toml.
pub(super) const DAEMON: &[Field] = &[
    opt("database", Text),
    opt("replica", Text),
    opt("node", Text),
    opt("listen", Text),
    opt("public_url", Text),
    opt("sources", Text),
    opt("user_agent", Text),
    opt("timezone", Text),
    opt("title", Text),
    opt("default_interval", Text),
    opt("max_concurrent_fetches", Number),
    opt("per_host_concurrency", Number),
    opt("per_host_spacing", Text),
    opt("items_per_feed", Number),
    opt("retention", Text),
    opt("max_body_bytes", Number),
    opt("connect_timeout", Text),
    opt("fetch_timeout", Text),
    opt("log_format", OneOf(&["text", "json"])),
    opt("dedup_window", Text),
    opt("dedup_boilerplate", Texts),
    opt("websub_hub", Text),
    opt("publish_dir", Text),
    opt("admin_token", Text),
    opt("admin_loopback", Bool),
    opt("trusted_proxies", Texts),
];

/// `[[category]]` and `[[region]]` in sources.toml.
pub(super) const SECTION: &[Field] = &[req("slug", Text), req("title", Text)];

/// `full_text = { … }` of a source.
const FULL_TEXT_RULE: &[Field] = &[req("selector", Text), opt("remove", Texts)];

/// `[[source]]` in sources.toml.
pub(super) const SOURCE: &[Field] = &[
    req("id", Text),
    req("name", Text),
    req("url", Text),
    req("kind", OneOf(&["regional", "partner"])),
    req("category", Text),
    opt("region", Text),
    opt("priority", Number),
    opt("interval", Text),
    opt("categories", TextMap),
    opt("exclude", Texts),
    opt("enabled", Bool),
    opt("full_text", TextOrTable(FULL_TEXT_RULE)),
    opt("publish", OneOf(&["full", "excerpt"])),
    opt("excerpt_chars", Number),
    opt("attribution", Text),
];

/// A table a file may hold at its top level: its name, how its header is
/// written and its keys.
pub(super) type Table = (&'static str, &'static str, &'static [Field]);

/// What syndic.toml holds.
pub(super) const DAEMON_FILE: &[Table] = &[("daemon", "[daemon]", DAEMON)];

/// What sources.toml holds.
pub(super) const SOURCES_FILE: &[Table] =
    &[("category", "[[category]]", SECTION), ("region", "[[region]]", SECTION), ("source", "[[source]]", SOURCE)];

/// Checks the top-level keys of a file: each must be one of `tables`. A
/// key of a table written above any header is told where it belongs.
pub(super) fn top_level(doc: &mut DeTable<'_>, tables: &[Table], report: &mut Report<'_>) {
    let known: Vec<&str> = tables.iter().map(|t| t.0).collect();
    let mut unknown = Vec::new();
    for key in doc.keys() {
        let name: &str = key.get_ref();
        if !known.contains(&name) {
            let owners: Vec<&str> = tables.iter().filter(|t| t.2.iter().any(|f| f.name == name)).map(|t| t.1).collect();
            let message = if owners.is_empty() {
                let hint = nearest(name, known.iter().copied())
                    .map_or_else(|| format!("this file holds only {}", list(&known)), |k| format!("did you mean [{k}]?"));
                format!("{name}: unknown table; {hint}")
            } else {
                format!("{name}: a key outside any table; put it under {}", owners.join(" or "))
            };
            report.at(key.span(), message);
            unknown.push(name.to_string());
        }
    }
    for name in unknown {
        doc.remove(name.as_str());
    }
}

/// Checks `table` against `fields` in the report's current scope, reporting
/// every problem and removing the offending keys. A required key that is
/// missing or unusable gets a placeholder value, so that the entry's other
/// values are still read and checked; the names of those keys are returned
/// (the caller drops the entry and any error about a placeholder).
pub(super) fn check(table: &mut Spanned<DeValue<'_>>, fields: &[Field], report: &mut Report<'_>) -> Vec<&'static str> {
    let span = table.span();
    if !table.get_ref().is_table() {
        report.key(span.clone(), "", format!("expected a table, found {}", found(table.get_ref())));
        *table = Spanned::new(span.clone(), DeValue::Table(DeTable::default()));
    }
    let DeValue::Table(entries) = table.get_mut() else { return Vec::new() };
    let mut filled: Vec<&'static str> = fields.iter().filter(|f| f.required && !entries.contains_key(f.name)).map(|f| f.name).collect();
    match filled.as_slice() {
        [] => {}
        [one] => {
            let kind = fields.iter().find(|f| f.name == *one).map_or(Text, |f| f.kind);
            report.key(span.clone(), one, format!("missing; this key is required ({})", expected(kind)));
        }
        many => report.key(span.clone(), "", format!("missing required keys {}", list(many))),
    }
    let mut bad = Vec::new();
    for (key, value) in entries.iter_mut() {
        let name: &str = key.get_ref();
        let field = fields.iter().find(|f| f.name == name);
        let ok = match field {
            Some(field) => check_value(field, value, report),
            None => {
                let names = fields.iter().map(|f| f.name);
                let hint = nearest(name, names.clone())
                    .map_or_else(|| format!("known keys: {}", list(&names.collect::<Vec<_>>())), |k| format!("did you mean `{k}`?"));
                report.key(key.span(), name, format!("unknown key; {hint}"));
                false
            }
        };
        if !ok {
            bad.push(name.to_string());
            filled.extend(field.filter(|f| f.required).map(|f| f.name));
        }
    }
    for name in bad {
        entries.remove(name.as_str());
    }
    for field in fields.iter().filter(|f| filled.contains(&f.name)) {
        let placeholder = match field.kind {
            OneOf(allowed) => allowed.first().copied().unwrap_or_default(),
            _ => "",
        };
        entries.insert(Spanned::new(span.clone(), field.name.into()), Spanned::new(span.clone(), DeValue::String(placeholder.into())));
    }
    filled
}

fn check_value(field: &Field, value: &mut Spanned<DeValue<'_>>, report: &mut Report<'_>) -> bool {
    let span = value.span();
    let wrong = |report: &mut Report<'_>, value: &DeValue<'_>| {
        let message = format!("expected {}, found {}{}", expected(field.kind), found(value), hint(field.kind, value));
        report.key(span.clone(), field.name, message);
        false
    };
    match (field.kind, value.get_mut()) {
        (Text, DeValue::String(_)) | (Number, DeValue::Integer(_)) | (Bool, DeValue::Boolean(_)) => true,
        (OneOf(allowed), DeValue::String(s)) if allowed.contains(&s.as_ref()) => true,
        (Texts, DeValue::Array(items)) => match items.iter().find(|i| !i.get_ref().is_str()) {
            None => true,
            Some(item) => {
                let message = format!("expected {}, found {} in the list", expected(Texts), found(item.get_ref()));
                report.key(item.span(), field.name, message);
                false
            }
        },
        (TextMap, DeValue::Table(map)) => match map.iter().find(|(_, v)| !v.get_ref().is_str()) {
            None => true,
            Some((k, v)) => {
                let message = format!("expected {}, found {} for {:?}", expected(TextMap), found(v.get_ref()), k.get_ref());
                report.key(v.span(), field.name, message);
                false
            }
        },
        (TextOrTable(_), DeValue::String(_)) => true,
        (TextOrTable(keys), DeValue::Table(_)) => {
            let scope = report.scope.clone();
            report.scope.path = format!("{}.{}", scope.path, field.name);
            let filled = check(value, keys, report);
            report.scope = scope;
            filled.is_empty()
        }
        (_, other) => wrong(report, other),
    }
}

/// What a kind of key holds, in words.
fn expected(kind: Kind) -> String {
    match kind {
        Text => "text in quotes".into(),
        Number => "a whole number".into(),
        Bool => "true or false".into(),
        Texts => "a list of texts in quotes, like [\"a\", \"b\"]".into(),
        OneOf(allowed) => format!("one of {}", allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")),
        TextMap => "a table of texts, like { \"Спорт\" = \"sport\" }".into(),
        TextOrTable(_) => "\"auto\" or a table like { selector = \"CSS\", remove = [\"CSS\"] }".into(),
    }
}

/// What was written instead, in words.
pub(super) fn found(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the text {s:?}"),
        DeValue::Integer(i) => format!("the number {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

/// How to fix the commonest slips: quotes around a number or a boolean,
/// a number where text belongs, a near miss of an allowed word.
fn hint(kind: Kind, value: &DeValue<'_>) -> String {
    match (kind, value) {
        (Number, DeValue::String(s)) if s.trim().parse::<i64>().is_ok() => "; write it without quotes".into(),
        (Bool, DeValue::String(s)) if matches!(s.as_ref(), "true" | "false") => "; write it without quotes".into(),
        (Text, DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_)) => "; put it in quotes".into(),
        (OneOf(allowed), DeValue::String(s)) => did_you_mean(s, allowed.iter().copied()),
        _ => String::new(),
    }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
