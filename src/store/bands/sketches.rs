//! Sketches of recent items' profiles ([`Sketch`]), in memory beside their
//! band keys: a candidate whose sketch cannot match the new item's is
//! ruled out without reading its row.
//!
//! One 32-byte slot per row id from the first one held, so that a lookup
//! is an index, not a search (a binary search over 100,000 sketches, a
//! cache miss a step, cost more than the row reads it saved). A sketch
//! only ever rules a candidate out, so an empty slot just means the row is
//! read; a row that no longer stands for what its item is compared on (a
//! copy, compared through its story's canonical row; a row whose text
//! changed) has its slot emptied, and that is never taken back, not even
//! by a rollback.

use crate::dedup::near::Sketch;

/// Empty slots a new row may skip at once; a longer jump in row ids (never
/// seen from SQLite, which gives out the next id) leaves the row without a
/// sketch until the next build.
const MAX_GAP: usize = 1 << 16;

/// The sketches of items, by id.
#[derive(Debug, Default)]
pub(super) struct Sketches {
    /// The row id of `slots[0]`.
    first: u32,
    /// Row `first + i`'s sketch, when it has one to use.
    slots: Vec<Option<Sketch>>,
    /// Slots below this index are committed.
    settled: usize,
}

impl Sketches {
    /// Sets new row `item`'s slot to its sketch, adding empty slots up to it.
    pub(super) fn add(&mut self, item: u32, sketch: Option<Sketch>) {
        if self.slots.is_empty() {
            self.first = item;
        }
        let Some(at) = item.checked_sub(self.first).map(|at| at as usize) else { return };
        if at < self.slots.len() {
            // Row ids grow, unless the newest rows were deleted and their
            // ids are given out again: then a deleted row's sketch could
            // answer for the new one, so the id gets none.
            self.slots[at] = None;
        } else if at - self.slots.len() <= MAX_GAP {
            self.slots.resize(at, None);
            self.slots.push(sketch);
        }
    }

    /// Row `item` is no longer compared on the sketch it has.
    pub(super) fn forget(&mut self, item: u32) {
        if let Some(slot) = item.checked_sub(self.first).and_then(|at| self.slots.get_mut(at as usize)) {
            *slot = None;
        }
    }

    /// The sketch of row `item`, when it has a usable one.
    pub(super) fn get(&self, item: u32) -> Option<&Sketch> {
        self.slots.get(item.checked_sub(self.first)? as usize)?.as_ref()
    }

    /// A point to roll back to.
    pub(super) fn mark(&self) -> usize {
        self.slots.len()
    }

    /// Takes back the slots added since `mark` (never a settled one).
    pub(super) fn rollback_to(&mut self, mark: usize) {
        self.slots.truncate(mark.max(self.settled));
    }

    /// The sketches added so far are committed.
    pub(super) fn settle(&mut self) {
        self.settled = self.slots.len();
    }

    /// Replaces the sketches of every item up to `upto` with `built`, the
    /// sketches of the items from `from` to `upto` (outside a transaction).
    pub(super) fn install(&mut self, mut built: Sketches, from: i64, upto: i64) {
        for (at, slot) in self.slots.iter().enumerate() {
            let Some(item) = u32::try_from(at).ok().and_then(|at| self.first.checked_add(at)) else { break };
            if i64::from(item) > upto {
                built.add(item, *slot);
            } else if slot.is_none() && i64::from(item) >= from {
                // Emptied while the build read the database: it stays so.
                built.forget(item);
            }
        }
        built.settled = built.slots.len();
        *self = built;
    }

    /// Sketches held.
    pub(super) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::near::Profile;

    fn profile(n: u64) -> Profile {
        Profile {
            stems: (n..n + 10).collect(),
            title: vec![n, n + 1, n + 2],
            numbers: vec![],
            template: false,
            lead: 7,
            names: vec![],
            ..Profile::default()
        }
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
        s.add(1, Sketch::of(&profile(1)));
        s.settle();
        let mark = s.mark();
        s.add(2, Sketch::of(&profile(2)));
        s.forget(1);
        s.rollback_to(mark);
        assert_eq!(s.slots.len(), 1);
        assert_eq!(held(&s, 2), None);
        assert_eq!(held(&s, 1), None, "a stale mark survives the rollback");
        // The rolled-back id is given out again: the new row's sketch.
        s.add(2, Sketch::of(&profile(20)));
        assert_eq!(held(&s, 2), Some(sketch_of(20)));
        s.rollback_to(0);
        assert_eq!(s.slots.len(), 1, "settled sketches are never taken back");
    }

    #[test]
    fn an_id_given_out_again_gets_no_sketch_and_skipped_ids_get_empty_slots() {
        let mut s = Sketches::default();
        s.add(5, Sketch::of(&profile(5)));
        s.add(3, Sketch::of(&profile(3)));
        assert_eq!(held(&s, 3), None, "before the first slot");
        s.add(8, Sketch::of(&profile(8)));
        assert_eq!((held(&s, 6), held(&s, 7), held(&s, 8)), (None, None, Some(sketch_of(8))));
        s.add(8, Sketch::of(&profile(80)));
        assert_eq!(held(&s, 8), None, "a deleted row's sketch never answers for a new one");
        assert_eq!(held(&s, 5), Some(sketch_of(5)));
        s.add(8 + MAX_GAP as u32 + 2, Sketch::of(&profile(9)));
        assert_eq!(s.slots.len(), 4, "a jump past MAX_GAP is not filled");
    }

    #[test]
    fn install_replaces_what_the_build_covers_and_keeps_newer_sketches_and_marks() {
        let mut s = Sketches::default();
        for id in 1..=6 {
            s.add(id, Sketch::of(&profile(u64::from(id))));
        }
        s.forget(6);
        s.forget(1);
        let mut built = Sketches::default();
        built.add(3, Sketch::of(&profile(30)));
        built.add(4, Sketch::of(&profile(40)));
        s.install(built, 3, 4);
        assert_eq!((held(&s, 1), held(&s, 2)), (None, None), "before the build's first item");
        assert_eq!(held(&s, 3), Some(sketch_of(30)));
        assert_eq!(held(&s, 4), Some(sketch_of(40)));
        assert_eq!(held(&s, 5), Some(sketch_of(5)), "added after the build read the database");
        assert_eq!(held(&s, 6), None, "still stale");
        s.rollback_to(0);
        assert_eq!(s.slots.len(), 4, "an installed build is settled");
    }
}
