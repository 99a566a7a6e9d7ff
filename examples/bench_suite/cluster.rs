//! `bench_suite cluster`: the shared PostgreSQL store next to SQLite, in
//! one run (#27). The same mock publishers and the same sources for each
//! setup: one node on its SQLite file; one node on PostgreSQL; two nodes on
//! PostgreSQL. Measured: a first cycle (every source answers 200 with
//! new items) until every node serves every item; how soon a new story
//! polled by one node is served by every node; and `all.rss` served with
//! wrk. Needs `SYNDIC_BENCH_POSTGRES` (a server where databases may be
//! made; `.ci/postgres start` prints one).

use std::process::{Child, Stdio};

use super::*;

/// One running `syndic run`.
struct Node {
    child: Child,
    base: String,
    replica: PathBuf,
    _dir: Dir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn start(urls: &[String], name: &str, shared: Option<&str>, unspaced: bool) -> Node {
    // Unspaced: no politeness wait, so that the cycle measures storing.
    let extra = if unspaced {
        "max_concurrent_fetches = 512\nper_host_spacing = \"0\"\nper_host_concurrency = 64\n"
    } else {
        "max_concurrent_fetches = 128\n"
    };
    let (dir, cfg, port) = config(&format!("cluster-{name}"), urls, extra);
    let text = std::fs::read_to_string(&cfg).unwrap();
    let replica = dir.path.join("syndic.db");
    let text = match shared {
        Some(url) => text.replace(
            &format!("database = \"{}\"", replica.display()),
            &format!("database = \"{url}\"\nreplica = \"{}\"\nnode = \"{name}\"", replica.display()),
        ),
        None => text,
    };
    std::fs::write(&cfg, format!("{text}public_url = \"https://news.example.kz\"\n")).unwrap();
    let child = Command::new(syndic()).args(["run", "--config"]).arg(&cfg).stdout(Stdio::null()).stderr(logs(name)).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(&base, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "{name} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Node { child, base, replica, _dir: dir }
}

/// `SYNDIC_BENCH_LOGS=DIR`: each node's log in DIR/NAME.log.
fn logs(name: &str) -> Stdio {
    match std::env::var_os("SYNDIC_BENCH_LOGS") {
        Some(dir) => std::fs::File::create(Path::new(&dir).join(format!("{name}.log"))).map_or_else(|_| Stdio::null(), Stdio::from),
        None => Stdio::null(),
    }
}

fn http_get(base: &str, path: &str) -> Option<Vec<u8>> {
    let out = Command::new("curl").args(["-sf", "--max-time", "5"]).arg(format!("{base}{path}")).output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn items(node: &Node) -> i64 {
    let Ok(db) = rusqlite::Connection::open_with_flags(&node.replica, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else { return 0 };
    db.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap_or(0)
}

fn database(server: &str, name: &str) -> String {
    let sql = format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}");
    for statement in sql.split("; ") {
        let ok = Command::new("psql").arg(server).args(["-qc", statement]).status().is_ok_and(|s| s.success());
        assert!(ok, "psql {statement}");
    }
    let mut url = url::Url::parse(server).unwrap();
    url.set_path(name);
    url.to_string()
}

/// Median of `xs`.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Requests a second for `all.rss` (gzip) with wrk, or `None` without it.
fn wrk(base: &str, secs: u64) -> Option<f64> {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", &format!("-d{secs}s"), "-H", "Accept-Encoding: gzip"])
        .arg(format!("{base}/feeds/all.rss"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok())
}

/// The section.
pub fn section(rt: &tokio::runtime::Runtime, sources: usize, rounds: usize, secs: u64, unspaced: bool) {
    let Some(server) = std::env::var("SYNDIC_BENCH_POSTGRES").ok() else {
        println!(
            "\n### Shared store: skipped (set SYNDIC_BENCH_POSTGRES; `eval \"$(.ci/postgres start)\"` and SYNDIC_BENCH_POSTGRES=$SYNDIC_TEST_POSTGRES)"
        );
        return;
    };
    let per_feed = 20;
    let politeness =
        if unspaced { "no per-host spacing, 64 per host at once" } else { "default politeness: 2 per host at once, 500 ms apart" };
    println!(
        "\n### Shared store: {sources} sources on {} loopback hosts, {per_feed} new items each ({politeness}); the same mock and sources for every setup\n",
        (sources / 10).max(1)
    );
    println!(
        "| setup | first cycle, every item served by every node | a new story on every node: median / max of {rounds} | all.rss gzip, wrk 2×32 |"
    );
    println!("|---|---|---|---|");
    let dates = regex::Regex::new("<pubDate>[^<]*</pubDate>").unwrap();
    let setups = [("SQLite, one node", 1, false), ("PostgreSQL, one node", 1, true), ("PostgreSQL, two nodes", 2, true)];
    for (setup, (label, nodes, shared)) in setups.into_iter().enumerate() {
        let (mock, addrs) = start_mock(rt, (sources / 10).max(1));
        let names: Vec<String> = (0..sources).map(|i| format!("s{i}.xml")).collect();
        for (i, name) in names.iter().enumerate() {
            mock.put(name.clone(), rss(&format!("s{i}"), per_feed, 0));
        }
        let urls: Vec<String> = names.iter().enumerate().map(|(i, n)| format!("http://{}/f/{n}", addrs[i % addrs.len()])).collect();
        let url = shared.then(|| database(&server, &format!("syndic_bench_{setup}")));
        let began = Instant::now();
        let running: Vec<Node> = (0..nodes).map(|n| start(&urls, &format!("n{n}"), url.as_deref(), unspaced)).collect();
        let want = (sources * per_feed) as i64;
        while running.iter().any(|n| items(n) < want) {
            assert!(began.elapsed() < Duration::from_secs(600), "{label}: the first cycle did not end");
            std::thread::sleep(Duration::from_millis(20));
        }
        let cycle = began.elapsed();
        // A new story in one feed, made due at once: from the moment the
        // publisher served it to the moment every node serves it.
        let mut lags = Vec::new();
        for round in 1..=rounds {
            let source = round % sources;
            // Dated now: the new stories top `all`, above every earlier round.
            let now = chrono::Utc::now().to_rfc2822();
            let feed = String::from_utf8(rss(&format!("s{source}"), per_feed, round)).unwrap();
            let feed = dates.replace_all(&feed, format!("<pubDate>{now}</pubDate>").as_str()).into_owned();
            mock.put(names[source].clone(), feed.into_bytes());
            let marker = format!("s{source}.mock.kz/{round}/0");
            match &url {
                Some(u) => {
                    let sql = format!("UPDATE sources SET next_fetch_at = 0 WHERE id = 's{source}'");
                    assert!(Command::new("psql").arg(u).args(["-qc", &sql]).status().unwrap().success());
                }
                None => {
                    let db = rusqlite::Connection::open(&running[0].replica).unwrap();
                    db.busy_timeout(Duration::from_secs(5)).unwrap();
                    db.execute("UPDATE sources SET next_fetch_at = 0 WHERE id = ?1", [format!("s{source}")]).unwrap();
                }
            }
            let asked = Instant::now();
            let mut seen = vec![None; running.len()];
            while seen.iter().any(Option::is_none) {
                assert!(asked.elapsed() < Duration::from_secs(60), "{label}: round {round} never served");
                for (n, node) in running.iter().enumerate() {
                    if seen[n].is_none()
                        && http_get(&node.base, "/feeds/all.json").is_some_and(|b| String::from_utf8_lossy(&b).contains(&marker))
                    {
                        seen[n] = Some(Instant::now());
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let served = mock.served.lock().unwrap().get(&names[source]).copied().unwrap_or(asked);
            let last = seen.iter().flatten().max().copied().unwrap_or(served);
            lags.push(last.saturating_duration_since(served).as_secs_f64() * 1e3);
        }
        let max = lags.iter().copied().fold(0.0, f64::max);
        let rate = wrk(&running[0].base, secs).map_or("— (no wrk)".to_string(), |r| format!("{r:.0} req/s"));
        println!("| {label} | {:.1} s | {:.0} ms / {:.0} ms | {rate} |", cycle.as_secs_f64(), median(lags), max);
        drop(running);
    }
}
