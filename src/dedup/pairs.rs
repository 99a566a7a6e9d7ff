//! `syndic dedup-check`: the daemon's same-story decision on labelled pairs.
//!
//! Reads a TSV with a header naming `title_a`, `text_a`, `title_b`,
//! `text_b` and optionally `label` (1 same story, 0 different); the
//! Telegram clustering pools (`INPUT:first_title`, …, `GOLDEN:quality`
//! OK/BAD); or the ParaPhraser XML (class 1 same, −1 different, 0 skipped).
//! Optional TSV columns give what the store knows of each side besides
//! its words: `link_a`/`link_b`, `time_a`/`time_b` (unix seconds or RFC
//! 3339) and `source_a`/`source_b`. Each pair is decided by [`decide`] with
//! the store's rules in the store's order: the same canonical link (any
//! time), the same content hash (within two windows), then
//! [`super::Matcher::near_decision`] (the window, the same-site veto, the
//! words). Side B plays the stored story, side A the new item.

use super::{Matcher, Side, content_hash, near};

/// One pair of texts, maybe labelled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pair {
    /// First title.
    pub title_a: String,
    /// First text.
    pub text_a: String,
    /// Second title.
    pub title_b: String,
    /// Second text.
    pub text_b: String,
    /// `Some(true)` same story, `Some(false)` different, `None` unlabelled.
    pub label: Option<bool>,
    /// Links, when known.
    pub link_a: Option<String>,
    /// See `link_a`.
    pub link_b: Option<String>,
    /// Publication times (unix seconds), when known.
    pub time_a: Option<i64>,
    /// See `time_a`.
    pub time_b: Option<i64>,
    /// Source ids, when known.
    pub source_a: Option<String>,
    /// See `source_a`.
    pub source_b: Option<String>,
}

/// The decision on one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Same story?
    pub same: bool,
    /// The deciding score.
    pub score: f64,
    /// The deciding rule.
    pub rule: &'static str,
    /// Stems shared, and each side's count (0s for exact rules).
    pub shared: (usize, usize, usize),
    /// Title overlap (0 for exact rules).
    pub title_overlap: f64,
}

/// Why a pair file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PairsError {
    /// The file could not be read.
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    /// The header lacks a needed column.
    #[error("{file}: header has no column {column:?} (need title_a, text_a, title_b, text_b; optional label)")]
    MissingColumn {
        /// The file.
        file: String,
        /// The column.
        column: String,
    },
    /// A time that is neither unix seconds nor RFC 3339.
    #[error("{file}:{line}: {side} {value:?} is not unix seconds or an RFC 3339 time")]
    BadTime {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The column.
        side: String,
        /// What was there.
        value: String,
    },
    /// A label that is not 0/1 (or OK/BAD).
    #[error("{file}:{line}: label {value:?} is not 1/0 (or OK/BAD)")]
    BadLabel {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What was there.
        value: String,
    },
}

/// The daemon's decision on a pair (see the module docs).
pub fn decide(a: &Pair, matcher: &Matcher) -> Decision {
    let exact = |rule| Decision { same: true, score: 1.0, rule, shared: (0, 0, 0), title_overlap: 0.0 };
    let clean = |link: &Option<String>| link.as_deref().and_then(|l| crate::normalize::url::clean(l, None));
    let (link_a, link_b) = (clean(&a.link_a), clean(&a.link_b));
    if let (Some(x), Some(y)) = (&link_a, &link_b)
        && crate::normalize::url::canonical(x) == crate::normalize::url::canonical(y)
    {
        return exact("link");
    }
    let within = |windows: i64| match (a.time_a, a.time_b) {
        (Some(x), Some(y)) => (x - y).abs() <= windows * matcher.window_secs,
        _ => true,
    };
    if let (Some(x), Some(y)) = (content_hash(&a.title_a, &a.text_a), content_hash(&a.title_b, &a.text_b))
        && x == y
        && within(2)
    {
        return exact("content");
    }
    let (pa, pb) = (near::profile(&a.title_a, &a.text_a, &matcher.rules), near::profile(&a.title_b, &a.text_b, &matcher.rules));
    let new = Side { source_id: a.source_a.as_deref(), link: link_a.as_ref().map(url::Url::as_str), published_at: a.time_a, profile: &pa };
    let known =
        Side { source_id: a.source_b.as_deref(), link: link_b.as_ref().map(url::Url::as_str), published_at: a.time_b, profile: &pb };
    let v = matcher.near_decision(&new, &known);
    Decision { same: v.same, score: v.score, rule: v.rule, shared: v.shared, title_overlap: v.title_overlap }
}

/// Reads pairs from a TSV (either header style) or ParaPhraser XML.
pub fn read(path: &std::path::Path) -> Result<Vec<Pair>, PairsError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| PairsError::Io(name.clone(), e))?;
    if text.trim_start().starts_with('<') {
        return Ok(read_paraphraser(&text));
    }
    read_tsv(&text, &name)
}

fn read_tsv(text: &str, file: &str) -> Result<Vec<Pair>, PairsError> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.trim()));
    let column =
        |names: &[&str]| find(names).ok_or_else(|| PairsError::MissingColumn { file: file.to_string(), column: names[0].to_string() });
    let ta = column(&["title_a", "INPUT:first_title"])?;
    let xa = column(&["text_a", "INPUT:first_text"])?;
    let tb = column(&["title_b", "INPUT:second_title"])?;
    let xb = column(&["text_b", "INPUT:second_text"])?;
    let label = find(&["label", "GOLDEN:quality"]);
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
        let label = match label.map(get).as_deref() {
            None | Some("") => None,
            Some("1" | "OK") => Some(true),
            Some("0" | "BAD") => Some(false),
            Some(other) => return Err(PairsError::BadLabel { file: file.to_string(), line: i + 2, value: other.to_string() }),
        };
        let given = |column: Option<usize>| column.map(get).filter(|v| !v.is_empty());
        let time = |column: Option<usize>, side: &str| -> Result<Option<i64>, PairsError> {
            let Some(value) = given(column) else { return Ok(None) };
            let parsed = value.parse::<i64>().ok().or_else(|| chrono::DateTime::parse_from_rfc3339(&value).ok().map(|d| d.timestamp()));
            parsed.map(Some).ok_or_else(|| PairsError::BadTime { file: file.to_string(), line: i + 2, side: side.to_string(), value })
        };
        out.push(Pair {
            title_a: get(ta),
            text_a: get(xa),
            title_b: get(tb),
            text_b: get(xb),
            label,
            link_a: given(find(&["link_a"])),
            link_b: given(find(&["link_b"])),
            time_a: time(find(&["time_a"]), "time_a")?,
            time_b: time(find(&["time_b"]), "time_b")?,
            source_a: given(find(&["source_a"])),
            source_b: given(find(&["source_b"])),
        });
    }
    Ok(out)
}

/// ParaPhraser: headline pairs; class 1 same, -1 different, 0 (loose) skipped.
fn read_paraphraser(xml: &str) -> Vec<Pair> {
    let value = |block: &str, name: &str| -> String {
        let open = format!("<value name=\"{name}\">");
        block
            .find(&open)
            .and_then(|i| {
                let rest = &block[i + open.len()..];
                rest.find("</value>").map(|j| html_escape::decode_html_entities(&rest[..j]).into_owned())
            })
            .unwrap_or_default()
    };
    xml.split("<paraphrase>")
        .skip(1)
        .filter_map(|block| {
            let label = match value(block, "class").trim() {
                "1" => true,
                "-1" => false,
                _ => return None,
            };
            Some(Pair {
                title_a: value(block, "text_1"),
                text_a: String::new(),
                title_b: value(block, "text_2"),
                text_b: String::new(),
                label: Some(label),
                ..Pair::default()
            })
        })
        .collect()
}

/// Precision, recall and counts over labelled decisions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Same story, said same.
    pub true_pos: usize,
    /// Different, said same.
    pub false_pos: usize,
    /// Same story, said different.
    pub false_neg: usize,
    /// Different, said different.
    pub true_neg: usize,
}

impl Score {
    /// Adds one labelled decision.
    pub fn add(&mut self, label: bool, said_same: bool) {
        match (label, said_same) {
            (true, true) => self.true_pos += 1,
            (false, true) => self.false_pos += 1,
            (true, false) => self.false_neg += 1,
            (false, false) => self.true_neg += 1,
        }
    }

    /// TP / (TP + FP); 1 when nothing was merged.
    pub fn precision(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_pos, 1.0)
    }

    /// TP / (TP + FN).
    pub fn recall(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_neg, 0.0)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }

    /// FP / (FP + TN): how often different stories were merged.
    pub fn false_merge_rate(&self) -> f64 {
        ratio(self.false_pos, self.false_pos + self.true_neg, 0.0)
    }

    /// Labelled pairs counted.
    pub fn pairs(&self) -> usize {
        self.true_pos + self.false_pos + self.false_neg + self.true_neg
    }
}

fn ratio(a: usize, b: usize, empty: f64) -> f64 {
    if b == 0 { empty } else { a as f64 / b as f64 }
}
