//! Per-source state: validators, health and the next due time.
//!
//! The config is the list of sources; this table is their memory. Syncing
//! upserts the configured fields and never touches state, so a reload or a
//! rename of a source's URL keeps its history. Sources removed from the
//! config keep their rows (their items stay published until retention).
//! A source moved to another category or region takes its stored items
//! along, in the same transaction (see [`follow_source`]).

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::config::Source;
use crate::fetch::Validators;

/// What the store remembers about a source.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceState {
    /// Source id.
    pub id: String,
    /// Validators for the next conditional GET.
    #[serde(skip)]
    pub validators: Validators,
    /// Unix time of the last attempt.
    pub last_fetch_at: Option<i64>,
    /// Unix time of the last success (200 or 304).
    pub last_success_at: Option<i64>,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// The last error, if the last attempt failed.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: i64,
    /// Unix time the source is next due.
    pub next_fetch_at: Option<i64>,
    /// Items stored from this source (counted by [`Store::source_states`];
    /// [`Store::source_state`], read before every poll, leaves it 0).
    pub items: i64,
    /// Why polling stopped (e.g. the feed answered 410 Gone); cleared when
    /// the admin changes the source's URL.
    pub disabled_reason: Option<String>,
    /// Where the feed permanently redirects to: update the config.
    pub moved_to: Option<String>,
    /// Entries in the last body that parsed (`None` before the first).
    pub last_entries: Option<i64>,
    /// Size of that body in bytes.
    pub last_bytes: Option<i64>,
}

impl SourceState {
    /// "HTTP 200, 42 KB body, 0 entries": the last body was a valid feed
    /// with nothing in it, which is either a quiet feed or a URL that no
    /// longer points at the feed. Not an error, but never silent.
    pub fn empty_note(&self) -> Option<String> {
        if self.last_entries != Some(0) || self.consecutive_failures > 0 {
            return None;
        }
        let bytes = self.last_bytes.unwrap_or(0).max(0) as u64;
        let size = if bytes < 1024 { format!("{bytes} B") } else { format!("{} KB", bytes.div_ceil(1024)) };
        Some(format!(
            "HTTP {}, {size} body, 0 entries: the feed reads as empty; check that the url still points at the feed",
            self.last_status.unwrap_or(200)
        ))
    }
}

fn state_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceState> {
    Ok(SourceState {
        id: r.get(10)?,
        validators: Validators { etag: r.get(0)?, last_modified: r.get(1)? },
        last_fetch_at: r.get(2)?,
        last_success_at: r.get(3)?,
        last_status: r.get(4)?,
        last_error: r.get(5)?,
        consecutive_failures: r.get(6)?,
        next_fetch_at: r.get(7)?,
        items: r.get(8)?,
        disabled_reason: r.get(9)?,
        moved_to: r.get(11)?,
        last_entries: r.get(12)?,
        last_bytes: r.get(13)?,
    })
}

/// The outcome of one fetch, as recorded.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FetchRecord {
    /// Unix time of the attempt.
    pub at: i64,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// Body bytes received.
    pub bytes: u64,
    /// How long it took.
    pub duration_ms: u64,
    /// Items added, updated and merged as duplicates.
    pub new_items: u64,
    /// Items whose content changed.
    pub updated_items: u64,
    /// Items recorded as duplicates of another source's copy.
    pub duplicates: u64,
    /// `None` on success.
    pub error: Option<String>,
    /// New validators (success with a body only).
    pub validators: Option<Validators>,
    /// When the source is next due.
    pub next_fetch_at: i64,
    /// Entries in the body, when a body was read and parsed (a 304 keeps
    /// the last count).
    pub entries: Option<u64>,
}

/// Attempts kept in the `fetches` log.
const FETCH_LOG_ROWS: i64 = 20_000;

impl Store {
    /// Upserts the configured fields of every source.
    pub fn sync_sources(&mut self, sources: &[Source]) -> Result<(), StoreError> {
        // Rows may change category, region or kind: their stories' slices are read again.
        self.story_slices = Default::default();
        let done = self.sync_sources_tx(sources);
        if let Err(e) = &done {
            self.health.failed(e);
        }
        done
    }

    fn sync_sources_tx(&mut self, sources: &[Source]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut moved = Vec::new();
        {
            let mut before = tx.prepare("SELECT category, region FROM sources WHERE id = ?1")?;
            for s in sources {
                let was: Option<(String, Option<String>)> = before.query_row([&s.id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
                if was.is_some_and(|(category, region)| category != s.category || region != s.region) {
                    moved.push(s);
                }
            }
        }
        for s in moved {
            let (categories, regions) = follow_source(&tx, s)?;
            tracing::info!(source = %s.id, category = %s.category, region = s.region.as_deref().unwrap_or("-"), categories, regions, "source moved: its stored items follow");
        }
        {
            let mut stmt = tx.prepare(
                "INSERT INTO sources (id, url, name, kind, category, region, priority, enabled)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET url = excluded.url, name = excluded.name, kind = excluded.kind,
                   category = excluded.category, region = excluded.region, priority = excluded.priority,
                   enabled = excluded.enabled,
                   etag = CASE WHEN sources.url = excluded.url THEN sources.etag END,
                   disabled_reason = CASE WHEN sources.url = excluded.url THEN sources.disabled_reason END,
                   last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified END",
            )?;
            for s in sources {
                stmt.execute(params![s.id, s.url.as_str(), s.name, s.kind.as_str(), s.category, s.region, s.priority, s.enabled])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// State of one source (default state when it was never fetched),
    /// read before every poll: without the item count, which walks every
    /// item of the source.
    pub fn source_state(&self, id: &str) -> Result<SourceState, StoreError> {
        let state = self
            .conn
            .prepare_cached(
                "SELECT etag, last_modified, last_fetch_at, last_success_at, last_status, last_error,
                        consecutive_failures, next_fetch_at, 0, disabled_reason, id, moved_to,
                        last_entries, last_bytes
                 FROM sources WHERE id = ?1",
            )?
            .query_row([id], state_row)
            .optional()?;
        Ok(state.unwrap_or_else(|| SourceState { id: id.to_string(), ..SourceState::default() }))
    }

    /// Every source's state, in one query (status page, `syndic sources`).
    pub fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.etag, s.last_modified, s.last_fetch_at, s.last_success_at, s.last_status, s.last_error,
                    s.consecutive_failures, s.next_fetch_at, coalesce(c.n, 0), s.disabled_reason, s.id, s.moved_to,
                    s.last_entries, s.last_bytes
             FROM sources s LEFT JOIN (SELECT source_id, count(*) AS n FROM items GROUP BY source_id) c ON c.source_id = s.id",
        )?;
        let rows = stmt.query_map([], state_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Notes that the feed permanently redirects elsewhere (`None` clears).
    pub fn set_moved_to(&mut self, id: &str, moved_to: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute("UPDATE sources SET moved_to = ?2 WHERE id = ?1", params![id, moved_to])?;
        Ok(())
    }

    /// Stops polling a source until its URL changes in the config.
    pub fn disable_source(&mut self, id: &str, reason: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE sources SET disabled_reason = ?2 WHERE id = ?1", params![id, reason])?;
        Ok(())
    }

    /// Records an attempt: source health, validators, next due time, and a
    /// row in the bounded fetch log.
    pub fn record_fetch(&mut self, id: &str, rec: &FetchRecord) -> Result<(), StoreError> {
        let done = (|| {
            let tx = self.conn.transaction()?;
            write_fetch(&tx, id, rec)?;
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = &done {
            self.health.failed(e);
        }
        done
    }

    /// Unix time each source is next due, for the scheduler.
    /// Sources disabled by the upstream (410) are left out.
    pub fn next_due(&self) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id, next_fetch_at FROM sources WHERE disabled_reason IS NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether the database knows a source `id` (the daemon records a
    /// source when it loads the configuration that names it).
    pub fn has_source(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM sources WHERE id = ?1")?.exists([id])?)
    }

    /// Makes the sources `ids` due at `now`, so that the daemon running on
    /// this database polls them at its next tick (`syndic fetch` while the
    /// daemon runs). Returns the ids that can be polled: known and not
    /// disabled by their upstream.
    pub fn make_due(&mut self, ids: &[&str], now: i64) -> Result<Vec<String>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut due = Vec::new();
        {
            let mut stmt = tx.prepare("UPDATE sources SET next_fetch_at = ?2 WHERE id = ?1 AND disabled_reason IS NULL")?;
            for id in ids {
                if stmt.execute(params![id, now])? == 1 {
                    due.push((*id).to_string());
                }
            }
        }
        tx.commit()?;
        Ok(due)
    }
}

/// Moves the stored items of a source whose category or region changed
/// in the config, so that they do not vanish from the feeds (the old
/// category may be gone): an item in a category the source can no longer
/// give (neither its default nor a value of its `categories` map) takes
/// the default; every item takes the source's region. Each copy of a
/// merged story follows its own source (a story is in a feed when any of
/// its copies is). Returns the rows moved (category, region).
fn follow_source(tx: &Connection, s: &Source) -> Result<(usize, usize), StoreError> {
    let mut valid: Vec<&str> = s.categories.values().map(String::as_str).collect();
    valid.push(&s.category);
    let valid = serde_json::to_string(&valid).unwrap_or_else(|_| "[]".into());
    let categories = tx.execute(
        "UPDATE items SET category = ?2 WHERE source_id = ?1 AND category NOT IN (SELECT value FROM json_each(?3))",
        params![s.id, s.category, valid],
    )?;
    let regions = tx.execute("UPDATE items SET region = ?2 WHERE source_id = ?1 AND region IS NOT ?2", params![s.id, s.region])?;
    Ok((categories, regions))
}

/// [`Store::record_fetch`] inside the caller's transaction (a fetched feed
/// is recorded in the transaction that stores its items).
pub(super) fn write_fetch(tx: &Connection, id: &str, rec: &FetchRecord) -> Result<(), StoreError> {
    let status = rec.status.map(i64::from);
    // Cached statements: this runs after every poll.
    if rec.error.is_none() {
        tx.prepare_cached(
            "UPDATE sources SET last_fetch_at = ?2, last_success_at = ?2, last_status = ?3, last_error = NULL,
               consecutive_failures = 0, next_fetch_at = ?4 WHERE id = ?1",
        )?
        .execute(params![id, rec.at, status, rec.next_fetch_at])?;
        if let Some(entries) = rec.entries {
            tx.prepare_cached("UPDATE sources SET last_entries = ?2, last_bytes = ?3 WHERE id = ?1")?.execute(params![
                id,
                entries as i64,
                rec.bytes as i64
            ])?;
        }
        if let Some(v) = &rec.validators {
            tx.prepare_cached("UPDATE sources SET etag = ?2, last_modified = ?3 WHERE id = ?1")?.execute(params![
                id,
                v.etag,
                v.last_modified
            ])?;
        }
    } else {
        tx.prepare_cached(
            "UPDATE sources SET last_fetch_at = ?2, last_status = ?3, last_error = ?4,
               consecutive_failures = consecutive_failures + 1, next_fetch_at = ?5 WHERE id = ?1",
        )?
        .execute(params![id, rec.at, status, rec.error, rec.next_fetch_at])?;
    }
    tx.prepare_cached(
        "INSERT INTO fetches (source_id, at, status, bytes, duration_ms, new_items, updated_items, duplicates, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        rec.at,
        status,
        rec.bytes as i64,
        rec.duration_ms as i64,
        rec.new_items as i64,
        rec.updated_items as i64,
        rec.duplicates as i64,
        rec.error
    ])?;
    let last = tx.last_insert_rowid();
    if last % 1000 == 0 {
        tx.execute("DELETE FROM fetches WHERE id <= ?1", [last - FETCH_LOG_ROWS])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Matcher;
    use crate::model::Item;

    #[test]
    fn a_moved_source_takes_its_items_along_but_not_those_its_map_still_gives() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let mut a = Source::example("a", url::Url::parse("https://a.kz/rss").unwrap());
        a.categories.insert("спорт".into(), "sport".into());
        let b = Source::example("b", url::Url::parse("https://b.kz/rss").unwrap());
        store.sync_sources(&[a.clone(), b.clone()]).unwrap();
        let matcher = Matcher::default();
        for (source, n, category) in [("a", 0, "politics"), ("a", 1, "sport"), ("b", 2, "politics")] {
            let mut item = Item::sample(source, n, &format!("Заголовок {n}"), &format!("Совсем разный текст номер {n}"));
            item.category = category.into();
            let print = matcher.fingerprint(&item.title, &item.text);
            store.ingest(&[item], &[print], 0, chrono::Utc::now().timestamp(), &matcher).unwrap();
        }
        // "politics" renamed "vlast" for a, which also gets a region.
        a.category = "vlast".into();
        a.region = Some("almaty".into());
        store.sync_sources(&[a, b]).unwrap();
        let rows: Vec<(String, String, Option<String>)> = store
            .conn
            .prepare("SELECT source_id, category, region FROM items ORDER BY guid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let row = |s: &str, c: &str, r: Option<&str>| (s.to_string(), c.to_string(), r.map(String::from));
        assert_eq!(
            rows,
            [row("a", "vlast", Some("almaty")), row("a", "sport", Some("almaty")), row("b", "politics", None)],
            "a's default-category item follows it, its mapped one stays, b's are untouched"
        );
    }
}
