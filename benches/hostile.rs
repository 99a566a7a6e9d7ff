//! What the guards against hostile input cost, and what they prevent.
//!
//! - `depth`: the nesting pre-scan (`parse::depth`) over every corpus feed
//!   (the demo feeds when the corpus is absent), next to a feed-rs parse
//!   of the same decoded text: the price every poll pays.
//! - `sanitize`: the sanitizer on `<div>`s nested 10,000 and 20,000 deep
//!   (both under the size cap, so twice the input should cost twice the
//!   time, not four times as html5ever's stack scans did) and 50,000 deep
//!   (cut to the cap first), next to an ordinary description; and text
//!   made of `&a;` at 32, 64 and 128 KB, which html5ever's serializer
//!   escapes in quadratic time: ours (the ampersands go through as
//!   placeholders, `normalize::html::amp`) next to ammonia alone.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use syndic::normalize::html::Sanitizer;
use syndic::parse::depth;

fn feeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus/feeds");
    let dir = if corpus.is_dir() { corpus } else { root.join("data/demo") };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("feed directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).expect("feed");
            let decoded = syndic::fetch::charset::decode(&bytes, None);
            syndic::fetch::charset::prepare_xml(&decoded.text).into_owned()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let feeds = feeds();
    let bytes: usize = feeds.iter().map(String::len).sum();
    let mut group = c.benchmark_group("depth");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("pre-scan", |b| b.iter(|| feeds.iter().map(|f| depth::check(f, depth::MAX_DEPTH).unwrap_or(usize::MAX)).max()));
    group.bench_function("feed-rs parse", |b| {
        b.iter(|| feeds.iter().map(|f| feed_rs::parser::parse(f.as_bytes()).map_or(0, |feed| feed.entries.len())).sum::<usize>())
    });
    group.finish();

    let sanitizer = Sanitizer::new(&url::Url::parse("https://liter.kz/news/").expect("url"));
    let mut group = c.benchmark_group("sanitize");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);
    let ordinary = "<p>Депутаты Сената приняли закон <a href=\"/news/1\">о местном самоуправлении</a> во втором чтении.</p>".repeat(10);
    let mut cases = vec![("ordinary description".to_string(), ordinary)];
    for n in [10_000, 20_000, 50_000] {
        cases.push((format!("{n} nested divs"), format!("{}Суть новости", "<div>".repeat(n))));
    }
    // html5ever's serializer searches the rest of a text node for `<` and
    // `>` before each `&` it escapes: quadratic in a text node's length.
    for kb in [32, 64, 128] {
        cases.push((format!("{kb} KB of ampersands"), "&a;".repeat(kb * 1024 / 3)));
    }
    for (name, html) in &cases {
        group.throughput(Throughput::Bytes(html.len() as u64));
        group.bench_function(name.as_str(), |b| b.iter(|| sanitizer.clean(html)));
    }
    // The reference: ammonia alone on the same text.
    for kb in [32, 64, 128] {
        let html = "&a;".repeat(kb * 1024 / 3);
        group.throughput(Throughput::Bytes(html.len() as u64));
        group.bench_function(format!("{kb} KB of ampersands, ammonia alone"), |b| b.iter(|| ammonia::clean(&html)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
