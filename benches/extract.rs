//! Full-text extraction speed on the test pages: selector mode and auto
//! mode (dom_smoothie), each next to a bare `scraper` parse of the same
//! bytes, the floor any extraction pays.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use syndic::config::Rule;
use syndic::extract;
use url::Url;

fn pages() -> Vec<(&'static str, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages");
    ["tengri-style.html", "cp1251-late-meta.html"]
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(name)).expect("fixture page");
            (name, syndic::fetch::charset::decode_page(&bytes, None).text.into_owned())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let url = Url::parse("https://primer.kz/news/most-123").expect("url");
    let selector = Rule::selector("article.news-article", &[".news-meta".into()]).expect("selector");
    let mut group = c.benchmark_group("extract");
    for (name, html) in pages() {
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("scraper-parse-only/{name}"), |b| b.iter(|| scraper::Html::parse_document(&html)));
        group.bench_function(format!("selector/{name}"), |b| {
            b.iter(|| extract::extract(&html, &url, &selector, chrono_tz::Asia::Almaty).expect("extracts"))
        });
        group.bench_function(format!("auto/{name}"), |b| {
            b.iter(|| extract::extract(&html, &url, &Rule::Auto, chrono_tz::Asia::Almaty).expect("extracts"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
