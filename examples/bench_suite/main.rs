//! The scale benchmarks behind `bench/run`: each figure next to its
//! reference, measured in the same run on the same machine. Drives the
//! release `syndic` binary the way an admin runs it, against mock
//! publishers on loopback addresses (127.x.y.z), and prints Markdown.
//!
//!   cargo run --release --example bench_suite -- SECTION… [--sources N] [--items N] [--runs N] [--syndic-only]
//!
//! Sections: ingest, cycle, freshness, memory, startup; `stages` is the
//! in-process breakdown that ends the ingest section, alone; `copies` (not
//! in the default set) is ingest of distinct items next to ingest of many
//! near copies of each story (`--copies N` a story, 160 by default; its
//! `--items` default is 104,000). `--syndic-only`
//! leaves the Python reference and the stage table out of `ingest` (for
//! back-to-back comparisons of two builds).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod cluster;
mod copies;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Each feed's bytes (shared, not copied per request) and its ETag.
type Feeds = Arc<Mutex<HashMap<String, (axum::body::Bytes, String)>>>;
type Served = Arc<Mutex<HashMap<String, Instant>>>;

#[derive(Clone)]
struct Mock {
    feeds: Feeds,
    served: Served,
}

impl Mock {
    /// Serves `body` at `/f/{name}` from now on. The mock shares one
    /// machine with syndic: the ETag is computed here, once, and requests
    /// get the bytes without a copy.
    fn put(&self, name: String, body: Vec<u8>) {
        let etag = format!("\"{:x}\"", xxhash_rust::xxh3::xxh3_64(&body));
        self.feeds.lock().unwrap().insert(name, (body.into(), etag));
    }
}

async fn serve_feed(State(m): State<Mock>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    let Some((body, etag)) = m.feeds.lock().unwrap().get(&name).cloned() else { return StatusCode::NOT_FOUND.into_response() };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    m.served.lock().unwrap().insert(name, Instant::now());
    ([(header::CONTENT_TYPE, "application/rss+xml".to_string()), (header::ETAG, etag)], body).into_response()
}

/// Mock publishers listening on `hosts` loopback addresses, one port.
fn start_mock(rt: &tokio::runtime::Runtime, hosts: usize) -> (Mock, Vec<SocketAddr>) {
    let mock = Mock { feeds: Arc::default(), served: Arc::default() };
    let app = Router::new().route("/f/{name}", axum::routing::get(serve_feed)).with_state(mock.clone());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addrs: Vec<SocketAddr> = (0..hosts).map(|h| SocketAddr::from(([127, 1, (h / 250) as u8, (h % 250 + 1) as u8], port))).collect();
    for addr in &addrs {
        let listener = rt.block_on(tokio::net::TcpListener::bind(addr)).unwrap();
        let app = app.clone();
        rt.spawn(async move { axum::serve(listener, app).await });
    }
    (mock, addrs)
}

/// `words` made-up Cyrillic words, the same for the same `seed`: mock
/// sources tell different stories (near-identical ones would all be merged
/// into one and measure only the duplicate path).
fn words(seed: u64, words: usize) -> String {
    const SYLLABLES: [&str; 16] = ["ка", "ро", "ми", "ту", "ле", "на", "со", "пи", "ве", "да", "гу", "зо", "ры", "ша", "чи", "бе"];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 16) as usize
    };
    (0..words).map(|_| (0..3).map(|_| SYLLABLES[next()]).collect::<String>()).collect::<Vec<_>>().join(" ")
}

fn rss(source: &str, items: usize, round: usize) -> Vec<u8> {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Mock</title><link>https://mock.kz/</link>"#,
    );
    let seed = source.bytes().fold(round as u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    for i in 0..items {
        let story = seed.wrapping_mul(1000).wrapping_add(i as u64);
        xml.push_str(&format!(
            "<item><title>{}</title><link>https://{source}.mock.kz/{round}/{i}</link>\
             <guid>https://{source}.mock.kz/{round}/{i}</guid><description>{}.</description>\
             <pubDate>Mon, 23 Nov 2026 10:{:02}:00 +0500</pubDate></item>",
            words(story, 7),
            words(!story, 30),
            i % 60
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

struct Dir {
    path: PathBuf,
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A config directory for `urls` (source i gets url i).
fn config(name: &str, urls: &[String], extra: &str) -> (Dir, PathBuf, u16) {
    let path = std::env::temp_dir().join(format!("syndic-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = format!(
        "[daemon]\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\nsources = \"sources.toml\"\n{}dedup_window = \"72h\"\n{extra}",
        path.join("syndic.db").display(),
        if extra.contains("items_per_feed") { "" } else { "items_per_feed = 100\n" }
    );
    std::fs::write(path.join("syndic.toml"), settings).unwrap();
    let mut sources = String::from("[[category]]\nslug = \"news\"\ntitle = \"Новости\"\n\n");
    for (i, url) in urls.iter().enumerate() {
        sources
            .push_str(&format!("[[source]]\nid = \"s{i}\"\nname = \"S{i}\"\nurl = \"{url}\"\nkind = \"partner\"\ncategory = \"news\"\n\n"));
    }
    std::fs::write(path.join("sources.toml"), sources).unwrap();
    let cfg = path.join("syndic.toml");
    (Dir { path }, cfg, port)
}

/// The release binary, or the one `SYNDIC_BIN` names (to compare builds).
fn syndic() -> PathBuf {
    std::env::var_os("SYNDIC_BIN").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/syndic"), PathBuf::from)
}

/// Runs a command to the end; returns (wall time, peak RSS in MB, stdout).
fn run_measured(cmd: &mut Command) -> (Duration, u64, String) {
    let (elapsed, peak, out, _) = run_measured_cpu(cmd);
    (elapsed, peak, out)
}

/// [`run_measured`], and the CPU seconds the process used (user + system,
/// as last sampled from `/proc/PID/stat`, every 5 ms).
fn run_measured_cpu(cmd: &mut Command) -> (Duration, u64, String, f64) {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).unwrap();
        s
    });
    let mut peak = 0;
    let mut cpu = 0.0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(vm(child.id(), "VmHWM:"));
        cpu = cpu_seconds(child.id()).unwrap_or(cpu);
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    (elapsed, peak / 1024, reader.join().unwrap(), cpu)
}

/// User + system CPU seconds of a running process.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is 3rd.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64)
}

/// A `/proc/PID/status` field in kB.
fn vm(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()))
        .unwrap_or(0)
}

fn start_daemon(cfg: &Path, port: u16) -> (Child, Duration) {
    let started = Instant::now();
    let mut child = Command::new(syndic()).args(["run", "--config"]).arg(cfg).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    while started.elapsed() < Duration::from_secs(120) {
        if http_get(&url).is_some_and(|(s, _)| s == 200) {
            return (child, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("daemon did not start");
}

fn http_get(url: &str) -> Option<(u16, Vec<u8>)> {
    http_get_with(url, "")
}

/// GET as a feed reader does (`Accept-Encoding: gzip`), body decompressed.
fn http_get_gzip(url: &str) -> Option<(u16, Vec<u8>)> {
    let (status, body) = http_get_with(url, "Accept-Encoding: gzip\r\n")?;
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain).ok()?;
    Some((status, plain))
}

fn http_get_with(url: &str, headers: &str) -> Option<(u16, Vec<u8>)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    std::io::Write::write_all(&mut s, format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n").as_bytes())
        .ok()?;
    let mut buf = Vec::new();
    std::io::Read::read_to_end(&mut s, &mut buf).ok()?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = std::str::from_utf8(&buf[9..12]).ok()?.parse().ok()?;
    Some((status, buf[split + 4..].to_vec()))
}

fn corpus_feeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/feeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("../shared/corpus/feeds").flatten().map(|e| e.path()).collect();
    files.sort();
    files.into_iter().map(|p| std::fs::read(p).unwrap()).filter(|b| feed_rs::parser::parse(&b[..]).is_ok()).collect()
}

/// Elements whose text is a date, copied as they are by [`replicate`].
const DATE_ELEMENTS: &[(&str, &str)] = &[
    ("<pubDate>", "</pubDate>"),
    ("<lastBuildDate>", "</lastBuildDate>"),
    ("<published>", "</published>"),
    ("<updated>", "</updated>"),
    ("<dc:date>", "</dc:date>"),
];

/// Each replica is a different set of stories of the same shape: letters
/// outside markup go through a substitution of their alphabet chosen by the
/// replica number (an affine map x → a·x + b, 512 distinct ones for the 32
/// Cyrillic letters and 312 for Latin), and every URL gets a replica host
/// prefix; dates are copied as they are. Texts keep their length, script
/// and word lengths but share no words across replicas; replicas that were
/// copies of each other would measure only the merge path. Legacy-encoded
/// feeds are decoded, substituted and encoded back.
fn replicate(bytes: &[u8], r: usize) -> Vec<u8> {
    const LATIN_A: [u32; 12] = [1, 3, 5, 7, 9, 11, 15, 17, 19, 21, 23, 25];
    let (cyr_a, cyr_b) = (2 * (r as u32 / 32 % 16) + 1, r as u32 % 32);
    let (lat_a, lat_b) = (LATIN_A[r / 26 % 12], r as u32 % 26);
    let map = |c: char, first: u32, n: u32, a: u32, b: u32| char::from_u32(first + (a * (c as u32 - first) + b) % n).unwrap_or(c);
    let rotate = |text: &str| -> String {
        let text = text.replace("://", &format!("://r{r}."));
        let mut out = String::with_capacity(text.len());
        let mut in_tag = false;
        let mut rest = text.as_str();
        while let Some(c) = rest.chars().next() {
            // Markup, escaped markup and entities are copied; CDATA is text.
            let verbatim = ["<![CDATA[", "]]>", "&lt;", "&gt;"].into_iter().find(|m| rest.starts_with(m));
            let entity = (c == '&').then(|| rest.find(';').filter(|&e| e <= 10)).flatten().map(|e| &rest[..=e]);
            // Dates stay dates: a substituted month or day name is no date
            // at all, and every item would go through the fallback parsers
            // and be dated at its fetch.
            let date = DATE_ELEMENTS
                .iter()
                .find_map(|(open, close)| rest.starts_with(open).then(|| rest.find(close).map(|end| &rest[..end + close.len()])).flatten());
            if let Some(m) = verbatim.or(entity).or(date) {
                in_tag = match m {
                    "&lt;" => true,
                    "&gt;" => false,
                    _ => in_tag,
                };
                out.push_str(m);
                rest = &rest[m.len()..];
                continue;
            }
            let rotated = match c {
                '<' => {
                    in_tag = true;
                    c
                }
                '>' => {
                    in_tag = false;
                    c
                }
                _ if in_tag => c,
                'а'..='я' => map(c, 0x430, 32, cyr_a, cyr_b),
                'А'..='Я' => map(c, 0x410, 32, cyr_a, cyr_b),
                'a'..='z' => map(c, 'a' as u32, 26, lat_a, lat_b),
                _ => c,
            };
            out.push(rotated);
            rest = &rest[c.len_utf8()..];
        }
        out
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => rotate(text).into_bytes(),
        Err(_) => {
            let decoded = syndic::fetch::charset::decode(bytes, None);
            // The declaration is markup: rotation leaves it as it was.
            let rotated = rotate(&decoded.text);
            decoded.encoding.encode(&rotated).0.into_owned()
        }
    }
}

/// Ingest: the corpus feeds replicated (URLs and Cyrillic text made unique
/// per replica) to at least `want` items, served from loopback, ingested by
/// `syndic fetch --all`; next to feed-rs and feedparser on the same bytes.
/// One `syndic fetch --all` of the ingest section.
struct IngestRun {
    rate: f64,
    /// The feed-rs rate around it.
    around: f64,
    elapsed: Duration,
    peak: u64,
    cpu: f64,
    dir: Dir,
    cfg: PathBuf,
}

fn ingest(rt: &tokio::runtime::Runtime, want: usize, runs: usize, only_stages: bool, syndic_only: bool) {
    let base = corpus_feeds();
    let per_round: usize = base.iter().map(|b| feed_rs::parser::parse(&b[..]).map(|f| f.entries.len()).unwrap_or(0)).sum();
    let rounds = want.div_ceil(per_round);
    if only_stages {
        print_stages(&distinct_corpus(&base, rounds));
        return;
    }
    let (mock, addrs) = start_mock(rt, 16);
    let files_dir = std::env::temp_dir().join(format!("syndic-bench-files-{}", std::process::id()));
    std::fs::create_dir_all(&files_dir).unwrap();
    let all = distinct_corpus(&base, rounds);
    let urls = serve_corpus(&mock, &addrs, "r", &all, Some(&files_dir));
    // feed-rs, one core, same bytes; measured again after every syndic run:
    // this machine's speed drifts by a third over minutes, so each ratio
    // is taken against the mean of the reference runs just before and after.
    let feed_rs = || {
        let started = Instant::now();
        let items: usize = all.iter().map(|b| feed_rs::parser::parse(&b[..]).map(|f| f.entries.len()).unwrap_or(0)).sum();
        (items, items as f64 / started.elapsed().as_secs_f64())
    };
    let (items, first) = feed_rs();
    let mut reference = vec![first];
    // Python feedparser on the same files.
    let feedparser_rate: Option<f64> = if syndic_only {
        None
    } else {
        let py =
            Command::new("python3").arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/feedparser_rate.py")).arg(&files_dir).output();
        py.ok().filter(|o| o.status.success()).and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    };
    let settings = "per_host_spacing = \"0\"\nper_host_concurrency = 64\nmax_concurrent_fetches = 64\n";
    let mut rows = Vec::new();
    for (label, cpus) in [("syndic, 1 core (taskset -c 0)", Some("0")), ("syndic, 2 cores", None)] {
        // `runs` runs, each on a new database, each ratio against the
        // reference runs just before and after it; the median run is shown.
        let mut done = Vec::new();
        for run in 0..runs {
            let (dir, cfg, _) = config(&format!("ingest{run}"), &urls, settings);
            let mut cmd = match cpus {
                Some(c) => {
                    let mut cmd = Command::new("taskset");
                    cmd.args(["-c", c]).arg(syndic());
                    cmd
                }
                None => Command::new(syndic()),
            };
            cmd.args(["fetch", "--all", "--config"]).arg(&cfg);
            let (elapsed, peak, _, cpu) = run_measured_cpu(&mut cmd);
            let rate = items as f64 / elapsed.as_secs_f64();
            let before = reference[reference.len() - 1];
            reference.push(feed_rs().1);
            let around = (before + reference[reference.len() - 1]) / 2.0;
            done.push(IngestRun { rate, around, elapsed, peak, cpu, dir, cfg });
        }
        done.sort_by(|a, b| (a.rate / a.around).total_cmp(&(b.rate / b.around)));
        let ratios: Vec<String> = done.iter().map(|r| format!("{:.2}", r.rate / r.around)).collect();
        let median = &done[done.len() / 2];
        let IngestRun { rate, around, elapsed, peak, cpu, .. } = *median;
        let (stored, copies) = syndic::store::Store::open_reader(&median.dir.path.join("syndic.db")).unwrap().counts().unwrap();
        rows.push(format!(
            "| {label}, median of {runs} runs ({}) | {rate:.0} | {:.2}× (of {around:.0}) | {:.0} µs ({:.2} cores) | {peak} MB | {stored} / {copies} |",
            ratios.join(", "),
            rate / around,
            cpu * 1e6 / items as f64,
            cpu / elapsed.as_secs_f64()
        ));
        if cpus.is_none() {
            // The same run again: every feed answers 304, so this is the
            // fixed cost (start, fetch, bookkeeping) without ingest.
            let (again, _, _) = run_measured(Command::new(syndic()).args(["fetch", "--all", "--config"]).arg(&median.cfg));
            rows.push(format!(
                "| (same sources again, all 304: fixed cost {:.2} s of {:.2} s) | | | | | |",
                again.as_secs_f64(),
                elapsed.as_secs_f64()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&files_dir);
    println!("\n### Ingest: {items} items ({} feeds: the {} corpus feeds × {rounds}), fetched from loopback\n", all.len(), base.len());
    println!("| pipeline | items/s | vs feed-rs parse | CPU per item | peak RSS | stored / merged as copies |\n|---|---|---|---|---|---|");
    let feed_rs_rate = reference.iter().sum::<f64>() / reference.len() as f64;
    let (low, high) = reference.iter().fold((f64::MAX, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
    println!(
        "| feed-rs parse only (reference, 1 core, in process; mean of {} runs, {low:.0}–{high:.0}) | {feed_rs_rate:.0} | 1.00× | {:.0} µs | — | |",
        reference.len(),
        1e6 / feed_rs_rate
    );
    match feedparser_rate {
        Some(r) => println!("| Python feedparser parse only (reference) | {r:.0} | {:.2}× | {:.0} µs | — | |", r / feed_rs_rate, 1e6 / r),
        None if syndic_only => println!("| Python feedparser | skipped (--syndic-only) | | | |"),
        None => println!("| Python feedparser | not installed | | | |"),
    }
    for r in rows {
        println!("{r}");
    }
    if !syndic_only {
        print_stages(&all);
    }
}

/// The corpus feeds replicated `rounds` times (see [`replicate`]).
fn distinct_corpus(base: &[Vec<u8>], rounds: usize) -> Vec<Vec<u8>> {
    (0..rounds).flat_map(|r| base.iter().map(move |b| replicate(b, r))).collect()
}

/// Serves feed `i` of `all` as `/f/{prefix}{i}.xml` from host `i` of
/// `addrs` (round robin), and writes it to `files` when given; the URLs.
fn serve_corpus(mock: &Mock, addrs: &[SocketAddr], prefix: &str, all: &[Vec<u8>], files: Option<&Path>) -> Vec<String> {
    let mut urls = Vec::with_capacity(all.len());
    for (i, feed) in all.iter().enumerate() {
        let name = format!("{prefix}{i}.xml");
        if let Some(dir) = files {
            std::fs::write(dir.join(&name), feed).unwrap();
        }
        mock.put(name.clone(), feed.clone());
        urls.push(format!("http://{}/f/{name}", addrs[i % addrs.len()]));
    }
    urls
}

fn print_stages(all: &[Vec<u8>]) {
    let (seen, spent) = stages(all);
    let total: Duration = spent.iter().map(|(_, d)| *d).sum();
    println!("\n#### Where one core's time goes (in process, the same {} feeds, {seen} items, one transaction per feed)\n", all.len());
    println!("| stage | µs per item | share |\n|---|---|---|");
    for (name, d) in &spent {
        println!("| {name} | {:.1} | {:.0} % |", d.as_secs_f64() * 1e6 / seen as f64, 100.0 * d.as_secs_f64() / total.as_secs_f64());
    }
    println!("| all stages ({:.0} items/s) | {:.1} | |", seen as f64 / total.as_secs_f64(), total.as_secs_f64() * 1e6 / seen as f64);
}

/// Where the time of one core goes, in process, on the same bytes: each
/// stage timed separately over every feed, the store growing as in a real
/// ingest (one transaction per feed, as `syndic` commits them).
fn stages(all: &[Vec<u8>]) -> (usize, Vec<(&'static str, Duration)>) {
    let (seen, spent, _, _) = stages_store(all);
    (seen, spent)
}

/// [`stages`], what the store's matching did for the new items (rows
/// named, rows read, profiles compared; new items) and the store it
/// filled (its files already removed).
type Probed = (syndic::dedup::index::Probe, u64);

fn stages_store(all: &[Vec<u8>]) -> (usize, Vec<(&'static str, Duration)>, Probed, syndic::store::Store) {
    use syndic::config::Source;
    let dir = std::env::temp_dir().join(format!("syndic-bench-stages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _guard = Dir { path: dir.clone() };
    let mut store = syndic::store::Store::open(&dir.join("stages.db")).unwrap();
    let sources: Vec<Source> = (0..all.len())
        .map(|i| Source::example(&format!("s{i}"), url::Url::parse(&format!("http://127.0.0.1/f/{i}.xml")).unwrap()))
        .collect();
    store.sync_sources(&sources).unwrap();
    let dates: syndic::parse::DateParser = Arc::new(|s| syndic::normalize::date::parse(s, chrono_tz::Asia::Almaty));
    let matcher = syndic::dedup::Matcher::default();
    let now = chrono::Utc::now();
    let mut spent = [Duration::ZERO; 4];
    let mut seen = 0;
    let mut probed: Probed = Default::default();
    for (bytes, source) in all.iter().zip(&sources) {
        let t = Instant::now();
        let decoded = syndic::fetch::charset::decode(bytes, None);
        let xml = syndic::fetch::charset::prepare_xml(&decoded.text);
        let xml = syndic::pipeline::poll::cap_entries(&xml, syndic::pipeline::poll::MAX_ENTRIES);
        let Ok(feed) = syndic::parse::parse(&xml, &source.url, &dates) else { continue };
        spent[0] += t.elapsed();
        let t = Instant::now();
        let normalizer = syndic::normalize::Normalizer::new(source, &source.url, now);
        seen += feed.entries.len();
        let mut list: Vec<syndic::model::Item> = feed.entries.into_iter().filter_map(|e| normalizer.normalize(e)).collect();
        spent[1] += t.elapsed();
        let t = Instant::now();
        let prints: Vec<_> = list
            .iter_mut()
            .map(|item| {
                item.content_hash = syndic::dedup::content_hash(&item.title, &item.text);
                matcher.fingerprint(&item.title, &item.text)
            })
            .collect();
        spent[2] += t.elapsed();
        let t = Instant::now();
        let (stats, _) = store.ingest(&list, &prints, 0, now.timestamp(), &matcher).unwrap();
        spent[3] += t.elapsed();
        probed.0 += stats.probe;
        probed.1 += stats.new;
    }
    let names = [
        "decode + parse (feed-rs)",
        "normalize (text, sanitize, links, dates, language)",
        "fingerprint (hash, MinHash)",
        "store + dedup (SQLite)",
    ];
    (seen, names.into_iter().zip(spent).collect(), probed, store)
}

/// 10,000 sources on 1,000 loopback hosts: a 200 cycle (20 new items each)
/// and a 304 cycle, with default politeness (2 per host, 500 ms spacing).
fn cycle(rt: &tokio::runtime::Runtime, sources: usize) {
    let hosts = (sources / 10).max(1);
    let (mock, addrs) = start_mock(rt, hosts);
    let mut urls = Vec::new();
    for i in 0..sources {
        let name = format!("s{i}.xml");
        mock.put(name.clone(), rss(&format!("s{i}"), 20, 0));
        urls.push(format!("http://{}/f/{name}", addrs[i % hosts]));
    }
    let (_dir, cfg, _) = config("cycle", &urls, "max_concurrent_fetches = 128\n");
    let (t200, rss200, _) = run_measured(Command::new(syndic()).args(["fetch", "--all", "--config"]).arg(&cfg));
    let (t304, rss304, out) = run_measured(Command::new(syndic()).args(["fetch", "--all", "--config"]).arg(&cfg));
    let not_modified = out.lines().filter(|l| l.contains(" 304 ")).count();
    println!("\n### Fetch cycle: {sources} sources on {hosts} loopback hosts (per host: 2 at once, 500 ms apart; 128 in flight)\n");
    println!("| cycle | time | peak RSS | goal |\n|---|---|---|---|");
    println!("| all 200, 20 new items each ({} items) | {:.1} s | {rss200} MB | — |", sources * 20, t200.as_secs_f64());
    println!("| all 304 ({not_modified} answered 304) | {:.1} s | {rss304} MB | ≤ 10 s, ≤ 150 MB |", t304.as_secs_f64());
}

/// Time from the upstream's response to the item being in `/feeds/all.json`.
fn freshness(rt: &tokio::runtime::Runtime) {
    let n = 200;
    let (mock, addrs) = start_mock(rt, 50);
    let mut urls = Vec::new();
    for i in 0..n {
        let name = format!("fresh{i}.xml");
        mock.put(name.clone(), rss(&format!("fresh{i}"), 1, 0));
        urls.push(format!("http://{}/f/{name}", addrs[i % addrs.len()]));
    }
    let (_dir, cfg, port) = config("fresh", &urls, "per_host_spacing = \"0\"\nitems_per_feed = 1000\ndefault_interval = \"1m\"\n");
    let (mut child, _) = start_daemon(&cfg, port);
    // The first cycle stores round 0; then every feed gets a new story, and
    // each is measured when the daemon's schedule next polls it (about a
    // minute later, spread by the schedule's jitter): steady operation, not
    // the start-up burst.
    let deadline = Instant::now() + Duration::from_secs(60);
    while mock.served.lock().unwrap().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    mock.served.lock().unwrap().clear();
    for i in 0..n {
        mock.put(format!("fresh{i}.xml"), rss(&format!("fresh{i}"), 1, 1));
    }
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.len() < n && Instant::now() < deadline {
        if let Some((200, body)) = http_get_gzip(&format!("http://127.0.0.1:{port}/feeds/all.json")) {
            let now = Instant::now();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            for item in json["items"].as_array().into_iter().flatten() {
                let Some(url) = item["url"].as_str().filter(|u| u.ends_with("/1/0")) else { continue };
                if let Some(src) = url.split("//").nth(1).and_then(|h| h.split('.').next()) {
                    seen.entry(src.to_string()).or_insert(now);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    let served = mock.served.lock().unwrap().clone();
    let mut lat: Vec<f64> = seen
        .iter()
        .filter_map(|(src, vis)| served.get(&format!("{src}.xml")).map(|s| vis.saturating_duration_since(*s).as_secs_f64() * 1000.0))
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat.get(((lat.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
    println!(
        "\n### Freshness: upstream response with a new story → the story in /feeds/all.json ({} of {n} sources, each at its scheduled poll, the feed read with gzip every 2 ms)\n",
        lat.len()
    );
    println!("| p50 | p99 | max | goal |\n|---|---|---|---|");
    println!("| {:.1} ms | {:.1} ms | {:.1} ms | ≤ 100 ms after commit |", pct(0.5), pct(0.99), pct(1.0));
}

/// Steady RSS of `syndic run` with 100 and 10,000 sources, after their
/// first cycle, idle.
fn memory(rt: &tokio::runtime::Runtime, big: usize) {
    println!("\n### Memory: steady RSS of `syndic run` after the first cycle\n");
    println!(
        "| sources | RSS | of which anonymous (heap) | of which file-backed (the mapped binary and libraries) | goal |\n|---|---|---|---|---|"
    );
    for (n, goal) in [(100, "≤ 30 MB"), (big, "≤ 150 MB")] {
        let (mock, addrs) = start_mock(rt, (n / 10).max(1));
        let mut urls = Vec::new();
        for i in 0..n {
            let name = format!("m{i}.xml");
            mock.put(name.clone(), rss(&format!("m{i}"), 20, 0));
            urls.push(format!("http://{}/f/{name}", addrs[i % addrs.len()]));
        }
        let (_dir, cfg, port) = config(&format!("mem{n}"), &urls, "max_concurrent_fetches = 128\n");
        let _ = run_measured(Command::new(syndic()).args(["fetch", "--all", "--config"]).arg(&cfg));
        let (mut child, _) = start_daemon(&cfg, port);
        std::thread::sleep(Duration::from_secs(5));
        let _ = http_get(&format!("http://127.0.0.1:{port}/feeds/all.rss"));
        std::thread::sleep(Duration::from_secs(1));
        let rss = vm(child.id(), "VmRSS:") / 1024;
        let (anon, file) = (vm(child.id(), "RssAnon:") / 1024, vm(child.id(), "RssFile:") / 1024);
        let _ = child.kill();
        let _ = child.wait();
        println!("| {n} | {rss} MB | {anon} MB | {file} MB | {goal} |");
    }
}

/// Start to serving with a database of about `gb` GB.
fn startup(rt: &tokio::runtime::Runtime, gb: f64) {
    let (mock, addrs) = start_mock(rt, 10);
    let mut urls = Vec::new();
    for i in 0..100 {
        let name = format!("st{i}.xml");
        mock.put(name.clone(), rss(&format!("st{i}"), 50, 0));
        urls.push(format!("http://{}/f/{name}", addrs[i % addrs.len()]));
    }
    let (dir, cfg, port) = config("startup", &urls, "per_host_spacing = \"0\"\n");
    let _ = run_measured(Command::new(syndic()).args(["fetch", "--all", "--config"]).arg(&cfg));
    let db_path = dir.path.join("syndic.db");
    {
        let db = rusqlite::Connection::open(&db_path).unwrap();
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;").unwrap();
        let mut round = 0;
        while std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0) < (gb * 1e9) as u64 {
            round += 1;
            db.execute(
                "INSERT INTO items (source_id, guid, link, canonical_link, title, summary_html, content_html, text, author, image,
                   published_at, first_seen_at, updated_at, language, category, region, content_hash, profile)
                 SELECT source_id, guid || '#' || ?1, link || '#' || ?1, canonical_link || '#' || ?1, title, summary_html,
                   summary_html || summary_html || summary_html || summary_html, text, author, image, published_at - ?1 * 3600,
                   first_seen_at, updated_at, language, category, region, NULL, profile FROM items WHERE guid NOT LIKE '%#%'",
                [round],
            )
            .unwrap();
            db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        }
    }
    let size = std::fs::metadata(&db_path).unwrap().len() as f64 / 1e9;
    let items: i64 = rusqlite::Connection::open(&db_path).unwrap().query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
    // Cold page cache is not ours to force; this is start to first answer.
    let (mut child, first) = start_daemon(&cfg, port);
    let _ = child.kill();
    let _ = child.wait();
    let (mut child, second) = start_daemon(&cfg, port);
    let _ = child.kill();
    let _ = child.wait();
    // The near-duplicate index is built from the stored profiles on a
    // thread of its own after start; the first ingest waits for it.
    let started = Instant::now();
    let mut store = syndic::store::Store::open(&db_path).unwrap();
    store.wait_for_bands();
    let (index, keys) = (started.elapsed(), store.band_keys());
    drop(store);
    println!("\n### Startup: `syndic run` to first `/healthz` answer (READY is sent at the same point)\n");
    println!(
        "| database | items | first start | second start | duplicate index (band keys, content hashes) built in the background |\n|---|---|---|---|---|"
    );
    println!("| {size:.2} GB | {items} | {} ms | {} ms | {} ms ({keys} keys) |", first.as_millis(), second.as_millis(), index.as_millis());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: usize| {
        args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let sources = value("--sources", 10_000);
    let items = value("--items", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    assert!(syndic().exists(), "build the release binary first: cargo build --release");
    let wanted: Vec<&str> = args.iter().filter(|a| !a.starts_with("--") && a.parse::<usize>().is_err()).map(String::as_str).collect();
    let all = wanted.is_empty();
    let on = |s: &str| all || wanted.contains(&s);
    if on("ingest") || wanted.contains(&"stages") {
        // --syndic-only: no Python reference and no stage table (A/B runs).
        ingest(&rt, items, value("--runs", 3).max(1), !on("ingest"), args.iter().any(|a| a == "--syndic-only"));
    }
    if wanted.contains(&"cluster") {
        let unspaced = args.iter().any(|a| a == "--unspaced");
        cluster::section(&rt, value("--sources", 500), value("--rounds", 10).max(1), value("--secs", 5) as u64, unspaced);
    }
    if wanted.contains(&"copies") {
        copies::section(&rt, value("--items", 104_000), value("--copies", 160), value("--runs", 3).max(1));
    }
    if on("cycle") {
        cycle(&rt, sources);
    }
    if on("freshness") {
        freshness(&rt);
    }
    if on("memory") {
        memory(&rt, sources);
    }
    if on("startup") {
        startup(&rt, 1.0);
    }
}
