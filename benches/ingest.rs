//! End-to-end ingest (decode → parse → normalize → dedup → commit) next to
//! a bare feed-rs parse of the same bytes, in items per second.
//!
//! Input: every feed in `../shared/corpus/feeds/` (the bundled demo feeds
//! when the corpus is absent). Each ingest iteration starts from an empty
//! database so every item is new and really written.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use syndic::config::Source;
use syndic::fetch::{FetchSettings, Fetcher};
use syndic::pipeline::poll::{self, Context};
use syndic::store::Store;

fn inputs() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus/feeds");
    let dir = if corpus.is_dir() { corpus } else { root.join("data/demo") };
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("feed directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml" || e == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn source(i: usize) -> Source {
    Source {
        name: format!("Bench {i}"),
        category: "world".into(),
        ..Source::example(&format!("bench-{i}"), url::Url::parse(&format!("http://127.0.0.1/feed-{i}.xml")).unwrap())
    }
}

fn bench(c: &mut Criterion) {
    let feeds = inputs();
    let sources: Vec<Source> = (0..feeds.len()).map(source).collect();
    let items: usize = feeds.iter().map(|(_, b)| feed_rs::parser::parse(&b[..]).map(|f| f.entries.len()).unwrap_or(0)).sum();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(items as u64));
    group.sample_size(20);

    group.bench_function("feed-rs parse only", |b| {
        b.iter(|| {
            let mut n = 0;
            for (_, bytes) in &feeds {
                n += feed_rs::parser::parse(&bytes[..]).map(|f| f.entries.len()).unwrap_or(0);
            }
            n
        })
    });

    let fetcher = Fetcher::new(FetchSettings {
        user_agent: "bench".into(),
        connect_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(1),
        max_body_bytes: 1 << 24,
    })
    .unwrap();
    let setup = || {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
        store.sync_sources(&sources).unwrap();
        let dates: syndic::parse::DateParser = Arc::new(|s| syndic::normalize::date::parse(s, chrono_tz::Asia::Almaty));
        let ctx = Context::new(fetcher.clone(), store, dates, syndic::dedup::Matcher::default(), 16);
        (dir, ctx)
    };
    // As the daemon runs polls: decode/parse/normalize/fingerprint of
    // different feeds in parallel on both cores, one writer.
    group.bench_function("syndic ingest to SQLite, 2 threads", |b| {
        b.iter_batched(
            setup,
            |(dir, ctx)| {
                let now = chrono::Utc::now();
                let n: usize = std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..2)
                        .map(|t| {
                            let ctx = &ctx;
                            let feeds = &feeds;
                            let sources = &sources;
                            scope.spawn(move || {
                                feeds
                                    .iter()
                                    .zip(sources)
                                    .skip(t)
                                    .step_by(2)
                                    .map(|((_, bytes), source)| ingest(ctx, source, bytes, now))
                                    .sum::<usize>()
                            })
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
                });
                (dir, ctx, n)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("syndic ingest to SQLite", |b| {
        b.iter_batched(
            setup,
            |(dir, ctx)| {
                let now = chrono::Utc::now();
                let mut n = 0;
                for ((_, bytes), source) in feeds.iter().zip(&sources) {
                    n += ingest(&ctx, source, bytes, now);
                }
                // Returned, so that closing the database is not timed.
                (dir, ctx, n)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

/// One feed through the whole pipeline, as a poll runs it: its entry count.
fn ingest(ctx: &Context, source: &syndic::config::Source, bytes: &[u8], now: chrono::DateTime<chrono::Utc>) -> usize {
    poll::prepare(ctx, source, bytes, None, &source.url, now)
        .and_then(|prepared| {
            let entries = prepared.entries;
            prepared.store(ctx, source.priority, now).map(|_| entries)
        })
        .unwrap_or(0)
}
