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

fn check(settings: &str, sources: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("syndic.toml"), settings).unwrap();
    std::fs::write(dir.path().join("sources.toml"), sources).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["check", "--config"])
        .arg(dir.path().join("syndic.toml"))
        .env_remove("SYNDIC_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace(&format!("{}/", dir.path().display()), "");
    assert_eq!(out.status.code(), Some(1), "{err}");
    err
}

/// What a user trial of the admin experience got told, and was misled by.
#[test]
fn check_says_what_is_wrong_in_the_trials_configurations() {
    let sources = r###"[[category]]
slug = "Politics"
title = "Политика"

[[category]]
slug = "partners"
title = "Партнёры"

[[source]]
id = "a"
name = ""
url = "https://a.kz/rss"
kind = "partner"
category = "politics"
full_text = { selector = "article", remove = ["##x"] }

[[source]]
id = "b"
name = "B"
url = "https://www.a.kz/rss/"
kind = "partner"
category = "partners"
"###;
    let settings = "[daemon]\nsources = \"sources.toml\"\npublic_url = \"feeds.example.kz\"\nretention = \"fifteen\"\n";
    let err = check(settings, sources);
    let want = [
        "syndic.toml:3:14: daemon.public_url: \"feeds.example.kz\" has no scheme; write the whole address, such as \"https://feeds.example.kz\"",
        "syndic.toml:4:13: daemon.retention: \"fifteen\" is not a duration; write a number and a unit, such as \"90s\", \"15m\", \"1h\" or \"30d\"",
        "sources.toml:2:8: category[0].slug: \"Politics\" must be lower-case letters, digits and '-', such as \"politics\"",
        "sources.toml:14:12: source[0].category (id \"a\"): unknown category \"politics\": the [[category]] at line 2 has slug \"Politics\", which was refused; write slug = \"politics\" there",
        "sources.toml:11:8: source[0].name (id \"a\"): is empty;",
        "sources.toml:15:13: source[0].full_text.remove (id \"a\"): \"##x\" is not a valid CSS selector: `#` must be followed by an id, as in `#main`",
        "sources.toml:20:7: source[1].url (id \"b\"): \"https://www.a.kz/rss/\" is also the url of source \"a\"",
        "sources.toml:22:12: source[1].category (id \"b\"): unknown category \"partners\": the [[category]] at line 6 has slug \"partners\", which was refused; it is reserved",
    ];
    for line in want {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    for wrong in ["no [[category]] is defined", "two commas", "expected number at 0", "relative URL without a base"] {
        assert!(!err.contains(wrong), "{wrong:?} in:\n{err}");
    }

    // Daemon keys above any [daemon] line.
    let err = check("public_url = \"https://feeds.example.kz\"\nsources = \"sources.toml\"\n", "");
    assert!(err.contains("syndic.toml:1:1: public_url: a key outside any table; put it under [daemon]"), "{err}");
    assert!(err.contains("syndic.toml:2:1: sources: a key outside any table; put it under [daemon]"), "{err}");
    let err = check("[daemon]\nsources = \"sources.toml\"\n", "slug = \"politics\"\n");
    assert!(err.contains("sources.toml:1:1: slug: a key outside any table; put it under [[category]] or [[region]]"), "{err}");
}

/// `fetch --source` with a typo names the id meant, as config keys do.
#[test]
fn fetch_of_an_unknown_source_suggests_the_nearest_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("syndic.toml"), "[daemon]\ndatabase = \"syndic.db\"\nsources = \"sources.toml\"\n").unwrap();
    let sources = "[[category]]\nslug = \"politics\"\ntitle = \"Политика\"\n\n[[source]]\nid = \"tengri-politics\"\nname = \"Tengrinews\"\nurl = \"https://tengrinews.kz/rss\"\nkind = \"partner\"\ncategory = \"politics\"\n";
    std::fs::write(dir.path().join("sources.toml"), sources).unwrap();
    let fetch = |id: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
            .args(["fetch", "--source", id, "--config"])
            .arg(dir.path().join("syndic.toml"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = fetch("tengri-politcs");
    assert!(err.contains("no source with id \"tengri-politcs\" in ") && err.contains("; did you mean \"tengri-politics\"?"), "{err}");
    let err = fetch("nope");
    assert!(err.contains("no source with id \"nope\" in ") && err.contains("; `syndic sources` lists the ids"), "{err}");
}
