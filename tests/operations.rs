//! Running under systemd and being looked after: readiness and watchdog
//! notifications, health, per-source status, a retired feed.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Setup, TestSource, Upstream, demo, get};

/// A partner source in politics, served by `up` at `path`.
fn partner<'a>(up: &Upstream, id: &'a str, path: &str, body: Vec<u8>, content_type: &str) -> TestSource<'a> {
    TestSource { id, url: up.put(path, body, content_type), kind: "partner", category: "politics", priority: 0 }
}

/// One partner source with the demo's politics feed.
fn one_partner(up: &Upstream) -> Setup {
    Setup::new(&[partner(up, "p", "p.xml", demo("partner-politics.xml"), "application/rss+xml")])
}

#[test]
fn type_notify_readiness_and_watchdog() {
    let up = Upstream::start();
    let s = one_partner(&up);
    let socket_path = s.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["run", "--config"])
        .arg(s.config())
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "2000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !(seen.contains("READY=1") && seen.contains("WATCHDOG=1")) {
        if let Ok(n) = socket.recv(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            seen.push('\n');
        }
    }
    assert!(seen.contains("READY=1"), "{seen}");
    assert!(seen.contains("STATUS=1 sources"), "{seen}");
    assert!(seen.contains("WATCHDOG=1"), "{seen}");
    // Ready means serving.
    assert_eq!(get(&format!("http://127.0.0.1:{}/healthz", s.port), &[]).unwrap().0, 200);
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    while let Ok(n) = socket.recv(&mut buf) {
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("STOPPING=1"), "{seen}");
}

#[test]
fn status_lists_broken_sources_first_and_gone_feeds_stop() {
    let up = Upstream::start();
    let sources = vec![
        partner(&up, "good", "good.xml", demo("partner-politics.xml"), "application/rss+xml"),
        partner(&up, "broken", "broken.xml", b"oops".to_vec(), "status:500"),
        partner(&up, "retired", "retired.xml", b"gone".to_vec(), "status:410"),
    ];
    let s = Setup::new(&sources);
    s.syndic(&["fetch", "--all"]);
    // The 410 source is not polled again, even when forced to be due.
    s.db().execute("UPDATE sources SET next_fetch_at = 0", []).unwrap();
    let before = up.log().iter().filter(|r| r.path == "retired.xml").count();
    s.syndic(&["fetch"]);
    assert_eq!(up.log().iter().filter(|r| r.path == "retired.xml").count(), before);
    assert_eq!(up.log().iter().filter(|r| r.path == "broken.xml").count(), 2, "a failing source keeps being probed");

    let table = String::from_utf8(s.syndic(&["sources"]).stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("SOURCE"));
    assert!(lines[1].starts_with("retired") && lines[1].contains("gone") && lines[1].contains("410 Gone"), "{table}");
    assert!(lines[2].starts_with("broken") && lines[2].contains("failing") && lines[2].contains("HTTP 500"), "{table}");
    assert!(lines[3].starts_with("good") && lines[3].contains(" ok "), "{table}");

    let daemon = s.start_daemon();
    let (status, _, body) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    assert_eq!(status, 200);
    let rows: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(rows["config_error"].is_null());
    let rows = &rows["sources"];
    let order: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(order, ["retired", "broken", "good"]);
    assert_eq!(rows[2]["items"], 2);
    assert_eq!(rows[1]["consecutive_failures"], 2);
    let (_, _, html) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Состояние источников") && html.contains("<tr class=\"gone\">"));
    // Changing the retired source's URL brings it back (to a URL of its
    // own: two sources on one feed are a configuration error).
    up.put("back.xml", demo("partner-politics.xml"), "application/rss+xml");
    let path = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("retired.xml", "back.xml");
    std::fs::write(&path, text).unwrap();
    drop(daemon);
    s.syndic(&["fetch", "--source", "retired"]);
    let table = String::from_utf8(s.syndic(&["sources"]).stdout).unwrap();
    assert!(table.lines().any(|l| l.starts_with("retired") && l.contains(" ok ")), "{table}");
}

/// A valid feed with no entries (a wrong URL that answers with an empty
/// channel, or RSS that the parser reads as empty) is a warning everywhere
/// an admin looks: `syndic fetch`, `syndic sources`, /status and /metrics.
#[test]
fn a_feed_that_reads_as_empty_is_a_warning_not_ok() {
    let up = Upstream::start();
    let padding = "<!-- ".to_string() + &"x".repeat(3000) + " -->";
    let empty = format!(
        "<?xml version=\"1.0\"?>{padding}<rss version=\"2.0\"><channel><title>Пусто</title><link>https://example.kz/</link></channel></rss>"
    );
    let sources = vec![
        partner(&up, "good", "good.xml", demo("partner-politics.xml"), "application/rss+xml"),
        partner(&up, "hollow", "hollow.xml", empty.into_bytes(), "application/rss+xml"),
    ];
    let s = Setup::new(&sources);
    let out = String::from_utf8(s.syndic(&["fetch", "--all"]).stdout).unwrap();
    assert!(out.lines().any(|l| l.starts_with("hollow") && l.contains("EMPTY") && l.contains("entries=0")), "{out}");
    let table = String::from_utf8(s.syndic(&["sources"]).stdout).unwrap();
    let hollow = table.lines().find(|l| l.starts_with("hollow")).unwrap();
    assert!(hollow.contains("empty") && hollow.contains("HTTP 200, 4 KB body, 0 entries"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("good") && l.contains(" ok ")), "{table}");

    // A daemon started before either is due again shows the stored state
    // in its metrics at once.
    let daemon = s.start_daemon();
    let (_, _, m) = get(&format!("{}/metrics", daemon.base), &[]).unwrap();
    let m = String::from_utf8(m).unwrap();
    assert!(
        m.contains("syndic_source_entries{source=\"hollow\"} 0") && m.contains("syndic_source_consecutive_failures{source=\"good\"} 0"),
        "{m}"
    );
    assert!(daemon.terminate().success());
    // Due again, so that the daemon polls both on start.
    s.db().execute("UPDATE sources SET next_fetch_at = 0", []).unwrap();
    let daemon = s.start_daemon();
    let (_, _, body) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let hollow = rows["sources"].as_array().unwrap().iter().find(|r| r["id"] == "hollow").unwrap().clone();
    assert_eq!(hollow["health"], "empty", "{hollow}");
    assert_eq!(hollow["last_entries"], 0);
    let (_, _, html) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    assert!(String::from_utf8(html).unwrap().contains("<tr class=\"empty\">"));
    // Its metrics carry each source's count.
    let counted = common::wait_until(20, || {
        let (_, _, m) = get(&format!("{}/metrics", daemon.base), &[]).unwrap();
        let m = String::from_utf8(m).unwrap();
        m.contains("syndic_source_entries{source=\"hollow\"} 0") && m.contains("syndic_source_entries{source=\"good\"} 2")
    });
    let (_, _, m) = get(&format!("{}/metrics", daemon.base), &[]).unwrap();
    assert!(counted, "{}", String::from_utf8_lossy(&m));
    assert!(daemon.terminate().success());
}

#[test]
fn sighup_reloads_sources_and_a_bad_file_keeps_the_running_config() {
    let up = Upstream::start();
    let s = Setup::new(&[partner(&up, "first", "first.xml", demo("partner-politics.xml"), "application/rss+xml")]);
    let daemon = s.start_daemon();
    let ids = || -> Vec<String> {
        let (_, _, body) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let mut ids: Vec<String> = rows["sources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let wait_for = |want: &[&str]| {
        common::wait_until(15, || ids() == want);
        assert_eq!(ids(), want);
    };
    let hup = || assert!(Command::new("kill").args(["-HUP", &daemon.child.id().to_string()]).status().unwrap().success());
    wait_for(&["first"]);
    let path = s.dir.path().join("sources.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    let second = format!(
        "{good}[[source]]\nid = \"second\"\nname = \"Second\"\nurl = \"{}\"\nkind = \"partner\"\ncategory = \"sport\"\n",
        up.put("second.json", demo("partner-sport.json"), "application/feed+json")
    );
    std::fs::write(&path, &second).unwrap();
    hup();
    wait_for(&["first", "second"]);
    // The new source is polled without a restart.
    common::wait_until(15, || up.log().iter().any(|r| r.path == "second.json"));
    assert!(up.log().iter().any(|r| r.path == "second.json"));
    // A broken edit: rejected, the running configuration stays, the daemon serves.
    std::fs::write(&path, format!("{second}[[source]]\nid = \"broken\"\n")).unwrap();
    hup();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ids(), ["first", "second"]);
    assert_eq!(get(&format!("{}/healthz", daemon.base), &[]).unwrap().0, 200);
    // …and the status page says why, with file:line:column.
    let (_, _, body) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let error = status["config_error"].as_str().unwrap_or_default().to_string();
    assert!(
        error.contains("sources.toml:")
            && error.contains("source[2] (id \"broken\"): missing required keys `name`, `url`, `kind`, `category`"),
        "{error}"
    );
    let (_, _, html) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    assert!(String::from_utf8(html).unwrap().contains("Новая конфигурация отклонена"));
    // Removing a source takes effect too.
    std::fs::write(&path, good).unwrap();
    hup();
    wait_for(&["first"]);
    let (_, _, body) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["config_error"].is_null(), "a good reload clears the error");
    assert!(daemon.terminate().success());
}

#[test]
fn metrics_count_fetches_requests_and_renders() {
    let up = Upstream::start();
    let s = Setup::new(&[
        partner(&up, "good", "good.xml", demo("partner-politics.xml"), "application/rss+xml"),
        TestSource { id: "bad", url: up.put("bad.xml", b"x".to_vec(), "status:503"), kind: "partner", category: "politics", priority: 0 },
    ]);
    let daemon = s.start_daemon();
    common::wait_until(15, || up.log().len() >= 2);
    std::thread::sleep(Duration::from_millis(300));
    get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
    get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
    get(&format!("{}/feeds/nope.rss", daemon.base), &[]).unwrap();
    let (status, headers, body) = get(&format!("{}/metrics", daemon.base), &[]).unwrap();
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = String::from_utf8(body).unwrap();
    for want in [
        "syndic_fetches_total{outcome=\"ok\"} 1",
        "syndic_fetches_total{outcome=\"failed\"} 1",
        "syndic_items_total{kind=\"new\"} 2",
        "syndic_source_consecutive_failures{source=\"bad\"} 1",
        "syndic_source_consecutive_failures{source=\"good\"} 0",
        "syndic_http_requests_total{route=\"feed\",status=\"200\"} 2",
        "syndic_http_requests_total{route=\"feed\",status=\"404\"} 1",
        "syndic_feed_renders_total 1",
        "syndic_fetch_duration_seconds_count 2",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(text.contains("syndic_source_last_success_timestamp_seconds{source=\"good\"}"));
}

#[test]
fn admin_pages_need_loopback_or_the_token() {
    let s = Setup::with_settings(&[], "admin_loopback = false\nadmin_token = \"s3cret-token-0123456789\"\n");
    let daemon = s.start_daemon();
    for path in ["/metrics", "/status", "/status.json"] {
        let url = format!("{}{path}", daemon.base);
        assert_eq!(get(&url, &[]).unwrap().0, 403, "{path}");
        assert_eq!(get(&url, &[("authorization", "Bearer wrong")]).unwrap().0, 403, "{path}");
        assert_eq!(get(&url, &[("authorization", "Bearer s3cret-token-0123456789")]).unwrap().0, 200, "{path}");
        assert_eq!(get(&format!("{url}?token=s3cret-token-0123456789"), &[]).unwrap().0, 200, "{path}");
    }
    // Feeds and health stay public.
    assert_eq!(get(&format!("{}/healthz", daemon.base), &[]).unwrap().0, 200);
    assert_eq!(get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap().0, 200);
}

#[test]
fn sigterm_during_fetches_exits_cleanly_with_their_items_committed() {
    let up = Upstream::start();
    let ids: Vec<String> = (0..4).map(|i| format!("slow{i}")).collect();
    let sources: Vec<TestSource> = ids
        .iter()
        .map(|id| TestSource {
            id,
            url: up.put(&format!("{id}.xml"), demo("partner-politics.xml"), "slow:1500;application/rss+xml"),
            kind: "partner",
            category: "politics",
            priority: 0,
        })
        .collect();
    let s = Setup::with_settings(&sources, "per_host_concurrency = 4\n");
    let daemon = s.start_daemon();
    common::wait_until(10, || up.log().len() >= 4);
    assert_eq!(s.count("SELECT count(*) FROM fetches"), 0, "fetches are still in flight");
    let started = Instant::now();
    let status = daemon.terminate();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "exit took {:?}", started.elapsed());
    // The database file alone, as an admin's backup of the stopped service
    // would copy it (without the WAL beside it), before anything opens it.
    let backup = s.dir.path().join("backup.db");
    std::fs::copy(s.dir.path().join("syndic.db"), &backup).unwrap();
    // The in-flight fetches finished and were committed before exit.
    assert_eq!(s.count("SELECT count(*) FROM fetches"), 4);
    assert_eq!(s.count("SELECT count(DISTINCT source_id) FROM items"), 4);
    // It holds them too.
    let copy = rusqlite::Connection::open(&backup).unwrap();
    let in_copy: i64 = copy.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
    assert_eq!(in_copy, s.count("SELECT count(*) FROM items"));
    assert_eq!(s.db().query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
}

#[test]
fn compact_moves_a_stopped_daemons_database_to_16_kb_pages_and_refuses_a_running_one() {
    let up = Upstream::start();
    let s = one_partner(&up);
    // A database as builds before 16 KB pages wrote it, with items.
    {
        let mut conn = s.db();
        conn.pragma_update(None, "page_size", 4096).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        syndic::store::schema::migrate(&mut conn).unwrap();
    }
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    let items = s.count("SELECT count(*) FROM items");
    assert!(items > 0);
    assert_eq!(s.count("PRAGMA page_size"), 4096);

    // Refused while the daemon has the file open; nothing changes.
    let daemon = s.start_daemon();
    let refused = s.syndic(&["compact"]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("in use") && why.contains("stop the daemon"), "{why}");
    assert!(daemon.terminate().success());
    assert_eq!(s.count("PRAGMA page_size"), 4096);

    let done = s.syndic(&["compact"]);
    assert!(done.status.success());
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.contains("pages 4096 → 16384 bytes"), "{said}");
    assert_eq!(s.count("PRAGMA page_size"), 16384);
    assert_eq!(s.count("SELECT count(*) FROM items"), items);
    assert_eq!(s.db().query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    // And the daemon runs on it.
    let daemon = s.start_daemon();
    assert!(daemon.terminate().success());
    assert_eq!(s.count("SELECT count(*) FROM items"), items);
}

/// A category slug longer than its column (10) pushed every column after
/// it out of line; columns are as wide as their content.
#[test]
fn sources_table_columns_line_up_with_long_ids_and_categories() {
    let up = Upstream::start();
    let s = Setup::new(&[
        partner(&up, "p", "p.xml", demo("partner-politics.xml"), "application/rss+xml"),
        partner(&up, "kazinform-obshchestvo-regiony", "k.xml", b"oops".to_vec(), "status:500"),
    ]);
    let path = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen("category = \"politics\"", "category = \"partners-news\"", 1);
    std::fs::write(&path, format!("[[category]]\nslug = \"partners-news\"\ntitle = \"Новости партнёров\"\n\n{text}")).unwrap();
    s.syndic(&["fetch", "--all"]);
    let table = String::from_utf8(s.syndic(&["sources"]).stdout).unwrap();
    let lines: Vec<Vec<char>> = table.lines().map(|l| l.chars().collect()).collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(table.contains("HTTP 500"), "{table}");
    let header: String = lines[0].iter().collect();
    for name in ["HEALTH", "CATEGORY", "LAST FETCH", "LAST SUCCESS", "NEXT DUE", "ERROR"] {
        let at = header[..header.find(name).unwrap()].chars().count();
        // A source without an error ends before the ERROR column.
        for line in lines[1..].iter().filter(|l| l.len() > at) {
            assert!(line[at - 1] == ' ' && line[at] != ' ', "column {name} out of line:\n{table}");
        }
    }
    for name in ["HTTP", "ITEMS", "FAIL"] {
        let end = header[..header.find(name).unwrap()].chars().count() + name.len() - 1;
        for line in &lines[1..] {
            assert!(line[end] != ' ' && line[end + 1] == ' ', "column {name} not right-aligned:\n{table}");
        }
    }
}
