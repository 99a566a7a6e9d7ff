//! Hostile HTML never reaches a reader: every fixture of feedparser's
//! sanitizer suite (`wellformed/sanitize`, 745 feeds of scripts, event
//! handlers, `javascript:` URLs, CSS expressions, embedded objects…) is
//! ingested, and every republished feed, in every format, is read back and
//! searched for anything executable.

mod common;

use common::{Setup, TestSource, Upstream, get};
use regex::Regex;

#[test]
fn nothing_executable_survives_in_any_format() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("feedparser/wellformed/sanitize");
    let up = Upstream::start();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let ids: Vec<String> = (0..files.len()).map(|i| format!("x{i}")).collect();
    let sources: Vec<TestSource> = files
        .iter()
        .zip(&ids)
        .map(|(path, id)| TestSource {
            id,
            url: up.put(&format!("{id}.xml"), std::fs::read(path).unwrap(), "application/xml"),
            kind: "partner",
            category: "world",
            priority: 0,
        })
        .collect();
    let s = Setup::new(&sources);
    let out = s.syndic(&["fetch", "--all"]);
    assert!(out.status.success());
    // Most fixtures are a lone tag with no visible text: those entries have
    // nothing to show and are dropped; the rest must all be published.
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} sources polled, 0 failed", files.len())));
    let stories = s.count("SELECT count(*) FROM items WHERE duplicate_of IS NULL");
    assert!(stories > 100, "only {stories} stories from {} hostile feeds", files.len());
    let daemon = s.start_daemon();
    let hostile = [
        Regex::new(r"(?i)<\s*(script|iframe|object|embed|applet|meta|link|style|base|form|frame|frameset)\b").unwrap(),
        Regex::new(r#"(?i)<[^>]*\son[a-z]+\s*="#).unwrap(),
        Regex::new(r"(?i)(javascript|vbscript|livescript)\s*:").unwrap(),
        Regex::new(r"(?i)data\s*:\s*text/html").unwrap(),
        Regex::new(r#"(?i)<[^>]*\sstyle\s*="#).unwrap(),
    ];
    for ext in ["rss", "atom", "json"] {
        let (status, _, body) = get(&format!("{}/feeds/all.{ext}?limit=1000", daemon.base), &[]).unwrap();
        assert_eq!(status, 200);
        let raw = String::from_utf8(body.clone()).unwrap();
        assert!(!hostile[2].is_match(&raw), "{ext}: a script URL in the raw bytes");
        let feed = common::read_feed(&body);
        assert_eq!(feed.entries.len() as i64, stories, "{ext}");
        for e in &feed.entries {
            let texts = [e.summary.as_ref().map(|t| t.content.clone()), e.content.as_ref().and_then(|c| c.body.clone())];
            for html in texts.into_iter().flatten() {
                for re in &hostile {
                    assert!(!re.is_match(&html), "{ext}: {re} matches in entry {:?}:\n{html}", e.title.as_ref().map(|t| &t.content));
                }
            }
            for link in &e.links {
                assert!(link.href.starts_with("http://") || link.href.starts_with("https://"), "{ext}: link {}", link.href);
            }
        }
    }
}

/// The markup every field below tries to smuggle in, entity-escaped twice
/// upstream (`&amp;lt;img …&amp;gt;` in the XML).
const IMG: &str = "<img src=x onerror=alert(1)>";

/// A live element: `<img` as markup, not as text.
fn live_img(html: &str) -> bool {
    Regex::new(r"(?i)<img[^>]*onerror").unwrap().is_match(html)
}

/// Escaped markup in titles and summaries is decoded once and stays text:
/// each published title reads `<img …>` as text, in the way each format's
/// readers read it, and no HTML field carries the element.
#[test]
fn escaped_markup_in_titles_and_summaries_stays_text() {
    let up = Upstream::start();
    let twice = "&amp;lt;img src=x onerror=alert(1)&amp;gt;";
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>r</title><link>https://r.example.kz/</link>\
         <item><title>{twice} Мост через Бадам открыли после ремонта в Шымкенте</title><link>https://r.example.kz/1</link>\
         <description>{twice} Акимат открыл движение по новому мосту, ремонт шёл два года и обошёлся городу в миллиард</description></item></channel></rss>"
    );
    let atom = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>a</title><id>urn:a</id><updated>2026-11-20T10:00:00Z</updated>\
         <entry><id>urn:a:1</id><title type=\"html\">{twice} Снег и метель ожидаются в Астане на выходных</title><link href=\"https://a.example.kz/1\"/>\
         <updated>2026-11-20T10:00:00Z</updated><summary type=\"html\">{twice} Синоптики обещают сильный ветер</summary>\
         <content type=\"html\">{twice} Синоптики обещают сильный ветер, гололёд и мороз до минус двадцати градусов по всей области</content></entry></feed>"
    );
    let json = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1", "title": "j",
        "items": [{
            "id": "j1", "url": "https://j.example.kz/1",
            "title": "&lt;img src=x onerror=alert(1)&gt; Курс тенге к доллару вырос на бирже",
            "summary": "&lt;img src=x onerror=alert(1)&gt; Нацбанк о торгах",
            "content_html": "&lt;img src=x onerror=alert(1)&gt; Нацбанк опубликовал итоги торгов: спрос на валюту упал после праздников",
        }],
    });
    let sources = [
        TestSource {
            id: "rss",
            url: up.put("r.xml", rss.into_bytes(), "application/rss+xml"),
            kind: "partner",
            category: "world",
            priority: 0,
        },
        TestSource {
            id: "atom",
            url: up.put("a.xml", atom.into_bytes(), "application/atom+xml"),
            kind: "partner",
            category: "world",
            priority: 0,
        },
        TestSource {
            id: "json",
            url: up.put("j.json", json.to_string().into_bytes(), "application/feed+json"),
            kind: "partner",
            category: "world",
            priority: 0,
        },
    ];
    let s = Setup::new(&sources);
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    let titles = [
        format!("{IMG} Мост через Бадам открыли после ремонта в Шымкенте"),
        format!("{IMG} Снег и метель ожидаются в Астане на выходных"),
        format!("{IMG} Курс тенге к доллару вырос на бирже"),
    ];
    for t in &titles {
        assert_eq!(s.count(&format!("SELECT count(*) FROM items WHERE title = '{t}'")), 1, "stored title {t}");
    }
    let daemon = s.start_daemon();
    let feed = |ext: &str| get(&format!("{}/feeds/all.{ext}", daemon.base), &[]).unwrap().2;

    // JSON Feed: title and summary are plain text; content_html is HTML.
    let json: serde_json::Value = serde_json::from_slice(&feed("json")).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        let title = item["title"].as_str().unwrap();
        assert!(titles.iter().any(|t| t == title), "JSON title {title:?}");
        let html = item["content_html"].as_str().unwrap();
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;") && !live_img(html), "JSON content_html {html}");
        if let Some(summary) = item["summary"].as_str() {
            assert!(summary.starts_with(IMG), "JSON summary is the text, as text: {summary}");
        }
    }

    // Atom: a text title, escaped once in the XML; HTML summary and content.
    let atom = common::read_feed(&feed("atom"));
    for e in &atom.entries {
        let title = e.title.as_ref().unwrap();
        assert!(titles.contains(&title.content), "Atom title {:?}", title.content);
        assert_eq!(title.content_type.to_string(), "text/plain", "{}", title.content);
        let html = [e.summary.as_ref().map(|t| t.content.clone()), e.content.as_ref().and_then(|c| c.body.clone())];
        for html in html.iter().flatten() {
            assert!(!live_img(html), "Atom HTML {html}");
        }
    }

    // RSS: readers take a title as text or as HTML; either way it must not
    // be an element. No `<` is left after the XML decode, and read as HTML
    // the title is the text.
    let raw = feed("rss");
    let rss = common::read_feed(&raw);
    assert_eq!(rss.entries.len(), 3);
    for e in &rss.entries {
        let title = &e.title.as_ref().unwrap().content;
        assert!(!title.contains('<'), "RSS title is markup after one decode: {title}");
        let as_html = html_escape::decode_html_entities(title);
        assert!(titles.iter().any(|t| *t == as_html), "RSS title read as HTML: {as_html}");
        let html = [e.summary.as_ref().map(|t| t.content.clone()), e.content.as_ref().and_then(|c| c.body.clone())];
        for html in html.iter().flatten() {
            assert!(!live_img(html), "RSS HTML {html}");
        }
    }
    assert!(!String::from_utf8(raw).unwrap().contains("<title>&lt;img"), "raw RSS title");
}

/// `srcset` candidates get the scheme check `src` gets: a `javascript:` or
/// `data:` candidate drops the attribute (img and picture/source), relative
/// ones are resolved against the feed.
#[test]
fn srcset_carries_no_script_or_data_url() {
    let up = Upstream::start();
    let description = |html: &str| html_escape::encode_text(html).into_owned();
    let items = [
        ("1", "Мост через Бадам", r#"<p>Мост</p><img src="/a.jpg" srcset="/a.jpg 1x, javascript:alert(1) 2x">"#),
        (
            "2",
            "Снег в Астане",
            r#"<p>Снег</p><picture><source srcset="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+ 1x" type="image/svg+xml"><img src="/b.jpg" srcset="  JaVaScRiPt:alert(2)"></picture>"#,
        ),
        ("3", "Курс тенге", r#"<p>Курс</p><img src="c.jpg" srcset="c.jpg 1x, /w_200,h_100/c.jpg 2x">"#),
    ];
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>s</title><link>https://s.example.kz/</link>");
    for (id, title, html) in items {
        rss.push_str(&format!(
            "<item><title>{title}</title><link>https://s.example.kz/{id}</link><description>{}</description></item>",
            description(html)
        ));
    }
    rss.push_str("</channel></rss>");
    let url = up.put("news/s.xml", rss.into_bytes(), "application/rss+xml");
    let s = Setup::new(&[TestSource { id: "s", url, kind: "partner", category: "world", priority: 0 }]);
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    assert_eq!(s.count("SELECT count(*) FROM items"), 3);
    let daemon = s.start_daemon();
    let origin = format!("http://{}", up.addr);
    for ext in ["rss", "atom", "json"] {
        let body = String::from_utf8(get(&format!("{}/feeds/all.{ext}", daemon.base), &[]).unwrap().2).unwrap();
        let lower = body.to_lowercase();
        assert!(!lower.contains("javascript:") && !lower.contains("data:image"), "{ext}:\n{body}");
        // The good list survives, resolved against the feed's URL.
        let good = format!("{origin}/news/c.jpg 1x, {origin}/w_200,h_100/c.jpg 2x");
        assert!(body.contains(&good), "{ext}: no {good} in\n{body}");
        // The images themselves stay, with their src.
        assert!(body.contains(&format!("{origin}/a.jpg")) && body.contains(&format!("{origin}/b.jpg")), "{ext}");
    }
}

/// The pages people open in a browser (a feed's page, the index, the
/// status page) show hostile text from feeds and source lists as text:
/// titles and summaries escaped twice upstream, a source name and a
/// category title that are markup, and nothing runs but the page's own
/// script file.
#[test]
fn pages_show_hostile_text_as_text() {
    let up = Upstream::start();
    let twice = "&amp;lt;img src=x onerror=alert(1)&amp;gt;";
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>r</title><link>https://r.example.kz/</link>\
         <item><title>{twice} Мост через Бадам открыли после ремонта</title><link>https://r.example.kz/1</link>\
         <description>{twice} &lt;script&gt;alert(2)&lt;/script&gt; Акимат открыл движение по новому мосту</description></item></channel></rss>"
    );
    let url = up.put("r.xml", rss.into_bytes(), "application/rss+xml");
    let s = Setup::new(&[TestSource { id: "rss", url, kind: "partner", category: "world", priority: 0 }]);
    let sources = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&sources)
        .unwrap()
        .replace("name = \"rss\"", "name = \"<img src=x onerror=alert(3)>\"")
        .replace("title = \"world\"", "title = \"<script>alert(4)</script>\"");
    std::fs::write(&sources, text).unwrap();
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    let daemon = s.start_daemon();
    let browser = [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), ("Sec-Fetch-Dest", "document")];
    let ours = "<script src=\"/feed-page.js\" defer></script>";
    let live = [
        Regex::new(r"(?i)<\s*(script|iframe|object|embed|img|svg)\b").unwrap(),
        Regex::new(r#"(?i)<[^>]*\son[a-z]+\s*="#).unwrap(),
        Regex::new(r"(?i)href\s*=\s*.(javascript|data):").unwrap(),
    ];
    for path in ["/feeds/all.rss", "/feeds/all.atom", "/feeds/world.rss", "/", "/status"] {
        let (status, headers, body) = get(&format!("{}{path}", daemon.base), &browser).unwrap();
        assert_eq!(status, 200, "{path}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let page = String::from_utf8(body).unwrap().replace(ours, "");
        for re in &live {
            assert!(!re.is_match(&page), "{path}: {re} matches:\n{page}");
        }
        // The text is there, as text.
        let want = match path {
            "/" => "&lt;script&gt;alert(4)&lt;/script&gt;",
            "/status" => "&lt;img src=x onerror=alert(3)&gt;",
            _ => "&lt;img src=x onerror=alert(1)&gt; Мост через Бадам",
        };
        assert!(page.contains(want), "{path}: no {want} in\n{page}");
    }
}
