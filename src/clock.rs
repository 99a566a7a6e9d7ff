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

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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
}
