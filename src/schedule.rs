//! When each source is next due.
//!
//! A source is polled every `interval`, shifted by a per-source offset so
//! that sources sharing an interval do not all fire in the same second (the
//! offset comes from a hash of the id, so it is the same after a restart).
//! Failures back off exponentially from the interval up to six hours (or
//! the interval, if longer), and are then probed at that cap forever: a
//! source is never given up on. A server's `Retry-After` is a floor.

use std::time::Duration;

use xxhash_rust::xxh3::xxh3_64;

/// The longest backoff after repeated failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// A spread in `[0, interval/10)` that is stable for a source id.
pub fn jitter(source_id: &str, interval: Duration) -> Duration {
    let tenth = (interval.as_secs() / 10).max(1);
    Duration::from_secs(xxh3_64(source_id.as_bytes()) % tenth)
}

/// Delay before the next attempt after `failures` consecutive failures
/// (0 after a success), never shorter than `retry_after` (a server's
/// Retry-After, `<ttl>` or freshness), which is capped at a day.
pub fn delay(source_id: &str, interval: Duration, failures: u32, retry_after: Option<Duration>) -> Duration {
    let base = if failures == 0 {
        interval
    } else {
        let cap = MAX_BACKOFF.max(interval);
        let factor = 1u64 << failures.saturating_sub(1).min(20);
        Duration::from_secs(interval.as_secs().saturating_mul(factor)).min(cap)
    };
    let retry_floor = retry_after.map(|d| d.min(Duration::from_secs(24 * 3600))).unwrap_or_default();
    (base + jitter(source_id, interval)).max(retry_floor)
}

/// The longest delay [`delay`] can give a source: full backoff or a day of
/// Retry-After, plus its spread. A next-due time further ahead than this
/// was computed on a clock that has since moved back.
pub fn longest_delay(source_id: &str, interval: Duration) -> Duration {
    MAX_BACKOFF.max(interval).max(Duration::from_secs(24 * 3600)) + jitter(source_id, interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_stays_at_cap() {
        let interval = Duration::from_secs(600);
        let delays: Vec<u64> = (0..12).map(|f| delay("x", interval, f, None).as_secs() - jitter("x", interval).as_secs()).collect();
        assert_eq!(&delays[..5], &[600, 600, 1200, 2400, 4800]);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*delays.last().unwrap(), MAX_BACKOFF.as_secs());
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_a_day() {
        let interval = Duration::from_secs(600);
        assert!(delay("x", interval, 1, Some(Duration::from_secs(7200))) >= Duration::from_secs(7200));
        assert!(delay("x", interval, 1, Some(Duration::from_secs(10 * 86400))) <= Duration::from_secs(86400 + 60));
        for failures in 0..30 {
            assert!(delay("x", interval, failures, Some(Duration::from_secs(10 * 86400))) <= longest_delay("x", interval));
        }
    }

    #[test]
    fn jitter_is_stable_and_bounded() {
        let interval = Duration::from_secs(900);
        assert_eq!(jitter("liter-politics", interval), jitter("liter-politics", interval));
        assert!(jitter("liter-politics", interval) < Duration::from_secs(90));
    }
}
