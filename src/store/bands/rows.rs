//! What the index knows of each recent row besides its keys: the story it
//! belongs to, and for a story's canonical row the sketch of its profile
//! ([`Sketch`]), so that a candidate whose story cannot match the new item
//! is ruled out without reading a row.
//!
//! One slot per row id from the first one held, so that a lookup is an
//! index, not a search (a binary search over 100,000 sketches, a cache
//! miss a step, cost more than the row reads it saved).
//!
//! A story's rows point at its root: the first of its rows the index
//! knows (or, for a story whose canonical row is older than the index,
//! that row's id). The root's slot holds the story's canonical row, so
//! that when a better copy takes a story over, one slot changes, not one
//! per copy, and a row's story is always two reads away. Story changes are
//! undone by a rollback, so the hints stay exact for what is committed;
//! still, they are hints (the store confirms each candidate against its
//! row).
//!
//! A sketch only ever rules a candidate out, so an empty one just means
//! the row is read; a row that no longer stands for what its story is
//! compared on (a canonical row that became a copy; a row whose text
//! changed) has its sketch emptied, and that is never taken back, not
//! even by a rollback.

use crate::dedup::near::Sketch;

/// Empty slots a new row may skip at once; a longer jump in row ids (never
/// seen from SQLite, which gives out the next id) leaves the row unknown
/// until the next build.
const MAX_GAP: usize = 1 << 16;

/// No story known.
pub(super) const UNKNOWN: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    sketch: Option<Sketch>,
    /// Its story's root (see the module docs), or [`UNKNOWN`].
    root: u32,
    /// For a root: the story's canonical row now.
    canonical: u32,
}

const EMPTY: Slot = Slot { sketch: None, root: UNKNOWN, canonical: UNKNOWN };

/// The rows' stories and sketches, by id.
#[derive(Debug, Default)]
pub(super) struct Rows {
    /// The row id of `slots[0]`.
    first: u32,
    slots: Vec<Slot>,
    /// Slots below this index are committed.
    settled: usize,
    /// Stories that changed hands since the last settle, with the
    /// canonical row they had (root's slot index, row): a rollback
    /// restores them.
    undo: Vec<(usize, u32)>,
}

/// A point to roll [`Rows`] back to.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowsMark {
    slots: usize,
    undo: usize,
}

impl Rows {
    fn at(&self, item: u32) -> Option<usize> {
        item.checked_sub(self.first).map(|at| at as usize)
    }

    fn slot(&self, item: u32) -> Option<&Slot> {
        self.slots.get(self.at(item)?)
    }

    /// The root of the story whose canonical row is `story`.
    fn root_of(&self, story: u32) -> u32 {
        match self.slot(story) {
            Some(slot) if slot.root != UNKNOWN => slot.root,
            _ => story,
        }
    }

    /// New row `item` of the story whose canonical row is `story` (itself
    /// for a story of its own), with the sketch it is compared on (a
    /// canonical row's only); empty slots are added up to it.
    pub(super) fn add(&mut self, item: u32, story: u32, sketch: Option<Sketch>) {
        if self.slots.is_empty() {
            self.first = item;
        }
        let Some(at) = self.at(item) else { return };
        if at < self.slots.len() {
            // Row ids grow, unless the newest rows were deleted and their
            // ids are given out again: then a deleted row's story and
            // sketch could answer for the new one, so the id gets neither.
            self.slots[at] = EMPTY;
        } else if at - self.slots.len() <= MAX_GAP {
            let root = if story == item { item } else { self.root_of(story) };
            self.slots.resize(at, EMPTY);
            self.slots.push(Slot { sketch, root, canonical: item });
        }
    }

    /// Canonical row `item`'s sketch, when `item` was just added as one.
    pub(super) fn set_sketch(&mut self, item: u32, sketch: Option<Sketch>) {
        if self.story(item) != Some(item) {
            return;
        }
        let Some(at) = self.at(item) else { return };
        if let Some(slot) = self.slots.get_mut(at).filter(|_| at >= self.settled) {
            slot.sketch = sketch;
        }
    }

    /// Row `item` is no longer compared on the sketch it has.
    pub(super) fn forget(&mut self, item: u32) {
        if let Some(slot) = self.at(item).and_then(|at| self.slots.get_mut(at)) {
            slot.sketch = None;
        }
    }

    /// The story whose canonical row is `story` has `into` as its
    /// canonical row from now on; `story`'s sketch no longer stands for it.
    pub(super) fn merge(&mut self, story: u32, into: u32) {
        self.forget(story);
        let root = self.root_of(story);
        let Some(at) = self.at(root).filter(|&at| at < self.slots.len()) else { return };
        self.undo.push((at, self.slots[at].canonical));
        self.slots[at].canonical = into;
    }

    /// The root of row `item`'s story (see the module docs).
    pub(super) fn root(&self, item: u32) -> Option<u32> {
        Some(self.slot(item)?.root).filter(|&r| r != UNKNOWN)
    }

    /// The canonical row of row `item`'s story, as far as known.
    pub(super) fn story(&self, item: u32) -> Option<u32> {
        let root = self.root(item)?;
        match self.slot(root) {
            Some(slot) if slot.root == root && slot.canonical != UNKNOWN => Some(slot.canonical),
            // Held no more (older than the index): the root is the last known.
            _ => Some(root),
        }
    }

    /// The sketch of row `item`, when it has a usable one.
    pub(super) fn sketch(&self, item: u32) -> Option<&Sketch> {
        self.slot(item)?.sketch.as_ref()
    }

    /// A point to roll back to.
    pub(super) fn mark(&self) -> RowsMark {
        RowsMark { slots: self.slots.len(), undo: self.undo.len() }
    }

    /// Takes back the rows added and the stories changed since `mark`
    /// (never a settled row).
    pub(super) fn rollback_to(&mut self, mark: RowsMark) {
        while self.undo.len() > mark.undo {
            let Some((at, canonical)) = self.undo.pop() else { break };
            if let Some(slot) = self.slots.get_mut(at) {
                slot.canonical = canonical;
            }
        }
        self.slots.truncate(mark.slots.max(self.settled));
    }

    /// What was added and changed so far is committed.
    pub(super) fn settle(&mut self) {
        self.settled = self.slots.len();
        self.undo.clear();
    }

    /// Replaces the slots of every row up to `upto` with `built`, the rows
    /// from `from` to `upto` as stored (outside a transaction). What
    /// happened here while the build read the database wins: later rows
    /// are kept, emptied sketches stay empty, and a story that changed
    /// hands here has its new canonical row.
    pub(super) fn install(&mut self, mut built: Rows, from: i64, upto: i64) {
        for (at, slot) in self.slots.iter().enumerate() {
            let Some(item) = u32::try_from(at).ok().and_then(|at| self.first.checked_add(at)) else { break };
            if i64::from(item) > upto {
                let Some(at) = built.at(item) else { continue };
                if at >= built.slots.len() && at - built.slots.len() <= MAX_GAP {
                    built.slots.resize(at, EMPTY);
                    built.slots.push(*slot);
                }
            } else if i64::from(item) >= from {
                if slot.sketch.is_none() {
                    built.forget(item);
                }
                let Some(b) = built.at(item).and_then(|at| built.slots.get_mut(at)) else { continue };
                if slot.root == item && b.root == item && slot.canonical != UNKNOWN {
                    b.canonical = slot.canonical;
                }
            }
        }
        built.settled = built.slots.len();
        built.undo.clear();
        *self = built;
    }

    /// Sketches held.
    pub(super) fn sketches(&self) -> usize {
        self.slots.iter().filter(|s| s.sketch.is_some()).count()
    }
}

#[cfg(test)]
mod tests;
