//! `syndic check` on configurations an admin got wrong in several places at
//! once (#26): every error of both files is printed, each with its file,
//! line, column and dotted key, in words, with the nearest valid key or
//! slug, and the exit status is 1.

use std::process::Command;

const SETTINGS: &str = "[daemon]\nretension = \"30d\"\nitems_per_feed = \"fifty\"\n";

const SOURCES: &str = r#"[[category]]
slug = "politics"
title = "Политика"

[[region]]
slug = "almaty-oblast"
title = "Алматинская область"

[[source]]
id = "liter-politics"
name = "Liter.kz"
url = "https://liter.kz/rss/politics"
kind = "partner"
category = "politics"
priority = "high"
intervall = "10m"

[[source]]
id = "tengri"
name = "Tengrinews"
url = "https://tengrinews.kz/rss"
kind = "regional"
category = "politcs"
region = "almaty_oblast"
full_text = { selector = "div..article" }
"#;

#[test]
fn check_prints_every_error_of_both_files_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("syndic.toml"), SETTINGS).unwrap();
    std::fs::write(dir.path().join("sources.toml"), SOURCES).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["check", "--config"])
        .arg(dir.path().join("syndic.toml"))
        .current_dir(dir.path())
        .env_remove("SYNDIC_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace(&format!("{}/", dir.path().display()), "");
    assert_eq!(out.status.code(), Some(1), "{err}");
    let want = [
        "invalid configuration (7 errors):",
        "syndic.toml:2:1: daemon.retension: unknown key; did you mean `retention`?",
        "syndic.toml:3:18: daemon.items_per_feed: expected a whole number, found the text \"fifty\"",
        "sources.toml:15:12: source[0].priority (id \"liter-politics\"): expected a whole number, found the text \"high\"",
        "sources.toml:16:1: source[0].intervall (id \"liter-politics\"): unknown key; did you mean `interval`?",
        "sources.toml:23:12: source[1].category (id \"tengri\"): unknown category \"politcs\"; did you mean \"politics\"?",
        "sources.toml:24:10: source[1].region (id \"tengri\"): unknown region \"almaty_oblast\"; did you mean \"almaty-oblast\"?",
        "sources.toml:25:13: source[1].full_text.selector (id \"tengri\"): \"div..article\" is not a valid CSS selector: `.` must be followed by a class name",
    ];
    for line in want {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    assert!(!err.contains("invalid type") && !err.contains("developer") && !err.contains("i64"), "{err}");
}

/// The same words for a selector tried on the command line before saving it.
#[test]
fn extract_with_a_bad_selector_says_what_is_wrong() {
    let page = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages/tengri-style.html");
    let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .arg("extract")
        .arg(&page)
        .args(["--selector", "article", "--remove", "..ad", "--config", "/nonexistent/syndic.toml"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--remove: \"..ad\" is not a valid CSS selector: `.` must be followed by a class name"), "{err}");
    assert!(!err.contains("developer"), "{err}");
}
