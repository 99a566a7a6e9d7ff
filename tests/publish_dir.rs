//! `daemon.publish_dir` under the packaged service: the unit runs with
//! `UMask=0077`, nginx reads the copy as another user, and a copy that stops
//! updating must show where admins look (`/healthz`, `/status`), not only in
//! the log.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Daemon, Setup, TestSource, Upstream, demo, get, wait_until};

/// `syndic run` as the unit starts it: umask 0077.
fn start_with_umask_0077(s: &Setup) -> Daemon {
    let mut command = Command::new(env!("CARGO_BIN_EXE_syndic"));
    command.args(["run", "--config"]).arg(s.config()).stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: umask is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    let daemon = Daemon { child: command.spawn().unwrap(), base: format!("http://127.0.0.1:{}", s.port) };
    assert!(wait_until(20, || get(&format!("{}/healthz", daemon.base), &[]).is_ok_and(|r| r.0 == 200)), "daemon did not come up");
    daemon
}

/// Every file and directory under `dir` (itself included) with its mode bits.
fn modes(dir: &Path) -> Vec<(String, bool, u32)> {
    let mut out = vec![(dir.display().to_string(), true, std::fs::metadata(dir).unwrap().permissions().mode() & 0o7777)];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(modes(&path));
        } else {
            out.push((path.display().to_string(), false, std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777));
        }
    }
    out
}

fn add_source(s: &Setup, id: &str, url: &str) {
    let path = s.dir.path().join("sources.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("[[source]]\nid = \"{id}\"\nname = \"{id}\"\nurl = \"{url}\"\nkind = \"partner\"\ncategory = \"sport\"\n\n"));
    std::fs::write(&path, text).unwrap();
}

fn hup(daemon: &Daemon) {
    assert!(Command::new("kill").args(["-HUP", &daemon.child.id().to_string()]).status().unwrap().success());
}

/// One regional desk on a loopback upstream, publishing into `public`
/// under a temporary directory (not there yet: the export creates it, and
/// feeds/ inside it).
fn one_desk_publishing() -> (Upstream, tempfile::TempDir, std::path::PathBuf, Setup) {
    let up = Upstream::start();
    let url = up.put("a.xml", demo("almaty-desk.xml"), "application/rss+xml");
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let s = Setup::with_settings(
        &[TestSource { id: "almaty-desk", url, kind: "regional", category: "regions", priority: 0 }],
        &format!("publish_dir = \"{}\"\n", public.display()),
    );
    (up, out, public, s)
}

#[test]
fn publish_dir_is_world_readable_under_umask_0077_and_a_failed_export_shows_on_healthz_and_status() {
    let (up, out, public, s) = one_desk_publishing();
    let daemon = start_with_umask_0077(&s);
    assert!(wait_until(20, || public.join("feeds/all.rss").exists() && public.join("feeds.opml").exists()), "no static copy");

    let written = modes(&public);
    assert!(written.iter().any(|(p, _, _)| p.ends_with("feeds/all.rss.gz")), "{written:?}");
    for (path, is_dir, mode) in &written {
        let want = if *is_dir { 0o755 } else { 0o644 };
        assert_eq!(*mode, want, "{path} is {mode:o}, a web server running as another user needs {want:o}");
    }

    // The directory becomes unwritable. Tests run as root in CI, and root
    // ignores permission bits, so a file takes the directory's place.
    std::fs::rename(&public, out.path().join("public.old")).unwrap();
    std::fs::write(&public, "not a directory").unwrap();
    // A change to publish: a new source, picked up on reload.
    add_source(&s, "sport", &up.put("s.json", demo("partner-sport.json"), "application/feed+json"));
    hup(&daemon);

    let healthz = || get(&format!("{}/healthz", daemon.base), &[]).unwrap();
    assert!(wait_until(30, || healthz().0 == 503), "/healthz stayed {}", healthz().0);
    let body = String::from_utf8(healthz().2).unwrap();
    assert!(body.starts_with(&format!("static export to {} failed: cannot write {}", public.display(), public.display())), "{body}");

    let (status, _, page) = get(&format!("{}/status", daemon.base), &[]).unwrap();
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Статическая копия лент не обновляется") && page.contains(&format!("static export to {}", public.display())));
    let (_, _, json) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert!(json["export_error"].as_str().is_some_and(|e| e.contains("failed: cannot write")), "{json}");

    // Fixed, and the next change goes through: healthy again.
    std::fs::remove_file(&public).unwrap();
    add_source(&s, "politics", &up.put("p.xml", demo("partner-politics.xml"), "application/rss+xml"));
    hup(&daemon);
    assert!(wait_until(30, || healthz().0 == 200), "/healthz stayed {:?}", String::from_utf8_lossy(&healthz().2));
    assert!(public.join("feeds/all.rss").exists());
    assert_eq!(std::fs::metadata(&public).unwrap().permissions().mode() & 0o7777, 0o755);
    let (_, _, json) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&json).unwrap()["export_error"].is_null());
    assert!(daemon.terminate().success());
}

#[test]
fn a_restart_writes_the_static_copy_and_a_fixed_directory_recovers_without_news() {
    let (_upstream, out, public, s) = one_desk_publishing();
    // Stored by a one-shot fetch: when the daemon starts, nothing is due,
    // so no poll will change a feed for a whole interval.
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    assert!(!public.exists(), "`syndic fetch` is not expected to export");
    let daemon = s.start_daemon();
    assert!(wait_until(20, || public.join("feeds/all.rss").exists()), "a restart left the static copy unwritten until news");

    // The directory breaks, a reload tries to export (titles may have changed).
    std::fs::rename(&public, out.path().join("public.old")).unwrap();
    std::fs::write(&public, "not a directory").unwrap();
    hup(&daemon);
    let healthz = || get(&format!("{}/healthz", daemon.base), &[]).unwrap();
    assert!(wait_until(30, || healthz().0 == 503), "/healthz stayed {}", healthz().0);

    // Fixed by the admin, and no news arrives: the export is retried.
    std::fs::remove_file(&public).unwrap();
    assert!(wait_until(60, || healthz().0 == 200), "/healthz stayed {:?}", String::from_utf8_lossy(&healthz().2));
    assert!(public.join("feeds/all.rss").exists());
    assert!(daemon.terminate().success());
}

#[test]
fn a_reload_refuses_the_placeholder_public_url() {
    let up = Upstream::start();
    let url = up.put("a.xml", demo("almaty-desk.xml"), "application/rss+xml");
    let s = Setup::new(&[TestSource { id: "almaty-desk", url, kind: "regional", category: "regions", priority: 0 }]);
    let daemon = s.start_daemon();
    let settings = s.config();
    let text = std::fs::read_to_string(&settings).unwrap();
    let public_url = format!("http://127.0.0.1:{}", s.port);
    std::fs::write(&settings, text.replace(&public_url, "https://CHANGE-ME.invalid/")).unwrap();
    hup(&daemon);
    let status = || {
        let (_, _, json) = get(&format!("{}/status.json", daemon.base), &[]).unwrap();
        serde_json::from_slice::<serde_json::Value>(&json).unwrap()
    };
    assert!(
        wait_until(20, || status()["config_error"].as_str().is_some_and(|e| e.contains("public_url") && e.contains("placeholder"))),
        "{}",
        status()
    );
    let (_, _, feed) = get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
    let feed = String::from_utf8(feed).unwrap();
    assert!(feed.contains(&public_url) && !feed.to_lowercase().contains("change-me.invalid"), "the running public_url stays");
    assert!(daemon.terminate().success());
}
