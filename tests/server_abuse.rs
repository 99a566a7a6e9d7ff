//! The HTTP server under abuse: path traversal, huge headers, slow clients,
//! ten thousand idle connections, malformed requests. Each is refused or
//! timed out, and an ordinary reader is served all along.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Setup, TestSource, Upstream, demo, get};

fn daemon() -> (Setup, common::Daemon, Upstream) {
    let up = Upstream::start();
    let url = up.put("feed.xml", demo("almaty-desk.xml"), "application/rss+xml");
    let setup = Setup::new(&[TestSource { id: "almaty", url, kind: "regional", category: "regions", priority: 0 }]);
    let d = setup.start_daemon();
    assert!(common::wait_until(20, || setup.count("SELECT count(*) FROM items") > 0));
    (setup, d, up)
}

/// Sends raw bytes, returns what came back before the server closed (or 3 s).
fn raw(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn reader_is_served(base: &str) {
    let started = Instant::now();
    let (status, _, body) = get(&format!("{base}/feeds/all.rss"), &[]).expect("an ordinary reader is served");
    assert_eq!(status, 200);
    assert!(body.len() > 100);
    assert!(started.elapsed() < Duration::from_secs(5), "reader waited {:?}", started.elapsed());
}

#[test]
fn path_traversal_finds_nothing() {
    let (setup, d, _up) = daemon();
    for path in [
        "/feeds/../../../../etc/passwd",
        "/feeds/..%2F..%2F..%2Fetc%2Fpasswd",
        "/feeds/%2e%2e/%2e%2e/etc/passwd.rss",
        "/feeds/region/../../../etc/passwd.rss",
        "/feeds/all.rss/../../../etc/passwd",
        "/..%252f..%252fetc/passwd",
        "/feeds/all.rss%00.txt",
        "/feeds/\\..\\..\\etc\\passwd.rss",
    ] {
        let response = raw(setup.port, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes());
        let status = response.split_whitespace().nth(1).unwrap_or("");
        assert!(matches!(status, "400" | "404"), "{path}: {}", response.lines().next().unwrap_or(""));
        assert!(!response.contains("root:"), "{path} leaked a file");
    }
    reader_is_served(&d.base);
}

#[test]
fn huge_headers_and_malformed_requests_are_refused() {
    let (setup, d, _up) = daemon();
    let huge = format!("GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\n\r\n", "a".repeat(200_000));
    let response = raw(setup.port, huge.as_bytes());
    assert!(response.is_empty() || response.starts_with("HTTP/1.1 431"), "{}", response.lines().next().unwrap_or(""));
    let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{}\r\n", (0..5000).map(|i| format!("X-{i}: v\r\n")).collect::<String>());
    let response = raw(setup.port, many.as_bytes());
    assert!(!response.starts_with("HTTP/1.1 200"), "5,000 headers were accepted");
    for bad in [
        &b"\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"BREW /coffee HTCPCP/1.0\r\n\r\n",
        b"GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"\r\n\r\n\r\n",
    ] {
        let response = raw(setup.port, bad);
        assert!(!response.starts_with("HTTP/1.1 200"), "accepted {:?}: {response}", String::from_utf8_lossy(bad));
    }
    // A body where none is expected: refused, not read.
    let post = format!("POST /feeds/all.rss HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{}", "x".repeat(1000));
    let response = raw(setup.port, post.as_bytes());
    assert!(response.starts_with("HTTP/1.1 405"), "{}", response.lines().next().unwrap_or(""));
    reader_is_served(&d.base);
}

#[test]
fn slow_client_is_dropped_and_others_are_served() {
    let (setup, d, _up) = daemon();
    let mut slow = TcpStream::connect(("127.0.0.1", setup.port)).unwrap();
    slow.write_all(b"GET /feeds/all.rss HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    // Dribble a header byte a second; meanwhile a reader is served.
    let mut dropped = false;
    while started.elapsed() < Duration::from_secs(20) {
        reader_is_served(&d.base);
        if slow.write_all(b"X").is_err() {
            dropped = true;
            break;
        }
        slow.set_read_timeout(Some(Duration::from_millis(900))).unwrap();
        let mut buf = [0u8; 64];
        match slow.read(&mut buf) {
            Ok(0) => {
                dropped = true;
                break;
            }
            Ok(_) => {
                dropped = true; // answered (408) and closed
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                dropped = true;
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    assert!(dropped, "a client dribbling its headers was kept for {elapsed:?}");
    assert!(elapsed >= Duration::from_secs(8), "dropped too early ({elapsed:?}): the limit is 10 s");
}

#[test]
fn ten_thousand_idle_connections_do_not_block_readers() {
    let (setup, d, _up) = daemon();
    let want = 10_000;
    let limit = syndic::serve::conn::raise_fd_limit();
    let n = if limit >= want as u64 + 500 {
        want
    } else {
        eprintln!("NOTE: open-file limit {limit}: opening {} idle connections instead of {want}", limit.saturating_sub(500));
        limit.saturating_sub(500) as usize
    };
    let started = Instant::now();
    let mut idle = Vec::with_capacity(n);
    for i in 0..n {
        match TcpStream::connect(("127.0.0.1", setup.port)) {
            Ok(s) => idle.push(s),
            Err(e) => panic!("connection {i} refused: {e}"),
        }
    }
    // Half of them have even started a request and stopped.
    for s in idle.iter_mut().step_by(2) {
        let _ = s.write_all(b"GET /feeds/all.rss HTTP/1.1\r\n");
    }
    eprintln!("{n} connections open after {:?}", started.elapsed());
    reader_is_served(&d.base);
    eprintln!("reader served after {:?}", started.elapsed());
    let (status, _, _) = get(&format!("{}/healthz", d.base), &[]).unwrap();
    assert_eq!(status, 200);
    drop(idle);
    reader_is_served(&d.base);
}

/// A daemon whose `syndic.toml` went through `edit` before it started.
fn daemon_with(extra: &str, edit: impl Fn(String) -> String) -> (Setup, common::Daemon, Upstream) {
    let up = Upstream::start();
    let url = up.put("feed.xml", demo("almaty-desk.xml"), "application/rss+xml");
    let setup = Setup::with_settings(&[TestSource { id: "almaty", url, kind: "regional", category: "regions", priority: 0 }], extra);
    let settings = std::fs::read_to_string(setup.config()).unwrap();
    std::fs::write(setup.config(), edit(settings)).unwrap();
    let d = setup.start_daemon();
    assert!(common::wait_until(20, || setup.count("SELECT count(*) FROM items") > 0));
    (setup, d, up)
}

const ADMIN_PAGES: [&str; 4] = ["/status", "/status.json", "/metrics", "/sources.opml"];

fn status_of(base: &str, path: &str, headers: &[(&str, &str)]) -> u16 {
    get(&format!("{base}{path}"), headers).unwrap().0
}

/// Issue #24: an IPv4 client of a `[::]` listener arrives as
/// `::ffff:127.0.0.1`; it is a loopback client like any other.
#[test]
fn admin_pages_answer_ipv4_loopback_on_a_dual_stack_listener() {
    let (_setup, d, _up) = daemon_with("", |s| s.replace("listen = \"127.0.0.1:", "listen = \"[::]:"));
    for path in ADMIN_PAGES {
        assert_eq!(status_of(&d.base, path, &[]), 200, "{path} via 127.0.0.1 to [::]");
    }
}

/// Issue #24: a request syndic itself made (an item link at its own
/// `/status`, reached under any name) never reads the admin pages.
#[test]
fn syndics_own_requests_are_never_admin() {
    let (_setup, d, _up) = daemon();
    for path in ADMIN_PAGES {
        assert_eq!(status_of(&d.base, path, &[("x-syndic-fetch", "1")]), 403, "{path}");
    }
    assert_eq!(status_of(&d.base, "/feeds/all.rss", &[("x-syndic-fetch", "1")]), 200, "feeds stay public");
}

/// Issue #24: behind a reverse proxy on the same host every peer is
/// loopback; with the proxy in `trusted_proxies`, the visitor it names in
/// `X-Forwarded-For` decides. `/sources.opml` is an admin page (upstream
/// URLs can carry keys).
#[test]
fn behind_a_trusted_proxy_forwarded_visitors_are_not_admins() {
    let (_setup, d, _up) = daemon_with("trusted_proxies = [\"127.0.0.1\"]\n", |s| s);
    for path in ADMIN_PAGES {
        assert_eq!(status_of(&d.base, path, &[("X-Forwarded-For", "203.0.113.9")]), 403, "{path}: a visitor through the proxy");
        assert_eq!(status_of(&d.base, path, &[("X-Forwarded-For", "127.0.0.1, 203.0.113.9")]), 403, "{path}: spoofed loopback");
        assert_eq!(status_of(&d.base, path, &[]), 200, "{path}: the host itself, no proxy");
        assert_eq!(status_of(&d.base, path, &[("X-Forwarded-For", "127.0.0.1")]), 200, "{path}: a loopback client via the proxy");
        assert_eq!(status_of(&d.base, path, &[("X-Forwarded-For", "::1")]), 200, "{path}: a loopback client via the proxy");
    }
    assert_eq!(status_of(&d.base, "/feeds/all.rss", &[("X-Forwarded-For", "203.0.113.9")]), 200, "feeds stay public");
}

/// Issue #24: a peer that is not a trusted proxy cannot make itself
/// anyone else with `X-Forwarded-For`.
#[test]
fn an_untrusted_peers_forwarded_for_is_ignored() {
    let (_setup, d, _up) = daemon_with("trusted_proxies = [\"10.0.0.0/8\"]\n", |s| s);
    for path in ADMIN_PAGES {
        assert_eq!(status_of(&d.base, path, &[("X-Forwarded-For", "203.0.113.9")]), 200, "{path}");
    }
}

/// Issue #24: every distinct `?limit=N` used to be rendered, compressed and
/// kept (1,200 of them held 1.27 GB). Only full-length feeds are cached
/// now, and `?limit=0` is a valid feed with no items, not one item.
#[test]
fn distinct_limits_do_not_grow_the_render_cache() {
    let (_setup, d, _up) = daemon();
    let total = common::read_feed(&get(&format!("{}/feeds/all.rss", d.base), &[]).unwrap().2).entries.len();
    assert_eq!(total, 3, "the demo feed's items");
    for ext in ["rss", "atom", "json"] {
        let (status, _, body) = get(&format!("{}/feeds/all.{ext}?limit=0", d.base), &[]).unwrap();
        assert_eq!(status, 200);
        assert_eq!(common::read_feed(&body).entries.len(), 0, "{ext}?limit=0 gave items");
    }
    for limit in 1..=200 {
        let path = format!("{}/feeds/all.rss?limit={limit}", d.base);
        let (status, _, body) = get(&path, &[("Accept-Encoding", "gzip, br")]).unwrap();
        assert_eq!(status, 200, "{path}");
        assert!(!body.is_empty());
    }
    let (_, _, two) = get(&format!("{}/feeds/all.json?limit=2", d.base), &[]).unwrap();
    assert_eq!(common::read_feed(&two).entries.len(), 2);
    let metrics = String::from_utf8(get(&format!("{}/metrics", d.base), &[]).unwrap().2).unwrap();
    let cached: usize = metrics
        .lines()
        .find_map(|l| l.strip_prefix("syndic_feed_cache_entries "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cache gauge in\n{metrics}"));
    // 7 slices (all, partners, five categories) in three formats at most.
    assert!(cached <= 21, "{cached} renders cached after 200 distinct limits");

    let (_, _, huge) = get(&format!("{}/feeds/all.rss?limit=99999999", d.base), &[]).unwrap();
    assert_eq!(common::read_feed(&huge).entries.len(), total, "a limit over items_per_feed is the full feed");
    // A reader's tracking parameters are ignored; a limit that is no number
    // is refused in words (serde's message named no parameter a person sets).
    let (status, _, tagged) = get(&format!("{}/feeds/all.rss?utm_source=tg&limit=2", d.base), &[]).unwrap();
    assert_eq!((status, common::read_feed(&tagged).entries.len()), (200, 2));
    for bad in ["abc", "-1", "1.5", "%FF"] {
        let (status, _, body) = get(&format!("{}/feeds/all.rss?limit={bad}", d.base), &[]).unwrap();
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 400, "limit={bad}");
        assert!(body.starts_with("limit must be a whole number of items"), "limit={bad}: {body}");
    }
}

/// Issue #24: q-values are case-insensitive (`gzip;Q=0` refuses gzip), and
/// each content coding has its own `ETag` (RFC 9110 §8.8.3), so a cache
/// holding the identity body is never told its tag is the gzip one's.
#[test]
fn encodings_are_negotiated_and_tagged_apart() {
    let (_setup, d, _up) = daemon();
    let url = format!("{}/feeds/all.rss", d.base);
    let fetch = |headers: &[(&str, &str)]| get(&url, headers).unwrap();
    let encoding = |h: &reqwest::header::HeaderMap| h.get("content-encoding").map(|v| v.to_str().unwrap().to_string());
    let etag = |h: &reqwest::header::HeaderMap| h["etag"].to_str().unwrap().to_string();

    for refused in ["gzip;Q=0", "gzip; Q=0.000", "br;Q=0, gzip;q=0"] {
        let (status, headers, body) = fetch(&[("Accept-Encoding", refused)]);
        assert_eq!(status, 200);
        assert_eq!(encoding(&headers), None, "{refused}");
        assert!(body.starts_with(b"<?xml"), "{refused}: body is not identity");
    }
    let (_, plain, _) = fetch(&[]);
    let (_, gzip, _) = fetch(&[("Accept-Encoding", "gzip")]);
    let (_, br, _) = fetch(&[("Accept-Encoding", "br, gzip")]);
    assert_eq!(encoding(&gzip).as_deref(), Some("gzip"));
    assert_eq!(encoding(&br).as_deref(), Some("br"));
    let tags = [etag(&plain), etag(&gzip), etag(&br)];
    assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2], "{tags:?}");

    // If-None-Match matches the tag of the coding being served, only it.
    let (status, headers, _) = fetch(&[("Accept-Encoding", "gzip"), ("If-None-Match", tags[1].as_str())]);
    assert_eq!((status, etag(&headers)), (304, tags[1].clone()));
    let (status, headers, body) = fetch(&[("Accept-Encoding", "gzip"), ("If-None-Match", tags[0].as_str())]);
    assert_eq!((status, encoding(&headers).as_deref()), (200, Some("gzip")), "the identity tag validated a gzip body");
    assert!(!body.is_empty());
    let (status, _, _) = fetch(&[("If-None-Match", tags[1].as_str())]);
    assert_eq!(status, 200, "the gzip tag validated an identity body");
    let (status, _, _) = fetch(&[("If-None-Match", tags[0].as_str())]);
    assert_eq!(status, 304);
}
