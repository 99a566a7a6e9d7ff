//! Which band keys `item_bands` may hold, in memory, so that the lookups
//! of keys it surely does not hold never reach SQLite.
//!
//! Most of an item's 18 band keys are its own (a new story shares none with
//! anything stored), yet each lookup was a b-tree seek: about a third of the
//! cost of storing an item. A Bloom filter (10 bits and 7 probes per key,
//! about 1 % false positives, 5 MB for 4 million keys) answers "surely not"
//! for those. It is built at open by a background thread with its own
//! read connection (the daemon answers at once; until it is ready every key
//! is looked up as before); keys written meanwhile are kept aside and added
//! when it arrives. A small database starts with a small filter (80 KB). A false "maybe" costs one seek; a false "no" cannot
//! happen. Keys deleted by pruning stay in it as false positives until the
//! next rebuild, which pruning and growth past its capacity both start.

use std::sync::mpsc::{Receiver, TryRecvError};

use super::Store;

/// Bits per key at capacity, and probes per key.
const BITS_PER_KEY: usize = 10;
const PROBES: u64 = 7;

/// Capacity at least (the filter is sized for twice the keys it starts
/// with, and rebuilt twice as large when it fills up).
const MIN_CAPACITY: usize = 1 << 16;

/// A Bloom filter over band keys (already uniform 64-bit hashes).
#[derive(Debug)]
pub struct BandFilter {
    bits: Vec<u64>,
    capacity: usize,
    keys: usize,
}

impl BandFilter {
    /// An empty filter for `capacity` keys.
    pub fn with_capacity(capacity: usize) -> BandFilter {
        let capacity = capacity.max(MIN_CAPACITY);
        BandFilter { bits: vec![0; (capacity * BITS_PER_KEY).div_ceil(64)], capacity, keys: 0 }
    }

    /// The bits of `key` in a filter of `words` words (double hashing).
    fn positions(words: usize, key: i64) -> impl Iterator<Item = usize> {
        let n = (words * 64) as u64;
        let h1 = key as u64;
        let h2 = h1.rotate_left(32).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..PROBES).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % n) as usize)
    }

    /// Adds a key.
    pub fn insert(&mut self, key: i64) {
        for p in Self::positions(self.bits.len(), key) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
        self.keys += 1;
    }

    /// `false` only if `key` was never inserted.
    pub fn may_contain(&self, key: i64) -> bool {
        Self::positions(self.bits.len(), key).all(|p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }

    /// Whether so many keys went in that false positives climb.
    pub fn full(&self) -> bool {
        self.keys > self.capacity
    }
}

/// The filter, or its build in progress.
#[derive(Debug, Default)]
pub enum FilterState {
    /// None yet (a reader connection, or the build failed): look everything up.
    #[default]
    Absent,
    /// Being built; keys written since the build began wait here.
    Building(Receiver<BandFilter>, Vec<i64>),
    /// In use.
    Ready(BandFilter),
}

impl FilterState {
    /// `false` only when `key` is surely not in `item_bands` (as of the
    /// last [`FilterState::poll`]).
    pub fn may_contain(&self, key: i64) -> bool {
        match self {
            FilterState::Ready(f) => f.may_contain(key),
            _ => true,
        }
    }

    /// Records keys just written to `item_bands`.
    pub fn written(&mut self, keys: impl Iterator<Item = i64>) {
        match self {
            FilterState::Ready(f) => keys.for_each(|k| f.insert(k)),
            FilterState::Building(_, pending) => pending.extend(keys),
            FilterState::Absent => {}
        }
    }

    /// Installs a finished build (adding the keys written meanwhile).
    pub fn poll(&mut self) {
        let FilterState::Building(rx, pending) = self else { return };
        match rx.try_recv() {
            Ok(mut filter) => {
                pending.drain(..).for_each(|k| filter.insert(k));
                *self = FilterState::Ready(filter);
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => *self = FilterState::Absent,
        }
    }

    /// Whether a rebuild should start (none yet, or this one is full).
    pub fn wants_build(&mut self) -> bool {
        self.poll();
        match self {
            FilterState::Ready(f) => f.full(),
            FilterState::Building(..) => false,
            FilterState::Absent => true,
        }
    }

    /// Waits for a build in progress (tests).
    pub fn wait(&mut self) {
        if let FilterState::Building(rx, pending) = self {
            *self = match rx.recv() {
                Ok(mut filter) => {
                    pending.drain(..).for_each(|k| filter.insert(k));
                    FilterState::Ready(filter)
                }
                Err(_) => FilterState::Absent,
            };
        }
    }
}

impl Store {
    /// Starts building the filter from `item_bands` on a thread of its own
    /// (at open, after pruning, and when it has filled up).
    pub fn rebuild_band_filter(&mut self) {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from) else { return };
        let (tx, rx) = std::sync::mpsc::channel();
        // Keys written from now on are kept aside: the build's snapshot may
        // begin after some of them.
        self.filter = FilterState::Building(rx, Vec::new());
        let spawned = std::thread::Builder::new().name("band-filter".into()).spawn(move || {
            let built = (|| -> Result<BandFilter, super::StoreError> {
                let reader = Store::open_reader(&path)?;
                let count: i64 = reader.conn.query_row("SELECT count(*) FROM item_bands", [], |r| r.get(0))?;
                let mut filter = BandFilter::with_capacity(2 * usize::try_from(count).unwrap_or(0));
                let mut stmt = reader.conn.prepare("SELECT band FROM item_bands")?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    filter.insert(row.get(0)?);
                }
                Ok(filter)
            })();
            match built {
                Ok(filter) => drop(tx.send(filter)),
                Err(e) => tracing::warn!(error = %e, "could not build the band filter; every band key is looked up"),
            }
        });
        if spawned.is_err() {
            self.filter = FilterState::Absent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_says_no_to_a_key_it_holds_and_rarely_yes_to_others() {
        let mut f = BandFilter::with_capacity(100_000);
        let keys: Vec<i64> = (0..100_000u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i << 7)) as i64).collect();
        keys.iter().for_each(|k| f.insert(*k));
        assert!(keys.iter().all(|k| f.may_contain(*k)));
        let false_positives = (1_000_000..1_100_000u64).filter(|i| f.may_contain((i.wrapping_mul(0xD6E8_FEB8_6659_FD93)) as i64)).count();
        assert!(false_positives < 2_000, "{false_positives} false positives in 100,000");
    }

    #[test]
    fn keys_written_during_a_build_are_added_when_it_arrives() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut state = FilterState::Building(rx, Vec::new());
        assert!(state.may_contain(42), "no filter yet: everything may be there");
        state.written([42, 43].into_iter());
        let mut built = BandFilter::with_capacity(10);
        built.insert(7);
        tx.send(built).unwrap();
        state.poll();
        assert!(!state.may_contain(44));
        assert!(state.may_contain(7) && state.may_contain(42) && state.may_contain(43));
        assert!(matches!(state, FilterState::Ready(_)));
    }
}
