//! The cost of finding a story as its copies grow: pinned by what was read
//! and compared (the [`Probe`] counts), never by time.

use crate::config::Source;
use crate::dedup::Matcher;
use crate::dedup::index::Probe;
use crate::model::Item;
use crate::store::Store;

const TITLE: &str = "Акимат Алматы объявил о ремонте проспекта Абая до конца сентября";
const LEAD: &str = "Ремонт проспекта Абая в Алматы продлится до конца сентября движение транспорта на участке \
     от Желтоксан до Байтурсынова ограничат водителей просят заранее выбирать объездные маршруты \
     через улицы Жарокова Манаса и Розыбакиева работы ведут круглосуточно подрядчик обещает \
     открыть две полосы уже к середине месяца";

/// A made-up word for `n` (no two alike in their first five letters).
fn word(n: usize) -> String {
    const SYLLABLES: [&str; 16] = ["ка", "ро", "ми", "ту", "ле", "на", "со", "пи", "ве", "да", "гу", "зо", "ры", "ша", "чи", "бе"];
    (0..4).map(|d| SYLLABLES[(n >> (4 * d)) & 15]).collect()
}

/// Copy `n` of the story, from source `s{n}`: every eighth word for word,
/// the others with two words of the lead of their own; dated `minutes`
/// after the first.
fn copy(n: usize, minutes: i64) -> Item {
    let mut words: Vec<String> = LEAD.split_whitespace().map(str::to_string).collect();
    if !n.is_multiple_of(8) {
        let len = words.len();
        words[n % len] = word(2 * n);
        words[(3 * n + 7) % len] = word(2 * n + 1);
    }
    let mut item = Item::sample(&format!("s{n}"), n, TITLE, &words.join(" "));
    item.published_at += chrono::Duration::minutes(minutes);
    item.content_hash = crate::dedup::content_hash(&item.title, &item.text);
    item
}

/// A store with sources `s0`… `s{n - 1}`.
fn store(dir: &tempfile::TempDir, n: usize) -> Store {
    let mut store = Store::open(&dir.path().join("copies.db")).unwrap();
    let sources: Vec<Source> =
        (0..n).map(|i| Source::example(&format!("s{i}"), url::Url::parse(&format!("https://s{i}.kz/rss")).unwrap())).collect();
    store.sync_sources(&sources).unwrap();
    store
}

/// Stores `item` alone; whether it was merged, and what finding its story took.
fn ingest(store: &mut Store, item: Item) -> (bool, Probe) {
    let matcher = Matcher::default();
    let print = matcher.fingerprint(&item.title, &item.text);
    let (stats, _) = store.ingest(&[item], &[print], 0, chrono::Utc::now().timestamp(), &matcher).unwrap();
    (stats.duplicates == 1, stats.probe)
}

/// Ingests 200 copies of one story (`minutes(n)`: copy n's date) and
/// checks that each is merged and that the work per copy stays bounded.
fn copies_stay_flat(minutes: impl Fn(usize) -> i64) {
    let dir = tempfile::tempdir().unwrap();
    let n = 200;
    let mut store = store(&dir, n);
    assert!(!ingest(&mut store, copy(0, minutes(0))).0);
    let mut probes = Vec::new();
    for i in 1..n {
        let (merged, probe) = ingest(&mut store, copy(i, minutes(i)));
        assert!(merged, "copy {i} is merged into the story (a story told by many sources is not too common to find)");
        probes.push(probe);
    }
    assert_eq!(store.counts().unwrap(), (n as i64, n as i64 - 1));
    for (i, p) in probes.iter().enumerate() {
        // Its own candidate row, the story's canonical row, its rank; one
        // comparison; a few rows under each key (one a story).
        assert!(p.rows_read <= 3 && p.compared <= 1 && p.named <= 40, "copy {}: {p:?}", i + 1);
    }
    // Flat: the last copies cost what the early ones did.
    let work = |p: &[Probe]| p.iter().map(|p| p.named + p.rows_read + p.compared).sum::<u64>();
    assert!(work(&probes[n - 21..]) <= work(&probes[9..29]) * 3 / 2, "{:?} vs {:?}", &probes[n - 21..], &probes[9..29]);
}

#[test]
fn the_work_per_copy_stays_flat_as_copies_of_one_story_grow() {
    copies_stay_flat(|n| n as i64);
}

#[test]
fn the_work_per_copy_stays_flat_when_later_copies_keep_taking_the_story_over() {
    // Every copy is dated before the last: each becomes the canonical row.
    copies_stay_flat(|n| -(n as i64));
}
