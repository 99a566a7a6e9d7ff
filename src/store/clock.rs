//! Clock jumps: what the store does when the wall clock cannot be trusted.
//!
//! Every time syndic stores is the wall clock's. A clock set a year ahead
//! makes every story look a year old, and retention would delete nearly
//! all of them (to fetch them again, dated in the future). A clock set
//! back leaves what was stored meanwhile dated in the future, topping
//! every feed until the clock catches up, and every source due only after
//! the time the fast clock gave it. So:
//!
//! - retention runs only while `now` is at most [`CLOCK_MARGIN`] past the
//!   upstreams' clocks (their answers' `Date`, `crate::clock`), or, before
//!   any answer, past the newest fetch the store recorded
//!   ([`Store::clock_jump`]). A running daemon records a fetch every few
//!   minutes and no source waits more than a day, so only a clock that
//!   jumped (or a daemon stopped for longer than the margin) is caught:
//!   that round is skipped. The store's check alone would trust a clock
//!   that jumped once fetches were recorded on it; the upstreams' would
//!   not;
//! - [`Store::repair_clock`] brings back what a fast clock left ahead of
//!   `now`: items dated beyond [`MAX_AHEAD_SECS`] are dated `now`, and a
//!   source whose last fetch is in the future is due its usual delay from
//!   `now`, never later than the longest delay the scheduler can give.
//!
//! Every function takes `now` from its caller: the clock is the caller's,
//! and tests move it.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::normalize::date::MAX_AHEAD_SECS;

/// How far past the newest recorded fetch the clock may be for retention
/// to run: two days, longer than any delay the scheduler gives a source
/// (a day), so a running daemon always has a fetch within it.
pub const CLOCK_MARGIN: i64 = 2 * 86400;

/// Slack for "the last fetch is in the future": clocks are read at
/// slightly different moments.
const SLACK_SECS: i64 = 60;

/// What [`Store::repair_clock`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repaired {
    /// Items whose date was ahead of `now` and is now `now`.
    pub items: usize,
    /// Sources whose next-due time was pulled back.
    pub sources: usize,
}

/// A source's place in the schedule, for [`Store::repair_clock`].
#[derive(Debug, Clone)]
pub struct Due {
    /// Source id.
    pub id: String,
    /// Its poll interval, in seconds.
    pub interval: i64,
    /// The longest delay the scheduler can give it, in seconds.
    pub longest: i64,
}

impl Store {
    /// Unix time of the newest fetch recorded, `None` before the first.
    pub fn newest_fetch(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row("SELECT max(last_fetch_at) FROM sources", [], |r| r.get::<_, Option<i64>>(0)).optional()?.flatten())
    }

    /// `Some(seconds)` when `now` is more than [`CLOCK_MARGIN`] past the
    /// newest recorded fetch (by that many seconds): the clock jumped
    /// ahead, or the daemon was stopped that long. Deleting anything by
    /// such a clock could delete everything.
    pub fn clock_jump(&self, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self.newest_fetch()?.map(|newest| now - newest).filter(|&ahead| ahead > CLOCK_MARGIN))
    }

    /// Brings back what a clock that ran ahead left in the future: item
    /// dates more than [`MAX_AHEAD_SECS`] past `now` become `now` (a
    /// story stored then was seen no later than now), and each source in
    /// `due` whose last fetch is after `now` is due its recorded delay
    /// from `now` (at most `longest`); one due further than `longest`
    /// ahead, for whatever reason, is due an interval from now. One
    /// transaction; nothing changes when the clock never ran ahead.
    pub fn repair_clock(&mut self, now: i64, due: &[Due]) -> Result<Repaired, StoreError> {
        let tx = self.conn.transaction()?;
        let items = tx.execute("UPDATE items SET published_at = ?1 WHERE published_at > ?1 + ?2", params![now, MAX_AHEAD_SECS])?;
        let mut sources = 0;
        {
            // The fetch happened no later than now: recorded as now, so a
            // second repair finds nothing to do.
            let mut ahead = tx.prepare(
                "UPDATE sources SET next_fetch_at = ?2 + min(max(coalesce(next_fetch_at, ?2) - last_fetch_at, 0), ?3),
                   last_fetch_at = ?2, last_success_at = min(last_success_at, ?2)
                 WHERE id = ?1 AND last_fetch_at > ?2 + ?4",
            )?;
            let mut too_late = tx.prepare("UPDATE sources SET next_fetch_at = ?2 + ?3 WHERE id = ?1 AND next_fetch_at > ?2 + ?4")?;
            for d in due {
                let moved = ahead.execute(params![d.id, now, d.longest, SLACK_SECS])?;
                sources += moved.max(too_late.execute(params![d.id, now, d.interval, d.longest])?);
            }
        }
        tx.commit()?;
        Ok(Repaired { items, sources })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::store::FetchRecord;

    const DAY: i64 = 86400;

    fn store_with(ids: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let sources: Vec<Source> =
            ids.iter().map(|id| Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap())).collect();
        store.sync_sources(&sources).unwrap();
        (dir, store)
    }

    fn due(id: &str) -> Due {
        let interval = std::time::Duration::from_secs(900);
        Due { id: id.into(), interval: 900, longest: crate::schedule::longest_delay(id, interval).as_secs() as i64 }
    }

    fn next_due(store: &Store, id: &str) -> i64 {
        store.source_state(id).unwrap().next_fetch_at.unwrap()
    }

    #[test]
    fn a_clock_far_past_the_newest_fetch_is_a_jump_and_a_running_one_is_not() {
        let (_dir, mut store) = store_with(&["a"]);
        let now = 1_800_000_000;
        assert_eq!(store.clock_jump(now).unwrap(), None, "nothing recorded yet: nothing to compare with");
        store.record_fetch("a", &FetchRecord { at: now - 600, next_fetch_at: now + 300, ..FetchRecord::default() }).unwrap();
        assert_eq!(store.clock_jump(now).unwrap(), None);
        assert_eq!(store.clock_jump(now + DAY).unwrap(), None, "a day without fetches is within the margin");
        assert_eq!(store.clock_jump(now + 365 * DAY).unwrap(), Some(365 * DAY + 600));
    }

    #[test]
    fn after_a_day_ahead_the_next_due_time_is_the_usual_delay_from_now() {
        let (_dir, mut store) = store_with(&["a", "b", "c"]);
        let now = 1_800_000_000;
        // Fetched on a clock a day ahead: due 15 minutes after that.
        store.record_fetch("a", &FetchRecord { at: now + DAY, next_fetch_at: now + DAY + 900, ..FetchRecord::default() }).unwrap();
        // Failing on that clock, backed off to its 6 h cap.
        store
            .record_fetch(
                "b",
                &FetchRecord { at: now + DAY, next_fetch_at: now + DAY + 6 * 3600, error: Some("x".into()), ..FetchRecord::default() },
            )
            .unwrap();
        // Fetched on a good clock, due in ten minutes: left alone.
        store.record_fetch("c", &FetchRecord { at: now - 300, next_fetch_at: now + 600, ..FetchRecord::default() }).unwrap();
        let repaired = store.repair_clock(now, &[due("a"), due("b"), due("c")]).unwrap();
        assert_eq!(repaired, Repaired { items: 0, sources: 2 });
        assert_eq!(next_due(&store, "a"), now + 900);
        assert_eq!(next_due(&store, "b"), now + 6 * 3600, "the backoff is kept");
        assert_eq!(next_due(&store, "c"), now + 600);
        assert_eq!(store.source_state("a").unwrap().last_fetch_at, Some(now));
        // Repairing again changes nothing.
        assert_eq!(store.repair_clock(now + 5, &[due("a"), due("b"), due("c")]).unwrap(), Repaired::default());
        assert_eq!(next_due(&store, "a"), now + 900);
    }

    #[test]
    fn a_next_due_time_beyond_the_longest_delay_is_an_interval_from_now() {
        let (_dir, mut store) = store_with(&["a"]);
        let now = 1_800_000_000;
        store.record_fetch("a", &FetchRecord { at: now - 60, next_fetch_at: now + 30 * DAY, ..FetchRecord::default() }).unwrap();
        assert_eq!(store.repair_clock(now, &[due("a")]).unwrap().sources, 1);
        assert_eq!(next_due(&store, "a"), now + 900);
    }
}
