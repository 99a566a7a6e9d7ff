//! End to end on the project's own fixtures: a loopback upstream, the
//! `syndic` binary, the republished feeds read back as a reader would.

mod common;

use common::{Setup, TestSource, Upstream, get, read_feed};

fn fixture(name: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read(root.join("tests/fixtures").join(name)).or_else(|_| std::fs::read(root.join("data/demo").join(name))).unwrap()
}

/// The demo feeds plus the KOI8-R and broken fixtures, served upstream.
fn setup() -> (Upstream, Setup) {
    let up = Upstream::start();
    let src = |id, file: &str, ct: &str, kind, category, priority| TestSource {
        id,
        url: up.put(file, fixture(file), ct),
        kind,
        category,
        priority,
    };
    let sources = vec![
        src("almaty-desk", "almaty-desk.xml", "application/rss+xml", "regional", "regions", 20),
        src("shymkent-desk", "shymkent-desk-kk.xml", "application/atom+xml", "regional", "regions", 20),
        src("partner-politics", "partner-politics.xml", "application/rss+xml", "partner", "politics", 10),
        src("partner-1251", "partner-1251.xml", "text/xml", "partner", "regions", 0),
        src("partner-sport", "partner-sport.json", "application/feed+json", "partner", "sport", 5),
        src("koi8r", "koi8r.xml", "text/xml; charset=koi8-r", "partner", "world", 0),
        src("broken", "broken-ampersand.xml", "application/rss+xml", "partner", "economy", 0),
    ];
    let setup = Setup::new(&sources);
    (up, setup)
}

#[test]
fn fetch_stores_every_entry_once_and_merges_duplicates() {
    let (_up, s) = setup();
    let out = s.syndic(&["fetch", "--all"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 sources polled, 0 failed"), "{stdout}");
    // 3 + 2 + 2 + 3 + 2 + 2 + 3 entries.
    assert_eq!(s.count("SELECT count(*) FROM items"), 17);
    // The budget story (same canonical link) and the metro story (same text).
    assert_eq!(s.count("SELECT count(*) FROM items WHERE duplicate_of IS NOT NULL"), 2);
    // The higher-priority copies are canonical.
    let canonical: String = s
        .db()
        .query_row(
            "SELECT c.source_id FROM items d JOIN items c ON c.id = d.duplicate_of WHERE d.source_id = 'partner-1251' AND d.title LIKE 'В Алматы%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(canonical, "almaty-desk");
    // Each fetch is recorded once, with what it stored (the writer records
    // it in the transaction that stores its items).
    assert_eq!(s.count("SELECT count(*) FROM fetches WHERE status = 200 AND error IS NULL"), 7);
    assert_eq!(s.count("SELECT sum(new_items) FROM fetches"), 17);
    assert_eq!(s.count("SELECT sum(duplicates) FROM fetches"), 2);
    assert_eq!(s.count("SELECT count(*) FROM sources WHERE last_status = 200 AND last_success_at IS NOT NULL AND etag IS NOT NULL"), 7);

    // A second pass: everything answers 304 and nothing is added.
    let out = s.syndic(&["fetch", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("304     not modified").count(), 7, "{stdout}");
    assert_eq!(s.count("SELECT count(*) FROM items"), 17);
    assert_eq!(s.count("SELECT count(*) FROM fetches WHERE status = 304"), 7);
}

#[test]
fn second_request_is_conditional() {
    let (up, s) = setup();
    s.syndic(&["fetch", "--source", "partner-politics"]);
    s.syndic(&["fetch", "--source", "partner-politics"]);
    let log: Vec<_> = up.log().into_iter().filter(|r| r.path == "partner-politics.xml").collect();
    assert_eq!(log.len(), 2);
    assert!(log[0].headers.get("if-none-match").is_none());
    assert!(log[1].headers.get("if-none-match").is_some(), "second request must carry the stored ETag");
    assert!(log[0].headers.get("user-agent").is_some_and(|ua| ua.to_str().unwrap().starts_with("syndic/")));
}

#[test]
fn not_due_sources_are_not_fetched_again() {
    let (up, s) = setup();
    s.syndic(&["fetch"]);
    let first = up.log().len();
    assert_eq!(first, 7);
    let out = s.syndic(&["fetch"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 sources polled"));
    assert_eq!(up.log().len(), first, "nothing is due yet");
}

#[test]
fn failing_source_is_recorded_and_others_still_ingest() {
    let (up, _) = setup();
    let sources = vec![
        TestSource { id: "gone", url: format!("http://{}/missing.xml", up.addr), kind: "partner", category: "politics", priority: 0 },
        TestSource {
            id: "html",
            url: up.put("page.html", b"<html><body>Not a feed</body></html>".to_vec(), "text/html"),
            kind: "partner",
            category: "politics",
            priority: 0,
        },
        TestSource {
            id: "ok",
            url: up.put("ok.xml", fixture("partner-politics.xml"), "application/rss+xml"),
            kind: "partner",
            category: "politics",
            priority: 0,
        },
    ];
    let s = Setup::new(&sources);
    let out = s.syndic(&["fetch", "--all"]);
    // The others are stored; the command says how many failed and exits 1 (#26).
    assert_eq!(out.status.code(), Some(1), "a failed source fails the command");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 of 3 sources failed"), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("gone") && stdout.contains("HTTP 404"), "{stdout}");
    assert!(stdout.contains("html") && stdout.contains("not a valid feed"), "{stdout}");
    assert_eq!(s.count("SELECT count(*) FROM items WHERE source_id = 'ok'"), 2);
    assert_eq!(s.count("SELECT consecutive_failures FROM sources WHERE id = 'gone'"), 1);
    let error: String = s.db().query_row("SELECT last_error FROM sources WHERE id = 'html'", [], |r| r.get(0)).unwrap();
    assert!(error.contains("not a valid feed"), "{error}");
}

#[test]
fn republished_feeds_are_clean_cached_and_conditional() {
    let (_up, s) = setup();
    s.syndic(&["fetch", "--all"]);
    let daemon = s.start_daemon();
    let (status, headers, body) = get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/rss+xml; charset=utf-8");
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("atom:link") && text.contains("rel=\"self\""));
    let feed = read_feed(&body);
    // 17 stored, 2 of them duplicates: 15 stories.
    assert_eq!(feed.entries.len(), 15);
    let mut links = std::collections::HashSet::new();
    for e in &feed.entries {
        let title = &e.title.as_ref().unwrap().content;
        assert!(!title.contains('\u{fffd}') && !title.contains("&nbsp;") && !title.contains('<'), "{title}");
        let link = &e.links[0].href;
        assert!(!link.contains("utm_") && !link.contains("fbclid") && !link.contains("yclid"), "{link}");
        assert!(links.insert(link.clone()), "duplicate link {link}");
        assert!(e.published.is_some());
    }
    let titles: Vec<&str> = feed.entries.iter().map(|e| e.title.as_ref().unwrap().content.as_str()).collect();
    for want in [
        "Ёлку установят на площади Республики",
        "Компания AT&T открыла офис в Алматы",
        "Шымкентте жаңа мектеп ашылды",
        "Снегопад ожидается в Алматы на выходных",
    ] {
        assert!(titles.contains(&want), "{want} missing from {titles:?}");
    }
    // Nothing executable survives.
    assert!(!text.contains("<script") && !text.contains("javascript:") && !text.contains("onclick"));
    // Credits for the merged story.
    assert!(text.contains("Также: <a href=\"https://www.partner-news.example.kz/politics/budget-2027/\">partner-1251</a>"), "{text}");
    assert!(
        text.contains(
            "<syndic:alsoReportedBy url=\"https://www.partner-news.example.kz/politics/budget-2027/\">partner-1251</syndic:alsoReportedBy>"
        ),
        "{text}"
    );

    // Repeat with validators: 304, both ways.
    let etag = headers["etag"].to_str().unwrap().to_string();
    let lm = headers["last-modified"].to_str().unwrap().to_string();
    assert_eq!(get(&format!("{}/feeds/all.rss", daemon.base), &[("if-none-match", &etag)]).unwrap().0, 304);
    assert_eq!(get(&format!("{}/feeds/all.rss", daemon.base), &[("if-modified-since", &lm)]).unwrap().0, 304);
    // gzip when asked, same bytes inside.
    let (_, gz_headers, gz) = get(&format!("{}/feeds/all.rss", daemon.base), &[("accept-encoding", "gzip")]).unwrap();
    assert_eq!(gz_headers["content-encoding"], "gzip");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
    assert_eq!(plain, body);

    // Category feed: the merged politics story from both sources, once.
    let (_, _, body) = get(&format!("{}/feeds/politics.rss", daemon.base), &[]).unwrap();
    let politics = read_feed(&body);
    assert_eq!(politics.entries.len(), 2);
    // Unknown feeds are 404s; the index lists every feed with autodiscovery.
    assert_eq!(get(&format!("{}/feeds/nope.rss", daemon.base), &[]).unwrap().0, 404);
    assert_eq!(get(&format!("{}/feeds/../../etc/passwd", daemon.base), &[]).unwrap().0, 404);
    let (_, _, index) = get(&format!("{}/", daemon.base), &[]).unwrap();
    let index = String::from_utf8(index).unwrap();
    assert!(index.contains("rel=\"alternate\" type=\"application/rss+xml\""));
    assert!(index.contains("/feeds/politics.rss"));

    // The feedparser check (Python), when this machine has it.
    common::feedparser_check(&[("all.rss", &text)]);

    let status = daemon.terminate();
    assert!(status.success(), "SIGTERM must exit 0, got {status:?}");
}

#[test]
fn check_reports_errors_with_location_and_exit_code() {
    let (_up, s) = setup();
    let out = s.syndic(&["check"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: 7 sources, 5 categories"));
    let sources = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&sources).unwrap().replacen("kind = \"partner\"", "kind = \"pal\"", 1);
    std::fs::write(&sources, text).unwrap();
    let out = s.syndic(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sources.toml:")
            && stderr.contains(".kind (id ")
            && stderr.contains("expected one of \"regional\", \"partner\", found the text \"pal\""),
        "{stderr}"
    );
}

#[test]
fn body_over_the_cap_fails_that_source_only() {
    let up = Upstream::start();
    let big = format!(
        "<rss version=\"2.0\"><channel><title>big</title>{}</channel></rss>",
        "<item><title>Очень длинная лента</title><description>текст текст текст</description></item>".repeat(200)
    );
    let sources = vec![
        TestSource {
            id: "big",
            url: up.put("big.xml", big.into_bytes(), "application/rss+xml"),
            kind: "partner",
            category: "politics",
            priority: 0,
        },
        TestSource {
            id: "small",
            url: up.put("small.xml", fixture("partner-politics.xml"), "application/rss+xml"),
            kind: "partner",
            category: "politics",
            priority: 0,
        },
    ];
    let s = Setup::with_settings(&sources, "max_body_bytes = 4096\n");
    let out = s.syndic(&["fetch", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("exceeds the 4096-byte limit"), "{stdout}");
    assert_eq!(s.count("SELECT count(*) FROM items WHERE source_id = 'big'"), 0);
    assert_eq!(s.count("SELECT count(*) FROM items WHERE source_id = 'small'"), 2);
}

/// Rendered feeds are cached and re-rendered only when their slice changes.
#[test]
fn only_touched_feeds_are_rendered_again() {
    let (_up, s) = setup();
    let config = syndic::config::load(&s.config()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let daemon = syndic::daemon::Daemon::start(config).unwrap();
    let pick = |id: &str| daemon.config.source(id).unwrap().clone();
    runtime.block_on(daemon.poll_all(&[pick("partner-politics")]));
    use syndic::model::Slice;
    use syndic::publish::Format;
    let feed = |slice: Slice| daemon.publisher.feed(&slice, Format::Rss).unwrap().unwrap();
    let politics = feed(Slice::Category("politics".into()));
    let sport = feed(Slice::Category("sport".into()));
    let all = feed(Slice::All);
    assert_eq!(politics.items, 2);
    assert_eq!(sport.items, 0);
    // Unchanged: served from the cache.
    assert!(std::sync::Arc::ptr_eq(&politics, &feed(Slice::Category("politics".into()))));
    // A sport source brings items: sport and all change, politics does not.
    runtime.block_on(daemon.poll_all(&[pick("partner-sport")]));
    assert!(std::sync::Arc::ptr_eq(&politics, &feed(Slice::Category("politics".into()))));
    assert_eq!(feed(Slice::Category("sport".into())).items, 2);
    assert_eq!(feed(Slice::All).items, 4);
    assert!(!std::sync::Arc::ptr_eq(&all, &feed(Slice::All)));
    // A repeat fetch that changes nothing re-renders nothing.
    let all = feed(Slice::All);
    runtime.block_on(daemon.poll_all(&[pick("partner-sport")]));
    assert!(std::sync::Arc::ptr_eq(&all, &feed(Slice::All)));
}

/// Retention deletes old stories with their copies, but never one that a
/// feed still shows as one of its newest.
#[test]
fn retention_prunes_old_stories_but_not_a_feeds_newest() {
    let (_up, s) = setup();
    let settings = s.config();
    let text = std::fs::read_to_string(&settings).unwrap().replace("items_per_feed = 1000", "items_per_feed = 1\nretention = \"1h\"");
    std::fs::write(&settings, text).unwrap();
    s.syndic(&["fetch", "--all"]);
    let before = s.count("SELECT count(*) FROM items");
    assert_eq!(before, 17);
    let config = syndic::config::load(&settings).unwrap();
    let daemon = syndic::daemon::Daemon::start(config).unwrap();
    let shown: Vec<String> = daemon
        .publisher
        .slices()
        .iter()
        .filter_map(|slice| daemon.publisher.feed(slice, syndic::publish::Format::Rss).unwrap())
        .map(|f| String::from_utf8(f.body.to_vec()).unwrap())
        .collect();
    let deleted = daemon.prune().unwrap();
    assert!(deleted > 0);
    let after = s.count("SELECT count(*) FROM items");
    assert_eq!(before - after, deleted as i64);
    // Every story a feed showed is still there.
    let db = s.db();
    for feed in shown {
        for title in feed.split("<title>").skip(2).filter_map(|t| t.split("</title>").next()) {
            let title = title.replace("&amp;", "&");
            let n: i64 = db.query_row("SELECT count(*) FROM items WHERE title = ?1", [&title], |r| r.get(0)).unwrap();
            assert!(n > 0, "{title} was pruned while shown");
        }
    }
    // No copy is left pointing at a deleted story, and the file is sound.
    assert_eq!(
        s.count(
            "SELECT count(*) FROM items d LEFT JOIN items c ON c.id = d.duplicate_of WHERE d.duplicate_of IS NOT NULL AND c.id IS NULL"
        ),
        0
    );
    assert_eq!(db.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
}
