//! The daemon's same-story decision on one pair of items given whole, as
//! `syndic dedup-check` (in `cli::dedup_check`, which reads the pair files)
//! measures it.
//!
//! Each side carries what the store knows of an item besides its words:
//! its link, publication time and source. Each pair is decided by [`decide`] with
//! the store's rules in the store's order: the same canonical link (any
//! time), the same content hash (within two windows), then
//! [`super::Matcher::near_decision`] (the window, the same-site veto, the
//! words). Side B plays the stored story, side A the new item.

use super::{Matcher, Side, content_hash, near};

/// One pair of texts, maybe labelled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pair {
    /// First title.
    pub title_a: String,
    /// First text.
    pub text_a: String,
    /// Second title.
    pub title_b: String,
    /// Second text.
    pub text_b: String,
    /// `Some(true)` same story, `Some(false)` different, `None` unlabelled.
    pub label: Option<bool>,
    /// Links, when known.
    pub link_a: Option<String>,
    /// See `link_a`.
    pub link_b: Option<String>,
    /// Publication times (unix seconds), when known.
    pub time_a: Option<i64>,
    /// See `time_a`.
    pub time_b: Option<i64>,
    /// Source ids, when known.
    pub source_a: Option<String>,
    /// See `source_a`.
    pub source_b: Option<String>,
}

/// The decision on one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Same story?
    pub same: bool,
    /// The deciding score.
    pub score: f64,
    /// The deciding rule.
    pub rule: &'static str,
    /// Stems shared, and each side's count (0s for exact rules).
    pub shared: (usize, usize, usize),
    /// Title overlap (0 for exact rules).
    pub title_overlap: f64,
}

/// The daemon's decision on a pair (see the module docs).
pub fn decide(a: &Pair, matcher: &Matcher) -> Decision {
    let exact = |rule| Decision { same: true, score: 1.0, rule, shared: (0, 0, 0), title_overlap: 0.0 };
    let clean = |link: &Option<String>| link.as_deref().and_then(|l| crate::normalize::url::clean(l, None));
    let (link_a, link_b) = (clean(&a.link_a), clean(&a.link_b));
    if let (Some(x), Some(y)) = (&link_a, &link_b)
        && crate::normalize::url::canonical(x) == crate::normalize::url::canonical(y)
    {
        return exact("link");
    }
    let within = |windows: i64| match (a.time_a, a.time_b) {
        (Some(x), Some(y)) => (x - y).abs() <= windows * matcher.window_secs,
        _ => true,
    };
    if let (Some(x), Some(y)) = (content_hash(&a.title_a, &a.text_a), content_hash(&a.title_b, &a.text_b))
        && x == y
        && within(2)
    {
        return exact("content");
    }
    let (pa, pb) = (near::profile(&a.title_a, &a.text_a, &matcher.rules), near::profile(&a.title_b, &a.text_b, &matcher.rules));
    let new = Side { source_id: a.source_a.as_deref(), link: link_a.as_ref().map(url::Url::as_str), published_at: a.time_a, profile: &pa };
    let known =
        Side { source_id: a.source_b.as_deref(), link: link_b.as_ref().map(url::Url::as_str), published_at: a.time_b, profile: &pb };
    let v = matcher.near_decision(&new, &known);
    Decision { same: v.same, score: v.score, rule: v.rule, shared: v.shared, title_overlap: v.title_overlap }
}
