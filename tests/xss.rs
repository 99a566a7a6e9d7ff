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
