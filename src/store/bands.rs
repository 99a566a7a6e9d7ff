//! MinHash band keys and content hashes of recent items, in memory: where a
//! new item finds the stories it may retell or repeat word for word.
//!
//! Every item has up to 18 band keys and a content hash, and they are
//! random. Kept in SQLite (the `item_bands` table up to schema 7, the
//! `items_content_hash` index up to schema 9), every batch of keys dirtied
//! pages all over its b-tree, and every commit wrote those pages out: at
//! 100,000 items the band keys were a third of what storing cost and the
//! hash index a quarter, and both grew with the table. The keys are derived
//! from what is stored with each item (its profile and its `content_hash`),
//! so the database need not index them: they live here, and the database
//! stays the one source of truth (nothing to keep consistent in a crash).
//! Both kinds share one key space; a lookup of one kind that meets a key of
//! the other (top 32 bits equal by chance) only adds a candidate, which
//! verification rejects.
//!
//! Layout: one sorted `Vec<u64>` of entries, each a key's top 32 bits above
//! the item id (8 bytes a key), with a directory of where each prefix
//! starts (16 bits, or more as the array grows: about eight entries a
//! prefix), so a lookup is a directory read and a search within one or two
//! cache lines. With a fixed 16-bit directory a prefix held 27 entries at
//! 100,000 items, and the binary search through them was a tenth of what
//! the writer thread spent.
//! New keys go to [`Fresh`], a chained buffer that a rolled-back feed takes
//! its keys back out of; once large it is sorted and merged into the array.
//! Two keys sharing their top 32 bits (about one lookup in a thousand at
//! 3.6 million keys) only add a candidate, which verification rejects.
//! Item ids above `u32::MAX` (four billion rows) would not be indexed.
//!
//! The index holds the items stored since a cutoff (twice the matching
//! window; an old-dated entry fetched today is still matched against
//! others fetched with it). It is built from the stored profiles on a thread of its own at
//! open, and rebuilt that way after pruning so expired keys go; keys added
//! meanwhile are kept. The first ingest after open waits for the build, so
//! no candidate is missed; serving never waits.
//!
//! This is the SQLite store's [`CandidateIndex`]: it names stories, not
//! rows (see `dedup::index`). A new row's key is added only when no other
//! row of its story holds it already, and builds keep one row per story
//! and key: 160 copies of one story hold about the keys of a few, so a
//! lookup stays as short as with one copy, and a story's keys are never
//! skipped as too common because many sources told it.
//!
//! Beside the keys, each row's story and each story's canonical row's
//! profile sketch (`rows`, `dedup::near::Sketch`) are built, rolled back
//! and settled with them: most candidates a key names share it by chance,
//! and their story's sketch rules them out without reading a row.

use std::sync::mpsc::{Receiver, TryRecvError};

use crate::dedup::index::CandidateIndex;
use crate::dedup::near;

mod build;
mod rows;

pub(super) use build::default_cutoff;
use rows::{Rows, RowsMark};

/// Fresh keys that trigger a merge, at least (some 5,500 items); the merge
/// rewrites the array, so a large array waits for more (1/16 of it).
const MIN_FRESH: usize = 100_000;

/// A large array waits for fresh keys of 1/this of its size.
const MAX_FRESH_SHARE: usize = 16;

const NONE: u32 = u32::MAX;

/// Entries under a key scanned for one of the new row's story before its
/// key is added (past that, it is added: a key this common is skipped by
/// lookups anyway).
const MAX_SCAN: usize = 64;

/// The entry for `key` of `item`.
fn entry(key: i64, item: u32) -> u64 {
    (((key as u64) >> 32) << 32) | u64::from(item)
}

/// The part of `key` the index keeps.
fn short(key: i64) -> u32 {
    ((key as u64) >> 32) as u32
}

/// The item of an entry.
fn item_of(entry: u64) -> u32 {
    entry as u32
}

/// Band keys of recent items (see the module docs).
#[derive(Debug, Default)]
pub struct BandIndex {
    main: Vec<u64>,
    /// `dir[p]..dir[p + 1]` are the entries of `main` whose top
    /// `dir_bits` bits are `p` (empty while `main` is).
    dir: Vec<u32>,
    dir_bits: u32,
    fresh: Fresh,
    /// The rows' stories and the canonical rows' sketches.
    rows: Rows,
    build: Option<Build>,
    /// Whether a build was ever installed (before that, lookups wait).
    loaded: bool,
    /// Items stored before this were left out by the last build.
    cutoff: i64,
}

/// A build running on its own thread.
#[derive(Debug)]
struct Build {
    rx: Receiver<Built>,
    /// It covers items up to this id; later ones were added here.
    upto: i64,
}

/// What a build read: the sorted entries (one row per story and key) and
/// the stories and sketches of the items from `from` on.
#[derive(Debug)]
struct Built {
    keys: Vec<u64>,
    rows: Rows,
    from: i64,
}

/// A point to roll the index back to.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    keys: usize,
    rows: RowsMark,
}

impl CandidateIndex for BandIndex {
    fn insert(&mut self, item: i64, story: i64, keys: &[i64]) {
        let (Ok(item), Ok(story)) = (u32::try_from(item), u32::try_from(story)) else { return };
        self.rows.add(item, story, None);
        self.add_keys(item, keys);
    }

    fn changed(&mut self, item: i64, keys: &[i64]) {
        let Ok(item) = u32::try_from(item) else { return };
        self.rows.forget(item);
        self.add_keys(item, keys);
    }

    fn lookup(&self, key: i64, limit: usize, out: &mut Vec<i64>) -> bool {
        let mut items = self.items(key);
        out.extend(items.by_ref().take(limit));
        items.next().is_none()
    }

    fn story_of(&self, item: i64) -> Option<i64> {
        self.rows.story(u32::try_from(item).ok()?).map(i64::from)
    }

    fn merge_story(&mut self, story: i64, into: i64) {
        if let (Ok(story), Ok(into)) = (u32::try_from(story), u32::try_from(into)) {
            self.rows.merge(story, into);
        }
    }

    fn set_sketch(&mut self, item: i64, sketch: Option<near::Sketch>) {
        if let Ok(item) = u32::try_from(item) {
            self.rows.set_sketch(item, sketch);
        }
    }

    fn ruled_out(&self, item: i64, new: &near::Sketch) -> bool {
        let Ok(item) = u32::try_from(item) else { return false };
        let story = self.rows.story(item).unwrap_or(item);
        self.rows.sketch(story).is_some_and(|s| !s.may_match(new))
    }

    fn warm(&self, keys: &[i64]) {
        BandIndex::warm(self, keys);
    }
}

impl BandIndex {
    /// Adds `key` of `item` whatever its story holds (undone by
    /// [`BandIndex::rollback_to`] until settled).
    pub fn add(&mut self, key: i64, item: i64) {
        if let Ok(item) = u32::try_from(item) {
            self.fresh.add(entry(key, item));
        }
    }

    /// Adds those of `keys` that no row of `item`'s story holds yet.
    fn add_keys(&mut self, item: u32, keys: &[i64]) {
        let root = self.rows.root(item).unwrap_or(item);
        for &key in keys {
            if !self.holds(key, root) {
                self.fresh.add(entry(key, item));
            }
        }
    }

    /// Whether a row of the story rooted at `root` is found under `key`
    /// (among the first [`MAX_SCAN`] rows there).
    fn holds(&self, key: i64, root: u32) -> bool {
        self.items(key).take(MAX_SCAN).any(|row| u32::try_from(row).is_ok_and(|row| self.rows.root(row) == Some(root)))
    }

    /// The items with `key` (and rarely one with a key that shares its top
    /// 32 bits).
    pub fn items(&self, key: i64) -> impl Iterator<Item = i64> + '_ {
        let short = short(key);
        self.main_run(short).iter().map(|e| i64::from(item_of(*e))).chain(self.fresh.items(short).map(i64::from))
    }

    /// Starts loading the array's cache lines for `keys` before they are
    /// looked up one by one: each lookup is a cache miss into the
    /// directory and one into the array, and issued together the misses
    /// overlap instead of following one another (an item looks up to 18).
    pub fn warm(&self, keys: &[i64]) {
        let mut starts = [0u32; 32];
        for (slot, key) in starts.iter_mut().zip(keys) {
            *slot = self.prefix(short(*key)).and_then(|p| self.dir.get(p)).copied().unwrap_or(0);
        }
        for &start in starts.iter().take(keys.len()) {
            std::hint::black_box(self.main.get(start as usize).copied());
        }
    }

    /// The directory slot of `short` (`None` while there is no directory).
    fn prefix(&self, short: u32) -> Option<usize> {
        short.checked_shr(32 - self.dir_bits).map(|p| p as usize)
    }

    fn main_run(&self, short: u32) -> &[u64] {
        let Some(p) = self.prefix(short) else { return &[] };
        let (Some(&lo), Some(&hi)) = (self.dir.get(p), self.dir.get(p + 1)) else { return &[] };
        let run = self.main.get(lo as usize..hi as usize).unwrap_or_default();
        let start = run.partition_point(|e| ((e >> 32) as u32) < short);
        let len = run[start..].partition_point(|e| ((e >> 32) as u32) == short);
        &run[start..start + len]
    }

    /// A point to roll back to.
    pub fn mark(&self) -> Mark {
        Mark { keys: self.fresh.keys.len(), rows: self.rows.mark() }
    }

    /// Takes back every key and sketch added since `mark` (never a
    /// settled one).
    pub fn rollback_to(&mut self, mark: Mark) {
        self.fresh.rollback_to(mark.keys);
        self.rows.rollback_to(mark.rows);
    }

    /// The keys and sketches added so far are committed: they are never
    /// rolled back.
    pub fn settle(&mut self) {
        self.fresh.settled = self.fresh.keys.len();
        self.rows.settle();
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.main.len() + self.fresh.keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Installs a finished build; with `wait`, waits for the one running.
    fn poll(&mut self, wait: bool) {
        let Some(build) = &self.build else { return };
        let received = if wait { build.rx.recv().map_err(|_| TryRecvError::Disconnected) } else { build.rx.try_recv() };
        match received {
            Ok(built) => {
                let upto = build.upto;
                self.build = None;
                self.install(built, upto);
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                // The build logged why; keep what is here.
                self.build = None;
                self.loaded = true;
            }
        }
    }

    /// Replaces everything up to `upto` with `built`.
    fn install(&mut self, built: Built, upto: i64) {
        let mut newer = std::mem::take(&mut self.main);
        newer.retain(|e| i64::from(item_of(*e)) > upto);
        self.main = built.keys;
        self.merge(&newer);
        self.rows.install(built.rows, built.from, upto);
        self.loaded = true;
    }

    /// Settled fresh keys join the array (outside a transaction only).
    fn merge_fresh(&mut self) {
        if self.fresh.keys.is_empty() {
            return;
        }
        let mut add: Vec<u64> = self.fresh.keys.iter().map(|k| k.0).collect();
        add.sort_unstable();
        self.fresh = Fresh::default();
        self.merge(&add);
    }

    /// Merges sorted `add` into `main` in place, from the back.
    fn merge(&mut self, add: &[u64]) {
        let old = self.main.len();
        self.main.reserve_exact(add.len());
        self.main.resize(old + add.len(), 0);
        let (mut i, mut j) = (old, add.len());
        while j > 0 {
            let at = i + j - 1;
            if i > 0 && self.main[i - 1] > add[j - 1] {
                self.main[at] = self.main[i - 1];
                i -= 1;
            } else {
                self.main[at] = add[j - 1];
                j -= 1;
            }
        }
        // About eight entries a prefix (one cache line), 16 to 24 bits.
        let bits = (usize::BITS - self.main.len().leading_zeros()).saturating_sub(3).clamp(16, 24);
        let mut dir = vec![0u32; (1 << bits) + 1];
        for e in &self.main {
            dir[(e >> (64 - bits)) as usize + 1] += 1;
        }
        for p in 0..1 << bits {
            dir[p + 1] += dir[p];
        }
        self.dir = dir;
        self.dir_bits = bits;
    }
}

/// Keys not yet in the array: a vector in the order they came, each
/// linking to the previous key with the same short key, and a map to the
/// newest. A rollback is a truncation that restores each previous head.
#[derive(Debug, Default)]
struct Fresh {
    /// Entry and the index of the previous one with its short key.
    keys: Vec<(u64, u32)>,
    newest: foldhash::HashMap<u32, u32>,
    /// Keys below this index are committed.
    settled: usize,
}

impl Fresh {
    fn add(&mut self, entry: u64) {
        // Merged long before 4 billion keys.
        let Ok(at) = u32::try_from(self.keys.len()) else { return };
        let previous = self.newest.insert((entry >> 32) as u32, at).unwrap_or(NONE);
        self.keys.push((entry, previous));
    }

    fn items(&self, short: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.newest.get(&short).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let (entry, previous) = *self.keys.get(at as usize)?;
            at = previous;
            Some(item_of(entry))
        })
    }

    fn rollback_to(&mut self, mark: usize) {
        while self.keys.len() > mark.max(self.settled) {
            let Some((entry, previous)) = self.keys.pop() else { break };
            let short = (entry >> 32) as u32;
            if previous == NONE {
                self.newest.remove(&short);
            } else {
                self.newest.insert(short, previous);
            }
        }
    }
}

#[cfg(test)]
mod tests;
