//! Breakage alerts for full-text extraction.
//!
//! Sites get redesigned and selectors silently stop matching; the feed keeps
//! coming, so nothing else notices. Over a source's most recent attempts
//! ([`WINDOW`]) we compute the success rate and the median extracted length
//! and raise a flag when the selector matched nothing on the latest pages,
//! when most pages fail, or when lengths collapse (the selector now catches
//! a caption instead of the story).

/// Attempts considered, newest first.
pub const WINDOW: usize = 20;

/// One recorded extraction attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Whether a story was extracted.
    pub ok: bool,
    /// Characters extracted (0 on failure).
    pub chars: usize,
    /// The failure kind (`no_match`, `too_short`, `fetch`, …).
    pub error: Option<String>,
}

/// A source's extraction health.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Health {
    /// Attempts in the window.
    pub attempts: usize,
    /// Share of them that succeeded, 0..=1.
    pub success_rate: f64,
    /// Median length of the successful ones, in characters.
    pub median_chars: usize,
    /// Why the source looks broken, when it does.
    pub alert: Option<String>,
}

/// Failures in a row (newest first) that raise the "matched nothing" flag.
const NO_MATCH_RUN: usize = 3;

/// The health of a source with these attempts (newest first), `None`
/// before its first attempt.
pub fn of(attempts: &[Attempt]) -> Option<Health> {
    (!attempts.is_empty()).then(|| judge(attempts))
}

/// Judges `attempts`, newest first (at most [`WINDOW`] are read).
pub fn judge(attempts: &[Attempt]) -> Health {
    let window = &attempts[..attempts.len().min(WINDOW)];
    let n = window.len();
    let ok: Vec<usize> = window.iter().filter(|a| a.ok).map(|a| a.chars).collect();
    let success_rate = if n == 0 { 1.0 } else { ok.len() as f64 / n as f64 };
    let median_chars = median(&ok);
    let no_match_run = window.iter().take_while(|a| !a.ok && a.error.as_deref() == Some("no_match")).count();
    let alert = if no_match_run >= NO_MATCH_RUN {
        Some(format!("selector matched nothing on the last {no_match_run} pages: the site's layout probably changed"))
    } else if n >= 5 && success_rate < 0.5 {
        Some(format!("only {:.0}% of the last {n} pages gave a story", success_rate * 100.0))
    } else {
        collapsed(&ok)
    };
    Health { attempts: n, success_rate, median_chars, alert }
}

/// Newest successes (first 4) against the older ones: a median under a
/// third of before means the selector now catches something else.
fn collapsed(ok: &[usize]) -> Option<String> {
    if ok.len() < 8 {
        return None;
    }
    let (recent, before) = ok.split_at(4);
    let (now, was) = (median(recent), median(before));
    (now * 3 < was).then(|| format!("extracted length collapsed from a median of {was} to {now} characters"))
}

fn median(values: &[usize]) -> usize {
    if values.is_empty() {
        return 0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(chars: usize) -> Attempt {
        Attempt { ok: true, chars, error: None }
    }
    fn failed(kind: &str) -> Attempt {
        Attempt { ok: false, chars: 0, error: Some(kind.into()) }
    }

    #[test]
    fn healthy_source_has_no_alert() {
        let h = judge(&[ok(2000), ok(1800), failed("fetch"), ok(2500), ok(2100)]);
        assert_eq!(h.alert, None);
        assert_eq!(h.attempts, 5);
        assert!((h.success_rate - 0.8).abs() < 1e-9);
        assert_eq!(h.median_chars, 2100);
    }

    #[test]
    fn selector_that_stopped_matching_is_flagged() {
        let mut a = vec![failed("no_match"), failed("no_match"), failed("no_match")];
        a.extend((0..10).map(|_| ok(2000)));
        let h = judge(&a);
        assert!(h.alert.as_deref().unwrap_or_default().contains("matched nothing"), "{h:?}");
        // Two misses after a long good run are not yet an alert.
        assert_eq!(judge(&a[1..]).alert, None);
    }

    #[test]
    fn mostly_failing_source_is_flagged() {
        let h = judge(&[failed("fetch"), ok(900), failed("too_short"), failed("fetch"), failed("too_short")]);
        assert!(h.alert.as_deref().unwrap_or_default().contains("20%"), "{h:?}");
    }

    #[test]
    fn collapsing_lengths_are_flagged() {
        let mut a: Vec<Attempt> = (0..4).map(|_| ok(150)).collect();
        a.extend((0..10).map(|_| ok(3000)));
        let h = judge(&a);
        assert!(h.alert.as_deref().unwrap_or_default().contains("from a median of 3000 to 150"), "{h:?}");
        // Normal variation is not a collapse.
        let mut b: Vec<Attempt> = (0..4).map(|_| ok(1500)).collect();
        b.extend((0..10).map(|_| ok(3000)));
        assert_eq!(judge(&b).alert, None);
    }
}
