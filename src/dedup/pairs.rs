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
    /// The headline model's features, when the pair reached it.
    pub headline: Option<near::headline::Features>,
}

/// A pair made ready for deciding, many times over (with other
/// settings): its exact verdict if an exact rule decides it, else each
/// side's profile and what the store knows of it.
#[derive(Debug, Clone)]
pub struct Prepared {
    exact: Option<&'static str>,
    profiles: (near::Profile, near::Profile),
    links: (Option<String>, Option<String>),
    times: (Option<i64>, Option<i64>),
    sources: (Option<String>, Option<String>),
}

/// Everything [`decide_prepared`] needs of `pair`: the link and content
/// rules applied, the profiles built (with `matcher`'s boilerplate rules).
pub fn prepare(pair: &Pair, matcher: &Matcher) -> Prepared {
    let clean = |link: &Option<String>| link.as_deref().and_then(|l| crate::normalize::url::clean(l, None));
    let (link_a, link_b) = (clean(&pair.link_a), clean(&pair.link_b));
    let within = |windows: i64| match (pair.time_a, pair.time_b) {
        (Some(x), Some(y)) => (x - y).abs() <= windows * matcher.window_secs,
        _ => true,
    };
    let same_link =
        matches!((&link_a, &link_b), (Some(x), Some(y)) if crate::normalize::url::canonical(x) == crate::normalize::url::canonical(y));
    let same_hash = matches!(
        (content_hash(&pair.title_a, &pair.text_a), content_hash(&pair.title_b, &pair.text_b)),
        (Some(x), Some(y)) if x == y && within(2)
    );
    let exact = if same_link {
        Some("link")
    } else if same_hash {
        Some("content")
    } else {
        None
    };
    Prepared {
        exact,
        profiles: (near::profile(&pair.title_a, &pair.text_a, &matcher.rules), near::profile(&pair.title_b, &pair.text_b, &matcher.rules)),
        links: (link_a.map(String::from), link_b.map(String::from)),
        times: (pair.time_a, pair.time_b),
        sources: (pair.source_a.clone(), pair.source_b.clone()),
    }
}

/// The daemon's decision on a pair (see the module docs).
pub fn decide(pair: &Pair, matcher: &Matcher) -> Decision {
    decide_prepared(&prepare(pair, matcher), matcher)
}

/// [`decide`] on a [`prepare`]d pair, with `matcher`'s window and settings.
pub fn decide_prepared(p: &Prepared, matcher: &Matcher) -> Decision {
    if let Some(rule) = p.exact {
        return Decision { same: true, score: 1.0, rule, shared: (0, 0, 0), title_overlap: 0.0, headline: None };
    }
    let new = Side { source_id: p.sources.0.as_deref(), link: p.links.0.as_deref(), published_at: p.times.0, profile: &p.profiles.0 };
    let known = Side { source_id: p.sources.1.as_deref(), link: p.links.1.as_deref(), published_at: p.times.1, profile: &p.profiles.1 };
    let v = matcher.near_decision(&new, &known);
    Decision { same: v.same, score: v.score, rule: v.rule, shared: v.shared, title_overlap: v.title_overlap, headline: v.headline }
}
