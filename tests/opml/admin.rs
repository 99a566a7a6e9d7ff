//! The admin of `tests/opml.rs`: a configuration directory with a portal's
//! categories and one source, and the `syndic` binary run against it.
//! Shared by `opml.rs` and `opml_export.rs`, each using part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A configuration directory with a portal's categories and one source.
pub struct Admin {
    pub dir: tempfile::TempDir,
}

pub const SOURCES: &str = "# Портал: источники. Комментарии остаются.
[[category]]
slug = \"politics\"
title = \"Политика\"

[[category]]
slug = \"economy\"
title = \"Экономика\"

[[category]]
slug = \"society\"
title = \"Общество\"

[[category]]
slug = \"regions\"
title = \"Регионы\"

[[category]]
slug = \"sport\"
title = \"Спорт\"

[[category]]
slug = \"world\"
title = \"В мире\"

[[region]]
slug = \"almaty\"
title = \"Алматы\"

[[source]]
id = \"tengri-politics\"   # our oldest partner
name = \"Tengrinews — Политика\"
url = \"https://www.tengrinews.kz/rss/politics\"
kind = \"partner\"
category = \"politics\"
";

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Admin {
    pub fn new(sources: &str) -> Admin {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("syndic.toml"), "[daemon]\ndatabase = \"syndic.db\"\nsources = \"sources.toml\"\n").unwrap();
        std::fs::write(dir.path().join("sources.toml"), sources).unwrap();
        Admin { dir }
    }

    pub fn sources_path(&self) -> PathBuf {
        self.dir.path().join("sources.toml")
    }

    pub fn sources(&self) -> String {
        std::fs::read_to_string(self.sources_path()).unwrap()
    }

    pub fn syndic(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_syndic"))
            .args(args)
            .arg("--config")
            .arg(self.dir.path().join("syndic.toml"))
            .output()
            .unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    pub fn import(&self, file: &Path, flags: &[&str]) -> Run {
        let mut args = vec!["opml", "import", file.to_str().unwrap()];
        args.extend_from_slice(flags);
        let run = self.syndic(&args);
        assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
        run
    }

    /// The configured sources as (id, category), in file order.
    pub fn placed(&self) -> Vec<(String, String)> {
        let config = syndic::config::load(&self.dir.path().join("syndic.toml")).unwrap();
        config.sources.iter().map(|s| (s.id.clone(), s.category.clone())).collect()
    }

    pub fn source(&self, id: &str) -> syndic::config::Source {
        let config = syndic::config::load(&self.dir.path().join("syndic.toml")).unwrap();
        config.source(id).cloned().unwrap_or_else(|| panic!("no source {id}:\n{}", self.sources()))
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opml").join(name)
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}
