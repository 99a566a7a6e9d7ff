//! The candidate index: where a new item finds the known stories it may be
//! another copy of, before any of them is read or compared.
//!
//! Dedup owns the question (which stories share a MinHash band key or the
//! content hash with this item, and which of them its sketch already rules
//! out); a store answers it from whatever it keeps. The SQLite store keeps
//! the index in memory (`store::bands::BandIndex`, built from the stored
//! profiles); a store shared by several nodes could keep it in a table.
//!
//! The index names **stories**, not rows: a story's rows share most of
//! their keys, and a key the story already holds through one of its rows
//! is not added for the next. So a lookup meets each story about once,
//! however many copies it has, and a story told by many sources neither
//! grows its keys' lists nor drowns out the others under a key (a key
//! named by too many rows is skipped as too common). Which story a row
//! belongs to is the index's hint, kept as copies join and canonical rows
//! change; a store confirms a candidate against what it has stored, so a
//! hint that is out of date costs a read, never a wrong merge.

use super::near::Sketch;

/// Band keys and content hashes of recent items, by story (see the module
/// docs). Implemented by the store.
pub trait CandidateIndex {
    /// Row `item` joins the story whose canonical row is `story` (`item`
    /// itself: a story of its own) and is found under `keys` from now on,
    /// except under those its story holds already through another row.
    /// (A row that takes its story over joins it, then
    /// [`CandidateIndex::merge_story`].)
    fn insert(&mut self, item: i64, story: i64, keys: &[i64]);

    /// Row `item`'s text changed: it is found under `keys` too (its old
    /// keys may stay: candidates are confirmed against the stored row),
    /// and no longer compared on the sketch it had.
    fn changed(&mut self, item: i64, keys: &[i64]);

    /// Pushes to `out` the rows found under `key` (and, rarely, under a key
    /// that looks the same to the index: the caller confirms), at most
    /// `limit` of them; `false` when there were more (a key too common to
    /// say anything, which the caller skips).
    fn lookup(&self, key: i64, limit: usize, out: &mut Vec<i64>) -> bool;

    /// The canonical row of the story row `item` belongs to, as far as the
    /// index knows (`None`: unknown, read the row).
    fn story_of(&self, item: i64) -> Option<i64>;

    /// Story `story`'s rows belong to story `into` from now on (a better
    /// copy became the canonical row); `story`'s sketch no longer stands
    /// for it.
    fn merge_story(&mut self, story: i64, into: i64);

    /// The sketch of the profile of `item`, just inserted as a story's
    /// canonical row, to rule its story out without reading it (`None`:
    /// it is always read).
    fn set_sketch(&mut self, item: i64, sketch: Option<Sketch>);

    /// Whether the sketch of the story row `item` belongs to shows that it
    /// cannot be the same story as `new` (`false` when it has none).
    fn ruled_out(&self, item: i64, new: &Sketch) -> bool;

    /// `keys` are about to be looked up one by one (an index in memory can
    /// start loading them).
    fn warm(&self, _keys: &[i64]) {}
}

/// How much work finding a new item's story took, to keep it in view: the
/// candidates named, the rows read to confirm them and the profiles
/// compared. All three stay flat as a story's copies grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Probe {
    /// Rows the index named as candidates (work in memory).
    pub named: u64,
    /// Rows read to confirm or compare a candidate (its own row, its
    /// story's canonical row, a stored content hash).
    pub rows_read: u64,
    /// Near-duplicate decisions made on full profiles.
    pub compared: u64,
}

impl std::ops::AddAssign for Probe {
    fn add_assign(&mut self, other: Probe) {
        self.named += other.named;
        self.rows_read += other.rows_read;
        self.compared += other.compared;
    }
}
