//! Finding the story a new item is another copy of: the same canonical
//! link (SQLite's index, any time), the same content hash or a retelling
//! (candidates from the candidate index, `dedup::index`, confirmed
//! against the stored row).
//!
//! The work per new item stays flat however many copies its story has:
//! the index names stories (a story's copies share its keys, and a key
//! names the story about once), candidates are grouped by the story the
//! index knows them by, and each story is read and compared once, through
//! one of its rows in the window and its canonical row. What was read and
//! compared is counted ([`Probe`]).

use rusqlite::{CachedStatement, OptionalExtension, params};

use super::Batch;
use crate::dedup::index::Probe;
use crate::dedup::{Fingerprint, Rank, Side, near};
use crate::model::Item;
use crate::store::StoreError;

/// A known story a new item was found to be another copy of.
pub(super) struct Match {
    pub(super) story: Rank,
    pub(super) rule: &'static str,
    pub(super) score: f64,
}

/// Candidate stories read and compared per item, at most (those their
/// sketches rule out are not counted).
const MAX_CANDIDATES: usize = 10;

/// A band key shared by more recent items than this is made of
/// words too common to say anything; it is skipped rather than scanned.
const MAX_BAND_ROWS: usize = 64;

/// Rows under a content hash looked at, at most (nearly always one a story).
const MAX_HASH_ROWS: usize = 1024;

/// Rows of one candidate story read to find one in the window, at most.
const MAX_ROWS_PER_STORY: usize = 3;

impl Batch<'_> {
    /// A known story with the same canonical link or content hash.
    pub(super) fn same_story(&mut self, item: &Item, id: i64) -> Result<Option<Match>, StoreError> {
        let mut found = None;
        if let Some(link) = &item.canonical_link {
            found = first_match(&mut self.stmts.by_link, link, id)?.map(|s| (s, "link"));
        }
        if let (None, Some(hash)) = (found, item.content_hash) {
            found = self.same_text(hash, id)?.map(|s| (s, "content"));
        }
        let Some((story_id, rule)) = found else { return Ok(None) };
        Ok(Some(Match { story: self.rank(story_id)?, rule, score: 1.0 }))
    }

    /// The story of the oldest recent row (other than `id`) whose content
    /// hash is `hash`. The in-memory index names the candidates; the stored
    /// hash confirms each, since a key can outlive its row's text (an
    /// update) or its row (retention), or share only its top bits.
    fn same_text(&mut self, hash: i64, id: i64) -> Result<Option<i64>, StoreError> {
        let mut candidates = Vec::new();
        self.bands.lookup(hash, MAX_HASH_ROWS, &mut candidates);
        candidates.retain(|&c| c != id);
        self.probe.named += candidates.len() as u64;
        if candidates.is_empty() {
            return Ok(None);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut confirm = self.tx.prepare_cached("SELECT coalesce(duplicate_of, id) FROM items WHERE id = ?1 AND content_hash = ?2")?;
        let mut story: Option<i64> = None;
        let mut confirmed: Vec<i64> = Vec::new();
        // Copies of one text are nearly always one story: the oldest few
        // decide, however many there are, and a story confirmed once is
        // not read again through another of its rows.
        for candidate in candidates.into_iter().take(MAX_BAND_ROWS) {
            let hint = self.bands.story_of(candidate);
            if hint.is_some_and(|h| confirmed.contains(&h)) {
                continue;
            }
            self.probe.rows_read += 1;
            if let Some(s) = confirm.query_row(params![candidate, hash], |r| r.get::<_, i64>(0)).optional()? {
                story = Some(story.map_or(s, |t| t.min(s)));
                confirmed.push(s);
            }
        }
        Ok(story)
    }

    fn rank(&mut self, story_id: i64) -> Result<Rank, StoreError> {
        self.probe.rows_read += 1;
        Ok(self
            .tx
            .prepare_cached("SELECT i.published_at, s.priority FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?1")?
            .query_row([story_id], |r| Ok(Rank { published_at: r.get(0)?, priority: r.get(1)?, id: story_id }))?)
    }

    /// A known story, published within the window, that this item retells:
    /// candidates share a MinHash band; each story is verified against its
    /// canonical copy (its representative), best score wins.
    pub(super) fn near_story(&mut self, item: &Item, print: &Fingerprint) -> Result<Option<Match>, StoreError> {
        if print.bands.is_empty() {
            return Ok(None);
        }
        let t = item.published_at.timestamp();
        let (from, to) = (t - self.matcher.window_secs, t + self.matcher.window_secs);
        // Rows under every usable band, a row once per band it shares.
        let mut ids = Vec::new();
        let mut rows = Vec::with_capacity(MAX_BAND_ROWS);
        self.bands.warm(&print.bands);
        for band in &print.bands {
            rows.clear();
            if self.bands.lookup(*band, MAX_BAND_ROWS, &mut rows) {
                ids.extend_from_slice(&rows);
            }
        }
        self.probe.named += ids.len() as u64;
        if ids.is_empty() {
            return Ok(None);
        }
        // Each row under the story the index knows it by (a row it does
        // not know stands for itself), sorted so that a story's rows are
        // adjacent (a few dozen; cheaper than a hash map).
        let mut tagged: Vec<(i64, i64)> = ids.iter().map(|&id| (self.bands.story_of(id).unwrap_or(id), id)).collect();
        tagged.sort_unstable();
        let mut hits: Vec<&[(i64, i64)]> = tagged.chunk_by(|a, b| a.0 == b.0).collect();
        // Most shared bands first: the likeliest matches get verified.
        hits.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].0.cmp(&b[0].0)));
        let load = &mut self.stmts.candidate;
        type Row = (Option<i64>, String, Option<String>, Option<Vec<u8>>, i64);
        let get = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> { Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)) };
        let mut probe = Probe::default();
        let mut seen = Vec::new();
        let mut best: Option<(i64, near::Verdict)> = None;
        for story_rows in hits {
            if seen.len() >= MAX_CANDIDATES {
                break;
            }
            // Most candidates share a band by chance: their story's
            // sketch, in memory, rules them out without reading a row.
            if print.sketch.as_ref().is_some_and(|s| self.bands.ruled_out(story_rows[0].1, s)) {
                continue;
            }
            // One row of the story in the window stands for it.
            let (mut tried, mut last) = (0, None);
            let mut found = None;
            for &(_, item_id) in story_rows {
                // A row is there once per band it shares.
                if last == Some(item_id) {
                    continue;
                }
                if tried == MAX_ROWS_PER_STORY {
                    break;
                }
                (tried, last) = (tried + 1, Some(item_id));
                probe.rows_read += 1;
                // A key can outlive its item (retention shorter than the window).
                let Some(row) = load.query_row([item_id], get).optional()? else { continue };
                // The index spans twice the window; the candidate must be in it.
                if (from..=to).contains(&row.4) {
                    found = Some((item_id, row));
                    break;
                }
            }
            let Some((item_id, mut row)) = found else { continue };
            let story = row.0.unwrap_or(item_id);
            if seen.contains(&story) {
                continue;
            }
            seen.push(story);
            if story != item_id {
                probe.rows_read += 1;
                row = load.query_row([story], get)?;
            }
            let (_, source_id, link, stored, _) = row;
            let theirs = match stored.as_deref().and_then(near::Profile::from_bytes) {
                Some(p) => p,
                // Rows from before profiles were stored are folded again.
                None => {
                    let (title, text): (String, String) =
                        self.tx.query_row("SELECT title, text FROM items WHERE id = ?1", [story], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    self.matcher.fingerprint(&title, &text).profile
                }
            };
            // The window was judged on the candidate row above (a story's
            // copies span more than one window); site and words on the story.
            let new = Side { source_id: Some(&item.source_id), link: item.link.as_deref(), published_at: None, profile: &print.profile };
            let known = Side { source_id: Some(&source_id), link: link.as_deref(), published_at: None, profile: &theirs };
            probe.compared += 1;
            let verdict = self.matcher.near_decision(&new, &known);
            if verdict.same && best.as_ref().is_none_or(|(_, b)| verdict.score > b.score) {
                best = Some((story, verdict));
            }
        }
        self.probe += probe;
        let Some((story, verdict)) = best else { return Ok(None) };
        Ok(Some(Match { story: self.rank(story)?, rule: verdict.rule, score: verdict.score }))
    }
}

/// The story of the lowest row `stmt` (`SELECT id, story … WHERE column =
/// ?1`) finds for `value`, other than row `id`.
fn first_match(stmt: &mut CachedStatement<'_>, value: &str, id: i64) -> Result<Option<i64>, StoreError> {
    let mut rows = stmt.query([value])?;
    let mut story: Option<i64> = None;
    while let Some(row) = rows.next()? {
        let (row_id, row_story): (i64, i64) = (row.get(0)?, row.get(1)?);
        if row_id != id {
            story = Some(story.map_or(row_story, |s| s.min(row_story)));
        }
    }
    Ok(story)
}

#[cfg(test)]
mod tests;
