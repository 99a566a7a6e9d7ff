//! What an install puts in front of an admin: the packaged settings
//! template (valid once `public_url` is filled, refused by name until
//! then) and the manual pages the unit's `Documentation=` names.

use std::path::Path;
use std::process::Command;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn syndic(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_syndic")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn packaged_settings_are_refused_naming_public_url_until_it_is_filled() {
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(repo("packaging/syndic.toml")).unwrap();
    std::fs::copy(repo("config/sources.toml"), dir.path().join("sources.toml")).unwrap();
    let settings = dir.path().join("syndic.toml");
    std::fs::write(&settings, &template).unwrap();
    let config = settings.to_str().unwrap();
    let line = template.lines().position(|l| l.starts_with("public_url")).unwrap() + 1;

    for command in ["check", "run", "publish"] {
        let mut args = vec![command, "--config", config];
        if command == "publish" {
            args.extend(["--out", dir.path().to_str().unwrap()]);
        }
        let (ok, _, stderr) = syndic(&args);
        assert!(!ok, "syndic {command} accepted the placeholder public_url");
        assert!(stderr.contains(&format!("{config}:{line}:1: public_url: \"https://change-me.invalid/\" is the placeholder")), "{stderr}");
    }

    // Filled in, the rest of the template is a valid configuration.
    std::fs::write(&settings, template.replace("https://CHANGE-ME.invalid/", "https://feeds.example.kz")).unwrap();
    let (ok, stdout, stderr) = syndic(&["check", "--config", config]);
    assert!(ok && stdout.starts_with("ok: "), "{stdout}{stderr}");
}

#[test]
fn man_pages_cover_every_command_and_what_the_unit_names() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = syndic(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("wrote "), "{stdout}");
    let main = std::fs::read_to_string(dir.path().join("syndic.1")).unwrap();
    assert!(main.contains(".TH syndic 1") && main.contains("syndic\\-run(1)") && main.contains(".SH FILES"), "{main}");
    for command in ["run", "check", "fetch", "publish", "opml", "sources", "extract", "compact", "demo", "dedup-check"] {
        let page = std::fs::read_to_string(dir.path().join(format!("syndic-{command}.1"))).unwrap_or_default();
        assert!(page.contains(&format!("syndic-{command}")), "syndic-{command}.1 missing or empty");
    }
    assert!(!dir.path().join("syndic-man.1").exists(), "the hidden man command has no page");
    assert!(!main.contains("syndic\\-help"), "syndic.1 names a syndic-help(1) that is not written");

    let unit = std::fs::read_to_string(repo("systemd/syndic.service")).unwrap();
    let docs: Vec<&str> = unit.lines().filter_map(|l| l.strip_prefix("Documentation=")).flat_map(str::split_whitespace).collect();
    assert!(!docs.is_empty());
    for doc in docs {
        if let Some(page) = doc.strip_prefix("man:") {
            let (name, section) = page.trim_end_matches(')').split_once('(').unwrap();
            let file = format!("{name}.{section}");
            assert!(dir.path().join(&file).exists() || repo("man").join(&file).exists(), "Documentation={doc}: no {file}");
        } else {
            // file:///usr/share/doc/syndic/X is installed from docs/X.
            let name = doc.rsplit('/').next().unwrap();
            assert!(repo("docs").join(name).exists() || repo(name).exists(), "Documentation={doc} is not shipped");
        }
    }
}
