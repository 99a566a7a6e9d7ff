//! Sketches: a profile's lists as bitmaps, small enough to keep in memory
//! for every recent item.
//!
//! Most candidates a band key names are not the same story: two texts
//! share one band when the minima of two hash functions fall on the same
//! stem, and stems such as a year, a city or a minister's name are shared
//! by many stories (on the corpus feeds, 1,129 of the 1,269 item pairs
//! with a common band share only that one, and none of them is a merge).
//! Ruling such a candidate out on the full profile means reading its row
//! from the database; its sketch, held in memory, rules it out instead.
//!
//! Each stem sets one bit of 128 (a title stem one of 32, a number one of
//! 16). The stems two sketches share number at most the bits both have
//! set, plus the stems one of them lost to a bit another of its stems had
//! set already (its length minus its bits): every count
//! [`decide`](super::decide) compares with a threshold can only be
//! higher than on the full profiles, and the lengths are the profile's
//! own. A candidate whose sketch does not match can never match on its
//! full profile either; one whose sketch matches is read and compared in
//! full.

use super::{Lists, Profile, decide};

/// A profile's lists as bitmaps (see the module docs): 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sketch {
    stems: [u64; 2],
    title: u32,
    numbers: u16,
    /// Stems, title stems, numbers, stems in the lead.
    lens: [u8; 4],
    template: bool,
}

/// Values of a list of `len` lost to collisions within its bitmap.
fn lost(words: &[u64], len: usize) -> usize {
    len.saturating_sub(words.iter().map(|w| w.count_ones() as usize).sum::<usize>())
}

/// Values two lists share, at most: the bits both set, plus the fewer
/// values either lost to collisions (never more than the shorter list:
/// each side's bits and lost values add up to its length).
fn shared_at_most(a: &[u64], b: &[u64], a_len: usize, b_len: usize) -> usize {
    let both = a.iter().zip(b).map(|(x, y)| (x & y).count_ones() as usize).sum::<usize>();
    both + lost(a, a_len).min(lost(b, b_len))
}

impl Sketch {
    /// The sketch of `profile`; `None` when a list is too long to count
    /// in 8 bits (a title of hundreds of words).
    pub fn of(profile: &Profile) -> Option<Sketch> {
        let len = |n: usize| u8::try_from(n).ok();
        let mut stems = [0u64; 2];
        // Stems and numbers are xxh3 hashes: their low bits are as good as any.
        for s in &profile.stems {
            stems[(*s as usize >> 6) & 1] |= 1 << (s & 63);
        }
        let bits = |list: &[u64], width: u64| list.iter().fold(0u64, |bits, v| bits | 1 << (v % width));
        Some(Sketch {
            stems,
            title: bits(&profile.title, 32) as u32,
            numbers: bits(&profile.numbers, 16) as u16,
            lens: [len(profile.stems.len())?, len(profile.title.len())?, len(profile.numbers.len())?, len(profile.lead)?],
            template: profile.template,
        })
    }

    /// Whether the profiles these sketch may be the same story (compared
    /// as [`super::compare`] does for two different sites): `false` means
    /// they are not.
    pub fn may_match(&self, other: &Sketch) -> bool {
        decide(self, other, false, &super::Settings::default()).same
    }
}

impl Lists for Sketch {
    fn lens(&self) -> (usize, usize, usize) {
        (usize::from(self.lens[0]), usize::from(self.lens[1]), usize::from(self.lens[2]))
    }

    fn shared(&self, other: &Self) -> (usize, usize, usize) {
        let ((a_stems, a_title, a_numbers), (b_stems, b_title, b_numbers)) = (self.lens(), other.lens());
        (
            shared_at_most(&self.stems, &other.stems, a_stems, b_stems),
            shared_at_most(&[self.title.into()], &[other.title.into()], a_title, b_title),
            shared_at_most(&[self.numbers.into()], &[other.numbers.into()], a_numbers, b_numbers),
        )
    }

    fn same_title(&self, other: &Self) -> bool {
        // Equal lists make equal bitmaps.
        (self.title, self.numbers, self.lens[1], self.lens[2]) == (other.title, other.numbers, other.lens[1], other.lens[2])
    }

    fn template(&self) -> bool {
        self.template
    }

    fn lead(&self) -> usize {
        usize::from(self.lens[3])
    }

    fn headline_features(&self, _other: &Self) -> Option<super::headline::Features> {
        None
    }

    fn headline_probability(&self, other: &Self, model: &super::headline::Model) -> f64 {
        let (a_title, b_title) = (usize::from(self.lens[1]), usize::from(other.lens[1]));
        model.probability_at_most(a_title, b_title, self.shared(other).1)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::compare;
    use super::*;

    /// A profile from `words` (stem hashes drawn from a small pool, so that
    /// two profiles share some), as [`super::super::profile`] lays it out.
    fn profile(title: &[u16], lead: &[u16], numbers: &[u16], template: bool) -> Profile {
        let hash = |w: &u16| xxhash_rust::xxh3::xxh3_64(&w.to_le_bytes());
        let mut title: Vec<u64> = title.iter().map(hash).collect();
        let lead_stems: Vec<u64> = lead.iter().map(hash).collect();
        let mut stems: Vec<u64> = title.iter().chain(&lead_stems).copied().collect();
        let mut numbers: Vec<u64> = numbers.iter().map(hash).collect();
        for list in [&mut stems, &mut title, &mut numbers] {
            list.sort_unstable();
            list.dedup();
        }
        Profile { stems, title, numbers, template, lead: lead_stems.len(), ..Profile::default() }
    }

    fn sketch(p: &Profile) -> Sketch {
        Sketch::of(p).unwrap()
    }

    #[test]
    fn a_sketch_keeps_the_lengths_and_sets_a_bit_a_value() {
        let p = profile(&[1, 2, 3], &[4, 5, 6, 7, 8], &[9], true);
        let s = sketch(&p);
        assert_eq!((s.lens(), s.lead(), s.template), ((8, 3, 1), 5, true));
        let set = |w: &[u64]| w.iter().map(|w| w.count_ones()).sum::<u32>();
        assert!((7..=8).contains(&set(&s.stems)) && (2..=3).contains(&s.title.count_ones()) && s.numbers.count_ones() == 1);
        // A list too long to count.
        let long = Profile { stems: (0..300).collect(), ..p };
        assert_eq!(Sketch::of(&long), None);
    }

    #[test]
    fn shared_values_are_never_undercounted_even_when_bits_collide() {
        // Three values on each side that all set bit 0 may all be shared.
        assert_eq!(shared_at_most(&[1], &[1], 3, 3), 3);
        // One of them on the other side: only it.
        assert_eq!(shared_at_most(&[1], &[1], 3, 1), 1);
        // Other bits share nothing, however many values collided.
        assert_eq!(shared_at_most(&[1], &[2], 3, 1), 0);
        // One bit both set; the left lost nothing, so the right's losses cannot add.
        assert_eq!(shared_at_most(&[0b11], &[0b110], 2, 5), 1);
    }

    #[test]
    fn a_retold_story_matches_its_sketch_and_an_unrelated_one_mostly_does_not() {
        let story = profile(&[1, 2, 3, 4, 5, 6], &(10..40).collect::<Vec<_>>(), &[], false);
        let retold = profile(&[1, 2, 3, 4, 7, 8], &(12..44).collect::<Vec<_>>(), &[], false);
        let other = profile(&[100, 101, 102, 103], &(200..230).collect::<Vec<_>>(), &[], false);
        let (s, r, o) = (sketch(&story), sketch(&retold), sketch(&other));
        assert!(compare(&story, &retold, false).same);
        assert!(s.may_match(&r));
        assert!(!compare(&story, &other, false).same);
        assert!(!s.may_match(&o), "two unrelated 36-stem texts share few of 128 bits");
    }

    /// `words` with those `keep` says no to left out, and `extra` added.
    fn retold(words: &[u16], keep: &[bool], extra: &[u16]) -> Vec<u16> {
        words
            .iter()
            .zip(keep.iter().chain(std::iter::repeat(&true)))
            .filter(|(_, k)| **k)
            .map(|(w, _)| *w)
            .chain(extra.iter().copied())
            .collect()
    }

    proptest! {
        /// A sketch never rules out a pair the full profiles merge. The
        /// second text retells the first: some of its words dropped,
        /// others added (two pairs in five merge).
        #[test]
        fn a_sketch_never_rules_out_a_merge(
            title in prop::collection::vec(0u16..400, 0..10),
            lead in prop::collection::vec(0u16..400, 0..40),
            keep in (prop::collection::vec(prop::bool::weighted(0.8), 10), prop::collection::vec(prop::bool::weighted(0.7), 40)),
            extra in (prop::collection::vec(0u16..400, 0..4), prop::collection::vec(0u16..400, 0..20)),
            numbers in (prop::collection::vec(0u16..4, 0..3), prop::collection::vec(0u16..4, 0..3)),
            template in (prop::bool::weighted(0.1), prop::bool::weighted(0.1)),
        ) {
            let a = profile(&title, &lead, &numbers.0, template.0);
            let b = profile(&retold(&title, &keep.0, &extra.0), &retold(&lead, &keep.1, &extra.1), &numbers.1, template.1);
            let (sa, sb) = (sketch(&a), sketch(&b));
            prop_assert!(sa.may_match(&sb) || !compare(&a, &b, false).same);
            prop_assert_eq!(sa.may_match(&sb), sb.may_match(&sa));
        }
    }
}
