//! The database under the daemon: deleted or replaced while it runs, a
//! second daemon on it, and stored items following their source when the
//! admin moves it to a renamed category. Each against a real `syndic`.

mod common;

use std::process::{Command, Stdio};

use common::{Setup, TestSource, Upstream, demo, get, wait_until};

fn one_source(up: &Upstream) -> Setup {
    let url = up.put("a.xml", demo("partner-politics.xml"), "application/rss+xml");
    Setup::new(&[TestSource { id: "a", url, kind: "partner", category: "politics", priority: 0 }])
}

fn healthz(base: &str) -> (u16, String) {
    let (status, _, body) = get(&format!("{base}/healthz"), &[]).unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn deleting_the_database_under_a_running_daemon_makes_it_unhealthy() {
    let up = Upstream::start();
    let s = one_source(&up);
    let daemon = s.start_daemon();
    assert!(wait_until(20, || s.count("SELECT count(*) FROM items") > 0));
    assert_eq!(healthz(&daemon.base).0, 200);
    std::fs::remove_file(s.dir.path().join("syndic.db")).unwrap();
    assert!(wait_until(10, || healthz(&daemon.base).0 == 503), "still healthy: {:?}", healthz(&daemon.base));
    let (_, reason) = healthz(&daemon.base);
    assert!(reason.contains("syndic.db was deleted"), "{reason}");
    // The status page says it too, and the feeds are still served.
    let (_, _, body) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(status["database_error"].as_str().unwrap_or_default().contains("was deleted"), "{status}");
    assert_eq!(get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap().0, 200);
    let (_, _, page) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    assert!(String::from_utf8_lossy(&page).contains("База данных неисправна"));
    // The log names it.
    let out = kill_and_collect(daemon);
    assert!(out.contains("database unhealthy") && out.contains("was deleted"), "{out}");
}

#[test]
fn replacing_the_database_file_makes_the_daemon_unhealthy() {
    let up = Upstream::start();
    let s = one_source(&up);
    let daemon = s.start_daemon();
    assert!(wait_until(20, || s.count("SELECT count(*) FROM items") > 0));
    // A restored backup copied over it (a new file at the same path).
    let db = s.dir.path().join("syndic.db");
    let copy = s.dir.path().join("backup.db");
    std::fs::copy(&db, &copy).unwrap();
    std::fs::rename(&copy, &db).unwrap();
    assert!(wait_until(10, || healthz(&daemon.base).0 == 503));
    assert!(healthz(&daemon.base).1.contains("was replaced"), "{}", healthz(&daemon.base).1);
}

/// Stops the daemon and returns what it logged.
fn kill_and_collect(mut daemon: common::Daemon) -> String {
    use std::io::Read as _;
    let _ = daemon.child.kill();
    let _ = daemon.child.wait();
    let mut text = String::new();
    if let Some(mut stderr) = daemon.child.stderr.take() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

#[test]
fn a_second_daemon_on_the_same_database_refuses_and_the_first_keeps_serving() {
    let up = Upstream::start();
    let s = one_source(&up);
    let daemon = s.start_daemon();
    // The same database, another port: only the database can stop it.
    let other = s.dir.path().join("second.toml");
    let port = common::free_port();
    let settings = std::fs::read_to_string(s.config()).unwrap().replace(&format!(":{}\"", s.port), &format!(":{port}\""));
    std::fs::write(&other, settings).unwrap();
    let mut second = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["run", "--config"])
        .arg(&other)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Before the lock, it ran beside the first one, polling the same sources.
    let exited = wait_until(20, || second.try_wait().unwrap().is_some());
    if !exited {
        let _ = second.kill();
    }
    let second = second.wait_with_output().unwrap();
    assert!(exited, "a second daemon runs on the same database");
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    let pid = daemon.child.id();
    assert!(err.contains("in use by syndic run") && err.contains(&format!("pid {pid}")), "{err}");
    assert_eq!(healthz(&daemon.base), (200, "ok\n".to_string()));
    assert!(daemon.terminate().success());
    // Once the first is gone, a daemon starts again on the same database.
    let again = s.start_daemon();
    assert!(again.terminate().success());
}

#[test]
fn fetch_while_the_daemon_runs_has_the_daemon_poll_and_readers_see_the_new_story_at_once() {
    let up = Upstream::start();
    let s = one_source(&up);
    let daemon = s.start_daemon();
    assert!(wait_until(20, || s.count("SELECT count(*) FROM items") > 0));
    let feed = format!("{}/feeds/all.rss", daemon.base);
    // Rendered and cached by the daemon.
    assert_eq!(get(&feed, &[]).unwrap().0, 200);
    let story = "Сенат одобрил закон о местном самоуправлении";
    let xml = String::from_utf8(demo("partner-politics.xml")).unwrap().replacen(
        "<item>",
        &format!("<item><title>{story}</title><link>https://partner-news.example.kz/politics/senat</link><description>Сенаторы одобрили закон во втором чтении.</description></item><item>"),
        1,
    );
    up.put("a.xml", xml.into_bytes(), "application/rss+xml");
    // An admin checks the source by hand, as docs/operations.md shows.
    let out = s.syndic(&["fetch", "--source", "a"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let pid = daemon.child.id();
    assert!(stdout.contains(&format!("syndic run (pid {pid}) holds")) && stdout.contains("asked it to poll 1 source now"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("a ") && l.contains(" ok ") && l.contains("entries=3")), "{stdout}");
    // The daemon stored it: its feeds show it without a restart (a fetch of
    // its own left the daemon's cached feed without the story).
    let (_, _, body) = get(&feed, &[]).unwrap();
    assert!(String::from_utf8_lossy(&body).contains(story), "the daemon's feed lacks the story fetched by hand");
    assert_eq!(s.count(&format!("SELECT count(*) FROM items WHERE title = '{story}'")), 1);
    // A source that is not configured is an error; without a source the
    // daemon is left to its schedule.
    let unknown = s.syndic(&["fetch", "--source", "nope"]);
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no source with id \"nope\""));
    // A typo gets the id it was meant to be, as `syndic fetch` without a daemon says.
    let typo = s.syndic(&["fetch", "--source", "aa"]);
    assert!(String::from_utf8_lossy(&typo.stderr).contains("no source with id \"aa\" in "), "{typo:?}");
    assert!(String::from_utf8_lossy(&typo.stderr).contains("; did you mean \"a\"?"), "{typo:?}");
    let due = s.syndic(&["fetch"]);
    assert!(due.status.success() && String::from_utf8_lossy(&due.stdout).contains("polls the due sources itself"));
    // A source the daemon does not poll is refused at once, not waited for.
    std::fs::write(s.config().with_file_name("sources.toml"), std::fs::read_to_string(s.config().with_file_name("sources.toml")).unwrap() + "[[source]]\nid = \"off\"\nname = \"Off\"\nurl = \"http://127.0.0.1:9/off.xml\"\nkind = \"partner\"\ncategory = \"politics\"\nenabled = false\n").unwrap();
    let off = s.syndic(&["fetch", "--source", "off"]);
    assert!(!off.status.success() && String::from_utf8_lossy(&off.stderr).contains("enabled = false"), "{off:?}");
    assert!(daemon.terminate().success());
}

#[test]
fn items_follow_their_source_into_a_renamed_category_on_reload() {
    let up = Upstream::start();
    let s = one_source(&up);
    let daemon = s.start_daemon();
    assert!(wait_until(20, || s.count("SELECT count(*) FROM items") > 0));
    let stored = s.count("SELECT count(*) FROM items WHERE duplicate_of IS NULL");
    let titles = |path: &str| -> Vec<String> {
        let (status, _, body) = get(&format!("{}/feeds/{path}.json", daemon.base), &[]).unwrap();
        if status != 200 {
            return Vec::new();
        }
        let feed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        feed["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap_or_default().to_string()).collect()
    };
    let before = titles("politics");
    assert_eq!(before.len() as i64, stored);
    // The admin renames the category "politics" to "vlast" (its source moves with it).
    let path = s.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let renamed = text.replace("slug = \"politics\"", "slug = \"vlast\"").replace("category = \"politics\"", "category = \"vlast\"");
    assert_ne!(text, renamed);
    std::fs::write(&path, renamed).unwrap();
    assert!(Command::new("kill").args(["-HUP", &daemon.child.id().to_string()]).status().unwrap().success());
    assert!(wait_until(15, || titles("vlast").len() == before.len()), "the items did not follow: {:?}", titles("vlast"));
    let mut after = titles("vlast");
    let mut before = before;
    after.sort();
    before.sort();
    assert_eq!(after, before);
    assert_eq!(get(&format!("{}/feeds/politics.json", daemon.base), &[]).unwrap().0, 404);
    assert_eq!(s.count("SELECT count(*) FROM items WHERE category = 'politics'"), 0);
    assert!(daemon.terminate().success());
}
