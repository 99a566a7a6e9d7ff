//! Our wall clock, checked against the upstreams' clocks.
//!
//! Retention deletes by the wall clock, and a clock that jumped a year
//! ahead would delete nearly every story. The store alone cannot tell a
//! jumped clock from a long stop once fetches have been recorded on it
//! (see `store::clock`), but every upstream answer carries the server's
//! own clock in its `Date` header. [`Upstreams`] keeps each source's last
//! one and estimates what time the upstreams think it is *now* (an
//! answer's date plus the monotonic time since it came, which no
//! wall-clock step moves). The median over sources decides: one server
//! with a wrong (or hostile) clock, however often it is polled, does not.
//! At worst, upstreams whose clocks are behind make ours look ahead, and
//! retention waits: a `Date` can delay deletion, never cause it.
//!
//! While ours is that far ahead, fetched items are also dated (and first
//! seen) by the upstreams' time ([`Upstreams::item_time`]): stamped by
//! the jumped clock, undated stories would top every feed once it is set
//! right.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};

/// The upstreams' clocks, as their last answers told them.
#[derive(Debug, Default)]
pub struct Upstreams {
    /// Source id → (when its last answer came, by the monotonic clock;
    /// that answer's `Date`).
    seen: Mutex<HashMap<String, (Instant, i64)>>,
}

impl Upstreams {
    /// Notes the `Date` (unix seconds) of `source`'s answer, received just now.
    pub fn observe(&self, source: &str, date: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.get_mut(source) {
            Some(last) => *last = (Instant::now(), date),
            None => {
                seen.insert(source.to_string(), (Instant::now(), date));
            }
        }
    }

    /// What time it is by the upstreams' clocks (unix seconds), `None`
    /// before the first answer with a `Date`.
    pub fn now(&self) -> Option<i64> {
        let seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut estimates: Vec<i64> = seen.values().map(|(at, date)| date + at.elapsed().as_secs() as i64).collect();
        estimates.sort_unstable();
        estimates.get(estimates.len() / 2).copied()
    }

    /// The time to date items fetched at `now` by: `now`, unless it is
    /// more than `store::clock::CLOCK_MARGIN` ahead of the upstreams'
    /// clocks, then theirs.
    pub fn item_time(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.now() {
            Some(theirs) if now.timestamp() - theirs > crate::store::clock::CLOCK_MARGIN => {
                DateTime::from_timestamp(theirs, 0).unwrap_or(now)
            }
            _ => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_source_decides_and_one_wrong_server_does_not() {
        let clock = Upstreams::default();
        assert_eq!(clock.now(), None);
        let now = 1_800_000_000;
        clock.observe("a", now);
        clock.observe("b", now + 1);
        // A server whose clock is a year behind, polled far more often.
        for _ in 0..100 {
            clock.observe("wrong", now - 365 * 86400);
        }
        let estimate = clock.now().unwrap();
        assert!((now..now + 5).contains(&estimate), "{estimate}");
        assert_eq!(clock.seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn items_are_dated_by_the_upstreams_while_our_clock_is_far_ahead() {
        let clock = Upstreams::default();
        let now = Utc::now();
        assert_eq!(clock.item_time(now), now, "no upstream has told its time");
        clock.observe("a", now.timestamp());
        assert_eq!(clock.item_time(now), now);
        let day_ahead = now + chrono::Duration::days(1);
        assert_eq!(clock.item_time(day_ahead), day_ahead, "within the margin: ours");
        let year_ahead = now + chrono::Duration::days(365);
        let dated = clock.item_time(year_ahead);
        assert!((dated - now).num_seconds().abs() < 5, "{dated} for {now}");
    }
}
