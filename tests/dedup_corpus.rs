//! Near-duplicate detection measured on the labelled corpus, with the
//! numbers pinned so that a regression fails CI, and the pravda/liga pair of
//! feeds merged end to end.

mod common;

use std::path::Path;

use common::{Setup, TestSource, Upstream, corpus};
use syndic::cli::dedup_check::{self as pairs, Score};
use syndic::dedup::pairs::decide;

fn score(files: &[&Path]) -> Score {
    let mut score = Score::default();
    for f in files {
        for pair in pairs::read(f).unwrap() {
            let d = decide(&pair, &syndic::dedup::Matcher::default());
            score.add(pair.label.unwrap(), d.same);
        }
    }
    score
}

#[test]
fn telegram_pools_precision_first() {
    let Some(corpus) = corpus() else { return };
    let dedup = corpus.join("dedup");
    let s = score(&[&dedup.join("ru_train_pool.tsv"), &dedup.join("ru_exam_pool.tsv")]);
    eprintln!("telegram pools: precision={:.3} recall={:.3} pairs={}", s.precision(), s.recall(), s.pairs());
    assert_eq!(s.pairs(), 40);
    assert!(s.precision() >= 0.97, "precision {:.3}", s.precision());
    assert!(s.recall() >= 0.45, "recall {:.3} regressed", s.recall());
}

#[test]
fn paraphraser_different_headlines_are_rarely_merged() {
    let Some(corpus) = corpus() else { return };
    let s = score(&[&corpus.join("dedup/paraphrases_train.xml")]);
    eprintln!(
        "paraphraser: false merges {:.4} of {} different pairs; precision={:.3} recall={:.3}",
        s.false_merge_rate(),
        s.false_pos + s.true_neg,
        s.precision(),
        s.recall()
    );
    assert!(s.false_pos + s.true_neg > 2500);
    // Precision first (#25). The daemon's headline model was fitted on
    // these pairs (with the pools), so this pins what the fit gives, not
    // a held-out figure: 0.975 / 0.325, with 14 of 2,582 different
    // headlines merged. The held-out figures (0.973 / 0.313, k-fold) are
    // in bench/dedup.md.
    assert!(s.false_merge_rate() <= 0.007, "false merge rate {:.4}", s.false_merge_rate());
    assert!(s.precision() >= 0.97, "precision {:.3}", s.precision());
    assert!(s.recall() >= 0.3, "headline recall {:.3} regressed", s.recall());
}

#[test]
fn dedup_check_command_prints_lines_and_totals() {
    let Some(corpus) = corpus() else { return };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["dedup-check", "--pairs"])
        .arg(corpus.join("dedup/ru_train_pool.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[..20].iter().all(|l| l.starts_with("dup\t") || l.starts_with("distinct\t")));
    assert!(lines[..20].iter().all(|l| l.ends_with("\tlabel=same") || l.ends_with("\tlabel=different")));
    assert!(lines[20].starts_with("precision=1.000 recall=0.500 f1=0.667 pairs=20"), "{}", lines[20]);
    // Per-rule counts: every pair is counted under the rule that decided it.
    let rules: Vec<&str> = lines[21..].to_vec();
    assert!(!rules.is_empty() && rules.iter().all(|l| l.starts_with("rule\t")), "{stdout}");
    let total: usize = rules.iter().map(|l| l.split("pairs=").nth(1).unwrap().split('\t').next().unwrap().parse::<usize>().unwrap()).sum();
    assert_eq!(total, 20, "{stdout}");
}

#[test]
fn dedup_check_reads_a_plain_tsv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pairs.tsv");
    std::fs::write(
        &path,
        "title_a\ttext_a\ttitle_b\ttext_b\tlabel\n\
         Генсек НАТО призвал Грузию готовиться к членству\tСтолтенберг призвал Грузию готовиться к членству в Альянсе, сообщает Liter.kz\tГенсек НАТО призвал Грузию ускорить подготовку к членству\tСтолтенберг призвал Грузию ускорить подготовку к членству в Альянсе, передает Kazinform\t1\n\
         Прогноз погоды на 8 ноября\tВ Астане снег и ветер до 15 м/с, температура воздуха ночью до минус 12\tПрогноз погоды на 16 ноября\tВ Астане снег и ветер до 15 м/с, температура воздуха ночью до минус 12\t0\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic")).args(["dedup-check", "--pairs"]).arg(&path).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("dup\t"), "{stdout}");
    assert!(lines[1].starts_with("distinct\t") && lines[1].contains("veto:numbers"), "{stdout}");
    assert!(lines[2].starts_with("precision=1.000 recall=1.000 f1=1.000 pairs=2"), "{stdout}");
    // A bad label is a clear error.
    std::fs::write(&path, "title_a\ttext_a\ttitle_b\ttext_b\tlabel\na\tb\tc\td\tmaybe\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic")).args(["dedup-check", "--pairs"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pairs.tsv:2: label \"maybe\""));
}

/// Ukrainska Pravda (windows-1251) and LIGA carry the same stories on the
/// same day, retold: ingesting both merges them, and nothing else.
#[test]
fn pravda_and_liga_merge_their_shared_stories() {
    let Some(corpus) = corpus() else { return };
    let up = Upstream::start();
    let feed = |name: &str| std::fs::read(corpus.join("feeds").join(name)).unwrap();
    let sources = vec![
        TestSource {
            id: "pravda",
            url: up.put("pravda.xml", feed("Tehtehteh_data-import-pravda-1251.xml"), "text/xml"),
            kind: "partner",
            category: "world",
            priority: 0,
        },
        TestSource {
            id: "liga",
            url: up.put("liga.xml", feed("Tehtehteh_data-import-liga.xml"), "text/xml"),
            kind: "partner",
            category: "politics",
            priority: 5,
        },
    ];
    let s = Setup::new(&sources);
    assert!(s.syndic(&["fetch", "--source", "pravda"]).status.success());
    assert!(s.syndic(&["fetch", "--source", "liga"]).status.success());
    let db = s.db();
    let mut stmt = db
        .prepare("SELECT d.title, c.title, c.source_id, d.dup_rule FROM items d JOIN items c ON c.id = d.duplicate_of ORDER BY d.title")
        .unwrap();
    let merged: Vec<(String, String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(merged.len(), 2, "{merged:#?}");
    let titles: Vec<&str> = merged.iter().map(|m| m.0.as_str()).collect();
    assert!(titles.iter().any(|t| t.contains("зимнее время")), "{merged:#?}");
    assert!(titles.iter().any(|t| t.contains("Грузию")), "{merged:#?}");
    // LIGA has the higher priority: its copies are canonical, though published later.
    assert!(merged.iter().all(|m| m.2 == "liga"), "{merged:#?}");
    // The politics feed (LIGA's category) and the world feed (Pravda's) both show the story once.
    let daemon = s.start_daemon();
    for slice in ["politics", "world"] {
        let (_, _, body) = common::get(&format!("{}/feeds/{slice}.rss", daemon.base), &[]).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert_eq!(text.matches("Генсек НАТО призвал Грузию").count(), 1, "{slice}");
    }
    let (_, _, body) = common::get(&format!("{}/feeds/all.rss", daemon.base), &[]).unwrap();
    let all = common::read_feed(&body);
    assert_eq!(all.entries.len(), 40 - 2);
}

/// Items of the real corpus feeds, fingerprinted as the daemon does.
fn corpus_prints(corpus: &Path) -> Vec<(usize, syndic::dedup::Fingerprint)> {
    let dates: syndic::parse::DateParser = std::sync::Arc::new(|s| syndic::normalize::date::parse(s, chrono_tz::Asia::Almaty));
    let matcher = syndic::dedup::Matcher::default();
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("feeds")).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    let mut prints = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let url = url::Url::parse(&format!("https://site{i}.kz/feed")).unwrap();
        let source = syndic::config::Source::example(&format!("s{i}"), url.clone());
        let bytes = std::fs::read(file).unwrap();
        let decoded = syndic::fetch::charset::decode(&bytes, None);
        let Ok(feed) = syndic::parse::parse(&syndic::fetch::charset::prepare_xml(&decoded.text), &url, &dates) else { continue };
        let normalizer = syndic::normalize::Normalizer::new(&source, &url, chrono::Utc::now());
        for item in feed.entries.into_iter().filter_map(|e| normalizer.normalize(e)) {
            prints.push((i, matcher.fingerprint(&item.title, &item.text)));
        }
    }
    prints
}

#[test]
fn sketches_rule_out_most_chance_candidates_of_the_corpus_feeds_and_never_a_merge() {
    use syndic::dedup::near::{Sketch, compare};
    let Some(corpus) = corpus() else { return };
    let prints = corpus_prints(&corpus);
    let mut by_band: std::collections::HashMap<i64, Vec<usize>> = Default::default();
    for (i, (_, print)) in prints.iter().enumerate() {
        for band in &print.bands {
            by_band.entry(*band).or_default().push(i);
        }
    }
    // Every pair of items that shares a band: a candidate the store would check.
    let mut pairs: Vec<(usize, usize)> =
        by_band.values().flat_map(|ids| ids.iter().flat_map(move |a| ids.iter().filter(move |b| a < *b).map(move |b| (*a, *b)))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let (mut merges, mut chance, mut ruled_out) = (0, 0, 0);
    for (a, b) in pairs.iter().copied() {
        let (p, q) = (&prints[a].1.profile, &prints[b].1.profile);
        let may = Sketch::of(p).unwrap().may_match(&Sketch::of(q).unwrap());
        if compare(p, q, false).same {
            merges += 1;
            assert!(may, "the sketch ruled out a merge: items {a} and {b}");
        } else {
            chance += 1;
            ruled_out += usize::from(!may);
        }
    }
    assert!(prints.len() > 600 && chance > 1000, "{} items, {chance} chance candidates", prints.len());
    assert!(merges > 0);
    let share = ruled_out as f64 / chance as f64;
    assert!(share >= 0.9, "only {ruled_out} of {chance} chance candidates ruled out");
    eprintln!("{merges} merges kept; {ruled_out} of {chance} chance candidates ruled out");
}

/// `dedup-check` applies the store's rules, not only the words: the same
/// link, the window and the same-site veto, from optional columns.
#[test]
fn dedup_check_applies_the_link_window_and_same_site_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pairs.tsv");
    let (ta, xa) = (
        "Генсек НАТО призвал Грузию готовиться к членству",
        "Столтенберг призвал Грузию готовиться к членству в Альянсе, сообщает Liter.kz",
    );
    let (tb, xb) = (
        "Генсек НАТО призвал Грузию ускорить подготовку к членству",
        "Столтенберг призвал Грузию ускорить подготовку к членству в Альянсе, передает Kazinform",
    );
    let rows = [
        // Retold, two sites, a day apart: merged on the words.
        ("https://liter.kz/a", "https://www.inform.kz/b", "2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z", "liter", "inform"),
        // Five days apart: outside the 72 h window.
        ("https://liter.kz/a", "https://www.inform.kz/b", "2026-12-01T10:00:00Z", "2026-12-06T10:00:00Z", "liter", "inform"),
        // One site (www. aside), two feeds of it.
        ("https://liter.kz/a", "https://www.liter.kz/b", "1764583200", "1764586800", "liter-news", "liter-politics"),
        // One source.
        ("https://liter.kz/a", "https://inform.kz/b", "", "", "liter", "liter"),
    ];
    let mut tsv = "title_a\ttext_a\ttitle_b\ttext_b\tlink_a\tlink_b\ttime_a\ttime_b\tsource_a\tsource_b\n".to_string();
    for (la, lb, tia, tib, sa, sb) in rows {
        tsv.push_str(&format!("{ta}\t{xa}\t{tb}\t{xb}\t{la}\t{lb}\t{tia}\t{tib}\t{sa}\t{sb}\n"));
    }
    // Unrelated texts at one canonical link (tracking parameters aside).
    tsv.push_str("Курс тенге\tНацбанк установил курс\tМатч перенесли\tИгра состоится позже\thttps://x.kz/n?utm_source=tg\thttps://www.x.kz/n\t\t\t\t\n");
    std::fs::write(&path, tsv).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic")).args(["dedup-check", "--pairs"]).arg(&path).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let rules: Vec<(&str, &str)> = stdout.lines().take(5).map(|l| l.split('\t').collect::<Vec<_>>()).map(|f| (f[0], f[2])).collect();
    assert_eq!(
        rules,
        [
            ("dup", "near-text"),
            ("distinct", "veto:window"),
            ("distinct", "veto:same-site"),
            ("distinct", "veto:same-site"),
            ("dup", "link")
        ],
        "{stdout}"
    );
    std::fs::write(&path, format!("title_a\ttext_a\ttitle_b\ttext_b\ttime_a\n{ta}\t{xa}\t{tb}\t{xb}\tyesterday\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic")).args(["dedup-check", "--pairs"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pairs.tsv:2: time_a \"yesterday\" is not unix seconds or an RFC 3339 time"));
}

/// `dedup-check --folds` prints, in one run, training and held-out
/// figures for every fold and file, the rule of each held-out false
/// merge, the hard negatives by kind and an ablation of every veto; on
/// the Telegram pools held out file by file, precision stays at 0.97 or
/// more.
#[test]
fn dedup_check_cross_validates_with_hard_negatives_and_an_ablation() {
    let Some(corpus) = corpus() else { return };
    let dedup = corpus.join("dedup");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["dedup-check", "--folds", "3", "--seed", "7", "--pairs"])
        .arg(dedup.join("ru_train_pool.tsv"))
        .arg("--pairs")
        .arg(dedup.join("ru_exam_pool.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = |start: &str| stdout.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no {start:?} in\n{stdout}"));
    assert!(line("# 40 labelled pool pairs and ").contains("3 folds, seed 7"));
    for fold in ["fold 1\t", "fold 2\t", "fold 3\t", "held out ru_train_pool.tsv\t", "held out ru_exam_pool.tsv\t"] {
        let l = line(fold);
        assert!(l.contains("\ttrain P=") && l.contains("\theld-out P=") && l.contains("hard_FMR="), "{l}");
    }
    let by_file: Vec<&str> = stdout.lines().filter(|l| l.starts_with("held out ")).collect();
    for l in by_file {
        let held = l.split("\theld-out P=").nth(1).unwrap();
        let precision: f64 = held[..5].parse().unwrap();
        assert!(precision >= 0.97, "{l}");
    }
    assert!(stdout.lines().any(|l| l.starts_with("rule\tveto:proper\t")), "{stdout}");
    for kind in ["names", "numbers", "places", "proper", "dates", "template"] {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("hard\t{kind}\t"))), "no {kind} hard negatives:\n{stdout}");
    }
    for config in ["all vetoes", "no vetoes", "without proper", "only places", "only dates"] {
        assert!(line(config).contains("held-out mean P="), "{stdout}");
    }
}
