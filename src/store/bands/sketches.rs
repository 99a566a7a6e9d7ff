//! Sketches of recent items' profiles ([`Sketch`]), in memory beside their
//! band keys: a candidate whose sketch cannot match the new item's is
//! ruled out without reading its row.
//!
//! 40 bytes an item, in id order. A sketch only ever rules a candidate
//! out, so a missing one just means the row is read; one that no longer
//! stands for what its item is compared on (a copy, compared through its
//! story's canonical row; a row whose text changed) is marked stale, and
//! a stale mark is never taken back, not even by a rollback.

use crate::dedup::near::{Profile, Sketch};

#[derive(Debug, Clone, Copy)]
struct Entry {
    item: u32,
    stale: bool,
    sketch: Sketch,
}

/// The sketches of items, by id.
#[derive(Debug, Default)]
pub(super) struct Sketches {
    /// Ascending item ids.
    entries: Vec<Entry>,
    /// Entries below this index are committed.
    settled: usize,
}

impl Sketches {
    /// Adds the sketch of new row `item`.
    pub(super) fn add(&mut self, item: u32, profile: &Profile) {
        // Row ids grow, unless the newest rows were deleted and their ids
        // are given out again: then a deleted row's sketch could answer
        // for the new one, so it is marked stale and the id gets none.
        if self.entries.last().is_some_and(|e| e.item >= item) {
            self.forget(item);
            return;
        }
        if let Some(sketch) = Sketch::of(profile) {
            self.entries.push(Entry { item, stale: false, sketch });
        }
    }

    /// Row `item` is no longer compared on the sketch it has.
    pub(super) fn forget(&mut self, item: u32) {
        if let Some(at) = self.position(item) {
            self.entries[at].stale = true;
        }
    }

    /// The sketch of row `item`, when it has a usable one.
    pub(super) fn get(&self, item: u32) -> Option<&Sketch> {
        let entry = &self.entries[self.position(item)?];
        (!entry.stale).then_some(&entry.sketch)
    }

    /// Where row `item` is: ids are nearly consecutive, so its distance
    /// from the first is nearly always its place.
    fn position(&self, item: u32) -> Option<usize> {
        let guess = item.checked_sub(self.entries.first()?.item)? as usize;
        if self.entries.get(guess).is_some_and(|e| e.item == item) {
            return Some(guess);
        }
        self.entries.binary_search_by_key(&item, |e| e.item).ok()
    }

    /// A point to roll back to.
    pub(super) fn mark(&self) -> usize {
        self.entries.len()
    }

    /// Takes back the sketches added since `mark` (never a settled one).
    pub(super) fn rollback_to(&mut self, mark: usize) {
        self.entries.truncate(mark.max(self.settled));
    }

    /// The sketches added so far are committed.
    pub(super) fn settle(&mut self) {
        self.settled = self.entries.len();
    }

    /// Replaces the sketches of every item up to `upto` with `built`, the
    /// sketches of the items from `from` to `upto` (outside a transaction).
    pub(super) fn install(&mut self, mut built: Sketches, from: i64, upto: i64) {
        // Marks made while the build read the database stay.
        for e in self.entries.iter().filter(|e| e.stale && (from..=upto).contains(&i64::from(e.item))) {
            built.forget(e.item);
        }
        let newer = self.entries.partition_point(|e| i64::from(e.item) <= upto);
        built.entries.extend_from_slice(&self.entries[newer..]);
        built.settled = built.entries.len();
        *self = built;
    }

    /// Sketches held.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(n: u64) -> Profile {
        Profile { stems: (n..n + 10).collect(), title: vec![n, n + 1, n + 2], numbers: vec![], template: false, lead: 7 }
    }

    fn sketch_of(n: u64) -> Sketch {
        Sketch::of(&profile(n)).unwrap()
    }

    fn held(s: &Sketches, item: u32) -> Option<Sketch> {
        s.get(item).copied()
    }

    #[test]
    fn rollback_takes_back_unsettled_sketches_and_stale_marks_stay() {
        let mut s = Sketches::default();
        s.add(1, &profile(1));
        s.settle();
        let mark = s.mark();
        s.add(2, &profile(2));
        s.forget(1);
        s.rollback_to(mark);
        assert_eq!(s.len(), 1);
        assert_eq!(held(&s, 2), None);
        assert_eq!(held(&s, 1), None, "a stale mark survives the rollback");
        // The rolled-back id is given out again: the new row's sketch.
        s.add(2, &profile(20));
        assert_eq!(held(&s, 2), Some(sketch_of(20)));
        s.rollback_to(0);
        assert_eq!(s.len(), 1, "settled sketches are never taken back");
    }

    #[test]
    fn an_id_given_out_again_gets_no_sketch() {
        let mut s = Sketches::default();
        s.add(5, &profile(5));
        s.add(3, &profile(3));
        assert_eq!(held(&s, 3), None);
        assert_eq!(held(&s, 5), Some(sketch_of(5)));
    }

    #[test]
    fn install_replaces_what_the_build_covers_and_keeps_newer_sketches_and_marks() {
        let mut s = Sketches::default();
        for id in 1..=6 {
            s.add(id, &profile(u64::from(id)));
        }
        s.forget(6);
        s.forget(1);
        let mut built = Sketches::default();
        built.add(3, &profile(30));
        built.add(4, &profile(40));
        s.install(built, 3, 4);
        assert_eq!((held(&s, 1), held(&s, 2)), (None, None), "before the build's first item");
        assert_eq!(held(&s, 3), Some(sketch_of(30)));
        assert_eq!(held(&s, 4), Some(sketch_of(40)));
        assert_eq!(held(&s, 5), Some(sketch_of(5)), "added after the build read the database");
        assert_eq!(held(&s, 6), None, "still stale");
        s.rollback_to(0);
        assert_eq!(s.len(), 4, "an installed build is settled");
    }
}
