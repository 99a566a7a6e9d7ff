//! What people see: a feed URL opened in a browser is a page, while every
//! feed reader gets the same XML bytes as before; `feeds.opml` downloads;
//! the index and `/status` speak the portal's name, zone and category
//! titles, with a summary line.

mod common;

use common::{Setup, TestSource, Upstream, get};

const CHROME: &[(&str, &str)] = &[
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ),
    ("Sec-Fetch-Dest", "document"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
];
const FIREFOX_PLAIN_HTTP: &[(&str, &str)] = &[("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")];

/// Readers' requests: the `Accept` each sends (none for Feedly's fetcher
/// and Thunderbird).
const READERS: &[(&str, Option<&str>)] = &[
    (
        "feedparser",
        Some(
            "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1",
        ),
    ),
    (
        "Miniflux",
        Some(
            "application/xml, application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, text/html, */*;q=0.9",
        ),
    ),
    (
        "FreshRSS",
        Some(
            "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1, application/unknown;q=0.1, */*;q=0.1",
        ),
    ),
    ("newsboat", Some("*/*")),
    ("Feedly", None),
];

fn setup(up: &Upstream) -> Setup {
    let url = up.put("almaty.xml", common::demo("almaty-desk.xml"), "application/rss+xml");
    let s = Setup::with_settings(
        &[TestSource { id: "almaty-desk", url, kind: "regional", category: "politics", priority: 0 }],
        "timezone = \"Asia/Almaty\"\ntitle = \"Вести Жетысу\"\n",
    );
    let sources = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&sources).unwrap().replace("title = \"politics\"", "title = \"Политика\"");
    std::fs::write(&sources, text).unwrap();
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    s
}

fn header(h: &reqwest::header::HeaderMap, name: &str) -> String {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[test]
fn a_browser_gets_a_page_and_every_reader_the_same_xml() {
    let up = Upstream::start();
    let s = setup(&up);
    let daemon = s.start_daemon();
    for (ext, content_type) in [("rss", "application/rss+xml; charset=utf-8"), ("atom", "application/atom+xml; charset=utf-8")] {
        let url = format!("{}/feeds/politics.{ext}", daemon.base);
        let (status, feed_headers, xml) = get(&url, &[]).unwrap();
        assert_eq!(status, 200);
        assert_eq!(header(&feed_headers, "content-type"), content_type);
        assert!(header(&feed_headers, "vary").contains("Accept"), "{ext}: a cache must key on Accept");
        // Every reader, first and again (the second is answered from the
        // render cache, before the router): the very same bytes.
        for (reader, accept) in READERS {
            for _ in 0..2 {
                let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept", *a)).collect();
                let (status, h, body) = get(&url, &headers).unwrap();
                assert_eq!((status, header(&h, "content-type").as_str()), (200, content_type), "{reader} {ext}");
                assert!(body == xml, "{reader} got other bytes for .{ext}");
            }
        }
        // A browser, over HTTPS-like (Sec-Fetch-*) and plain HTTP: the page.
        for browser in [CHROME, FIREFOX_PLAIN_HTTP] {
            let (status, h, page) = get(&url, browser).unwrap();
            assert_eq!(status, 200);
            assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8", "{ext}");
            assert!(header(&h, "content-security-policy").contains("script-src 'self'"));
            let page = String::from_utf8(page).unwrap();
            // The heading, the stories linked, their dates in the portal's zone.
            assert!(page.contains("<h1>Политика</h1>") && page.contains(">Вести Жетысу</a>"), "{page}");
            assert!(
                page.contains("<a href=\"https://almaty.example.kz/news/metro-sairan\">В Алматы открыли новую станцию метро «Сайран»</a>")
            );
            assert!(page.contains(">23.11.2026 10:15</time>"), "10:15 +05:00 is shown as 10:15 in Asia/Almaty:\n{page}");
            assert!(page.contains("Asia/Almaty, UTC+05:00"));
            // How to subscribe: the address to copy and the readers' buttons.
            assert!(page.contains(&format!("value=\"{url}\"")) && page.contains("Копировать"));
            let encoded = url.replace(':', "%3A").replace('/', "%2F");
            for reader in [
                format!("https://feedly.com/i/subscription/feed%2F{encoded}"),
                format!("https://www.inoreader.com/?add_feed={encoded}"),
                format!("https://www.newsblur.com/?url={encoded}"),
                format!("https://theoldreader.com/feeds/subscribe?url={encoded}"),
            ] {
                assert!(page.contains(&reader), "no {reader}");
            }
            // The page has its own tag: a browser's revalidation is not
            // answered with the feed's, nor a reader's with the page's.
            let page_tag = header(&h, "etag");
            let feed_tag = header(&feed_headers, "etag");
            assert_ne!(page_tag, feed_tag);
            assert_eq!(get(&url, &[browser, &[("If-None-Match", page_tag.as_str())]].concat()).unwrap().0, 304);
            assert_eq!(get(&url, &[browser, &[("If-None-Match", feed_tag.as_str())]].concat()).unwrap().0, 200);
            assert_eq!(get(&url, &[("If-None-Match", page_tag.as_str())]).unwrap().0, 200);
            assert_eq!(get(&url, &[("If-None-Match", feed_tag.as_str())]).unwrap().0, 304);
        }
    }
    // The copy button's script is served; JSON Feed stays JSON for browsers.
    let (status, h, _) = get(&format!("{}/feed-page.js", daemon.base), &[]).unwrap();
    assert_eq!((status, header(&h, "content-type").as_str()), (200, "text/javascript; charset=utf-8"));
    let (_, h, _) = get(&format!("{}/feeds/politics.json", daemon.base), CHROME).unwrap();
    assert_eq!(header(&h, "content-type"), "application/feed+json; charset=utf-8");
}

/// Readers see the portal's name in channel titles, and feedparser reads
/// the feeds as it did.
#[test]
fn channel_titles_carry_the_portal_name() {
    let up = Upstream::start();
    let s = setup(&up);
    let daemon = s.start_daemon();
    for ext in ["rss", "atom", "json"] {
        let (_, _, body) = get(&format!("{}/feeds/politics.{ext}", daemon.base), &[]).unwrap();
        let title = if ext == "json" {
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()["title"].as_str().unwrap().to_string()
        } else {
            common::read_feed(&body).title.unwrap().content
        };
        assert_eq!(title, "Политика — Вести Жетысу", "{ext}");
    }
}

#[test]
fn feeds_opml_downloads_as_a_file() {
    let up = Upstream::start();
    let s = setup(&up);
    let daemon = s.start_daemon();
    let (status, h, body) = get(&format!("{}/feeds.opml", daemon.base), CHROME).unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "text/x-opml; charset=utf-8");
    assert_eq!(header(&h, "content-disposition"), "attachment; filename=\"127.0.0.1-feeds.opml\"");
    assert!(String::from_utf8(body).unwrap().contains("title=\"Политика\""));
}

#[test]
fn index_and_status_speak_the_portal_zone_and_titles() {
    let up = Upstream::start();
    let s = setup(&up);
    let daemon = s.start_daemon();
    let (_, h, index) = get(&format!("{}/", daemon.base), &[]).unwrap();
    let index = String::from_utf8(index).unwrap();
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    assert!(index.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(index.contains("<title>Ленты новостей — Вести Жетысу</title>"), "{index}");
    assert!(index.contains("Источников: 1 — в порядке: 1, со сбоями: 0, пустые: 0"), "{index}");
    assert!(index.contains("Asia/Almaty, UTC+05:00") && index.contains("<td class=\"feed\">Политика</td>"), "{index}");

    let (_, _, status) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    let status = String::from_utf8(status).unwrap();
    assert!(status.contains("Источников: 1 — в порядке: 1, со сбоями: 0, пустые: 0"), "{status}");
    assert!(status.contains("<td data-label=\"Рубрика\">Политика</td>"), "category by its title:\n{status}");
    assert!(status.contains("Asia/Almaty, UTC+05:00") && status.contains(">Вести Жетысу</a>"));
    // The last fetch was just now: shown in the portal's zone.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Almaty).format("%d.%m.%Y").to_string();
    assert!(status.contains(&format!("<td data-label=\"Последний запрос\">{now} ")), "{status}");
}
