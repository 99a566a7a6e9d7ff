//! Why a poll or a full-text page failed, typed from the stage that
//! failed to the metrics and the status page.
//!
//! Stages keep their own error enums (`FetchError`, `ParseError`,
//! `ExtractError`); a runner wraps whichever one ended it in a
//! [`PollError`]. [`PollError::kind`] is a short stable word from a fixed
//! set, the label of `syndic_fetch_errors_total{kind=…}` and the
//! `last_error_kind` of `/status.json`; the message (`Display`) is what the
//! log and the stored `last_error` say, unchanged from when errors were
//! plain strings.

use crate::extract::ExtractError;
use crate::fetch::FetchError;
use crate::parse::ParseError;

/// Why a poll (or a full-text page) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollError {
    /// Fetching the feed or page failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The body is not a feed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The page gave no story.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The database could not read or record it.
    #[error(transparent)]
    Store(crate::store::Failure),
    /// A bug: a worker panicked or stopped (the message starts with
    /// "internal error").
    #[error("{0}")]
    Internal(String),
}

impl PollError {
    /// Every value [`PollError::kind`] can take, for tests and dashboards.
    pub const KINDS: [&'static str; 17] = [
        "timeout",
        "transport",
        "http_status",
        "too_large",
        "refused",
        "parse",
        "no_match",
        "too_short",
        "unreadable",
        "store",
        "store_disk_full",
        "store_read_only",
        "store_locked",
        "store_corrupt",
        "store_io",
        "store_shared",
        "internal",
    ];

    /// A short stable word for the metrics label and the status page.
    pub fn kind(&self) -> &'static str {
        match self {
            PollError::Fetch(FetchError::Timeout(_)) => "timeout",
            PollError::Fetch(FetchError::Transport(_)) => "transport",
            PollError::Fetch(FetchError::Status { .. }) => "http_status",
            PollError::Fetch(FetchError::TooLarge { .. }) => "too_large",
            PollError::Fetch(FetchError::Refused(_)) => "refused",
            PollError::Parse(_) => "parse",
            PollError::Extract(e) => e.kind(),
            PollError::Store(f) => f.kind.label(),
            PollError::Internal(_) => "internal",
        }
    }
}

impl PollError {
    /// The kind a full-text page's failure is logged and stored under
    /// (the extraction log, `syndic_extractions{outcome=…}`): every fetch
    /// failure is `fetch` there, as the breakage alerts expect.
    pub fn extraction_kind(&self) -> &'static str {
        match self {
            PollError::Fetch(_) => "fetch",
            other => other.kind(),
        }
    }
}

impl From<crate::cpu::JobError> for PollError {
    fn from(e: crate::cpu::JobError) -> PollError {
        PollError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::pipeline::poll::PollReport;

    #[test]
    fn failed_polls_are_counted_by_kind_and_the_last_kind_is_kept_until_a_success() {
        let metrics = Metrics::new();
        metrics.seed_error_kinds(&PollError::KINDS);
        let timeout = PollReport::failed("a", FetchError::Timeout(std::time::Duration::from_secs(30)).into());
        metrics.record_poll(&timeout.sample());
        metrics.record_poll(&timeout.sample());
        metrics.record_poll(&PollReport::failed("b", PollError::Parse(ParseError::Empty)).sample());
        let text = metrics.encode();
        assert!(text.contains("syndic_fetch_errors_total{kind=\"timeout\"} 2"), "{text}");
        assert!(text.contains("syndic_fetch_errors_total{kind=\"parse\"} 1"), "{text}");
        assert!(text.contains("syndic_fetch_errors_total{kind=\"refused\"} 0"), "every kind is exported from the start");
        assert_eq!(metrics.last_error_kind("a"), Some("timeout"));
        metrics.record_poll(&PollReport::new("a").sample());
        assert_eq!(metrics.last_error_kind("a"), None, "a success clears the kind");
        assert_eq!(metrics.last_error_kind("b"), Some("parse"));
    }
}
