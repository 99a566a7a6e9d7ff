//! Which files the `syndic` binary uses, run from a directory other than the
//! configuration's the way an admin runs it (#26): relative paths follow the
//! settings file, `SYNDIC_CONFIG` names it, read-only commands create no
//! database, every command says what it uses, and `fetch` exits non-zero
//! when a source failed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Upstream, demo};

/// `/srv/syndic/syndic.toml` naming `data/syndic.db` (relative) and a
/// source list with a good feed and, optionally, one that answers 404.
struct Install {
    root: tempfile::TempDir,
    _upstream: Upstream,
}

impl Install {
    fn new(with_broken: bool) -> Install {
        let root = tempfile::tempdir().unwrap();
        let upstream = Upstream::start();
        let good = upstream.put("good.xml", demo("almaty-desk.xml"), "application/rss+xml");
        let etc = root.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::create_dir_all(root.path().join("home")).unwrap();
        std::fs::write(etc.join("syndic.toml"), "[daemon]\ndatabase = \"data/syndic.db\"\nper_host_spacing = \"0\"\n").unwrap();
        let mut sources = format!(
            "[[category]]\nslug = \"regions\"\ntitle = \"Регионы\"\n\n\
             [[source]]\nid = \"good\"\nname = \"Good\"\nurl = \"{good}\"\nkind = \"regional\"\ncategory = \"regions\"\n"
        );
        if with_broken {
            let gone = format!("http://{}/missing.xml", upstream.addr);
            sources.push_str(&format!(
                "\n[[source]]\nid = \"broken\"\nname = \"Broken\"\nurl = \"{gone}\"\nkind = \"partner\"\ncategory = \"regions\"\n"
            ));
        }
        std::fs::write(etc.join("sources.toml"), sources).unwrap();
        Install { root, _upstream: upstream }
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("etc/syndic.toml")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// Where the database belongs: beside the settings file.
    fn database(&self) -> PathBuf {
        self.root.path().join("etc/data/syndic.db")
    }

    /// `syndic ARGS` from the home directory, without SYNDIC_CONFIG.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_syndic")).args(args).current_dir(self.home()).env_remove("SYNDIC_CONFIG").output().unwrap()
    }

    fn run_with_config(&self, args: &[&str]) -> Output {
        let config = self.config();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--config", config.to_str().unwrap()]);
        self.run(&all)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir`, for "nothing was created" checks.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn sources_from_home_reads_the_database_beside_the_config_not_a_new_one() {
    let install = Install::new(false);
    // Nothing fetched yet: a clear error naming the path, and no file made.
    let out = install.run_with_config(&["sources"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("no database at {}", install.database().display())), "{err}");
    assert!(!install.database().exists(), "a read-only command created the database");
    assert!(files(&install.home()).is_empty(), "files appeared in the working directory: {:?}", files(&install.home()));

    let out = install.run_with_config(&["fetch", "--all"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{}{err}", text(&out.stdout));
    let said = format!("syndic: config {}, database {} (new)", install.config().display(), install.database().display());
    assert!(err.lines().any(|l| l == said), "want the line {said:?} in:\n{err}");
    assert!(install.database().is_file());
    assert!(files(&install.home()).is_empty(), "fetch wrote into the working directory: {:?}", files(&install.home()));

    // From yet another directory: the same database, with the source's items.
    let out = install.run_with_config(&["sources"]);
    let (stdout, err) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{err}");
    assert!(err.contains(&format!("database {}", install.database().display())), "{err}");
    let good = stdout.lines().find(|l| l.contains("good")).unwrap_or_default();
    assert!(good.contains(" ok"), "{stdout}");
}

#[test]
fn syndic_config_names_the_settings_file() {
    let install = Install::new(false);
    let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["check"])
        .current_dir(install.home())
        .env("SYNDIC_CONFIG", install.config())
        .output()
        .unwrap();
    let (stdout, err) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{err}");
    assert!(stdout.contains("ok: 1 sources"), "{stdout}");
    assert!(err.contains(&format!("syndic: config {} (from SYNDIC_CONFIG)", install.config().display())), "{err}");
    // --config wins over the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["check", "--config", "/nonexistent/syndic.toml"])
        .current_dir(install.home())
        .env("SYNDIC_CONFIG", install.config())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/syndic.toml: cannot read the file"), "{}", text(&out.stderr));
}

#[test]
fn without_any_configuration_the_error_names_the_paths_tried() {
    if Path::new("/etc/syndic/syndic.toml").exists() {
        eprintln!("SKIPPED: /etc/syndic/syndic.toml exists on this machine");
        return;
    }
    let install = Install::new(false);
    let out = install.run(&["sources"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let tried = format!("tried {} and /etc/syndic/syndic.toml", install.home().join("config/syndic.toml").display());
    assert!(err.contains(&tried) && err.contains("SYNDIC_CONFIG"), "{err}");
}

#[test]
fn opml_export_and_check_never_create_a_database() {
    let install = Install::new(false);
    for args in [&["opml", "export"][..], &["check"], &["dedup-check", "--pairs", "/nonexistent.tsv"]] {
        let out = install.run_with_config(args);
        let err = text(&out.stderr);
        assert!(err.contains(&format!("syndic: config {}", install.config().display())), "{args:?}: {err}");
        assert!(!install.database().exists(), "{args:?} created the database");
    }
    assert!(files(&install.home()).is_empty());
}

#[test]
fn fetch_exits_non_zero_and_counts_the_failed_sources() {
    let install = Install::new(true);
    let out = install.run_with_config(&["fetch", "--all"]);
    let (stdout, err) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(stdout.contains("2 sources polled, 1 failed"), "{stdout}");
    assert!(err.contains("syndic: 1 of 2 sources failed"), "{err}");
    // The good source was still stored.
    let out = install.run_with_config(&["sources"]);
    assert!(text(&out.stdout).lines().any(|l| l.contains("good") && l.contains(" ok")), "{}", text(&out.stdout));
}

#[test]
fn without_database_the_state_directory_holds_it() {
    let install = Install::new(false);
    std::fs::write(install.config(), "[daemon]\nper_host_spacing = \"0\"\n").unwrap();
    let state = install.root.path().join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["check", "--config"])
        .arg(install.config())
        .current_dir(install.home())
        .env("STATE_DIRECTORY", &state)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("database {} (not created yet)", state.join("syndic.db").display())), "{err}");
}

/// An install made before #26 kept `database = "data/syndic.db"` relative
/// to the service's working directory: the command says where that file is
/// instead of quietly using (or making) another one.
#[test]
fn a_database_left_at_the_old_relative_place_is_pointed_out() {
    let install = Install::new(false);
    std::fs::create_dir_all(install.home().join("data")).unwrap();
    std::fs::write(install.home().join("data/syndic.db"), b"").unwrap();
    let out = install.run_with_config(&["sources"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let old = install.home().join("data/syndic.db");
    assert!(err.contains(&format!("note: {} exists", old.display())), "{err}");
    assert!(err.contains(&format!("set database = {:?}", old.display().to_string())), "{err}");
    assert!(!install.database().exists());
}

/// A new binary reading a database the old daemon has not upgraded yet says
/// so, instead of an SQL error about a missing column.
#[test]
fn sources_on_a_database_not_yet_upgraded_says_how_to_upgrade_it() {
    let install = Install::new(false);
    assert!(install.run_with_config(&["fetch", "--all"]).status.success());
    rusqlite::Connection::open(install.database()).unwrap().pragma_update(None, "user_version", 1).unwrap();
    let out = install.run_with_config(&["sources"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("has schema version 1 and this syndic reads version") && err.contains("once to upgrade it"), "{err}");
}
