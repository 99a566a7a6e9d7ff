//! Per-source health for admins: the status page (`publish::status_page`), `/status.json`
//! and the `syndic sources` table all come from [`collect`], broken sources
//! first; [`counts`] is the summary line of the status and index pages.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::store::{SourceState, Store, StoreError};

/// One source's configuration and health.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    /// Source id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Feed URL.
    pub url: String,
    /// Category slug.
    pub category: String,
    /// `regional` or `partner`.
    pub kind: &'static str,
    /// Configured `enabled`.
    pub enabled: bool,
    /// `ok`, `failing`, `moved`, `empty` (HTTP 200 but 0 entries),
    /// `degraded`, `disabled`, `gone` or `new`.
    pub health: &'static str,
    /// Stored state (times as unix seconds).
    #[serde(flatten)]
    pub state: SourceState,
    /// Full-text extraction, for sources that use it.
    pub full_text: Option<FullText>,
    /// The kind of the error the last poll failed with (`timeout`,
    /// `http_status`, `parse`, …: the `kind` label of
    /// `syndic_fetch_errors_total`), when it failed since the daemon started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_kind: Option<&'static str>,
}

/// A source's full-text extraction at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct FullText {
    /// `auto` or the selector.
    pub rule: String,
    /// Recent success rate, median length and alert; `None` before the
    /// first page.
    pub health: Option<crate::extract::health::Health>,
    /// The latest failure's message.
    pub last_error: Option<String>,
}

/// Every configured source with its state, broken ones first.
pub fn collect(config: &Config, store: &Store) -> Result<Vec<SourceStatus>, StoreError> {
    let states = store.source_states()?;
    let mut out: Vec<SourceStatus> = config
        .sources
        .iter()
        .map(|s| {
            let full_text = match &s.full_text {
                None => None,
                Some(rule) => Some(FullText {
                    rule: rule.describe(),
                    health: crate::extract::health::of(&store.extraction_attempts(&s.id)?),
                    last_error: store.last_extraction_error(&s.id)?,
                }),
            };
            let extract_broken = full_text.as_ref().and_then(|f| f.health.as_ref()).is_some_and(|h| h.alert.is_some());
            let state =
                states.iter().find(|st| st.id == s.id).cloned().unwrap_or_else(|| SourceState { id: s.id.clone(), ..Default::default() });
            let health = health(s, &state, extract_broken);
            Ok(SourceStatus {
                id: s.id.clone(),
                name: s.name.clone(),
                url: s.url.to_string(),
                category: s.category.clone(),
                kind: s.kind.as_str(),
                enabled: s.enabled,
                health,
                state,
                full_text,
                last_error_kind: None,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    out.sort_by(|a, b| {
        rank(a.health).cmp(&rank(b.health)).then(b.state.consecutive_failures.cmp(&a.state.consecutive_failures)).then(a.id.cmp(&b.id))
    });
    Ok(out)
}

/// A source's health from its configuration and stored state;
/// `extract_broken`: its full-text extraction raised an alert.
pub fn health(source: &crate::config::Source, state: &SourceState, extract_broken: bool) -> &'static str {
    if state.disabled_reason.is_some() {
        "gone"
    } else if !source.enabled {
        "disabled"
    } else if state.consecutive_failures > 0 {
        "failing"
    } else if state.moved_to.is_some() {
        "moved"
    } else if state.empty_note().is_some() {
        "empty"
    } else if extract_broken {
        "degraded"
    } else if state.last_fetch_at.is_none() {
        "new"
    } else {
        "ok"
    }
}

/// Where a health sorts: what needs the admin first.
fn rank(health: &str) -> u8 {
    match health {
        "gone" => 0,
        "failing" => 1,
        "moved" => 2,
        "empty" => 3,
        "degraded" => 3,
        "new" => 4,
        "ok" => 5,
        _ => 6,
    }
}

/// How many sources have each health: `ok`, `failing` and `empty` always
/// (zero included), the others when some source has them.
pub fn counts<'a>(healths: impl IntoIterator<Item = &'a str>) -> Vec<(&'static str, usize)> {
    const ALL: [&str; 8] = ["ok", "failing", "empty", "moved", "degraded", "gone", "new", "disabled"];
    let mut n = [0usize; 8];
    for h in healths {
        if let Some(i) = ALL.iter().position(|a| *a == h) {
            n[i] += 1;
        }
    }
    ALL.iter().zip(n).filter(|(h, c)| *c > 0 || ["ok", "failing", "empty"].contains(h)).map(|(h, c)| (*h, c)).collect()
}

/// What the admin should read about a source: why it stopped, its last
/// error (after its kind, `timeout: …`, as `syndic_fetch_errors_total`
/// counts it), or where it moved.
pub(crate) fn note(r: &SourceStatus) -> String {
    if let Some(reason) = &r.state.disabled_reason {
        return reason.clone();
    }
    if let Some(error) = &r.state.last_error {
        // The kind the metrics count it under, when the daemon knows it.
        return match r.last_error_kind {
            Some(kind) => format!("{kind}: {error}"),
            None => error.clone(),
        };
    }
    if let Some(to) = &r.state.moved_to {
        return format!("moved permanently to {to}: update the url");
    }
    r.state.empty_note().unwrap_or_default()
}

/// The full-text column: the alert when there is one, else rate and length.
pub(crate) fn full_text_note(r: &SourceStatus) -> String {
    let Some(f) = &r.full_text else { return String::new() };
    match &f.health {
        None => format!("{}: no pages yet", f.rule),
        Some(h) => match &h.alert {
            Some(alert) => {
                format!("{}: BROKEN: {alert}{}", f.rule, f.last_error.as_ref().map(|e| format!(" (last: {e})")).unwrap_or_default())
            }
            None => format!("{}: {:.0}% of {} pages, median {} chars", f.rule, h.success_rate * 100.0, h.attempts, h.median_chars),
        },
    }
}

fn when(t: Option<i64>) -> String {
    t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)).map_or_else(|| "—".into(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

/// A plain-text table for the terminal.
pub fn table(rows: &[SourceStatus]) -> String {
    const HEADER: [&str; 10] = ["SOURCE", "HEALTH", "CATEGORY", "LAST FETCH", "LAST SUCCESS", "HTTP", "ITEMS", "FAIL", "NEXT DUE", "ERROR"];
    // Numbers right-aligned; the error, last, is not padded.
    const RIGHT: [bool; 10] = [false, false, false, false, false, true, true, true, false, false];
    let mut lines: Vec<[String; 10]> = vec![HEADER.map(str::to_string)];
    for r in rows {
        lines.push([
            r.id.clone(),
            r.health.to_string(),
            r.category.clone(),
            when(r.state.last_fetch_at),
            when(r.state.last_success_at),
            r.state.last_status.map_or("-".into(), |s| s.to_string()),
            r.state.items.to_string(),
            r.state.consecutive_failures.to_string(),
            when(r.state.next_fetch_at),
            [note(r), full_text_note(r)].into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>().join("; "),
        ]);
    }
    // Each column as wide as its widest cell, so a long id or category
    // slug (`partners-news`) never pushes the columns after it out of line.
    let mut width = [0usize; 10];
    for line in &lines {
        for (w, cell) in width.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut cells = Vec::with_capacity(10);
        for (i, cell) in line.iter().enumerate() {
            cells.push(match (i, RIGHT[i]) {
                (9, _) => cell.clone(),
                (_, true) => format!("{cell:>w$}", w = width[i]),
                (_, false) => format!("{cell:<w$}", w = width[i]),
            });
        }
        out.push_str(cells.join(" ").trim_end());
        out.push('\n');
    }
    out
}
