//! The in-memory band index: lookups, rollback, merges, builds.

use super::build::{default_cutoff, one_row_per_story};
use super::*;
use crate::config::Source;
use crate::dedup::Matcher;
use crate::model::Item;
use crate::store::Store;

/// A key whose top 32 bits are `short` (the low bits vary, as real keys do).
fn key(short: u32, low: u32) -> i64 {
    ((u64::from(short) << 32) | u64::from(low)) as i64
}

fn sorted(it: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = it.collect();
    v.sort_unstable();
    v
}

#[test]
fn keys_are_found_in_the_array_and_in_fresh_and_a_rollback_takes_back_only_unsettled_ones() {
    let mut b = BandIndex::default();
    b.add(key(7, 1), 1);
    b.add(key(0xFFFF_FFFF, 1), 1);
    b.settle();
    b.merge_fresh();
    assert_eq!(b.fresh.keys.len(), 0);
    let mark = b.mark();
    b.add(key(7, 2), 2);
    b.add(key(9, 2), 2);
    assert_eq!(sorted(b.items(key(7, 99))), vec![1, 2], "array and fresh, by the top 32 bits");
    assert_eq!(sorted(b.items(key(0xFFFF_FFFF, 5))), vec![1], "the last prefix of the directory");
    b.rollback_to(mark);
    assert_eq!(sorted(b.items(key(7, 0))), vec![1]);
    assert_eq!(b.items(key(9, 0)).count(), 0);
    assert_eq!(b.items(key(8, 0)).count(), 0);
    // Nested marks (a feed's savepoint inside the group's transaction).
    let group = b.mark();
    b.add(key(7, 3), 3);
    let feed = b.mark();
    b.add(key(7, 4), 4);
    b.rollback_to(feed);
    assert_eq!(sorted(b.items(key(7, 0))), vec![1, 3]);
    b.settle();
    b.rollback_to(group);
    assert_eq!(sorted(b.items(key(7, 0))), vec![1, 3], "settled keys are never taken back");
    assert_eq!(b.len(), 3);
    b.add(key(1, 0), i64::from(u32::MAX) + 1);
    assert_eq!(b.len(), 3, "an id past u32 is not indexed rather than wrapped");
}

#[test]
fn a_large_array_gets_a_wider_directory_and_every_key_is_still_found() {
    // 1.2 million keys (some 65,000 items): past 2^20 entries the directory
    // grows from 16 to 18 bits. Keys repeat (items sharing a band), and
    // include both ends of the key space.
    let mut b = BandIndex::default();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut shorts = vec![0, u32::MAX];
    for item in 1..=1_200_000i64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let short = if item % 5 == 0 { shorts[(x % shorts.len() as u64) as usize] } else { (x >> 32) as u32 };
        shorts.push(short);
        b.add(key(short, x as u32), item);
    }
    b.settle();
    b.merge_fresh();
    assert_eq!(b.dir_bits, 18);
    assert_eq!(b.len(), 1_200_000);
    let mut want: std::collections::HashMap<u32, Vec<i64>> = std::collections::HashMap::new();
    for (item, short) in shorts[2..].iter().enumerate() {
        want.entry(*short).or_default().push(item as i64 + 1);
    }
    for short in shorts.iter().step_by(997).chain([&0, &u32::MAX, &0x8000_0000]) {
        let expected = want.get(short).cloned().unwrap_or_default();
        assert_eq!(sorted(b.items(key(*short, 1))), expected, "short key {short:#x}");
    }
}

#[test]
fn a_build_replaces_what_it_covers_and_keeps_later_items() {
    let mut b = BandIndex::default();
    for item in 1..=4 {
        b.add(key(5, 0), item);
    }
    b.settle();
    b.merge_fresh();
    b.add(key(5, 0), 6);
    b.settle();
    // Built over items up to 4, of which only 3 and 4 are recent enough;
    // 5 came after the build began and was merged in meanwhile.
    b.add(key(5, 0), 5);
    b.settle();
    let built = vec![entry(key(5, 0), 3), entry(key(5, 0), 4)];
    b.merge_fresh();
    b.install(Built { keys: built, rows: Rows::default(), from: 3 }, 4);
    assert_eq!(sorted(b.items(key(5, 0))), vec![3, 4, 5, 6]);
    assert!(b.loaded);
}

proptest::proptest! {
    /// Whatever the order of adds, rollbacks and merges, a lookup returns
    /// exactly the settled items of its short key, like a plain multimap.
    #[test]
    fn lookups_match_a_plain_multimap(ops in proptest::collection::vec((0u8..4, 0u32..6, 1i64..50), 1..200)) {
        let mut b = BandIndex::default();
        let mut model: Vec<(u32, i64)> = Vec::new();
        let mut pending: Vec<(u32, i64)> = Vec::new();
        for (op, short, item) in ops {
            match op {
                0 | 1 => {
                    b.add(key(short.wrapping_mul(0x9E37_79B9), item as u32), item);
                    pending.push((short.wrapping_mul(0x9E37_79B9), item));
                }
                2 => {
                    b.settle();
                    model.append(&mut pending);
                    if item % 2 == 0 {
                        b.merge_fresh();
                    }
                }
                _ => {
                    b.rollback_to(BandIndex::default().mark());
                    pending.clear();
                }
            }
        }
        b.rollback_to(BandIndex::default().mark());
        for short in 0u32..6 {
            let short = short.wrapping_mul(0x9E37_79B9);
            let mut want: Vec<i64> = model.iter().filter(|(s, _)| *s == short).map(|(_, i)| *i).collect();
            want.sort_unstable();
            proptest::prop_assert_eq!(sorted(b.items(key(short, 12345))), want);
        }
    }
}

fn story(source: &str, n: usize, days_ago: i64) -> Item {
    let mut item = Item::sample(
        source,
        n,
        "Акимат Алматы объявил о ремонте проспекта Абая до конца сентября",
        "Ремонт проспекта Абая в Алматы продлится до конца сентября, движение транспорта на участке \
         от Желтоксан до Байтурсынова ограничат, сообщили в акимате города.",
    );
    item.published_at -= chrono::Duration::days(days_ago);
    item
}

fn open(path: &std::path::Path) -> Store {
    let mut store = Store::open(path).unwrap();
    let sources: Vec<Source> =
        ["a", "b", "c"].iter().map(|id| Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap())).collect();
    store.sync_sources(&sources).unwrap();
    store
}

/// Stores `item`, fetched `days_ago`; returns how many were merged.
fn ingest_at(store: &mut Store, item: Item, days_ago: i64) -> u64 {
    let matcher = Matcher::default();
    let print = matcher.fingerprint(&item.title, &item.text);
    let now = chrono::Utc::now().timestamp() - days_ago * 86_400;
    store.ingest(&[item], &[print], 0, now, &matcher).unwrap().0.duplicates
}

fn ingest(store: &mut Store, item: Item) -> u64 {
    ingest_at(store, item, 0)
}

#[test]
fn after_a_crash_the_index_is_rebuilt_from_stored_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bands.db");
    let mut store = open(&path);
    assert_eq!(ingest(&mut store, story("a", 1, 0)), 0);
    let per_item = store.band_keys();
    assert!(per_item >= 9, "{per_item}");
    // The process dies: nothing but the database is left.
    std::mem::forget(store);
    let mut store = open(&path);
    store.wait_for_bands();
    assert_eq!(store.band_keys(), per_item);
    assert_eq!(ingest(&mut store, story("b", 1, 0)), 1, "b's copy is matched through the rebuilt index");
    drop(store);
    let mut store = open(&path);
    assert_eq!(ingest(&mut store, story("c", 1, 0)), 1, "the first ingest waits for the build");
    assert_eq!(store.band_keys(), per_item, "copies of a story add none of the keys it holds");
}

#[test]
fn a_refresh_drops_expired_keys_and_keeps_those_added_while_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("bands.db"));
    let now = chrono::Utc::now().timestamp();
    // Fetched 10 and 1 days ago; one more published long ago but fetched
    // now (an old entry is matched against what came with it).
    ingest_at(&mut store, story("a", 1, 10), 10);
    ingest_at(&mut store, story("a", 2, 1), 1);
    let per_item = store.band_keys() / 2;
    // Not moved far enough: nothing to do.
    store.refresh_bands(default_cutoff(now) + 60).unwrap();
    assert!(store.bands.build.is_none());
    store.refresh_bands(now - 5 * 86_400).unwrap();
    ingest(&mut store, story("b", 3, 30));
    store.wait_for_bands();
    assert_eq!(store.band_keys(), 2 * per_item, "the item fetched 10 days ago left; the new one stayed, once");
    // The remaining keys still match (a copy of b's old item, from c).
    assert_eq!(ingest(&mut store, story("c", 4, 30)), 1);
    assert_eq!(store.band_keys(), 2 * per_item, "the copy adds none of its story's keys");
    store.refresh_bands(now).unwrap();
    store.wait_for_bands();
    assert_eq!(store.band_keys(), per_item, "the two fetched since, one story: its keys once");
}

#[test]
fn a_candidate_outside_the_window_is_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("bands.db"));
    // Five days apart: both in the index (six days), not in one window (three).
    assert_eq!(ingest(&mut store, story("a", 1, 5)), 0);
    assert_eq!(ingest(&mut store, story("b", 1, 0)), 0);
    assert_eq!(ingest(&mut store, story("c", 1, 1)), 1, "one day from b's copy: merged");
}

const REPAIRS: (&str, &str) = (
    "Акимат Алматы объявил о ремонте проспекта Абая до конца сентября",
    "Ремонт проспекта Абая в Алматы продлится до конца сентября, движение транспорта на участке \
     от Желтоксан до Байтурсынова ограничат, сообщили в акимате города.",
);
const FOOTBALL: (&str, &str) = (
    "Сборная Казахстана по футболу сыграет с Бельгией в Астане",
    "Матч отборочного турнира чемпионата мира пройдет на стадионе «Астана Арена» в субботу, \
     билеты поступят в продажу в понедельник, сообщила федерация футбола.",
);

/// Item `n` of `source` as the pipeline hands it over: with its content hash.
fn hashed(source: &str, n: usize, (title, text): (&str, &str)) -> Item {
    let mut item = Item::sample(source, n, title, text);
    item.content_hash = crate::dedup::content_hash(title, text);
    item
}

/// The row of `guid` points at the row of `story` by the rule `rule`.
fn merged(store: &Store, guid: &str) -> (Option<String>, Option<String>) {
    store
        .conn
        .query_row("SELECT s.guid, d.dup_rule FROM items d LEFT JOIN items s ON s.id = d.duplicate_of WHERE d.guid = ?1", [guid], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
}

#[test]
fn the_same_text_is_found_by_its_hash_and_after_a_restart_by_the_stored_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hash.db");
    let mut store = open(&path);
    assert_eq!(ingest(&mut store, hashed("a", 1, REPAIRS)), 0);
    assert_eq!(ingest(&mut store, hashed("b", 1, REPAIRS)), 1);
    assert_eq!(merged(&store, "b-1"), (Some("a-1".into()), Some("content".into())));
    // The process dies; the index is rebuilt from the stored hashes.
    std::mem::forget(store);
    let mut store = open(&path);
    assert_eq!(ingest(&mut store, hashed("c", 1, REPAIRS)), 1);
    assert_eq!(merged(&store, "c-1"), (Some("a-1".into()), Some("content".into())));
}

#[test]
fn an_updated_text_is_found_by_its_new_hash_and_no_longer_by_its_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("hash.db"));
    assert_eq!(ingest(&mut store, hashed("a", 1, REPAIRS)), 0);
    // Source a rewrites its entry: same guid, another story.
    let matcher = Matcher::default();
    let rewritten = hashed("a", 1, FOOTBALL);
    let print = matcher.fingerprint(&rewritten.title, &rewritten.text);
    let (stats, _) = store.ingest(&[rewritten], &[print], 0, chrono::Utc::now().timestamp(), &matcher).unwrap();
    assert_eq!(stats.updated, 1);
    assert_eq!(ingest(&mut store, hashed("b", 1, REPAIRS)), 0, "a-1 no longer tells this story, by hash or by profile");
    assert_eq!(merged(&store, "b-1"), (None, None));
    assert_eq!(ingest(&mut store, hashed("c", 1, FOOTBALL)), 1);
    assert_eq!(merged(&store, "c-1"), (Some("a-1".into()), Some("content".into())));
}

const FOOTBALL_RETOLD: (&str, &str) = (
    "Сборная Казахстана по футболу сыграет с Бельгией в Астане в субботу",
    "Матч отборочного турнира чемпионата мира пройдет на стадионе «Астана Арена» в субботу, \
     билеты в продажу поступят в понедельник, сообщили в федерации футбола.",
);

fn id_of(store: &Store, guid: &str) -> i64 {
    store.conn.query_row("SELECT id FROM items WHERE guid = ?1", [guid], |r| r.get(0)).unwrap()
}

#[test]
fn a_rewritten_entry_is_matched_on_its_new_text_not_on_the_sketch_of_its_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("sketch.db"));
    // No content hashes: only the near-duplicate rules can merge these.
    assert_eq!(ingest(&mut store, Item::sample("a", 1, REPAIRS.0, REPAIRS.1)), 0);
    let matcher = Matcher::default();
    let rewritten = Item::sample("a", 1, FOOTBALL.0, FOOTBALL.1);
    let print = matcher.fingerprint(&rewritten.title, &rewritten.text);
    let (stats, _) = store.ingest(&[rewritten], &[print], 0, chrono::Utc::now().timestamp(), &matcher).unwrap();
    assert_eq!(stats.updated, 1);
    assert_eq!(ingest(&mut store, Item::sample("b", 1, FOOTBALL_RETOLD.0, FOOTBALL_RETOLD.1)), 1);
    assert_eq!(merged(&store, "b-1").0.as_deref(), Some("a-1"));
}

#[test]
fn a_row_is_ruled_out_by_its_storys_sketch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sketch.db");
    let mut store = open(&path);
    let matcher = Matcher::default();
    let unrelated = crate::dedup::near::Sketch::of(&matcher.fingerprint(REPAIRS.0, REPAIRS.1).profile).unwrap();
    assert_eq!(ingest(&mut store, Item::sample("a", 1, FOOTBALL.0, FOOTBALL.1)), 0);
    assert_eq!(ingest(&mut store, Item::sample("b", 1, FOOTBALL_RETOLD.0, FOOTBALL_RETOLD.1)), 1);
    let (story, copy) = (id_of(&store, "a-1"), id_of(&store, "b-1"));
    let same = crate::dedup::near::Sketch::of(&matcher.fingerprint(FOOTBALL_RETOLD.0, FOOTBALL_RETOLD.1).profile).unwrap();
    assert!(store.bands.ruled_out(story, &unrelated), "another story's text is ruled out without reading the row");
    // A copy is compared through its story's canonical row: ruled out by
    // that row's sketch, without reading either.
    assert!(store.bands.ruled_out(copy, &unrelated));
    assert!(!store.bands.ruled_out(copy, &same) && !store.bands.ruled_out(story, &same));
    // The same after a restart, from the stored rows.
    drop(store);
    let mut store = open(&path);
    store.wait_for_bands();
    assert!(store.bands.ruled_out(story, &unrelated));
    assert!(store.bands.ruled_out(copy, &unrelated));
    assert!(!store.bands.ruled_out(copy, &same));
    // A copy that outranks its story takes its place: the old canonical
    // row is a copy from then on.
    let mut first = Item::sample("c", 1, FOOTBALL.0, FOOTBALL.1);
    first.published_at -= chrono::Duration::hours(1);
    assert_eq!(ingest(&mut store, first), 1);
    assert_eq!(merged(&store, "a-1").0.as_deref(), Some("c-1"));
    let canonical = id_of(&store, "c-1");
    assert_eq!(store.bands.story_of(story), Some(canonical));
    assert_eq!(store.bands.story_of(copy), Some(canonical), "every row of the story follows, though only one slot changed");
    assert!(store.bands.ruled_out(story, &unrelated) && store.bands.ruled_out(canonical, &unrelated));
    assert!(!store.bands.ruled_out(story, &same));
}

#[test]
fn a_story_holds_each_key_once_however_many_rows_tell_it() {
    let mut b = BandIndex::default();
    // Story 1 (rows 1, 2, 3) and story 4, under shared keys.
    b.insert(1, 1, &[key(7, 0), key(8, 0)]);
    b.insert(2, 1, &[key(7, 1), key(9, 0)]);
    b.settle();
    b.merge_fresh();
    b.insert(3, 1, &[key(7, 2), key(8, 3), key(9, 4)]);
    b.insert(4, 4, &[key(7, 0)]);
    assert_eq!(sorted(b.items(key(7, 0))), vec![1, 4], "one row a story, in the array or fresh");
    assert_eq!(sorted(b.items(key(9, 0))), vec![2]);
    let mut out = Vec::new();
    assert!(b.lookup(key(7, 0), 2, &mut out) && out.len() == 2);
    out.clear();
    assert!(!b.lookup(key(7, 0), 1, &mut out), "more than the limit: too common");
    // Row 5 takes story 1 over: its rows are found as story 5's, and the
    // keys it brings that the story holds are not added.
    b.insert(5, 1, &[key(8, 9), key(10, 0)]);
    b.merge_story(1, 5);
    assert_eq!([1, 2, 3, 5].map(|r| b.story_of(r)), [Some(5); 4]);
    assert_eq!((sorted(b.items(key(8, 0))), sorted(b.items(key(10, 0)))), (vec![1], vec![5]));
    b.rollback_to(BandIndex::default().mark());
    assert_eq!(b.story_of(2), Some(1), "the take-over was not committed");
    assert_eq!(b.story_of(5), None);
    // A build keeps one row a story and key.
    let rows = {
        let mut r = Rows::default();
        for (item, story) in [(1, 1), (2, 1), (3, 3), (4, 1)] {
            r.add(item, story, None);
        }
        r
    };
    let mut keys = vec![entry(key(7, 0), 1), entry(key(7, 0), 2), entry(key(7, 0), 3), entry(key(7, 0), 4), entry(key(8, 0), 2)];
    one_row_per_story(&mut keys, &rows);
    assert_eq!(keys, vec![entry(key(7, 0), 1), entry(key(7, 0), 3), entry(key(8, 0), 2)]);
}
