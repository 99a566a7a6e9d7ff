//! `syndic demo`: the whole pipeline on bundled sample feeds, offline.
//!
//! Starts a loopback HTTP server that plays the publishers (the feeds in
//! `data/demo/`, compiled into the binary, so the demo works from any
//! directory), writes a configuration pointing at it into a temporary
//! directory, aggregates everything into a fresh database there through
//! the same code the daemon runs, prints a summary and the feed URLs, and
//! serves the merged feeds until Ctrl-C (or exits at once with `--once`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config;
use crate::daemon::{Daemon, summary_line};
use crate::pipeline::poll::Outcome;

/// The bundled publishers' feeds: (file name, content type, bytes).
const FEEDS: &[(&str, &str, &[u8])] = &[
    ("almaty-desk.xml", "application/rss+xml; charset=utf-8", include_bytes!("../data/demo/almaty-desk.xml")),
    ("shymkent-desk-kk.xml", "application/atom+xml", include_bytes!("../data/demo/shymkent-desk-kk.xml")),
    ("partner-politics.xml", "application/rss+xml", include_bytes!("../data/demo/partner-politics.xml")),
    // Served the way many legacy sites do: text/xml and no charset.
    ("partner-1251.xml", "text/xml", include_bytes!("../data/demo/partner-1251.xml")),
    ("partner-sport.json", "application/feed+json", include_bytes!("../data/demo/partner-sport.json")),
    ("partner-teasers.xml", "application/rss+xml", include_bytes!("../data/demo/partner-teasers.xml")),
    // The article page behind the teaser (also the extraction tests' page).
    ("article-most.html", "text/html; charset=utf-8", include_bytes!("../tests/fixtures/pages/tengri-style.html")),
];

const SOURCES: &str = include_str!("../data/demo/sources.toml");

/// Runs the demo; `listen` is where the merged feeds are served.
pub async fn run(listen: SocketAddr, once: bool) -> anyhow::Result<()> {
    let upstream = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.context("cannot start the demo publishers' server")?;
    let upstream_addr = upstream.local_addr()?;
    tokio::spawn(async move { axum::serve(upstream, Router::new().route("/{file}", get(publisher_feed))).await });

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}; pass --listen 127.0.0.1:0 to pick a free port"))?;
    let addr = listener.local_addr()?;
    let dir = std::env::temp_dir().join(format!("syndic-demo-{}", std::process::id()));
    let config_path = write_config(&dir, upstream_addr, addr)?;
    let config = config::load(&config_path).map_err(|e| anyhow::anyhow!("demo configuration is invalid:\n{e}"))?;

    let daemon = Daemon::start(config)?;
    let feeds = FEEDS.iter().filter(|f| !f.0.ends_with(".html")).count();
    println!("syndic demo: aggregating {feeds} bundled feeds served from http://{upstream_addr}/\n");
    let reports = daemon.poll_all(&daemon.config.sources).await;
    for r in &reports {
        println!("  {}", summary_line(r));
    }
    let pages = daemon.extract_all().await;
    let extracted = pages.iter().filter(|p| p.result.is_ok()).count();
    println!("  full text: {extracted} of {} article pages extracted", pages.len());
    let failed = reports.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_))).count() + (pages.len() - extracted);
    let (items, duplicates) = daemon.ctx.store.lock().unwrap_or_else(|p| p.into_inner()).counts()?;
    println!("\nsources: {} ({failed} failed)   items stored: {items}   duplicates merged: {duplicates}", reports.len());
    println!("database: {}\n", daemon.config.daemon.database.display());
    println!("Subscribe to the merged feeds:");
    for slice in daemon.publisher.slices() {
        println!("  http://{addr}/feeds/{}.rss", slice.path());
    }
    println!("  index: http://{addr}/");
    if failed > 0 {
        anyhow::bail!("{failed} demo sources failed");
    }
    if once {
        drop(daemon);
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    println!("\nServing until Ctrl-C.");
    let result = daemon.run_on(listener).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn write_config(dir: &std::path::Path, upstream: SocketAddr, public: SocketAddr) -> anyhow::Result<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let sources = SOURCES.replace("@BASE@", &format!("http://{upstream}"));
    std::fs::write(dir.join("sources.toml"), sources)?;
    let settings = format!(
        "[daemon]\ndatabase = {:?}\nlisten = \"{public}\"\npublic_url = \"http://{public}\"\nsources = \"sources.toml\"\ntitle = \"Новости Казахстана — демо\"\n\
         # All demo publishers share one loopback host: no spacing needed.\nper_host_spacing = \"0\"\n",
        dir.join("syndic.db").display().to_string()
    );
    let path = dir.join("syndic.toml");
    std::fs::write(&path, settings)?;
    Ok(path)
}

async fn publisher_feed(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some((_, content_type, bytes)) = FEEDS.iter().find(|(name, _, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{:x}\"", xxhash_rust::xxh3::xxh3_64(bytes));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::ETAG, etag)], *bytes).into_response()
}
