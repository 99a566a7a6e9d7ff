//! Dedup cost per item with 100,000 items in the matching window.
//!
//! A store is filled once with 100k synthetic stories (Zipf-distributed
//! words from a 30k-word vocabulary, so common words collide as in real
//! news), then each iteration ingests 100 fresh items into a copy of that
//! state (rolled back afterwards) with near-duplicate matching on, and the
//! same items with matching off (no band keys) for the baseline. The
//! difference is what dedup costs per item.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use syndic::config::Source;
use syndic::dedup::{Fingerprint, Matcher};
use syndic::model::Item;
use syndic::store::Store;

const SYLLABLES: &[&str] = &[
    "ка", "за", "ст", "ан", "ре", "по", "ли", "ти", "ко", "ма", "на", "ра", "то", "ва", "ни", "де", "ло", "се", "ми", "го", "ба", "жа",
    "қа", "өн", "ұл",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Zipf-like: small indices much more often.
    fn word(&mut self, vocab: &[String]) -> String {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        vocab[((u * u * u) * vocab.len() as f64) as usize].clone()
    }
}

fn vocabulary() -> Vec<String> {
    let mut rng = Rng(7);
    (0..30_000)
        .map(|_| (0..3 + rng.next() % 3).map(|_| SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize]).collect::<String>())
        .collect()
}

fn story(rng: &mut Rng, vocab: &[String], source: &str, n: usize, t: i64) -> Item {
    let title = (0..8).map(|_| rng.word(vocab)).collect::<Vec<_>>().join(" ");
    let text = (0..60).map(|_| rng.word(vocab)).collect::<Vec<_>>().join(" ");
    Item {
        source_id: source.into(),
        guid: format!("{source}-{n}"),
        link: Some(format!("https://{source}.example.kz/{n}")),
        canonical_link: Some(format!("https://{source}.example.kz/{n}")),
        title,
        summary_html: None,
        content_html: None,
        text,
        author: None,
        image: None,
        published_at: Utc.timestamp_opt(t, 0).single().unwrap_or_default(),
        language: Some("kk".into()),
        category: "politics".into(),
        region: None,
        content_hash: None,
        date_guessed: false,
        wants_full_text: false,
    }
}

fn source(id: &str) -> Source {
    Source::example(id, url::Url::parse(&format!("https://{id}.example.kz/rss")).unwrap())
}

fn bench(c: &mut Criterion) {
    let vocab = vocabulary();
    let matcher = Matcher::default();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("dedup.db")).unwrap();
    let sources: Vec<Source> = (0..10).map(|i| source(&format!("s{i}"))).collect();
    store.sync_sources(&sources).unwrap();
    let mut rng = Rng(42);
    let t0 = 1_790_000_000;
    // 100k stories within 72 h.
    for batch in 0..100 {
        let items: Vec<Item> =
            (0..1000).map(|i| story(&mut rng, &vocab, &format!("s{}", batch % 10), batch * 1000 + i, t0 + (batch * 2500) as i64)).collect();
        let prints: Vec<Fingerprint> = items.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
        store.ingest(&items, &prints, 0, t0, &matcher).unwrap();
    }
    let fresh: Vec<Item> = (0..100).map(|i| story(&mut rng, &vocab, "s0", 1_000_000 + i, t0 + 200_000)).collect();
    let prints: Vec<Fingerprint> = fresh.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
    let no_bands: Vec<Fingerprint> =
        prints.iter().map(|p| Fingerprint { profile: p.profile.clone(), bands: Vec::new(), sketch: p.sketch }).collect();

    let mut group = c.benchmark_group("dedup with 100k items in window");
    group.throughput(Throughput::Elements(fresh.len() as u64));
    group.sample_size(20);
    group.bench_function("ingest 100 items, near matching on", |b| {
        b.iter(|| store.ingest_rolled_back(&fresh, &prints, 0, t0, &matcher).unwrap())
    });
    group.bench_function("ingest 100 items, near matching off", |b| {
        b.iter(|| store.ingest_rolled_back(&fresh, &no_bands, 0, t0, &matcher).unwrap())
    });
    group.bench_function("fingerprint 100 items", |b| {
        b.iter(|| fresh.iter().map(|i| matcher.fingerprint(&i.title, &i.text).bands.len()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
