//! Test helpers: the shared corpus, a recording upstream server on
//! loopback, and the `syndic` binary run the way an admin runs it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;

pub mod hostile;
pub mod pg;

/// `../shared/corpus`, or `None` (with a note) when this clone has no
/// corpus beside it. Under CI a missing corpus fails the test.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but the corpus is missing at {}", dir.display());
    }
    eprintln!("SKIPPED: corpus not found at {} (clone ../shared beside this repo to run corpus tests)", dir.display());
    None
}

/// One request the upstream saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub at: Instant,
}

/// Served files: path → (bytes, content type).
type FileMap = HashMap<String, (Vec<u8>, String)>;

#[derive(Clone, Default)]
struct Files {
    files: Arc<Mutex<FileMap>>,
    log: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    max_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// A loopback HTTP server playing the publishers: serves files with an
/// `ETag`, answers `If-None-Match` with 304, and records every request.
pub struct Upstream {
    pub addr: SocketAddr,
    state: Files,
    runtime: tokio::runtime::Runtime,
}

impl Upstream {
    pub fn start() -> Upstream {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let state = Files::default();
        let app = Router::new().route("/{*path}", routing::get(serve_file).post(record_post)).with_state(state.clone());
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, app).await });
        Upstream { addr, state, runtime }
    }

    /// Serves `bytes` at `/path` with `content_type`.
    pub fn put(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> String {
        self.state.files.lock().unwrap().insert(path.trim_start_matches('/').to_string(), (bytes, content_type.to_string()));
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// The most requests that were being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every request seen so far.
    pub fn log(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }
}

/// Records a POST (a WebSub ping) with its form body in `path`.
async fn record_post(State(state): State<Files>, UrlPath(path): UrlPath<String>, headers: HeaderMap, body: String) -> StatusCode {
    state.log.lock().unwrap().push(Seen { path: format!("POST {path}?{body}"), headers, at: Instant::now() });
    StatusCode::ACCEPTED
}

async fn serve_file(State(state): State<Files>, UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    state.log.lock().unwrap().push(Seen { path: path.clone(), headers: headers.clone(), at: Instant::now() });
    let Some((bytes, content_type)) = state.files.lock().unwrap().get(&path).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // `put(path, body, "status:503;retry-after=60")` answers with that status.
    if let Some(spec) = content_type.strip_prefix("status:") {
        let mut parts = spec.split(';');
        let code = StatusCode::from_u16(parts.next().unwrap().parse().unwrap()).unwrap();
        let mut response = (code, bytes).into_response();
        if let Some(ra) = parts.find_map(|p| p.strip_prefix("retry-after=")) {
            response.headers_mut().insert(header::RETRY_AFTER, ra.parse().unwrap());
        }
        return response;
    }
    // `put(path, b"", "redirect:301;/new.xml")` redirects.
    if let Some(spec) = content_type.strip_prefix("redirect:") {
        let (code, to) = spec.split_once(';').unwrap();
        return (StatusCode::from_u16(code.parse().unwrap()).unwrap(), [(header::LOCATION, to.to_string())]).into_response();
    }
    // `put(path, body, "slow:300;application/rss+xml")` answers after 300 ms.
    let content_type = if let Some(spec) = content_type.strip_prefix("slow:") {
        let (ms, ct) = spec.split_once(';').unwrap();
        use std::sync::atomic::Ordering::SeqCst;
        let now = state.in_flight.fetch_add(1, SeqCst) + 1;
        state.max_in_flight.fetch_max(now, SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(ms.parse().unwrap())).await;
        state.in_flight.fetch_sub(1, SeqCst);
        ct.to_string()
    } else {
        content_type
    };
    let etag = format!("\"{:x}\"", xxhash_rust::xxh3::xxh3_64(&bytes));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    ([(header::CONTENT_TYPE, content_type), (header::ETAG, etag)], bytes).into_response()
}

/// A source line for a test sources.toml.
pub struct TestSource<'a> {
    pub id: &'a str,
    pub url: String,
    pub kind: &'a str,
    pub category: &'a str,
    pub priority: i64,
}

/// A temporary configuration directory: `syndic.toml`, `sources.toml` and
/// the database.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Setup {
    pub fn new(sources: &[TestSource<'_>]) -> Setup {
        Setup::with_settings(sources, "")
    }

    /// Like `new`, with extra `[daemon]` lines.
    pub fn with_settings(sources: &[TestSource<'_>], extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        // SYNDIC_TEST_BACKEND=postgres: the same test on a shared store, the
        // node's replica where the database file would be (.ci/run runs
        // the suites that apply so).
        let database = match std::env::var("SYNDIC_TEST_BACKEND").as_deref() {
            Ok("postgres") => {
                let url = pg::database().expect("SYNDIC_TEST_BACKEND=postgres needs SYNDIC_TEST_POSTGRES");
                format!("{url}\"\nreplica = \"{}\"\nnode = \"test", dir.path().join("syndic.db").display())
            }
            _ => dir.path().join("syndic.db").display().to_string(),
        };
        let settings = format!(
            "[daemon]\ndatabase = \"{}\"\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\nsources = \"sources.toml\"\nitems_per_feed = 1000\n{}{}{extra}",
            database,
            if extra.contains("fetch_timeout") { "" } else { "fetch_timeout = \"20s\"\n" },
            if extra.contains("per_host_spacing") { "" } else { "per_host_spacing = \"0\"\n" }
        );
        std::fs::write(dir.path().join("syndic.toml"), settings).unwrap();
        let mut text = String::new();
        for slug in ["politics", "economy", "regions", "sport", "world"] {
            text.push_str(&format!("[[category]]\nslug = \"{slug}\"\ntitle = \"{slug}\"\n\n"));
        }
        for s in sources {
            text.push_str(&format!(
                "[[source]]\nid = \"{}\"\nname = \"{}\"\nurl = \"{}\"\nkind = \"{}\"\ncategory = \"{}\"\npriority = {}\n\n",
                s.id, s.id, s.url, s.kind, s.category, s.priority
            ));
        }
        std::fs::write(dir.path().join("sources.toml"), text).unwrap();
        Setup { dir, port }
    }

    /// Adds TOML lines (`full_text = "auto"`…) to the source with `id`.
    pub fn source_keys(&self, id: &str, keys: &str) {
        let path = self.dir.path().join("sources.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = format!("id = \"{id}\"\n");
        assert!(text.contains(&line), "no source {id}");
        std::fs::write(&path, text.replacen(&line, &format!("{line}{keys}\n"), 1)).unwrap();
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("syndic.toml")
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("syndic.db")).unwrap()
    }

    /// Runs `syndic ARGS --config this` to completion.
    pub fn syndic(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_syndic")).args(args).arg("--config").arg(self.config()).output().unwrap();
        if !out.status.success() {
            eprintln!("syndic {args:?} failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
        out
    }

    /// Starts `syndic run` and waits until it answers `/healthz`.
    pub fn start_daemon(&self) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_syndic"))
            .args(["run", "--config"])
            .arg(self.config())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut daemon = Daemon { child, base: format!("http://127.0.0.1:{}", self.port) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if get(&format!("{}/healthz", daemon.base), &[]).is_ok_and(|r| r.0 == 200) {
                return daemon;
            }
            if daemon.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = daemon.child.kill();
        let mut said = String::new();
        if let Some(mut err) = daemon.child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut said);
        }
        panic!("daemon did not come up:\n{said}");
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// A running `syndic run`, killed on drop.
pub struct Daemon {
    pub child: Child,
    pub base: String,
}

impl Daemon {
    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "daemon did not exit within 15 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A blocking GET: (status, headers, body).
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), reqwest::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder().no_gzip().no_brotli().no_deflate().timeout(Duration::from_secs(10)).build()?;
        let mut req = client.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok((status, headers, body))
    })
}

/// Parses a feed with feed-rs, as a reader would.
pub fn read_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).unwrap_or_else(|e| panic!("republished feed does not parse: {e}\n{}", String::from_utf8_lossy(bytes)))
}

/// Runs Python feedparser over republished feeds and asserts `bozo == 0`.
/// Where Python or feedparser is missing the check is skipped with a note,
/// except under CI, where `.ci/run` installs it and a miss is a failure.
pub fn feedparser_check(feeds: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in feeds {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feedparser_check.py");
    let out = Command::new("python3").arg(&script).args(&paths).output();
    match out {
        Ok(out) if out.status.code() == Some(3) => {
            assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "CI=true but Python feedparser is not installed");
            eprintln!("SKIPPED: feedparser check (pip install feedparser)");
        }
        Ok(out) => assert!(
            out.status.success(),
            "feedparser rejects our feed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "CI=true but python3 cannot run: {e}");
            eprintln!("SKIPPED: feedparser check (no python3: {e})");
        }
    }
}

/// A bundled demo feed (`data/demo/NAME`), the project's own fixture.
pub fn demo(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo").join(name)).unwrap()
}

/// Polls `done` every 50 ms until it holds or `secs` pass; returns whether
/// it held. Generous bounds, never the machine's speed, decide the tests.
pub fn wait_until(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}
