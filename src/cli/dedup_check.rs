//! `syndic dedup-check`: the daemon's same-story decision on labelled pairs,
//! and how well it does.
//!
//! Reads a TSV with a header naming `title_a`, `text_a`, `title_b`,
//! `text_b` and optionally `label` (1 same story, 0 different); the
//! Telegram clustering pools (`INPUT:first_title`, …, `GOLDEN:quality`
//! OK/BAD); or the ParaPhraser XML (class 1 same, −1 different, 0 skipped).
//! Optional TSV columns give what the store knows of each side besides
//! its words: `link_a`/`link_b`, `time_a`/`time_b` (unix seconds or RFC
//! 3339) and `source_a`/`source_b`. The decision itself is the stage's
//! ([`crate::dedup::pairs::decide`]); this module only reads and scores.

use crate::dedup::Matcher;
use crate::dedup::pairs::{Pair, decide};

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

/// Prints the decision on each pair (a line each: verdict, score, rule,
/// shared stems, title overlap, label), then precision and recall over the
/// labelled ones, then per deciding rule how many pairs it decided and how
/// many of them were labelled same and different: a false merge names the
/// rule that made it.
pub fn report(pairs: &[Pair], matcher: &Matcher, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut score = Score::default();
    // Per deciding rule: pairs, labelled same, labelled different.
    let mut rules: std::collections::BTreeMap<&str, [usize; 3]> = std::collections::BTreeMap::new();
    for pair in pairs {
        let d = decide(pair, matcher);
        let (shared, a, b) = d.shared;
        let label = match pair.label {
            Some(true) => "same",
            Some(false) => "different",
            None => "-",
        };
        writeln!(
            out,
            "{}\t{:.3}\t{}\tshared={shared}/{a}/{b}\ttitle={:.2}\tlabel={label}",
            if d.same { "dup" } else { "distinct" },
            d.score,
            d.rule,
            d.title_overlap
        )?;
        let counts = rules.entry(d.rule).or_default();
        counts[0] += 1;
        if let Some(label) = pair.label {
            score.add(label, d.same);
            counts[if label { 1 } else { 2 }] += 1;
        }
    }
    if score.pairs() > 0 {
        writeln!(
            out,
            "precision={:.3} recall={:.3} f1={:.3} pairs={} false_merge_rate={:.4}",
            score.precision(),
            score.recall(),
            score.f1(),
            score.pairs(),
            score.false_merge_rate()
        )?;
    }
    // Which rule made each merge (and each false one), which vetoed.
    for (rule, [n, same, different]) in rules {
        writeln!(out, "rule\t{rule}\tpairs={n}\tlabelled_same={same}\tlabelled_different={different}")?;
    }
    Ok(())
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
