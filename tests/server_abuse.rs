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
