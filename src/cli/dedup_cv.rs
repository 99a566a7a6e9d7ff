//! `syndic dedup-check --folds K`: the same-story decision cross-validated
//! on the labelled pools, so that its figures say how it does on pairs it
//! was not tuned on.
//!
//! The pairs of every `--pairs` file, and the hard negatives made from
//! them ([`super::hard_negatives`]), are split two ways: into K folds by a
//! seeded hash of each pair's first title (pairs that share a first title,
//! and the hard negatives made from a pair, stay in one fold), and file by
//! file (each file held out in turn: train pool against exam pool, then
//! swapped). On each split the headline model ([`headline`]) is fitted on
//! the training part's pool pairs that reach it, and the thresholds of
//! [`Settings`] (the model's probability among them) are chosen on the
//! training part alone (the most recall at precision ≥ 0.975 and at most
//! 0.8 % false merges on hard negatives; failing that, the most
//! precision); the held-out part is scored with them. The model fitted on
//! every pair is printed too: it is the daemon's. Training and
//! held-out figures are printed side by side, then which rule made the
//! held-out false merges, then the hard negatives by kind, then the
//! k-fold figures with template prefixes learned from the training folds
//! (each file one source's history) and stripped, then an
//! ablation: the whole procedure again with each veto off, with none, and
//! with each alone.

use std::io::Write;

use crate::dedup::Matcher;
use crate::dedup::near::headline::{self, Features, Model};
use crate::dedup::near::{Settings, Vetoes};
use crate::dedup::pairs::{Decision, Pair, Prepared, decide_prepared, prepare};
use crate::dedup::template::Templates;

use super::dedup_check::Score;
use super::hard_negatives;

/// A file's labelled pairs.
#[derive(Debug, Clone)]
pub struct Set {
    /// Its name (the file name).
    pub name: String,
    /// Its pairs.
    pub pairs: Vec<Pair>,
}

/// One labelled pair ready to decide.
struct Case {
    /// Index of its set.
    set: usize,
    /// The hard-negative kind, or `None` for a pool pair.
    hard: Option<&'static str>,
    label: bool,
    /// What keeps related pairs in one fold.
    group: u64,
    prepared: Prepared,
}

/// Precision on pool pairs and false merges on hard negatives.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    pool: Score,
    hard: Score,
}

impl Tally {
    fn line(&self) -> String {
        format!(
            "P={:.3} R={:.3} FMR={:.4} hard_FMR={:.4} (pairs={} hard={})",
            self.pool.precision(),
            self.pool.recall(),
            self.pool.false_merge_rate(),
            self.hard.false_merge_rate(),
            self.pool.pairs(),
            self.hard.pairs()
        )
    }
}

/// What a setting must reach on the training part to be chosen (a margin
/// over the targets of 0.97 and 1 %).
const MIN_PRECISION: f64 = 0.975;
const MAX_HARD_FMR: f64 = 0.008;

/// The probabilities of the headline model tried as its threshold.
const HEADLINE_THRESHOLDS: [f64; 12] = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.875, 0.9, 0.92, 0.94, 0.96, 0.98];

/// The thresholds of the rules on text tried on each training part (the
/// headline threshold is tried apart: see [`Table`]).
fn grid(vetoes: Vetoes) -> Vec<Settings> {
    let mut out = Vec::new();
    for same_text in [0.5, 0.6, 0.7] {
        for title_overlap in [0.5, 0.65, 0.8] {
            for title_lead in [0.35, 0.5] {
                out.push(Settings { same_text, title_overlap, title_lead, ..Settings { vetoes, ..Settings::default() } });
            }
        }
    }
    out
}

/// Every case decided under each setting of a grid, and the headline
/// model's features of the cases that reach it. Which cases reach it does
/// not depend on the text thresholds, so a choice of model and headline
/// threshold is applied to these features afterwards, without deciding
/// everything again per fold.
struct Table {
    settings: Vec<Settings>,
    verdicts: Vec<Vec<(bool, &'static str)>>,
    features: Vec<Option<Features>>,
}

impl Table {
    fn new(cases: &[Case], settings: Vec<Settings>, matcher: &Matcher) -> Table {
        let mut features = Vec::new();
        let verdicts = settings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m = Matcher { settings: *s, ..matcher.clone() };
                let decided: Vec<Decision> = cases.iter().map(|c| decide_prepared(&c.prepared, &m)).collect();
                if i == 0 {
                    features = decided.iter().map(|d| d.headline).collect();
                }
                decided.iter().map(|d| (d.same, d.rule)).collect()
            })
            .collect();
        Table { settings, verdicts, features }
    }

    /// Case `i`'s verdict under `choice`.
    fn verdict(&self, i: usize, choice: &Choice) -> (bool, &'static str) {
        match &self.features[i] {
            Some(x) if choice.model.probability(x) >= choice.headline => (true, "near-headline"),
            Some(_) => (false, "distinct"),
            None => self.verdicts[choice.setting][i],
        }
    }
}

/// What a split chose on its training part: a setting of the grid, the
/// headline model fitted there and its threshold.
#[derive(Debug, Clone, Copy)]
struct Choice {
    setting: usize,
    headline: f64,
    model: Model,
}

fn tally(cases: &[Case], table: &Table, choice: &Choice, keep: &dyn Fn(&Case) -> bool) -> Tally {
    let mut t = Tally::default();
    for (i, c) in cases.iter().enumerate().filter(|(_, c)| keep(c)) {
        let same = table.verdict(i, choice).0;
        if c.hard.is_some() { t.hard.add(c.label, same) } else { t.pool.add(c.label, same) }
    }
    t
}

/// The headline model fitted on the cases `train` keeps that reach it
/// (the daemon's when there is nothing to fit).
fn fit_model(cases: &[Case], table: &Table, train: &dyn Fn(&Case) -> bool) -> Model {
    let samples: Vec<(Features, bool)> = cases
        .iter()
        .zip(&table.features)
        .filter(|(c, _)| train(c) && c.hard.is_none())
        .filter_map(|(c, f)| f.map(|f| (f, c.label)))
        .collect();
    headline::fit(&samples).unwrap_or(headline::DEFAULT)
}

/// The choice made on the training cases (see the module docs).
fn tune(cases: &[Case], table: &Table, train: &dyn Fn(&Case) -> bool) -> Choice {
    let model = fit_model(cases, table, train);
    let choices: Vec<Choice> = (0..table.settings.len())
        .flat_map(|setting| HEADLINE_THRESHOLDS.iter().map(move |&headline| Choice { setting, headline, model }))
        .collect();
    let scored: Vec<Tally> = choices.iter().map(|c| tally(cases, table, c, train)).collect();
    let feasible = |t: &Tally| t.pool.precision() >= MIN_PRECISION && t.hard.false_merge_rate() <= MAX_HARD_FMR;
    let key = |t: &Tally| if feasible(t) { (1, t.pool.recall(), t.pool.precision()) } else { (0, t.pool.precision(), t.pool.recall()) };
    let best =
        (0..scored.len()).max_by(|&a, &b| key(&scored[a]).partial_cmp(&key(&scored[b])).unwrap_or(std::cmp::Ordering::Equal)).unwrap_or(0);
    choices[best]
}

/// One split's outcome.
struct Outcome<'a> {
    name: String,
    /// Which cases it held out.
    held_out: Box<dyn Fn(&Case) -> bool + 'a>,
    chosen: Choice,
    train: Tally,
    held: Tally,
}

fn split<'a>(cases: &[Case], table: &Table, name: String, held_out: impl Fn(&Case) -> bool + 'a) -> Outcome<'a> {
    let chosen = tune(cases, table, &|c| !held_out(c));
    let (train, held) = (tally(cases, table, &chosen, &|c| !held_out(c)), tally(cases, table, &chosen, &held_out));
    Outcome { name, held_out: Box::new(held_out), chosen, train, held }
}

fn fold_of(c: &Case, seed: u64, folds: usize) -> usize {
    (xxhash_rust::xxh3::xxh3_64_with_seed(&c.group.to_le_bytes(), seed) % folds as u64) as usize
}

/// Runs the cross-validation (see the module docs) and prints its report.
pub fn run(sets: &[Set], matcher: &Matcher, folds: usize, seed: u64, out: &mut impl Write) -> std::io::Result<()> {
    let folds = folds.max(2);
    let raw = raw_cases(sets);
    let cases = prepare_all(&raw, matcher, &[]);
    let hard = cases.iter().filter(|c| c.hard.is_some()).count();
    writeln!(out, "# {} labelled pool pairs and {hard} hard negatives; {folds} folds, seed {seed}", cases.len() - hard)?;
    let all = Table::new(&cases, grid(Vetoes::ALL), matcher);
    // The daemon's own settings, for comparison: its thresholds are what
    // the training folds chose and its model is fitted on every pair, so
    // on a held-out fold they are not unseen (the tuned column is).
    let defaults = Table::new(&cases, vec![Settings::default()], matcher);
    let daemon = Choice { setting: 0, headline: Settings::default().headline, model: Settings::default().model };
    let kfold: Vec<Outcome> =
        (0..folds).map(|f| split(&cases, &all, format!("fold {}", f + 1), move |c: &Case| fold_of(c, seed, folds) == f)).collect();
    let by_file: Vec<Outcome> =
        sets.iter().enumerate().map(|(i, s)| split(&cases, &all, format!("held out {}", s.name), move |c: &Case| c.set == i)).collect();
    for (title, outcomes) in [("k-fold", &kfold), ("file by file", &by_file)] {
        writeln!(out, "## {title}: thresholds tuned on the training part, scored on the held-out part")?;
        for o in outcomes.iter() {
            let s = &all.settings[o.chosen.setting];
            writeln!(
                out,
                "{}\ttuned text={} title={} lead={} headline={}\ttrain {}\theld-out {}\tdaemon defaults on held-out {}",
                o.name,
                s.same_text,
                s.title_overlap,
                s.title_lead,
                o.chosen.headline,
                o.train.line(),
                o.held.line(),
                tally(&cases, &defaults, &daemon, &o.held_out).line()
            )?;
        }
        let mean = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).sum::<f64>() / outcomes.len().max(1) as f64;
        writeln!(
            out,
            "mean\ttrain P={:.3} R={:.3} hard_FMR={:.4}\theld-out P={:.3} R={:.3} FMR={:.4} hard_FMR={:.4}",
            mean(&|o| o.train.pool.precision()),
            mean(&|o| o.train.pool.recall()),
            mean(&|o| o.train.hard.false_merge_rate()),
            mean(&|o| o.held.pool.precision()),
            mean(&|o| o.held.pool.recall()),
            mean(&|o| o.held.pool.false_merge_rate()),
            mean(&|o| o.held.hard.false_merge_rate()),
        )?;
    }
    let everything = tune(&cases, &all, &|_| true);
    let m = everything.model;
    writeln!(
        out,
        "## the headline model fitted on every pair (the daemon's is dedup::near::headline::DEFAULT)\nweights={:.3?} bias={:.3} headline={} daemon: weights={:.3?} bias={:.3} headline={}",
        m.weights, m.bias, everything.headline, daemon.model.weights, daemon.model.bias, daemon.headline
    )?;
    held_out_detail(sets, &cases, &all, &kfold, seed, folds, out)?;
    with_templates(&raw, sets, matcher, folds, seed, out)?;
    writeln!(out, "## ablation: k-fold mean held-out figures with one veto off, none, or one alone (thresholds re-tuned)")?;
    let mut configs: Vec<(String, Vetoes)> = vec![("all vetoes".into(), Vetoes::ALL)];
    configs.extend(Vetoes::NAMES.iter().map(|n| (format!("without {n}"), Vetoes::ALL.without(n))));
    let none = Vetoes::NAMES.iter().fold(Vetoes::ALL, |v, n| v.without(n));
    configs.push(("no vetoes".into(), none));
    configs.extend(
        Vetoes::NAMES
            .iter()
            .map(|only| (format!("only {only}"), Vetoes::NAMES.iter().filter(|n| *n != only).fold(Vetoes::ALL, |v, n| v.without(n)))),
    );
    for (name, vetoes) in configs {
        let all = Table::new(&cases, grid(vetoes), matcher);
        let outcomes: Vec<Outcome> =
            (0..folds).map(|f| split(&cases, &all, String::new(), move |c: &Case| fold_of(c, seed, folds) == f)).collect();
        let mut pooled = Tally::default();
        for o in &outcomes {
            add(&mut pooled.pool, &o.held.pool);
            add(&mut pooled.hard, &o.held.hard);
        }
        let mean = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).sum::<f64>() / outcomes.len() as f64;
        writeln!(
            out,
            "{name}\theld-out mean P={:.3} R={:.3} hard_FMR={:.4}\tpooled FP={} TP={} hard FP={}",
            mean(&|o| o.held.pool.precision()),
            mean(&|o| o.held.pool.recall()),
            mean(&|o| o.held.hard.false_merge_rate()),
            pooled.pool.false_pos,
            pooled.pool.true_pos,
            pooled.hard.false_pos
        )?;
    }
    Ok(())
}

fn add(to: &mut Score, s: &Score) {
    to.true_pos += s.true_pos;
    to.false_pos += s.false_pos;
    to.false_neg += s.false_neg;
    to.true_neg += s.true_neg;
}

/// Held-out figures per file, merges and false merges per rule, and hard
/// negatives per kind, over all k folds (each case decided once, by the
/// thresholds its training folds chose).
fn held_out_detail(
    sets: &[Set],
    cases: &[Case],
    all: &Table,
    kfold: &[Outcome],
    seed: u64,
    folds: usize,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut per_set = vec![Score::default(); sets.len()];
    let mut rules: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    let mut kinds: std::collections::BTreeMap<&str, [usize; 2]> = Default::default();
    for (i, c) in cases.iter().enumerate() {
        let (same, rule) = all.verdict(i, &kfold[fold_of(c, seed, folds)].chosen);
        match c.hard {
            Some(kind) => {
                let k = kinds.entry(kind).or_default();
                k[0] += usize::from(same);
                k[1] += 1;
            }
            None => per_set[c.set].add(c.label, same),
        }
        let r = rules.entry(rule).or_default();
        r[0] += 1;
        r[1] += usize::from(same && c.label);
        r[2] += usize::from(same && !c.label);
    }
    writeln!(out, "## held-out, k folds pooled: by file")?;
    for (s, score) in sets.iter().zip(&per_set) {
        writeln!(
            out,
            "{}\tP={:.3} R={:.3} FMR={:.4} pairs={}",
            s.name,
            score.precision(),
            score.recall(),
            score.false_merge_rate(),
            score.pairs()
        )?;
    }
    writeln!(out, "## held-out, k folds pooled: by deciding rule (a false merge names its rule)")?;
    for (rule, [n, merged_same, false_merges]) in rules {
        writeln!(out, "rule\t{rule}\tpairs={n}\ttrue_merges={merged_same}\tfalse_merges={false_merges}")?;
    }
    writeln!(out, "## held-out, k folds pooled: hard negatives by kind")?;
    for (kind, [merged, n]) in kinds {
        writeln!(out, "hard\t{kind}\tmerged={merged}/{n}\tFMR={:.4}", merged as f64 / n.max(1) as f64)?;
    }
    Ok(())
}

/// A labelled pair before it is prepared: its set, hard-negative kind,
/// fold group and the pair.
struct Raw {
    set: usize,
    hard: Option<&'static str>,
    group: u64,
    pair: Pair,
}

/// The labelled pairs of every set and their hard negatives.
fn raw_cases(sets: &[Set]) -> Vec<Raw> {
    let group = |p: &Pair| xxhash_rust::xxh3::xxh3_64(p.title_a.to_lowercase().trim().as_bytes());
    let mut raw = Vec::new();
    for (set, s) in sets.iter().enumerate() {
        let labelled: Vec<Pair> = s.pairs.iter().filter(|p| p.label.is_some()).cloned().collect();
        for h in hard_negatives::generate(&labelled) {
            raw.push(Raw { set, hard: Some(h.kind), group: group(&labelled[h.origin]), pair: h.pair });
        }
        raw.extend(labelled.into_iter().map(|p| Raw { set, hard: None, group: group(&p), pair: p }));
    }
    raw
}

/// `raw` prepared, each title without the template prefixes of its set
/// (none when `templates` is empty).
fn prepare_all(raw: &[Raw], matcher: &Matcher, templates: &[Templates]) -> Vec<Case> {
    raw.iter()
        .map(|r| {
            let prepared = match templates.get(r.set) {
                Some(t) => {
                    let (a, b) = (t.strip(&r.pair.title_a).to_string(), t.strip(&r.pair.title_b).to_string());
                    prepare(&Pair { title_a: a, title_b: b, ..r.pair.clone() }, matcher)
                }
                None => prepare(&r.pair, matcher),
            };
            Case { set: r.set, hard: r.hard, label: r.pair.label == Some(true), group: r.group, prepared }
        })
        .collect()
}

/// The k-fold figures again, each title stripped of the template prefixes
/// its file's training folds show (a file plays one source's history).
fn with_templates(raw: &[Raw], sets: &[Set], matcher: &Matcher, folds: usize, seed: u64, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "## k-fold with template prefixes learned from the training folds, file by file")?;
    let mut outcomes = Vec::new();
    for f in 0..folds {
        let in_training = |r: &Raw| xxhash_rust::xxh3::xxh3_64_with_seed(&r.group.to_le_bytes(), seed) % folds as u64 != f as u64;
        let templates: Vec<Templates> = (0..sets.len())
            .map(|s| {
                let titles =
                    raw.iter().filter(|r| r.set == s && in_training(r)).flat_map(|r| [r.pair.title_a.as_str(), r.pair.title_b.as_str()]);
                Templates::learn(titles)
            })
            .collect();
        let learned: usize = templates.iter().map(|t| t.prefixes().len()).sum();
        let cases = prepare_all(raw, matcher, &templates);
        let all = Table::new(&cases, grid(Vetoes::ALL), matcher);
        let o = split(&cases, &all, format!("fold {} ({learned} templates)", f + 1), move |c: &Case| fold_of(c, seed, folds) == f);
        writeln!(out, "{}\ttrain {}\theld-out {}", o.name, o.train.line(), o.held.line())?;
        outcomes.push(o);
    }
    let mean = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).sum::<f64>() / outcomes.len().max(1) as f64;
    writeln!(
        out,
        "mean\theld-out P={:.3} R={:.3} FMR={:.4} hard_FMR={:.4}",
        mean(&|o| o.held.pool.precision()),
        mean(&|o| o.held.pool.recall()),
        mean(&|o| o.held.pool.false_merge_rate()),
        mean(&|o| o.held.hard.false_merge_rate())
    )
}
