//! Building the band index from what SQLite stores: each recent row's
//! profile, content hash and story, read on a thread of its own at open
//! and after pruning (see `store::bands`), and the store's calls that
//! start, refresh and wait for a build.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{Rows, UNKNOWN};
use super::{Build, Built, MAX_FRESH_SHARE, MAX_SCAN, MIN_FRESH, entry, item_of};
use crate::dedup::{Matcher, near};
use crate::store::{Store, StoreError};

/// A rebuild is due when the cutoff moved this far (seconds).
const REBUILD_AFTER: i64 = 30 * 60;

/// The first item id stored at or after `cutoff`: ids grow with
/// `first_seen_at`, so a binary search on the primary key finds it without
/// an index of its own (a few dozen point lookups).
fn first_id_since(conn: &Connection, cutoff: i64) -> Result<i64, StoreError> {
    let (mut lo, max): (i64, i64) =
        conn.query_row("SELECT coalesce(min(id), 1), coalesce(max(id), 0) FROM items", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut hi = max + 1;
    let mut stmt = conn.prepare("SELECT first_seen_at FROM items WHERE id >= ?1 ORDER BY id LIMIT 1")?;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match stmt.query_row([mid], |r| r.get::<_, i64>(0)).optional()? {
            Some(seen) if seen < cutoff => lo = mid + 1,
            _ => hi = mid,
        }
    }
    Ok(lo)
}

/// The sorted entries (band keys and content hash, one row per story and
/// key), the stories and the sketches of every item stored since
/// `cutoff`, up to id `upto`.
fn read_keys(conn: &Connection, cutoff: i64, upto: i64) -> Result<Built, StoreError> {
    let from = first_id_since(conn, cutoff)?;
    let mut stmt = conn.prepare("SELECT id, profile, content_hash, duplicate_of FROM items WHERE id >= ?1 AND id <= ?2")?;
    let mut rows = stmt.query(params![from, upto])?;
    // Room for every item's keys up front: growing by doubling would hold
    // up to twice the index for a moment.
    let items = usize::try_from(upto - from + 1).unwrap_or(0);
    let mut keys = Vec::with_capacity(items.saturating_mul(near::MAX_BANDS + 1));
    let mut stories = Rows::default();
    while let Some(row) = rows.next()? {
        let Ok(item) = u32::try_from(row.get::<_, i64>(0)?) else { continue };
        let duplicate_of: Option<i64> = row.get(3)?;
        let story = duplicate_of.map_or(Ok(item), u32::try_from).unwrap_or(UNKNOWN);
        let profile = row.get_ref(1)?.as_blob_or_null().ok().flatten().and_then(near::Profile::from_bytes);
        // A copy is compared through its story's canonical row: it gets no sketch.
        stories.add(item, story, profile.as_ref().and_then(near::Sketch::of).filter(|_| duplicate_of.is_none()));
        if let Some(profile) = profile {
            keys.extend(near::bands(&profile).into_iter().map(|k| entry(k, item)));
        }
        if let Some(hash) = row.get::<_, Option<i64>>(2)? {
            keys.push(entry(hash, item));
        }
    }
    keys.sort_unstable();
    one_row_per_story(&mut keys, &stories);
    keys.shrink_to_fit();
    Ok(Built { keys, rows: stories, from })
}

/// Keeps, of each run of sorted `keys` with one short key, the first row
/// of each story (the others' keys are their story's already).
pub(super) fn one_row_per_story(keys: &mut Vec<u64>, rows: &Rows) {
    let mut kept = 0;
    let mut short = None;
    // The stories of the run so far: runs are short (a few stories), so a
    // scan beats a set; past MAX_SCAN stories, rows are kept as they come.
    let mut stories: Vec<u32> = Vec::new();
    for at in 0..keys.len() {
        let e = keys[at];
        if short != Some(e >> 32) {
            short = Some(e >> 32);
            stories.clear();
        }
        let story = rows.root(item_of(e)).unwrap_or(item_of(e));
        if stories.contains(&story) {
            continue;
        }
        if stories.len() < MAX_SCAN {
            stories.push(story);
        }
        keys[kept] = e;
        kept += 1;
    }
    keys.truncate(kept);
}

impl Store {
    /// Builds the index of items stored since `cutoff` on a thread of
    /// its own (at open; the daemon calls [`Store::refresh_bands`]).
    pub(in crate::store) fn rebuild_bands(&mut self, cutoff: i64) -> Result<(), StoreError> {
        // Fresh keys are settled between transactions; once in the array,
        // every later key belongs to an item the build does not cover.
        self.bands.merge_fresh();
        let upto: i64 = self.conn.query_row("SELECT coalesce(max(id), 0) FROM items", [], |r| r.get(0))?;
        self.bands.cutoff = cutoff;
        let path = self.conn.path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from);
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = path.and_then(|path| {
            std::thread::Builder::new()
                .name("band-index".into())
                .spawn(move || {
                    let started = std::time::Instant::now();
                    let built = Store::open_reader(&path).and_then(|r| {
                        // One pass over the rows: a page cache would hold
                        // (up to 16 MB of) pages never read again.
                        r.conn.pragma_update(None, "cache_size", -1024)?;
                        read_keys(&r.conn, cutoff, upto)
                    });
                    match built {
                        Ok(built) => {
                            tracing::info!(
                                keys = built.keys.len(),
                                sketches = built.rows.sketches(),
                                ms = started.elapsed().as_millis() as u64,
                                "duplicate index built from stored profiles and content hashes"
                            );
                            drop(tx.send(built));
                        }
                        Err(e) => tracing::error!(
                            error = %e,
                            "could not build the duplicate index; stories stored before now are not matched until the next rebuild"
                        ),
                    }
                })
                .ok()
        });
        match spawned {
            Some(_) => self.bands.build = Some(Build { rx, upto }),
            // In memory, or no thread to be had: build it here.
            None => {
                let built = read_keys(&self.conn, cutoff, upto)?;
                self.bands.build = None;
                self.bands.install(built, upto);
            }
        }
        Ok(())
    }

    /// Rebuilds the index for items stored since `cutoff` when it has
    /// moved on (expired keys go) or back (a longer window) since the last
    /// build.
    pub fn refresh_bands(&mut self, cutoff: i64) -> Result<(), StoreError> {
        let last = self.bands.cutoff;
        if cutoff < last || cutoff >= last + REBUILD_AFTER {
            self.rebuild_bands(cutoff)?;
        }
        Ok(())
    }

    /// Waits for the index build in progress (tests, benchmarks).
    pub fn wait_for_bands(&mut self) {
        self.bands.poll(true);
    }

    /// Keys in the duplicate index (band keys and content hashes).
    pub fn band_keys(&self) -> usize {
        self.bands.len()
    }

    /// Before an ingest: the first build must be in (later ones replace
    /// an index that works meanwhile).
    pub(in crate::store) fn bands_before_ingest(&mut self) {
        self.bands.poll(!self.bands.loaded);
    }

    /// After a committed ingest: merges fresh keys when there are many.
    pub(in crate::store) fn bands_after_ingest(&mut self) {
        self.bands.poll(false);
        if self.bands.fresh.keys.len() >= MIN_FRESH.max(self.bands.main.len() / MAX_FRESH_SHARE) {
            self.bands.merge_fresh();
        }
    }
}

/// The cutoff the index starts with at open: twice the default window.
pub(crate) fn default_cutoff(now: i64) -> i64 {
    now - 2 * Matcher::default().window_secs
}
