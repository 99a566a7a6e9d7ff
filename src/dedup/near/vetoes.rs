//! The thresholds a same-story decision merges at and the vetoes that
//! keep two alike stories apart, as one value: the daemon runs the
//! defaults; `dedup-check` measures others (a threshold tuned on a
//! training fold, a veto switched off to see what it is worth).
//!
//! The entity vetoes compare what two items are about (see
//! [`super::entities`]). Each asks that *both* sides name something the
//! other never mentions: a retelling may name one more person or place
//! than its original, but two templated stories each name their own.

use super::{Profile, overlap};

/// Which vetoes apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vetoes {
    /// Titles with numbers, none in common.
    pub numbers: bool,
    /// Quoted or bracketed names that differ («X» and «Y»).
    pub names: bool,
    /// Title proper nouns that each side alone names.
    pub proper: bool,
    /// Places that differ (a fire in one town and one in another).
    pub places: bool,
    /// Days that differ.
    pub dates: bool,
    /// One title denies ("не") what the other tells.
    pub negation: bool,
}

impl Vetoes {
    /// Every veto on.
    pub const ALL: Vetoes = Vetoes { numbers: true, names: true, proper: true, places: true, dates: true, negation: true };

    /// The vetoes by name, for `dedup-check`'s ablation.
    pub const NAMES: [&'static str; 6] = ["numbers", "names", "proper", "places", "dates", "negation"];

    /// These vetoes without the one named `name` (unchanged for another name).
    pub fn without(self, name: &str) -> Vetoes {
        let mut v = self;
        match name {
            "numbers" => v.numbers = false,
            "names" => v.names = false,
            "proper" => v.proper = false,
            "places" => v.places = false,
            "dates" => v.dates = false,
            "negation" => v.negation = false,
            _ => {}
        }
        v
    }
}

impl Default for Vetoes {
    fn default() -> Self {
        Vetoes::ALL
    }
}

/// Thresholds and vetoes of the near-duplicate decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Jaccard index of title-and-lead stems at which two texts are one story.
    pub same_text: f64,
    /// Share of the shorter title's stems in the other title, for the
    /// title+lead rule …
    pub title_overlap: f64,
    /// … with this share of the smaller stem set in the other.
    pub title_lead: f64,
    /// [`super::headline`]'s probability at which two bare headlines are
    /// one story …
    pub headline: f64,
    /// … by this model.
    pub model: super::headline::Model,
    /// The vetoes that apply.
    pub vetoes: Vetoes,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            same_text: super::SAME_TEXT_JACCARD,
            title_overlap: super::TITLE_OVERLAP,
            title_lead: super::TITLE_LEAD_CONTAINMENT,
            headline: super::HEADLINE_PROBABILITY,
            model: super::headline::DEFAULT,
            vetoes: Vetoes::ALL,
        }
    }
}

/// Some value of `list` is not among `stems`.
fn any_missing(list: &[u64], stems: &[u64]) -> bool {
    list.iter().any(|v| stems.binary_search(v).is_err())
}

/// Each side has a value of its list the other's stems lack.
fn each_names_its_own(a: &[u64], b: &[u64], a_stems: &[u64], b_stems: &[u64]) -> bool {
    any_missing(a, b_stems) && any_missing(b, a_stems)
}

/// The entity veto two profiles call for (see the module docs), in the
/// order names, proper nouns, places, dates, negation.
pub(super) fn entity_veto(a: &Profile, b: &Profile, vetoes: &Vetoes) -> Option<&'static str> {
    let both = |x: &[u64], y: &[u64]| !x.is_empty() && !y.is_empty();
    if vetoes.names
        && both(&a.names, &b.names)
        && (overlap(&a.names, &b.names) == 0 || each_names_its_own(&a.names, &b.names, &a.stems, &b.stems))
    {
        return Some("veto:names");
    }
    if vetoes.proper && both(&a.entities, &b.entities) && each_names_its_own(&a.entities, &b.entities, &a.capitalised, &b.capitalised) {
        return Some("veto:proper");
    }
    if vetoes.places
        && both(&a.places, &b.places)
        && overlap(&a.places, &b.places) == 0
        && each_names_its_own(&a.places, &b.places, &a.capitalised, &b.capitalised)
    {
        return Some("veto:places");
    }
    if vetoes.dates && both(&a.dates, &b.dates) && overlap(&a.dates, &b.dates) == 0 {
        return Some("veto:dates");
    }
    if vetoes.negation && a.negated != b.negated {
        return Some("veto:negation");
    }
    None
}
