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
const SUPPORT: [(&str, Option<&str>); 6] = [
    ("atomic", None),
    ("cpu", None),
    ("clock", Some("store")),
    ("status", Some("store")),
    ("metrics", Some("store")),
    // The shared store: a log of what the store is given, and its follower.
    ("cluster", Some("store")),
];

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

/// `text` with its comments, string and character literals blanked
/// (newlines kept, so byte offsets still give lines): a `crate::` in a
/// string or a comment, or a `//` inside a string, is no import.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                let body = i + 2 + hashes;
                let end = b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(b.len(), |p| body + p + close.len());
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            // A character literal ('x', '\n', '"'), not a lifetime ('a).
            b'\'' => {
                let len = if b.get(i + 1) == Some(&b'\\') {
                    // After the escaped character: '\'' is one literal.
                    b.get(i + 3..).and_then(|rest| rest.iter().position(|&c| c == b'\'')).map(|p| p + 4)
                } else {
                    let c = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + c) == Some(&b'\'')).then_some(c + 2)
                };
                match len {
                    Some(len) => {
                        blank(&mut out, i, i + len);
                        i += len;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were blanked, so the text is still UTF-8.
    String::from_utf8(out).expect("blanking ASCII bytes keeps UTF-8")
}

/// The first segments of each path of a `use` tree starting at `rest`
/// (`model::Item` → `model`; `{model::{Item, Slice}, serve::X}` → `model`,
/// `serve`), with the byte offset of each within `rest`.
fn tree_heads(rest: &str) -> Vec<(usize, &str)> {
    let trimmed = rest.trim_start();
    let at = rest.len() - trimmed.len();
    let Some(group) = trimmed.strip_prefix('{') else {
        let name = trimmed.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default();
        return vec![(at, name)];
    };
    let (mut depth, mut start, mut heads) = (0, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                heads.extend(tree_heads(&group[start..i]).into_iter().map(|(o, n)| (at + 1 + start + o, n)));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.extend(tree_heads(&group[start..i]).into_iter().map(|(o, n)| (at + 1 + start + o, n)));
                start = i + 1;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules a source file names, with their lines: through
/// `crate::` (and `$crate::`), and through `super::` chains that climb to
/// the crate root from `path`, the file's module path (`["store",
/// "items"]` for src/store/items.rs or src/store/items/mod.rs).
fn used_modules_from(path: &[&str], text: &str) -> Vec<(usize, String)> {
    let code = code_only(text);
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for (i, _) in code.match_indices("crate::") {
        // `syndic_crate::` is some other name, `$crate::` is this crate.
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        for (o, name) in tree_heads(rest) {
            out.push((line_of(i + "crate::".len() + o), name.to_string()));
        }
    }
    let inline = inline_modules(&code);
    for (i, _) in code.match_indices("super::") {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || code[..i].ends_with("super::")) {
            continue;
        }
        let nested = inline.iter().filter(|(from, to)| (*from..*to).contains(&i)).count();
        let mut rest = &code[i..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            up += 1;
            rest = r;
        }
        // At the crate root: what follows is a top-level module.
        if up == path.len() + nested {
            let start = code.len() - rest.len();
            for (o, name) in tree_heads(rest) {
                out.push((line_of(start + o), name.to_string()));
            }
        }
    }
    out.retain(|(_, m)| !m.is_empty() && m != "self");
    out
}

/// The byte ranges of the inline modules (`mod tests { … }`) of `code`:
/// a `super::` inside one climbs one level more.
fn inline_modules(code: &str) -> Vec<(usize, usize)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for (i, _) in code.match_indices("mod ") {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let rest = &code[i + 4..];
        let name_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let after = rest[name_len..].trim_start();
        if name_len == 0 || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        for (j, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push((open, open + j));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The violations in one file of module `module`: `file:line: a uses b`.
fn check(module: &str, file: &str, text: &str, ranks: &HashMap<String, Option<f64>>) -> Vec<String> {
    check_at(&[module], file, text, ranks)
}

/// [`check`] for a file whose module path is `path` (`["store", "items"]`).
fn check_at(path: &[&str], file: &str, text: &str, ranks: &HashMap<String, Option<f64>>) -> Vec<String> {
    let module = path[0];
    let Some(&own) = ranks.get(module) else {
        return vec![format!("{file}: module `{module}` is in no stage: place it in tests/imports.rs")];
    };
    let mut out = Vec::new();
    for (line, used) in used_modules_from(path, text) {
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
        let mut modules: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
        if modules.last() == Some(&"mod") {
            modules.pop();
        }
        if modules[0] == "lib" || modules[0] == "main" {
            continue;
        }
        violations.extend(check_at(&modules, &format!("src/{rel}"), &std::fs::read_to_string(&path).unwrap(), &ranks));
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
    // What a line-by-line reading missed: a group rustfmt wraps, nested
    // groups, a string holding `//`, `super::` up to the crate root.
    assert_eq!(
        flagged("fetch", "use crate::{\n    model::Item,\n    serve::AppState,\n};\n"),
        ["x.rs:3: `fetch` uses a later stage, `serve`"]
    );
    assert_eq!(
        flagged("fetch", "use crate::{model::{Item, Slice}, publish::{Format}};\n"),
        ["x.rs:1: `fetch` uses a later stage, `publish`"]
    );
    assert_eq!(flagged("fetch", "let u = \"http://x\"; let c: crate::daemon::Daemon;\n"), ["x.rs:1: `fetch` uses a runner, `daemon`"]);
    assert_eq!(flagged("parse", "use super::serve::AppState;\n"), ["x.rs:1: `parse` uses a later stage, `serve`"]);
    let deep = |text: &str| check_at(&["store", "items"], "x.rs", text, &ranks);
    assert_eq!(deep("use super::super::publish::Format;\n"), ["x.rs:1: `store` uses a later stage, `publish`"]);
    assert!(deep("use super::Store;\nuse super::super::model::Item;\n").is_empty(), "within its own module, or earlier");
    assert!(deep("mod tests {\n    use super::super::super::model::Item;\n    use super::super::Store;\n}\n").is_empty());
    assert_eq!(
        deep("mod tests {\n    use super::super::super::serve::X;\n}\nuse super::Store;\n"),
        ["x.rs:2: `store` uses a later stage, `serve`"],
        "a test module climbs one level more"
    );
    assert!(flagged("parse", "let s = \"crate::serve\"; /* crate::daemon */ let c = '\"';\n").is_empty(), "strings and comments");
    assert!(flagged("parse", "fn f<'a>(x: &'a str) -> crate::model::Item { todo!() }\n").is_empty(), "a lifetime is no literal");
    assert_eq!(
        flagged("parse", "let q = ('\\'', '\"'); use crate::serve::X;\n"),
        ["x.rs:1: `parse` uses a later stage, `serve`"],
        "an escaped quote is one character literal"
    );
}
