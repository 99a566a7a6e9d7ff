//! The import check: data flows one way through the stages, so no stage
//! may use a later stage or a runner.
//!
//! The stage order is read from `src/lib.rs`'s doc (the chain of
//! ``[`stage`] →`` links), so the doc and the check cannot drift apart.
//! Support modules sit at a fixed place in that order (below); runners
//! (`pipeline`, `scheduler`, `daemon`, …) may use anything, and only
//! runners may use them. Every `crate::module` path in `src/` counts,
//! `use` lines and inline paths alike, test code included: a stage's test
//! that needs a runner belongs to the runner.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Modules that carry data through the stages or wire them together.
const RUNNERS: [&str; 6] = ["pipeline", "scheduler", "shutdown", "daemon", "demo", "cli"];

/// Support modules and the stage they sit right after (`None`: before
/// every stage, so any module may use them and they use no stage).
const SUPPORT: [(&str, Option<&str>); 5] =
    [("atomic", None), ("cpu", None), ("clock", Some("store")), ("status", Some("store")), ("metrics", Some("store"))];

/// The stages in the order of `src/lib.rs`'s doc.
fn stage_order(lib: &str) -> Vec<String> {
    let doc: String = lib.lines().filter_map(|l| l.strip_prefix("//!")).collect::<Vec<_>>().join("\n");
    let chain = doc.split("\n\n").find(|p| p.contains('→')).unwrap_or_default();
    chain.split("[`").skip(1).filter_map(|s| s.split_once("`]").map(|(name, _)| name.to_string())).collect()
}

/// Where each module may sit: its rank, `None` for a runner.
fn ranks(stages: &[String]) -> HashMap<String, Option<f64>> {
    let mut ranks: HashMap<String, Option<f64>> = stages.iter().enumerate().map(|(i, s)| (s.clone(), Some(i as f64))).collect();
    for (module, after) in SUPPORT {
        let rank = after.and_then(|a| stages.iter().position(|s| s == a)).map_or(-1.0, |i| i as f64 + 0.5);
        ranks.insert(module.to_string(), Some(rank));
    }
    for runner in RUNNERS {
        ranks.insert(runner.to_string(), None);
    }
    ranks
}

/// The top-level modules a source file names through `crate::`.
fn used_modules(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default()],
            };
            out.extend(names.into_iter().filter(|m| !m.is_empty()).map(|m| (n + 1, m.to_string())));
        }
    }
    out
}

/// The violations in one file of module `module`: `file:line: a uses b`.
fn check(module: &str, file: &str, text: &str, ranks: &HashMap<String, Option<f64>>) -> Vec<String> {
    let Some(&own) = ranks.get(module) else {
        return vec![format!("{file}: module `{module}` is in no stage: place it in tests/imports.rs")];
    };
    let mut out = Vec::new();
    for (line, used) in used_modules(text) {
        if used == module {
            continue;
        }
        let Some(&theirs) = ranks.get(&used) else {
            out.push(format!("{file}:{line}: module `{used}` is in no stage: place it in tests/imports.rs"));
            continue;
        };
        let allowed = match (own, theirs) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(own), Some(theirs)) => theirs <= own,
        };
        if !allowed {
            let what = if theirs.is_none() { "a runner" } else { "a later stage" };
            out.push(format!("{file}:{line}: `{module}` uses {what}, `{used}`"));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn lib_ranks() -> HashMap<String, Option<f64>> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let stages = stage_order(&lib);
    assert!(stages.len() >= 10, "no stage chain found in src/lib.rs's doc: {stages:?}");
    ranks(&stages)
}

#[test]
fn no_stage_uses_a_later_stage_or_a_runner() {
    let ranks = lib_ranks();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut violations = Vec::new();
    for path in files {
        let rel = path.strip_prefix(src()).unwrap().to_string_lossy().into_owned();
        let module = rel.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        violations.extend(check(&module, &format!("src/{rel}"), &std::fs::read_to_string(&path).unwrap(), &ranks));
    }
    assert!(violations.is_empty(), "imports against the data flow:\n{}", violations.join("\n"));
}

#[test]
fn the_check_catches_a_stage_using_a_later_stage_or_a_runner() {
    let ranks = lib_ranks();
    let flagged = |module: &str, text: &str| check(module, "x.rs", text, &ranks);
    assert_eq!(flagged("store", "use crate::publish::Publisher;\n"), ["x.rs:1: `store` uses a later stage, `publish`"]);
    assert_eq!(flagged("extract", "let c: crate::pipeline::poll::Context;\n"), ["x.rs:1: `extract` uses a runner, `pipeline`"]);
    assert_eq!(flagged("fetch", "use crate::{model::Item, serve::AppState};\n"), ["x.rs:1: `fetch` uses a later stage, `serve`"]);
    assert_eq!(flagged("parse", "use crate::metrics::Metrics;\n"), ["x.rs:1: `parse` uses a later stage, `metrics`"]);
    assert!(flagged("publish", "use crate::store::Store; // crate::daemon in a comment\n").is_empty());
    assert!(flagged("daemon", "use crate::serve;\nuse crate::pipeline::poll;\n").is_empty(), "runners use anything");
    assert_eq!(flagged("newmodule", "").len(), 1, "a module nobody placed is reported");
}
