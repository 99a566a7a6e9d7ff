//! Full text end to end: a feed of teasers, article pages on a loopback
//! server, `syndic fetch` and `syndic run` as an admin runs them.
//! Pages that work are extracted and republished as `content:encoded`;
//! a page over the body cap, a page that times out and a selector that
//! matches nothing leave the feed's own summary in place, and the broken
//! selector is flagged on /status and in /metrics.

mod common;

use common::{Setup, TestSource, Upstream, get, read_feed, wait_until};

fn page(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages").join(name)).unwrap()
}

/// An RSS feed of teaser items; `None` dates are left out.
fn feed(base: &str, items: &[(&str, &str, Option<&str>)]) -> Vec<u8> {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Пример</title><link>https://primer.kz/</link>"#,
    );
    for (slug, title, date) in items {
        xml.push_str(&format!(
            "<item><title>{title}</title><link>{base}/{slug}.html</link><guid>{base}/{slug}.html</guid><description>Анонс: {title}</description>{}</item>",
            date.map(|d| format!("<pubDate>{d}</pubDate>")).unwrap_or_default()
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

#[test]
fn pages_are_extracted_failures_keep_the_summary() {
    let up = Upstream::start();
    let base = format!("http://{}", up.addr);
    up.put("a1.html", page("tengri-style.html"), "text/html");
    // windows-1251, announced only by a <meta> after 7 KB, no HTTP charset.
    up.put("a2.html", page("cp1251-late-meta.html"), "text/html");
    // Over the 200 KB body cap.
    let mut huge = page("tengri-style.html");
    huge.extend(std::iter::repeat_n(b' ', 300_000));
    up.put("a3.html", huge, "text/html");
    // Slower than the 2 s fetch timeout.
    up.put("a4.html", page("tengri-style.html"), "slow:6000;text/html");
    let url = up.put(
        "feed.xml",
        feed(
            &base,
            &[
                ("a1", "Мост через Бадам", None),
                ("a2", "Мост в кодировке 1251", Some("Thu, 19 Nov 2026 10:00:00 +0500")),
                ("a3", "Огромная страница", Some("Thu, 19 Nov 2026 09:00:00 +0500")),
                ("a4", "Медленная страница", Some("Thu, 19 Nov 2026 08:00:00 +0500")),
            ],
        ),
        "application/rss+xml",
    );
    let setup = Setup::with_settings(
        &[TestSource { id: "primer", url, kind: "partner", category: "regions", priority: 0 }],
        "max_body_bytes = 200000\nfetch_timeout = \"2s\"\n",
    );
    setup.source_keys("primer", r#"full_text = { selector = "article.news-article", remove = [".news-meta"] }"#);
    let out = setup.syndic(&["fetch", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("full text: 2 of 4 pages extracted"), "{stdout}");

    let db = setup.db();
    let full = |slug: &str| -> Option<String> {
        db.query_row("SELECT full_html FROM items WHERE guid LIKE ?1", [format!("%/{slug}.html")], |r| r.get(0)).unwrap()
    };
    let a1 = full("a1").expect("a1 extracted");
    assert!(a1.contains("реконструкцию ещё двух мостов") && !a1.contains("Новости партнеров"), "{a1}");
    let a2 = full("a2").expect("a2 extracted");
    assert!(a2.contains("реконструкцию ещё двух мостов"), "windows-1251 page mis-decoded: {a2}");
    assert_eq!(full("a3"), None);
    assert_eq!(full("a4"), None);
    // The timeout will be retried; the page over the cap will not.
    let jobs: Vec<(String, i64)> = db
        .prepare("SELECT url, attempts FROM extract_jobs")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(jobs, vec![(format!("{base}/a4.html"), 1)]);
    let errors: Vec<String> = db
        .prepare("SELECT error FROM extractions WHERE ok = 0 ORDER BY error")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(errors.iter().any(|e| e.contains("200000-byte limit")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("timed out") && e.contains("will retry")), "{errors:?}");

    // The republished feed: full text where there is one, summary elsewhere;
    // the page's date and og:image fill what the feed lacked.
    let out_dir = setup.dir.path().join("out");
    assert!(setup.syndic(&["publish", "--out", out_dir.to_str().unwrap()]).status.success());
    let rss = std::fs::read(out_dir.join("feeds/all.rss")).unwrap();
    let feed = read_feed(&rss);
    let entry = |title: &str| feed.entries.iter().find(|e| e.title.as_ref().is_some_and(|t| t.content == title)).unwrap().clone();
    let e1 = entry("Мост через Бадам");
    let body = e1.content.and_then(|c| c.body).unwrap_or_default();
    assert!(body.contains("9,4 млрд тенге") && !body.contains("Читайте также"), "{body}");
    assert_eq!(e1.published.map(|d| d.to_rfc3339()).as_deref(), Some("2026-11-20T09:05:00+00:00"));
    assert!(String::from_utf8_lossy(&rss).contains(&format!(r#"<enclosure url="{base}/uploads/2026/11/most-shymkent-1200.jpg""#)));
    let e3 = entry("Огромная страница");
    assert!(e3.content.and_then(|c| c.body).is_none());
    assert!(e3.summary.map(|s| s.content).unwrap_or_default().contains("Анонс: Огромная страница"));
}

#[test]
fn broken_selector_is_flagged_and_summaries_stay() {
    let up = Upstream::start();
    let base = format!("http://{}", up.addr);
    for slug in ["b1", "b2", "b3"] {
        up.put(&format!("{slug}.html"), page("tengri-style.html"), "text/html");
    }
    let url =
        up.put("feed.xml", feed(&base, &[("b1", "Первая", None), ("b2", "Вторая", None), ("b3", "Третья", None)]), "application/rss+xml");
    let setup = Setup::new(&[TestSource { id: "redesigned", url, kind: "partner", category: "regions", priority: 0 }]);
    // The site moved its story into another container.
    setup.source_keys("redesigned", r#"full_text = { selector = "div.article__body" }"#);
    let daemon = setup.start_daemon();
    assert!(wait_until(30, || setup.count("SELECT count(*) FROM extractions") >= 3), "extractions did not run");
    let (status, _, body) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    let html = String::from_utf8_lossy(&body);
    assert_eq!(status, 200);
    assert!(html.contains("BROKEN: selector matched nothing on the last 3 pages"), "{html}");
    assert!(html.contains("degraded"), "{html}");
    let (_, _, metrics) = get(&format!("{}/metrics", daemon.base), &[]).unwrap();
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains(r#"syndic_extract_broken{source="redesigned"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"syndic_extractions_total{source="redesigned",outcome="no_match"} 3"#), "{metrics}");
    let (_, _, rss) = get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
    let feed = read_feed(&rss);
    assert_eq!(feed.entries.len(), 3);
    for e in &feed.entries {
        assert!(e.content.is_none(), "no full text for a broken selector");
        assert!(e.summary.as_ref().unwrap().content.starts_with("Анонс:"));
    }
    let (_, _, json) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let alert = &json["sources"][0]["full_text"]["health"]["alert"];
    assert!(alert.as_str().unwrap_or_default().contains("matched nothing"), "{json}");
}

#[test]
fn partner_policy_excerpt_and_attribution() {
    let up = Upstream::start();
    let base = format!("http://{}", up.addr);
    up.put("p1.html", page("tengri-style.html"), "text/html");
    let url = up.put("feed.xml", feed(&base, &[("p1", "Мост через Бадам", None)]), "application/rss+xml");
    let setup = Setup::new(&[TestSource { id: "licensed", url, kind: "partner", category: "regions", priority: 0 }]);
    setup.source_keys(
        "licensed",
        "full_text = \"auto\"\npublish = \"excerpt\"\nexcerpt_chars = 120\nattribution = \"© Пример Инфо, перепечатка по договору\"",
    );
    assert!(setup.syndic(&["fetch", "--all"]).status.success());
    let out_dir = setup.dir.path().join("out");
    assert!(setup.syndic(&["publish", "--out", out_dir.to_str().unwrap()]).status.success());
    for ext in ["rss", "atom", "json"] {
        let bytes = std::fs::read(out_dir.join(format!("feeds/all.{ext}"))).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("9,4 млрд тенге"), "{ext}: the full story went out under an excerpt-only policy");
        assert!(text.contains("© Пример Инфо, перепечатка по договору"), "{ext}: attribution missing");
        assert!(text.contains("Мост длиной 240 метров"), "{ext}: the excerpt (from the extracted story) is missing");
    }
    let feed = read_feed(&std::fs::read(out_dir.join("feeds/all.rss")).unwrap());
    let summary = &feed.entries[0].summary.as_ref().unwrap().content;
    let excerpt = summary.split("<p class=\"attribution\">").next().unwrap();
    let excerpt_text = syndic::normalize::text::html_to_text(excerpt);
    assert!(excerpt_text.chars().count() <= 121 && excerpt_text.ends_with('…'), "{excerpt_text}");
}

/// Issue #24: an item link is fetched for full text only if it stays in
/// the reach of the feed's own address class (a loopback test feed: public
/// and loopback), judged for every address form and redirect hop, and
/// never at syndic's own listener, whose admin pages would otherwise be
/// extracted and republished to every reader.
#[test]
fn item_links_into_internal_addresses_or_syndic_itself_are_not_fetched() {
    let up = Upstream::start();
    let base = format!("http://{}", up.addr);
    up.put("ok.html", page("tengri-style.html"), "text/html");
    up.put("bounce.html", Vec::new(), "redirect:302;http://[::ffff:169.254.169.254]/latest/meta-data/");
    let port = common::free_port();
    let links = [
        ("metadata", "http://169.254.169.254/latest/meta-data/".to_string()),
        ("mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/".to_string()),
        ("nat64", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/".to_string()),
        ("sixtofour", "http://[2002:a9fe:a9fe::1]/latest/".to_string()),
        ("private", "http://[::ffff:10.0.0.1]/admin".to_string()),
        ("bounce", format!("{base}/bounce.html")),
        ("status", format!("http://127.0.0.1:{port}/status")),
        ("status-mapped", format!("http://[::ffff:127.0.0.1]:{port}/status")),
        ("status-localhost", format!("http://localhost:{port}/status.json")),
        ("status-any", format!("http://0.0.0.0:{port}/sources.opml")),
        ("ok", format!("{base}/ok.html")),
    ];
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Пример</title><link>https://primer.kz/</link>"#,
    );
    for (slug, link) in &links {
        xml.push_str(&format!("<item><title>Новость {slug}</title><link>{link}</link><guid isPermaLink=\"false\">{slug}</guid><description>Анонс: {slug}</description></item>"));
    }
    xml.push_str("</channel></rss>");
    let url = up.put("feed.xml", xml.into_bytes(), "application/rss+xml");
    let mut setup = Setup::with_settings(
        &[TestSource { id: "hostile", url, kind: "partner", category: "regions", priority: 0 }],
        "connect_timeout = \"2s\"\nfetch_timeout = \"4s\"\n",
    );
    // The daemon listens on the port the links name.
    let settings = std::fs::read_to_string(setup.config()).unwrap().replace(&setup.port.to_string(), &port.to_string());
    std::fs::write(setup.config(), settings).unwrap();
    setup.port = port;
    // "body": whatever a page holds is taken, the status page included.
    setup.source_keys("hostile", r#"full_text = { selector = "body" }"#);
    let daemon = setup.start_daemon();
    let attempts = links.len() as i64;
    assert!(wait_until(60, || setup.count("SELECT count(*) FROM extractions") >= attempts), "extractions did not run");

    let errors: Vec<String> = setup
        .db()
        .prepare("SELECT error FROM extractions WHERE ok = 0")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(errors.len(), links.len() - 1, "{errors:?}");
    for error in &errors {
        assert!(error.contains("refused"), "refused before any connection, not failed or timed out: {error}");
    }
    assert!(errors.iter().any(|e| e.contains("own listener")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("redirect from a loopback address to a link-local one refused")), "{errors:?}");
    assert_eq!(setup.count("SELECT count(*) FROM extract_jobs"), 0, "a refusal is final, not retried");
    assert_eq!(setup.count("SELECT count(*) FROM items WHERE full_html IS NOT NULL"), 1, "only the public-class page");

    for ext in ["rss", "atom", "json"] {
        let (status, _, body) = get(&format!("{}/feeds/all.{ext}", daemon.base), &[]).unwrap();
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, 200);
        assert!(text.contains("9,4 млрд тенге"), "{ext}: the allowed page's story is missing");
        for leak in ["Состояние источников", "Рубрика", "config_error"] {
            assert!(!text.contains(leak), "{ext}: syndic's own admin page was republished ({leak})");
        }
    }
}
