//! The near-copies load (issue #25, item 5): every story arrives in many
//! slightly different copies, one per source, each source on a host of its
//! own. Measured next to the distinct-items corpus of the `ingest` section,
//! both as ratios to a bare feed-rs parse of the same files, in one run.
//!
//! The corpus is made up from a seed, so every run and every build sees
//! the same bytes: `copies` sources tell each story (160 by default; the
//! issue's load: 2,080 sources, 104,000 items, 50 a feed). Sources are dealt
//! into groups of `copies`: every source of a group carries the group's 50
//! stories. Copy `c` of a story is word for word the first copy when `c`
//! is a multiple of 8 (the content hash finds it); the others change two
//! words of the lead, and every third one a word of the title too (MinHash
//! bands find them). Copies are dated up to two hours apart, so a copy
//! fetched later is often the earlier one and becomes the story's canonical
//! row.

use super::*;

/// Items in each feed of the corpus.
const ITEMS_PER_FEED: usize = 50;

/// The near-copies corpus for about `items` items, each story in `copies`
/// copies: one feed per source.
pub fn corpus(items: usize, copies: usize) -> Vec<Vec<u8>> {
    let copies = copies.max(1);
    let groups = (items / ITEMS_PER_FEED / copies).max(1);
    (0..groups * copies).map(|source| feed(source, source % groups, source / groups)).collect()
}

/// A small xorshift generator (the corpus must not change between builds).
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Words of `text` with `changes` of them (at positions drawn from `next`)
/// replaced by other made-up words.
fn vary(text: &str, changes: usize, next: &mut impl FnMut() -> u64) -> String {
    let mut list: Vec<String> = text.split(' ').map(str::to_string).collect();
    for _ in 0..changes {
        let at = (next() % list.len() as u64) as usize;
        list[at] = words(next(), 1);
    }
    list.join(" ")
}

/// The feed of `source`, copy `copy` of its group's stories.
fn feed(source: usize, group: usize, copy: usize) -> Vec<u8> {
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Источник {source}</title><link>https://src{source}.example.kz/</link>"#
    );
    for i in 0..ITEMS_PER_FEED {
        let story = (group * ITEMS_PER_FEED + i) as u64;
        let seed = 0x5EED_0000 + story;
        let (mut title, mut lead) = (words(seed, 7), words(!seed, 30));
        if !copy.is_multiple_of(8) {
            let mut next = rng(seed ^ (copy as u64) << 20);
            lead = vary(&lead, 2, &mut next);
            if copy.is_multiple_of(3) {
                title = vary(&title, 1, &mut next);
            }
        }
        // Up to two hours between copies: later fetches often carry earlier copies.
        let minutes = 8 * 60 + (i * 5) + (copy * 37) % 120;
        xml.push_str(&format!(
            "<item><title>{title}</title><link>https://src{source}.example.kz/news/{story}</link>\
             <guid>https://src{source}.example.kz/news/{story}</guid><description>{lead}.</description>\
             <pubDate>Mon, 23 Nov 2026 {:02}:{:02}:00 +0500</pubDate></item>",
            minutes / 60,
            minutes % 60
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

/// Both corpora side by side, `runs` interleaved `syndic fetch --all` runs
/// of each on two cores, each against feed-rs on its own files just before
/// and after; then, in process, the store's cost per item as the copies of
/// a story grow (the same number of items).
pub fn section(rt: &tokio::runtime::Runtime, items: usize, copies: usize, runs: usize) {
    let base = corpus_feeds();
    let per_round: usize = base.iter().map(|b| feed_rs::parser::parse(&b[..]).map(|f| f.entries.len()).unwrap_or(0)).sum();
    let distinct = distinct_corpus(&base, items.div_ceil(per_round));
    let near = corpus(items, copies);
    // One host per source for the near copies (the issue's load); the
    // distinct corpus on 16, as in the ingest section.
    let (mock, addrs) = start_mock(rt, near.len().max(16));
    let loads = [
        (
            format!("distinct items (the {} corpus feeds replicated)", base.len()),
            serve_corpus(&mock, &addrs[..16], "d", &distinct, None),
            &distinct,
        ),
        (format!("near copies ({copies} a story, one host per source)"), serve_corpus(&mock, &addrs, "n", &near, None), &near),
    ];
    let settings = "per_host_spacing = \"0\"\nper_host_concurrency = 64\nmax_concurrent_fetches = 64\n";
    let parse = |all: &[Vec<u8>]| {
        let started = Instant::now();
        let items: usize = all.iter().map(|b| feed_rs::parser::parse(&b[..]).map(|f| f.entries.len()).unwrap_or(0)).sum();
        (items, items as f64 / started.elapsed().as_secs_f64())
    };
    // Per load: (ratio, syndic rate, feed-rs rate, CPU µs an item), per run.
    let mut done: Vec<Vec<(f64, f64, f64, f64)>> = vec![Vec::new(); loads.len()];
    let mut counts = vec![(0, 0); loads.len()];
    let mut sizes = vec![0; loads.len()];
    for run in 0..runs {
        for (l, (_, urls, all)) in loads.iter().enumerate() {
            let (n, before) = parse(all);
            sizes[l] = n;
            let (_dir, cfg, _) = config(&format!("copies{l}-{run}"), urls, settings);
            let (elapsed, _, _, cpu) = run_measured_cpu(Command::new(syndic()).args(["fetch", "--all", "--config"]).arg(&cfg));
            let after = parse(all).1;
            let rate = n as f64 / elapsed.as_secs_f64();
            let around = (before + after) / 2.0;
            done[l].push((rate / around, rate, around, cpu * 1e6 / n as f64));
            counts[l] = syndic::store::Store::open_reader(&cfg.with_file_name("syndic.db")).unwrap().counts().unwrap();
        }
    }
    println!(
        "\n### Ingest, distinct items vs near copies: `syndic fetch --all` on 2 cores, each run against feed-rs on the same files just before and after\n"
    );
    println!(
        "| load | items (feeds) | syndic items/s | feed-rs items/s | vs feed-rs, median (all runs) | CPU per item | stored / merged as copies |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (l, (name, urls, _)) in loads.iter().enumerate() {
        let runs = &mut done[l];
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let all: Vec<String> = runs.iter().map(|r| format!("{:.2}", r.0)).collect();
        let (ratio, rate, around, cpu) = runs[runs.len() / 2];
        println!(
            "| {name} | {} ({}) | {rate:.0} | {around:.0} | {ratio:.2}× ({}) | {cpu:.0} µs | {} / {} |",
            sizes[l],
            urls.len(),
            all.join(", "),
            counts[l].0,
            counts[l].1
        );
    }
    growth(items, copies);
}

/// In process, one core: the store's cost per item on the same number of
/// items told in 1, 10, 40, … copies a story.
fn growth(items: usize, copies: usize) {
    println!("\n#### In process, one core: cost per item as a story's copies grow ({items} items, one transaction per feed)\n");
    println!(
        "| copies a story | feeds | all stages µs per item | of which store + dedup | per new item: rows the index named | rows read to confirm | near comparisons |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut steps: Vec<usize> = [1, 10, 40, 160, 640].into_iter().filter(|&c| c < copies).collect();
    steps.push(copies);
    for c in steps {
        let all = corpus(items, c);
        let (seen, spent, probe) = stages_probed(&all);
        let total: Duration = spent.iter().map(|(_, d)| *d).sum();
        let per = |d: Duration| d.as_secs_f64() * 1e6 / seen as f64;
        println!("| {c} | {} | {:.1} | {:.1} | {} | {} | {} |", all.len(), per(total), per(spent[3].1), probe.0, probe.1, probe.2);
    }
}

/// Time spent per stage (see [`stages`]).
type Spent = Vec<(&'static str, Duration)>;

/// [`stages`], and what the store's matching did per new item: rows the
/// index named, rows read and near comparisons made.
fn stages_probed(all: &[Vec<u8>]) -> (usize, Spent, (String, String, String)) {
    let (seen, spent, (probe, new), _store) = stages_store(all);
    let per = |n: u64| format!("{:.1}", n as f64 / new.max(1) as f64);
    (seen, spent, (per(probe.named), per(probe.rows_read), per(probe.compared)))
}
