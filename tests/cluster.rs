//! Several nodes on one PostgreSQL store (`database = "postgres://…"`),
//! run as an admin runs them: two `syndic run` processes with their own
//! replica files, one shared database, publishers on loopback. Needs a
//! PostgreSQL server (`SYNDIC_TEST_POSTGRES`; `.ci/run` starts one).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Setup, TestSource, Upstream, get, pg, wait_until};

/// Every source's own stories, and one story syndicated by two partners.
fn feed(n: usize, shared: bool) -> Vec<u8> {
    const CITIES: [&str; 12] =
        ["Алматы", "Астане", "Шымкенте", "Караганде", "Актобе", "Таразе", "Павлодаре", "Семее", "Костанае", "Атырау", "Актау", "Уральске"];
    const TOPICS: [(&str, &str); 3] = [
        ("открыли новую школу на 1200 мест", "Учащиеся начнут заниматься в здании с сентября, в нём есть бассейн и спортивный зал."),
        ("выросли цены на бензин", "Литр топлива марки АИ-92 подорожал на автозаправках за неделю, водители недовольны."),
        ("прошёл марафон", "В забеге на 42 километра участвовали спортсмены из девяти стран, победил кенийский бегун."),
    ];
    let source = format!("s{n}");
    let mut xml =
        String::from(r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://x.kz/</link>"#);
    for (i, (title, text)) in TOPICS.iter().enumerate() {
        let city = CITIES[n % CITIES.len()];
        xml.push_str(&format!(
            "<item><title>В {city} {title}</title><link>https://{source}.kz/news/{i}</link>\
             <description>{text} Об этом сообщили в акимате, город {city}.</description>\
             <pubDate>Sat, 05 Dec 2026 0{i}:{n:02}:00 +0500</pubDate></item>"
        ));
    }
    if shared {
        xml.push_str(&format!(
            "<item><title>Сенат одобрил закон о защите прав потребителей финансовых услуг</title><link>https://{source}.kz/news/senat</link>\
             <description>Сенат Парламента одобрил закон о защите прав потребителей финансовых услуг. Документ направлен на подпись Главе государства.</description>\
             <pubDate>Sat, 05 Dec 2026 05:00:00 +0500</pubDate></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

/// A node's configuration directory: the shared database, its own replica
/// and port.
fn node(sources: &[TestSource<'_>], url: &str, name: &str) -> Setup {
    let setup = Setup::with_settings(
        sources,
        "fetch_timeout = \"3s\"\nper_host_concurrency = 64\nmax_concurrent_fetches = 3\ndefault_interval = \"1h\"\n",
    );
    let path = setup.config();
    let text = std::fs::read_to_string(&path).unwrap();
    let own = format!("database = \"{}\"\n", setup.dir.path().join("syndic.db").display());
    assert!(text.contains(&own));
    let shared = format!("database = \"{url}\"\nreplica = \"replica.db\"\nnode = \"{name}\"\n");
    // Behind one load balancer, every node has the portal's address.
    let public = format!("public_url = \"http://127.0.0.1:{}\"\n", setup.port);
    assert!(text.contains(&public));
    let text = text.replace(&own, &shared).replace(&public, "public_url = \"https://news.example.kz\"\n");
    std::fs::write(&path, text).unwrap();
    setup
}

fn body(base: &str, path: &str) -> (Vec<u8>, String) {
    let (status, headers, body) = get(&format!("{base}{path}"), &[]).unwrap();
    assert_eq!(status, 200, "{path}");
    (body, headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string())
}

#[test]
fn two_nodes_share_the_sources_and_the_survivor_takes_over_a_killed_nodes_polls() {
    let Some(url) = pg::database() else { return };
    let up = Upstream::start();
    let ids: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    let urls: Vec<String> = ids
        .iter()
        .enumerate()
        // Slow answers: the node killed below dies with polls in flight.
        .map(|(i, id)| up.put(&format!("{id}.xml"), feed(i, i < 2), "slow:1500;application/rss+xml"))
        .collect();
    let sources: Vec<TestSource<'_>> = ids
        .iter()
        .zip(&urls)
        .map(|(id, url)| TestSource { id, url: url.clone(), kind: "partner", category: "politics", priority: 0 })
        .collect();
    let (a, b) = (node(&sources, &url, "a"), node(&sources, &url, "b"));
    let node_a = a.start_daemon();
    let node_b = b.start_daemon();

    // The nodes lease what is due (a node up to four times its fetches in
    // flight); the one killed below dies with leases and fetches in flight.
    assert!(wait_until(30, || up.log().len() >= 5), "the nodes did not start polling");
    let killed_at = Instant::now();
    drop(node_a); // SIGKILL, its polls in flight
    let lease = Duration::from_secs(2 * 3 + 10);

    // The survivor polls the rest, and the dead node's sources once their
    // leases expire.
    let polled = || pg::number(&url, "SELECT count(DISTINCT source) FROM log WHERE kind IN ('feed', 'fetch')");
    assert!(wait_until(90, || polled() == 12), "only {} of 12 sources were polled", polled());

    // No poll kept twice: one result per source in the log, one counted poll.
    assert_eq!(pg::number(&url, "SELECT count(*) FROM log WHERE kind IN ('feed', 'fetch')"), 12);
    assert_eq!(pg::column(&url, "SELECT id FROM sources WHERE polls <> 1"), Vec::<String>::new());
    assert!(pg::number(&url, "SELECT count(*) FROM sources WHERE leased_by IS NOT NULL") == 0, "leases left behind");
    // A publisher is asked twice only for a poll the dead node never
    // finished, and only after its lease ran out.
    let mut asked: BTreeMap<String, Vec<Instant>> = BTreeMap::new();
    for seen in up.log() {
        asked.entry(seen.path).or_default().push(seen.at);
    }
    assert_eq!(asked.len(), 12, "{asked:?}");
    let mut retaken = 0;
    for (path, times) in &asked {
        assert!(times.len() <= 2, "{path} fetched {} times", times.len());
        if let [first, second] = times[..] {
            assert!(first < killed_at, "{path}: fetched twice, the first time after the kill");
            assert!(second.duration_since(first) >= lease - Duration::from_secs(3), "{path}: taken over before the lease expired");
            retaken += 1;
        }
    }
    assert!(retaken >= 1, "the killed node had no poll in flight: {asked:?}");
    let by_b = pg::number(&url, "SELECT count(*) FROM sources WHERE polled_by = 'b'");
    assert!(by_b >= 12 - 3, "b polled {by_b}");

    // The dead node comes back on its replica and catches up from the log;
    // then both serve the same bytes with the same ETag.
    let node_a = a.start_daemon();
    let feeds = ["/feeds/all.rss", "/feeds/politics.atom", "/feeds/partners.rss", "/feeds/all.json"];
    let same = || feeds.iter().all(|f| body(&node_a.base, f) == body(&node_b.base, f));
    if !wait_until(30, same) {
        for f in feeds {
            let (x, y) = (body(&node_a.base, f), body(&node_b.base, f));
            if x != y {
                let (x, y) = (String::from_utf8_lossy(&x.0), String::from_utf8_lossy(&y.0));
                let at = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
                let around = |s: &str| s.chars().skip(at.saturating_sub(150)).take(400).collect::<String>();
                panic!("the nodes serve different {f}:\na: …{}\nb: …{}", around(&x), around(&y));
            }
        }
    }
    let (all, _) = body(&node_b.base, "/feeds/all.rss");
    let feed = common::read_feed(&all);
    // 12 sources × 3 stories, and the syndicated story once.
    assert_eq!(feed.entries.len(), 12 * 3 + 1, "{}", String::from_utf8_lossy(&all));
    let senate = feed.entries.iter().filter(|e| e.title.as_ref().is_some_and(|t| t.content.contains("Сенат"))).count();
    assert_eq!(senate, 1);
    // /status tells an admin where each node stands.
    let caught_up = || {
        let (_, _, status) = get(&format!("{}/status.json", node_a.base), &[]).unwrap();
        let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
        let shared = &status["shared_store"];
        shared["node"] == "a" && shared["applied"] == shared["head"] && shared["nodes"].as_array().is_some_and(|n| n.len() == 2)
    };
    assert!(wait_until(10, caught_up), "/status.json does not show both nodes caught up");
    let (_, _, page) = get(&format!("{}/status", node_b.base), &[]).unwrap();
    assert!(String::from_utf8_lossy(&page).contains("Общая база PostgreSQL: этот узел — b"));
    drop(node_a);
    drop(node_b);
}

#[test]
fn article_pages_are_fetched_by_one_node_and_their_text_reaches_every_node() {
    let Some(url) = pg::database() else { return };
    let up = Upstream::start();
    let base = format!("http://{}", up.addr);
    let page = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages/tengri-style.html")).unwrap();
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Пример</title><link>https://primer.kz/</link>"#,
    );
    for (slug, title) in [("a1", "Мост через Бадам"), ("a2", "Второй мост через Бадам открыли")] {
        up.put(&format!("{slug}.html"), page.clone(), "text/html");
        xml.push_str(&format!(
            "<item><title>{title}</title><link>{base}/{slug}.html</link><guid>{base}/{slug}.html</guid><description>Анонс: {title}</description></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    let feed_url = up.put("feed.xml", xml.into_bytes(), "application/rss+xml");
    let sources = [TestSource { id: "primer", url: feed_url, kind: "partner", category: "regions", priority: 0 }];
    let (a, b) = (node(&sources, &url, "a"), node(&sources, &url, "b"));
    for setup in [&a, &b] {
        setup.source_keys("primer", r#"full_text = { selector = "article.news-article", remove = [".news-meta"] }"#);
    }
    let (node_a, node_b) = (a.start_daemon(), b.start_daemon());
    let extracted = |node: &common::Daemon| {
        let (_, _, rss) = get(&format!("{}/feeds/all.rss", node.base), &[]).unwrap();
        String::from_utf8_lossy(&rss).matches("реконструкцию ещё двух мостов").count() == 2
    };
    assert!(wait_until(60, || extracted(&node_a) && extracted(&node_b)), "the full text did not reach both nodes");
    let pages = up.log().iter().filter(|s| s.path.ends_with(".html")).count();
    assert_eq!(pages, 2, "each article page is fetched once, by one node: {:?}", up.log());
    assert_eq!(pg::number(&url, "SELECT count(*) FROM log WHERE kind = 'extracted'"), 2);
    assert!(wait_until(10, || body(&node_a.base, "/feeds/all.rss") == body(&node_b.base, "/feeds/all.rss")));
}

#[test]
fn a_standalone_database_moves_into_postgres_and_a_new_node_serves_the_same_feeds() {
    let Some(url) = pg::database() else { return };
    let up = Upstream::start();
    let ids: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
    let urls: Vec<String> =
        ids.iter().enumerate().map(|(i, id)| up.put(&format!("{id}.xml"), feed(i, i < 2), "application/rss+xml")).collect();
    let sources: Vec<TestSource<'_>> = ids
        .iter()
        .zip(&urls)
        .map(|(id, url)| TestSource { id, url: url.clone(), kind: "partner", category: "politics", priority: 0 })
        .collect();
    // The portal as it ran until now: one node, its own SQLite file.
    let old = Setup::with_settings(&sources, "default_interval = \"1h\"\n");
    let config = std::fs::read_to_string(old.config()).unwrap();
    std::fs::write(
        old.config(),
        config.replace(&format!("public_url = \"http://127.0.0.1:{}\"", old.port), "public_url = \"https://news.example.kz\""),
    )
    .unwrap();
    assert!(old.syndic(&["fetch", "--all"]).status.success());
    let db = old.dir.path().join("syndic.db");
    let from = format!("sqlite:{}", db.display());
    let out = old.syndic(&["migrate", "--from", &from, "--to", &url]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("4 sources, 14 items (13 stories)") && said.contains("counted the same"), "{said}");
    // Once is all: a store with a snapshot takes no second database.
    let again = old.syndic(&["migrate", "--from", &from, "--to", &url]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("migrate into a new, empty database"));

    let standalone = old.start_daemon();
    let new = node(&sources, &url, "a");
    let node_a = new.start_daemon();
    for f in ["/feeds/all.rss", "/feeds/politics.atom", "/feeds/partners.json"] {
        assert_eq!(body(&node_a.base, f), body(&standalone.base, f), "{f}");
    }
    // The schedule moved too: nothing was polled again.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(up.log().len(), 4, "{:?}", up.log());

    // PostgreSQL down (here: a port nobody listens on): a node with a
    // replica still starts, serves what it has and says why it polls nothing.
    let served = body(&node_a.base, "/feeds/all.rss");
    drop(node_a);
    let config = std::fs::read_to_string(new.config()).unwrap();
    let down = format!("postgres://syndic@127.0.0.1:{}/nowhere", common::free_port());
    std::fs::write(new.config(), config.replace(&url, &down)).unwrap();
    let node_a = new.start_daemon();
    assert_eq!(body(&node_a.base, "/feeds/all.rss"), served);
    let (_, _, status) = get(&format!("{}/status.json", node_a.base), &[]).unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
    assert!(status["shared_store"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{status}");
}

#[test]
fn a_node_missing_a_source_waits_on_its_record_says_so_and_catches_up_after_a_reload() {
    let Some(url) = pg::database() else { return };
    let up = Upstream::start();
    let urls: Vec<String> = (0..2).map(|i| up.put(&format!("s{i}.xml"), feed(i, false), "application/rss+xml")).collect();
    let source = |i: usize| TestSource { id: ["s0", "s1"][i], url: urls[i].clone(), kind: "partner", category: "politics", priority: 0 };
    let (a, b) = (node(&[source(0), source(1)], &url, "a"), node(&[source(0)], &url, "b"));
    let (node_a, node_b) = (a.start_daemon(), b.start_daemon());
    // s1's items reach b's log before b knows s1: b waits on that record,
    // polls nothing meanwhile, and /status says which source it lacks.
    let stuck = || {
        let (_, _, status) = get(&format!("{}/status.json", node_b.base), &[]).unwrap();
        let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
        status["shared_store"]["error"].as_str().is_some_and(|e| e.contains("source s1") && e.contains("sources.toml"))
    };
    assert!(wait_until(30, stuck), "b does not say it lacks s1");
    // The admin gives b the same source list: b applies the record, and
    // the two nodes serve the same feeds.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::copy(a.dir.path().join("sources.toml"), b.dir.path().join("sources.toml")).unwrap();
    let same = || body(&node_a.base, "/feeds/all.rss") == body(&node_b.base, "/feeds/all.rss");
    assert!(wait_until(30, same), "b did not catch up after the reload");
    assert!(wait_until(10, || !stuck()));
    assert_eq!(up.log().iter().filter(|r| r.path == "s1.xml").count(), 1);

    // A third node given a's name would take a's leases for its own: it
    // does not start.
    let twin = node(&[source(0), source(1)], &url, "a");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["run", "--config"])
        .arg(twin.config())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(20, || child.try_wait().unwrap().is_some()), "a second node named a started");
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut said).unwrap();
    assert!(said.contains("a node named \"a\" was alive"), "{said}");
    drop((node_a, node_b));
}

#[test]
fn snapshots_let_the_log_be_pruned_and_a_new_node_start_from_them() {
    use syndic::cluster::log::Record;
    use syndic::cluster::snapshot;
    let Some(url) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let settings = syndic::config::ClusterSettings { url: url.clone(), node: "a".into(), lease: Duration::from_secs(60) };
        let node = syndic::cluster::Node::connect(&settings).await.unwrap();
        let replica = std::sync::Arc::new(std::sync::Mutex::new(syndic::store::Store::open(&dir.path().join("a.db")).unwrap()));
        for i in 0..5 {
            node.append(&Record::MovedTo { source: "s".into(), to: Some(format!("https://s.kz/{i}.xml")) }).await.unwrap();
        }
        // This node applied the five records (its follower would have).
        replica.lock().unwrap().set_replica_position(node.origin(), 5).unwrap();
        // Too few records for a snapshot yet: nothing happens.
        assert_eq!(snapshot::upkeep(&node, std::sync::Arc::clone(&replica), 10).await.unwrap(), snapshot::Upkeep::default());
        // Another node, alive, has applied three records: the log keeps
        // what it has not, until it has.
        let other =
            syndic::cluster::Node::connect(&syndic::config::ClusterSettings { node: "b".into(), ..settings.clone() }).await.unwrap();
        other.heartbeat(0, 3).await.unwrap();
        let done = snapshot::upkeep(&node, std::sync::Arc::clone(&replica), 5).await.unwrap();
        assert_eq!(done, snapshot::Upkeep { snapshot: Some(5), pruned: 3 });
        other.heartbeat(0, 5).await.unwrap();
        assert_eq!(
            snapshot::upkeep(&node, std::sync::Arc::clone(&replica), 5).await.unwrap(),
            snapshot::Upkeep { snapshot: None, pruned: 2 }
        );
        assert_eq!(pg::number(&url, "SELECT count(*) FROM log"), 0);
        // A new node starts from the snapshot, at record 5.
        let fresh = dir.path().join("b.db");
        assert!(snapshot::restore(&node, &fresh).await.unwrap());
        let position = syndic::store::Store::open(&fresh).unwrap().replica_position().unwrap();
        assert_eq!(position, Some((node.origin().to_string(), 5)));
    });
}

mod leases {
    use std::time::Duration;

    use syndic::cluster::log::Record;
    use syndic::cluster::{ClusterError, Node};
    use syndic::config::ClusterSettings;
    use syndic::store::FetchRecord;

    use super::pg;

    /// Starts of one host's fetches, across nodes.
    const SPACING: Duration = Duration::from_millis(1000);

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    }

    async fn node(url: &str, name: &str) -> std::sync::Arc<Node> {
        Node::connect(&ClusterSettings { url: url.into(), node: name.into(), lease: Duration::from_secs(60) }).await.unwrap()
    }

    /// The ids `node` leases.
    async fn lease(node: &Node, ids: &[&str], limit: i64, per_host: i64) -> Vec<String> {
        node.lease_due(ids, limit, per_host, SPACING).await.unwrap().into_iter().map(|(id, _)| id).collect()
    }

    fn sources(n: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("s{i}"), format!("host{}.kz", i % 2))).collect()
    }

    #[test]
    fn nodes_leasing_at_once_never_get_the_same_source_nor_more_than_a_hosts_share() {
        let Some(url) = pg::database() else { return };
        runtime().block_on(async {
            let (a, b) = (node(&url, "a").await, node(&url, "b").await);
            a.sync_sources(&sources(40)).await.unwrap();
            let ids: Vec<String> = sources(40).into_iter().map(|(id, _)| id).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            // Rounds of both nodes at once, as their ticks would.
            let (mut leased, mut waits) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                let (x, y) = tokio::join!(a.lease_due(&ids, 40, 3, SPACING), b.lease_due(&ids, 40, 3, SPACING));
                for (id, wait) in x.unwrap().into_iter().chain(y.unwrap()) {
                    leased.push(id);
                    waits.push(wait);
                }
            }
            let mut unique = leased.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), leased.len(), "a source leased twice: {leased:?}");
            // Two hosts, three live leases each, across both nodes.
            assert_eq!(leased.len(), 6, "{leased:?}");
            // Each host's three fetches start a spacing apart, whichever
            // node makes them: 0, 1 and 2 spacings from now, twice.
            let mut turns: Vec<u128> = waits.iter().map(|w| (w.as_millis() + 100) / SPACING.as_millis()).collect();
            turns.sort();
            assert_eq!(turns, vec![0, 0, 1, 1, 2, 2], "{waits:?}");
        });
    }

    #[test]
    fn a_result_that_comes_after_its_lease_expired_is_refused() {
        let Some(url) = pg::database() else { return };
        runtime().block_on(async {
            let (a, b) = (node(&url, "a").await, node(&url, "b").await);
            a.sync_sources(&[("s".into(), "h.kz".into())]).await.unwrap();
            assert_eq!(lease(&a, &["s"], 5, 2).await, vec!["s"]);
            assert!(lease(&b, &["s"], 5, 2).await.is_empty(), "a live lease is a's alone");
            // a stalls past its lease; b takes the source over.
            pg::run(&url, &["UPDATE sources SET lease_until = lease_until - 3600"]);
            assert_eq!(lease(&b, &["s"], 5, 2).await, vec!["s"]);
            let result = |next| Record::Fetch {
                source: "s".into(),
                record: FetchRecord { at: 1, status: Some(304), next_fetch_at: next, ..Default::default() },
            };
            let late = a.append(&result(100)).await;
            assert!(matches!(late, Err(ClusterError::LeaseLost(ref s)) if s == "s"), "{late:?}");
            b.append(&result(i64::MAX / 2)).await.unwrap();
            assert_eq!(pg::number(&url, "SELECT polls FROM sources WHERE id = 's'"), 1);
            assert_eq!(pg::number(&url, "SELECT count(*) FROM log"), 1);
            // Not due again before its interval, for any node.
            assert!(lease(&a, &["s"], 5, 2).await.is_empty());
        });
    }

    #[test]
    fn a_host_that_asked_one_node_to_wait_is_left_alone_by_every_node() {
        let Some(url) = pg::database() else { return };
        runtime().block_on(async {
            let (a, b) = (node(&url, "a").await, node(&url, "b").await);
            a.sync_sources(&[("x".into(), "busy.kz".into()), ("y".into(), "busy.kz".into()), ("z".into(), "calm.kz".into())])
                .await
                .unwrap();
            a.block_host("busy.kz", Duration::from_secs(120), "Retry-After").await.unwrap();
            // A shorter block later does not shorten it.
            b.block_host("busy.kz", Duration::from_secs(5), "Retry-After").await.unwrap();
            let left = b.host_blocked("busy.kz").await.unwrap().unwrap();
            assert!(left > 100, "{left}");
            assert_eq!(lease(&b, &["x", "y", "z"], 5, 2).await, vec!["z"]);
        });
    }
}

/// Not a test: how many poll results a second the log takes
/// (`cargo test --release --test cluster append_rate -- --ignored --nocapture`).
#[test]
#[ignore]
fn append_rate() {
    use syndic::cluster::log::Record;
    let Some(url) = pg::database() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let settings = syndic::config::ClusterSettings { url: url.clone(), node: "a".into(), lease: Duration::from_secs(600) };
        let node = syndic::cluster::Node::connect(&settings).await.unwrap();
        let ids: Vec<(String, String)> = (0..2000).map(|i| (format!("s{i}"), format!("h{}", i % 200))).collect();
        node.sync_sources(&ids).await.unwrap();
        let names: Vec<&str> = ids.iter().map(|(i, _)| i.as_str()).collect();
        let leased = node.lease_due(&names, 2000, 2000, Duration::ZERO).await.unwrap();
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (id, _) in leased {
            let node = std::sync::Arc::clone(&node);
            tasks.spawn(async move {
                let record =
                    Record::Fetch { source: id, record: syndic::store::FetchRecord { next_fetch_at: i64::MAX / 2, ..Default::default() } };
                node.append(&record).await.map(|_| ())
            });
        }
        let mut n = 0;
        while let Some(done) = tasks.join_next().await {
            done.unwrap().unwrap();
            n += 1;
        }
        println!("{n} appends in {:?}: {:.0}/s", started.elapsed(), n as f64 / started.elapsed().as_secs_f64());
    });
}
