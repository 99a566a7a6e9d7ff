//! The republishing tier: every format and slice, caching, compression,
//! static export, OPML and WebSub, through the real binary.

mod common;

use std::io::Read;

use common::{Setup, TestSource, Upstream, demo, get, read_feed};

fn setup(extra: &str) -> (Upstream, Setup) {
    let up = Upstream::start();
    let sources = vec![
        TestSource {
            id: "almaty-desk",
            url: up.put("a.xml", demo("almaty-desk.xml"), "application/rss+xml"),
            kind: "regional",
            category: "regions",
            priority: 20,
        },
        TestSource {
            id: "politics",
            url: up.put("p.xml", demo("partner-politics.xml"), "application/rss+xml"),
            kind: "partner",
            category: "politics",
            priority: 10,
        },
        TestSource {
            id: "p1251",
            url: up.put("c.xml", demo("partner-1251.xml"), "text/xml"),
            kind: "partner",
            category: "regions",
            priority: 0,
        },
        TestSource {
            id: "sport",
            url: up.put("s.json", demo("partner-sport.json"), "application/feed+json"),
            kind: "partner",
            category: "sport",
            priority: 5,
        },
    ];
    let s = Setup::with_settings(&sources, extra);
    // Put two sources in a region so that category/region feeds exist.
    let path = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen("[[source]]", "[[region]]\nslug = \"almaty\"\ntitle = \"Алматы\"\n\n[[source]]", 1);
    let text = text.replace("category = \"regions\"\npriority = 20", "category = \"regions\"\nregion = \"almaty\"\npriority = 20");
    std::fs::write(&path, text).unwrap();
    (up, s)
}

#[test]
fn every_format_of_every_slice_is_valid() {
    let (_up, s) = setup("");
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    let daemon = s.start_daemon();
    let mut checked = Vec::new();
    for slice in ["all", "politics", "regions", "sport", "partners", "region/almaty", "regions/almaty"] {
        for ext in ["rss", "atom", "json"] {
            let url = format!("{}/feeds/{slice}.{ext}", daemon.base);
            let (status, headers, body) = get(&url, &[]).unwrap();
            assert_eq!(status, 200, "{url}");
            let feed = read_feed(&body);
            assert!(!feed.entries.is_empty(), "{url}");
            for e in &feed.entries {
                assert!(e.title.is_some() && !e.links.is_empty() && !e.id.is_empty(), "{url}");
            }
            let ct = headers["content-type"].to_str().unwrap();
            assert!(
                ct.contains(match ext {
                    "rss" => "rss+xml",
                    "atom" => "atom+xml",
                    _ => "feed+json",
                }),
                "{ct}"
            );
            checked.push((format!("{}.{ext}", slice.replace('/', "-")), String::from_utf8(body).unwrap()));
        }
    }
    // Provenance in each format.
    let find = |name: &str| &checked.iter().find(|(n, _)| n == name).unwrap().1;
    assert!(find("politics.rss").contains("<source url="));
    assert!(find("politics.atom").contains("<source>"));
    assert!(find("politics.json").contains("\"_syndic\"") && find("politics.json").contains("\"also_reported_by\""));
    let refs: Vec<(&str, &str)> = checked.iter().map(|(n, b)| (n.as_str(), b.as_str())).collect();
    common::feedparser_check(&refs);
    // The all feed lists stories once: 3 + 2 + 3 + 2 entries, 2 merged.
    assert_eq!(read_feed(find("all.rss").as_bytes()).entries.len(), 8);
}

#[test]
fn limit_head_compression_and_cache_headers() {
    let (_up, s) = setup("");
    s.syndic(&["fetch", "--all"]);
    let daemon = s.start_daemon();
    let url = format!("{}/feeds/all.atom", daemon.base);
    let (_, _, limited) = get(&format!("{url}?limit=2"), &[]).unwrap();
    assert_eq!(read_feed(&limited).entries.len(), 2);
    assert_eq!(get(&format!("{url}?limit=zero"), &[]).unwrap().0, 400);
    let (_, headers, body) = get(&url, &[]).unwrap();
    assert_eq!(headers["cache-control"], "public, max-age=900");
    let (_, br_headers, br) = get(&url, &[("accept-encoding", "br, gzip")]).unwrap();
    assert_eq!(br_headers["content-encoding"], "br");
    let mut plain = Vec::new();
    brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, body);
    // HEAD: same headers, no body.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let head = runtime.block_on(async { reqwest::Client::new().head(&url).header("accept-encoding", "br, gzip").send().await.unwrap() });
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], br_headers["etag"]);
    assert_eq!(runtime.block_on(head.bytes()).unwrap().len(), 0);
    // OPML for readers and for admins.
    let (_, _, opml) = get(&format!("{}/feeds.opml", daemon.base), &[]).unwrap();
    let opml = String::from_utf8(opml).unwrap();
    assert!(opml.contains("xmlUrl=\"http://127.0.0.1:") && opml.contains("/feeds/regions/almaty.rss"));
    let (_, _, sources) = get(&format!("{}/sources.opml", daemon.base), &[]).unwrap();
    assert_eq!(String::from_utf8(sources).unwrap().matches("type=\"rss\"").count(), 4);
    // Index: counts and all three formats per feed, autodiscovery.
    let (_, _, index) = get(&format!("{}/", daemon.base), &[]).unwrap();
    let index = String::from_utf8(index).unwrap();
    assert!(index.contains("type=\"application/atom+xml\"") && index.contains("type=\"application/feed+json\""));
    assert!(index.contains("Рубрики по регионам"));
}

#[test]
fn cached_feeds_answer_exactly_like_routed_ones() {
    // A plain GET of a rendered feed is answered from the cache without the
    // router; `?limit=50` (the default) takes the router to the same render.
    let (_up, s) = setup("");
    s.syndic(&["fetch", "--all"]);
    let daemon = s.start_daemon();
    for path in ["all.rss", "region/almaty.atom", "sport.json"] {
        let url = format!("{}/feeds/{path}", daemon.base);
        for encoding in ["identity", "gzip", "br"] {
            let accept = [("accept-encoding", encoding)];
            let (s1, h1, b1) = get(&url, &accept).unwrap();
            let (s2, h2, b2) = get(&url, &accept).unwrap();
            let (s3, h3, b3) = get(&format!("{url}?limit=50"), &accept).unwrap();
            assert_eq!((s1, s2, s3), (200, 200, 200), "{path} {encoding}");
            assert!(b1 == b2 && b2 == b3, "{path} {encoding}");
            for name in ["etag", "last-modified", "cache-control", "vary", "content-type", "content-encoding", "content-length"] {
                assert_eq!(h1.get(name), h2.get(name), "{path} {encoding} {name}");
                assert_eq!(h2.get(name), h3.get(name), "{path} {encoding} {name}");
            }
            let etag = h2["etag"].to_str().unwrap();
            let (status, h304, body) = get(&url, &[("accept-encoding", encoding), ("if-none-match", etag)]).unwrap();
            assert_eq!((status, body.len()), (304, 0), "{path} {encoding}");
            assert_eq!(h304["etag"], etag);
            assert_eq!(h304["cache-control"], h2["cache-control"]);
        }
    }
    // What the cache does not answer still reaches the router.
    let url = format!("{}/feeds/all.rss", daemon.base);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let post = runtime.block_on(async { reqwest::Client::new().post(&url).send().await.unwrap() });
    assert_eq!(post.status(), 405);
    assert_eq!(get(&format!("{}/feeds/al%6c.rss", daemon.base), &[]).unwrap().0, 200);
    assert_eq!(get(&format!("{}/feeds/nowhere.rss", daemon.base), &[]).unwrap().0, 404);
    // Both ways are counted: 3 paths × 3 encodings × 3 GETs, plus the escaped one.
    let (_, _, metrics) = get(&format!("{}/metrics", daemon.base), &[]).unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(metrics.contains("syndic_http_requests_total{route=\"feed\",status=\"200\"} 28"), "{metrics}");
    assert!(metrics.contains("syndic_http_requests_total{route=\"feed\",status=\"304\"} 9"), "{metrics}");
}

#[test]
fn static_export_writes_every_feed_atomically() {
    let (_up, s) = setup("");
    s.syndic(&["fetch", "--all"]);
    let out = s.dir.path().join("www");
    let result = s.syndic(&["publish", "--out", out.to_str().unwrap()]);
    assert!(result.status.success());
    for f in ["index.html", "feeds.opml", "feeds/all.rss", "feeds/all.rss.gz", "feeds/region/almaty.json", "feeds/regions/almaty.atom"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(out.join("feeds/all.rss.gz")).unwrap()).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, std::fs::read(out.join("feeds/all.rss")).unwrap());
    assert!(std::fs::read_dir(out.join("feeds")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains(".tmp-")));

    // A reader polling the file during repeated exports never sees half of it.
    let path = out.join("feeds/all.rss");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let path = path.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let bytes = std::fs::read(&path).unwrap();
                assert!(bytes.ends_with(b"</rss>"), "partial file seen after {reads} reads");
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..5 {
        assert!(s.syndic(&["publish", "--out", out.to_str().unwrap()]).status.success());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

#[test]
fn daemon_keeps_a_static_copy_and_pings_the_hub() {
    let up_hub = Upstream::start();
    let hub = format!("http://{}/hub", up_hub.addr);
    let dir = tempfile::tempdir().unwrap();
    let (_up, s) = setup(&format!("websub_hub = \"{hub}\"\npublish_dir = \"{}\"\n", dir.path().display()));
    let daemon = s.start_daemon();
    common::wait_until(20, || dir.path().join("feeds/all.rss").exists() && !up_hub.log().is_empty());
    assert!(dir.path().join("feeds/all.rss").exists(), "publish_dir not written");
    let pings: Vec<String> = up_hub.log().into_iter().map(|r| r.path).collect();
    assert!(pings.iter().any(|p| p.starts_with("POST hub?hub.mode=publish&hub.url=") && p.contains("all.rss")), "{pings:?}");
    let (_, _, body) = get(&format!("{}/feeds/all.atom", daemon.base), &[]).unwrap();
    assert!(String::from_utf8(body).unwrap().contains(&format!("href=\"{hub}\" rel=\"hub\"")));
}

#[test]
fn opml_export_then_import_round_trips_and_keeps_comments() {
    let (_up, from) = setup("");
    let out = from.syndic(&["opml", "export"]);
    assert!(out.status.success());
    let opml = from.dir.path().join("sources.opml");
    std::fs::write(&opml, &out.stdout).unwrap();

    let to = Setup::new(&[]);
    let sources = to.dir.path().join("sources.toml");
    let original = format!("# Our sources — edited by hand, keep this comment\n{}", std::fs::read_to_string(&sources).unwrap());
    std::fs::write(&sources, &original).unwrap();
    let out = to.syndic(&["opml", "import", opml.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("added 4 sources"));
    let text = std::fs::read_to_string(&sources).unwrap();
    assert!(text.starts_with(&original), "existing text and comments are kept verbatim");
    let check = to.syndic(&["check"]);
    assert!(String::from_utf8_lossy(&check.stdout).starts_with("ok: 4 sources"));
    // The exported categories came along (they exist in both lists).
    assert!(text.contains("category = \"sport\""));
    // Importing again adds nothing.
    let out = to.syndic(&["opml", "import", opml.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("added 0 sources"));
    // A category that does not exist: rejected, file untouched.
    let before = std::fs::read_to_string(&sources).unwrap();
    let other = from.dir.path().join("other.opml");
    std::fs::write(&other, "<opml version=\"2.0\"><body><outline text=\"Новый\" xmlUrl=\"https://new.example.kz/rss\"/></body></opml>")
        .unwrap();
    let out = to.syndic(&["opml", "import", other.to_str().unwrap(), "--category", "nonexistent"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown category \"nonexistent\""));
    assert_eq!(std::fs::read_to_string(&sources).unwrap(), before);
}

/// Issue #24: the export's temporary files had a predictable name
/// (`.NAME.tmp-PID`), so anyone able to write to the output directory could
/// plant a symlink there and have `syndic publish` overwrite the file it
/// points to. Links and files are planted at those names for every process
/// id the command can get; the victim stays intact, the planted file is
/// left alone, and the output is the same as without them.
#[test]
fn publish_does_not_follow_symlinks_planted_at_temporary_names() {
    let (_up, s) = setup("");
    s.syndic(&["fetch", "--all"]);
    let out = s.dir.path().join("www");
    std::fs::create_dir_all(out.join("feeds")).unwrap();
    let victim = s.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    // Every pid when there are few; else the next 30,000 to be handed out.
    let read = |f: &str| -> u32 { std::fs::read_to_string(f).unwrap().trim().parse().unwrap() };
    let pid_max = read("/proc/sys/kernel/pid_max");
    let pids = if pid_max <= 65_536 {
        1..=pid_max
    } else {
        let last = read("/proc/sys/kernel/ns_last_pid");
        last + 1..=last + 30_000
    };
    for pid in pids.clone() {
        std::os::unix::fs::symlink(&victim, out.join(format!(".index.html.tmp-{pid}"))).unwrap();
        std::os::unix::fs::symlink(&victim, out.join(format!("feeds/.all.rss.tmp-{pid}"))).unwrap();
        std::fs::write(out.join(format!(".feeds.opml.tmp-{pid}")), "planted").unwrap();
    }
    let result = s.syndic(&["publish", "--out", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "the symlink's target was written");
    for f in ["index.html", "feeds.opml", "feeds/all.rss"] {
        let meta = std::fs::symlink_metadata(out.join(f)).unwrap();
        assert!(meta.file_type().is_file(), "{f} is not a regular file");
    }
    assert_eq!(read_feed(&std::fs::read(out.join("feeds/all.rss")).unwrap()).entries.len(), 8);
    assert!(std::fs::read_to_string(out.join("index.html")).unwrap().contains("<html"));
    assert!(std::fs::read_to_string(out.join("feeds.opml")).unwrap().contains("<opml"));
    let taken = pids.filter(|pid| std::fs::read_to_string(out.join(format!(".feeds.opml.tmp-{pid}"))).ok().as_deref() != Some("planted"));
    assert_eq!(taken.count(), 0, "a planted file was taken over");
}
