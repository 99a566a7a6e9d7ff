//! Our wall clock, checked against the upstreams' clocks.
//!
//! Retention deletes by the wall clock, and a clock that jumped a year
//! ahead would delete nearly every story. The store alone cannot tell a
//! jumped clock from a long stop once fetches have been recorded on it
//! (see `store::clock`), but every upstream answer carries the server's
//! own clock in its `Date` header. [`Upstreams`] keeps the last few and
//! estimates what time the upstreams think it is *now* (each answer's
//! date plus the monotonic time since it came, which no wall-clock step
//! moves); the median of those estimates is immune to one server with a
//! wrong clock. The daemon deletes nothing while its clock is more than
//! `store::clock::CLOCK_MARGIN` past that estimate.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

/// Answers remembered (the median of these is the estimate).
const KEPT: usize = 31;

/// The upstreams' clocks, as their last answers told them.
#[derive(Debug, Default)]
pub struct Upstreams {
    /// (when it came, by the monotonic clock; the server's `Date`).
    seen: Mutex<VecDeque<(Instant, i64)>>,
}

impl Upstreams {
    /// Notes an answer's `Date` (unix seconds), received just now.
    pub fn observe(&self, date: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() == KEPT {
            seen.pop_front();
        }
        seen.push_back((Instant::now(), date));
    }

    /// What time it is by the upstreams' clocks (unix seconds), `None`
    /// before the first answer with a `Date`.
    pub fn now(&self) -> Option<i64> {
        let seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut estimates: Vec<i64> = seen.iter().map(|(at, date)| date + at.elapsed().as_secs() as i64).collect();
        estimates.sort_unstable();
        estimates.get(estimates.len() / 2).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_answer_decides_and_one_wrong_server_does_not() {
        let clock = Upstreams::default();
        assert_eq!(clock.now(), None);
        let now = 1_800_000_000;
        clock.observe(now);
        clock.observe(now + 1);
        // A server whose clock is a year behind.
        clock.observe(now - 365 * 86400);
        let estimate = clock.now().unwrap();
        assert!((now..now + 5).contains(&estimate), "{estimate}");
        for _ in 0..100 {
            clock.observe(now);
        }
        assert_eq!(clock.seen.lock().unwrap().len(), KEPT);
    }
}
