//! Located configuration errors and the collector that gathers them.
//!
//! Every message an admin sees starts with `file:line:column:` and then the
//! full dotted key it is about (`daemon.retention`,
//! `source[3].priority (id "liter-politics")`), so that a wrong value can be
//! found without counting `[[source]]` blocks. A [`Report`] collects all the
//! problems of one file; nothing stops at the first.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One configuration problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line, 0 when the problem is the file as a whole.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
        }
    }
}

/// Every problem found in a configuration; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Where in the file the keys being checked live: a table (`daemon`) or
/// one entry of an array of tables (`source[3]`, with its id when it has one).
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    /// `daemon`, `source[3]`, `category[0]`; empty at the top level.
    pub path: String,
    /// The entry's `id`, named after the key so the admin can search for it.
    pub id: Option<String>,
}

impl Scope {
    pub fn table(name: &str) -> Scope {
        Scope { path: name.to_string(), id: None }
    }

    pub fn entry(array: &str, index: usize, id: Option<&str>) -> Scope {
        Scope { path: format!("{array}[{index}]"), id: id.map(str::to_string) }
    }

    /// The full name of `key` in this scope: `source[3].priority (id "x")`.
    pub fn name(&self, key: &str) -> String {
        let dotted = match (self.path.is_empty(), key.is_empty()) {
            (true, _) => key.to_string(),
            (false, true) => self.path.clone(),
            (false, false) => format!("{}.{key}", self.path),
        };
        match &self.id {
            Some(id) => format!("{dotted} (id {id:?})"),
            None => dotted,
        }
    }
}

/// Collects located errors for one file.
pub(super) struct Report<'a> {
    file: &'a Path,
    text: &'a str,
    /// The table or entry being validated; keys are named within it.
    pub scope: Scope,
    pub errors: Vec<ConfigError>,
}

impl<'a> Report<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Report { file, text, scope: Scope::default(), errors: Vec::new() }
    }

    /// An error at `span` whose message already says what it is about.
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.text, span.start);
        self.errors.push(ConfigError { file: self.file.to_path_buf(), line, column, message: message.into() });
    }

    /// An error about `key` of the current scope: `scope.key: message`.
    pub fn key(&mut self, span: Range<usize>, key: &str, message: impl fmt::Display) {
        let name = self.scope.name(key);
        self.at(span, format!("{name}: {message}"));
    }

    /// The 1-based line of a byte offset in this file.
    pub fn line_of(&self, offset: usize) -> usize {
        line_column(self.text, offset).0
    }

    /// An error about the file as a whole.
    pub fn whole(&mut self, message: impl Into<String>) {
        self.errors.push(ConfigError { file: self.file.to_path_buf(), line: 0, column: 0, message: message.into() });
    }

    /// A TOML syntax error (or a serde error the key schema did not
    /// foresee), in the current scope.
    pub fn toml(&mut self, e: &toml::de::Error) {
        let message = e.message().trim().to_string();
        let message = if self.scope.path.is_empty() { message } else { format!("{}: {message}", self.scope.name("")) };
        match e.span() {
            Some(span) => self.at(span, message),
            None => self.whole(message),
        }
    }

    /// Forgets the errors since the `from`-th that are about `keys` of the
    /// current scope (the placeholders of missing required keys).
    pub fn forget_about(&mut self, from: usize, keys: &[&str]) {
        let names: Vec<String> = keys.iter().map(|k| format!("{}: ", self.scope.name(k))).collect();
        let mut index = 0;
        self.errors.retain(|e| {
            index += 1;
            index <= from || !names.iter().any(|n| e.message.starts_with(n.as_str()))
        });
    }

    /// The errors, in the order they appear in the file.
    pub fn finish(mut self) -> Vec<ConfigError> {
        self.errors.sort_by_key(|e| (e.line, e.column));
        self.errors
    }
}

/// 1-based line and character column of a byte offset.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
