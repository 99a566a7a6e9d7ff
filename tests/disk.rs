//! Disk trouble: a database another process holds locked, a full disk and a
//! read-only filesystem. Each gives a clear error, the service keeps
//! serving what it has, work is retried, and the database stays sound.
//! `/healthz` follows the last commit: 503 with the reason on a full disk,
//! 200 again once a commit goes through.
//! The disk-full and read-only cases mount a small tmpfs: they need root
//! (CI runs as root); elsewhere they say they were skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Daemon, Setup, TestSource, Upstream, demo, get, wait_until};

/// A feed of `n` items, big enough to need real space.
fn feed(tag: &str, n: usize) -> Vec<u8> {
    let mut xml =
        String::from(r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://d.kz/</link>"#);
    for i in 0..n {
        xml.push_str(&format!(
            "<item><title>{tag} новость {i}</title><link>https://d.kz/{tag}/{i}</link><description>{}</description></item>",
            format!("Подробный текст новости {i} о работе акимата и новых решениях. ").repeat(8)
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

#[test]
fn locked_database_is_retried_and_feeds_stay_served() {
    let up = Upstream::start();
    let a = up.put("a.xml", demo("almaty-desk.xml"), "application/rss+xml");
    let setup = Setup::new(&[TestSource { id: "a", url: a.clone(), kind: "regional", category: "regions", priority: 0 }]);
    let daemon = setup.start_daemon();
    assert!(wait_until(20, || setup.count("SELECT count(*) FROM items") > 0));
    // Another process takes the write lock and keeps it for 8 s.
    let db_path = setup.dir.path().join("syndic.db");
    let locker = std::thread::spawn(move || {
        let db = rusqlite::Connection::open(db_path).unwrap();
        db.execute_batch("BEGIN EXCLUSIVE").unwrap();
        std::thread::sleep(Duration::from_secs(8));
        db.execute_batch("COMMIT").unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    // Meanwhile the admin adds a source: the reload cannot be recorded yet.
    let b = up.put("b.xml", feed("b", 5), "application/rss+xml");
    let sources = setup.dir.path().join("sources.toml");
    let text = std::fs::read_to_string(&sources).unwrap();
    std::fs::write(
        &sources,
        format!("{text}[[source]]\nid = \"b\"\nname = \"B\"\nurl = \"{b}\"\nkind = \"partner\"\ncategory = \"regions\"\n"),
    )
    .unwrap();
    // Readers are served from what is stored all along.
    for _ in 0..10 {
        let (status, _, _) = get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
        assert_eq!(status, 200);
        std::thread::sleep(Duration::from_millis(500));
    }
    locker.join().unwrap();
    assert!(
        wait_until(30, || setup.count("SELECT count(*) FROM items WHERE source_id = 'b'") == 5),
        "the new source was not picked up after the lock was released"
    );
    let check = integrity(&setup.db());
    assert_eq!(check, "ok");
    assert!(daemon.terminate().success());
}

/// A tmpfs of `size` at a fresh directory, or `None` (with a note) when
/// this machine does not let us mount.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!("syndic-tmpfs-{}-{size}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn remount(&self, mode: &str) {
        assert!(Command::new("mount").args(["-o", &format!("remount,{mode}")]).arg(&self.dir).status().unwrap().success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn setup_on(dir: &Path, url: String) -> Setup {
    let setup = Setup::new(&[TestSource { id: "big", url, kind: "partner", category: "regions", priority: 0 }]);
    let settings = std::fs::read_to_string(setup.config()).unwrap();
    let old = format!("database = \"{}\"", setup.dir.path().join("syndic.db").display());
    std::fs::write(setup.config(), settings.replace(&old, &format!("database = \"{}\"", dir.join("syndic.db").display()))).unwrap();
    setup
}

/// `PRAGMA integrity_check`'s answer.
fn integrity(db: &rusqlite::Connection) -> String {
    db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

#[test]
fn full_disk_is_an_error_then_recovers() {
    let Some(fs) = Tmpfs::mount("16m") else { return };
    let up = Upstream::start();
    let url = up.put("big.xml", feed("big", 800), "application/rss+xml");
    let setup = setup_on(&fs.dir, url);
    // Leave about 1 MB free: the database starts, the big feed does not fit.
    let filler = fs.dir.join("filler");
    std::fs::write(&filler, vec![0u8; 15 << 20]).unwrap();
    let out = setup.syndic(&["fetch", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("disk is full") || stderr.contains("disk is full"), "want a disk-full error:\n{stdout}\n{stderr}");
    let db = rusqlite::Connection::open(fs.dir.join("syndic.db")).unwrap();
    assert_eq!(integrity(&db), "ok");
    let stored: i64 = db.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, 0, "a feed is stored whole or not at all");
    drop(db);
    std::fs::remove_file(&filler).unwrap();
    let out = setup.syndic(&["fetch", "--all"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("new=800"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn read_only_filesystem_is_a_clear_error() {
    let Some(fs) = Tmpfs::mount("8m") else { return };
    let up = Upstream::start();
    let url = up.put("big.xml", feed("ro", 20), "application/rss+xml");
    let setup = setup_on(&fs.dir, url);
    assert!(setup.syndic(&["fetch", "--all"]).status.success());
    fs.remount("ro");
    up.put("big.xml", feed("ro2", 20), "application/rss+xml");
    let out = setup.syndic(&["fetch", "--all"]);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("readonly") || all.contains("read-only") || all.contains("Read-only"), "want a read-only error:\n{all}");
    fs.remount("rw");
    let db = rusqlite::Connection::open(fs.dir.join("syndic.db")).unwrap();
    assert_eq!(integrity(&db), "ok");
    drop(db);
    let out = setup.syndic(&["fetch", "--all"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("new=20"), "{}", String::from_utf8_lossy(&out.stdout));
}

/// `syndic run` on `setup`, once it answers at all (healthy or not).
fn run_daemon(setup: &Setup) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["run", "--config"])
        .arg(setup.config())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let daemon = Daemon { child, base: format!("http://127.0.0.1:{}", setup.port) };
    assert!(wait_until(20, || get(&format!("{}/healthz", daemon.base), &[]).is_ok()), "daemon did not come up");
    daemon
}

#[test]
fn healthz_reports_a_full_disk_until_a_commit_goes_through() {
    // Its own size: the mount point is named by it, and tests run at once.
    let Some(fs) = Tmpfs::mount("17m") else { return };
    let up = Upstream::start();
    let url = up.put("big.xml", feed("hz", 800), "application/rss+xml");
    let setup = setup_on(&fs.dir, url);
    // A failed poll is retried an interval later.
    setup.source_keys("big", "interval = \"1m\"");
    let filler = fs.dir.join("filler");
    std::fs::write(&filler, vec![0u8; 16 << 20]).unwrap();
    let daemon = run_daemon(&setup);
    let health = || {
        let (status, _, body) = get(&format!("{}/healthz", daemon.base), &[]).unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    assert!(wait_until(30, || health().0 == 503), "a failed commit left /healthz at {:?}", health());
    let (_, reason) = health();
    assert!(reason.contains("the last commit failed") && reason.contains("full"), "{reason}");
    // The failed poll is counted as a full disk, not as a store error of no kind.
    let metrics = String::from_utf8(get(&format!("{}/metrics", daemon.base), &[]).unwrap().2).unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("syndic_fetch_errors_total{kind=\"store_disk_full\"}") && !l.ends_with(" 0")),
        "{metrics}"
    );
    let status: serde_json::Value = serde_json::from_slice(&get(&format!("{}/status.json", daemon.base), &[]).unwrap().2).unwrap();
    assert!(status.to_string().contains("\"last_error_kind\":\"store_disk_full\""), "{status}");
    let page = String::from_utf8(get(&format!("{}/status", daemon.base), &[]).unwrap().2).unwrap();
    assert!(page.contains("store_disk_full: "), "the status page names the kind too");
    // Feeds are still served from what is stored.
    assert_eq!(get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap().0, 200);
    // Space comes back: the retry (a minute later) stores the feed, and
    // that commit makes the daemon healthy again.
    std::fs::remove_file(&filler).unwrap();
    assert!(wait_until(150, || health().0 == 200), "still {:?}", health());
    let db = rusqlite::Connection::open(fs.dir.join("syndic.db")).unwrap();
    assert_eq!(db.query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0)).unwrap(), 800);
    drop(db);
    assert!(daemon.terminate().success());
}
