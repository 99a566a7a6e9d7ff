//! What a title says besides its words: the numbers it gives (in digits
//! or in words), whether it denies what it tells, and the short names it
//! quotes. [`super::profile`] keeps them beside the stems, and the vetoes
//! of [`super::decide`] compare them.

use regex::Regex;

use super::super::fold::{fold, is_word_char};
use super::stems;

/// A folded title that denies what it tells: "не" as a word (Russian
/// negation is a word of its own; "нет" and "ни" too often start another
/// phrase to count), but not in phrases that deny nothing ("не менее",
/// "не только", "едва не", "не справился с управлением"), nor inside
/// quotes («Не время умирать»), nor in Kazakh, where "не" asks "what".
pub(super) fn negated(folded: &str) -> bool {
    const KAZAKH: &[char] = &['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'і'];
    const AFTER: &[&str] = &["менее", "более", "только", "раз", "справился", "справилась", "смог", "смогли", "исключил", "исключено"];
    const BEFORE: &[&str] = &["едва", "чуть", "чуть-чуть"];
    if folded.contains(KAZAKH) {
        return false;
    }
    let mut quoted = false;
    let mut previous = "";
    let mut words = folded.split_inclusive(|c: char| !is_word_char(c) && c != '-').peekable();
    while let Some(piece) = words.next() {
        let word = piece.trim_end_matches(|c: char| !is_word_char(c) && c != '-');
        let tail = &piece[word.len()..];
        if word == "не" && !quoted && !BEFORE.contains(&previous) {
            let next = words.peek().map_or("", |n| n.trim_end_matches(|c: char| !is_word_char(c) && c != '-'));
            if !AFTER.contains(&next) {
                return true;
            }
        }
        for c in tail.chars() {
            match c {
                '«' | '“' | '„' => quoted = true,
                '»' | '”' => quoted = false,
                '"' => quoted = !quoted,
                _ => {}
            }
        }
        if !word.is_empty() {
            previous = word;
        }
    }
    false
}

/// Number words and the digits they stand for. Reports of one story
/// write small numbers either way ("семь человек", "7 человек"), and
/// "погибли семь" against "погибли 37" are two stories. "Один" is left
/// out: "один из" is no count.
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("два", "2"),
    ("две", "2"),
    ("двух", "2"),
    ("три", "3"),
    ("трех", "3"),
    ("четыре", "4"),
    ("четырех", "4"),
    ("пять", "5"),
    ("пяти", "5"),
    ("шесть", "6"),
    ("шести", "6"),
    ("семь", "7"),
    ("семи", "7"),
    ("восемь", "8"),
    ("восьми", "8"),
    ("девять", "9"),
    ("девяти", "9"),
    ("десять", "10"),
    ("десяти", "10"),
    ("двадцать", "20"),
    ("тридцать", "30"),
];

/// The numbers the number words of a folded title stand for, as digits:
/// "двадцать пять" is 25, not 20 and 5; a word before "тысяч", "млн" or
/// "млрд" is part of a larger number written otherwise ("пять тысяч",
/// "5 000") and counts for nothing.
pub(super) fn number_words(folded: &str) -> Vec<String> {
    let value = |w: &str| NUMBER_WORDS.iter().find(|(word, _)| *word == w).and_then(|(_, d)| d.parse::<u32>().ok());
    let split = || folded.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty());
    // Most titles have none: they are not collected (this runs for every item).
    if !split().any(|w| value(w).is_some()) {
        return Vec::new();
    }
    let words: Vec<&str> = split().collect();
    let large = |w: Option<&&str>| w.is_some_and(|w| ["тысяч", "млн", "млрд", "миллион", "миллиард"].iter().any(|p| w.starts_with(p)));
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let Some(n) = value(words[i]) else {
            i += 1;
            continue;
        };
        // Tens then a unit: one number.
        let (n, used) = match words.get(i + 1).and_then(|w| value(w)) {
            Some(unit) if n >= 20 && unit < 10 => (n + unit, 2),
            _ => (n, 1),
        };
        if !large(words.get(i + used)) {
            out.push(n.to_string());
        }
        i += used;
    }
    out
}

/// The numbers of a folded title, leading zeros dropped; a decimal
/// (`12,5`, `1.5`) is one number, not two that share the `5`.
pub(super) fn title_numbers(folded: &str) -> impl Iterator<Item = &str> {
    let bytes = folded.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && !bytes[at].is_ascii_digit() {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len()
            && (bytes[at].is_ascii_digit()
                || (matches!(bytes[at], b',' | b'.') && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) && at > start))
        {
            at += 1;
        }
        let n = &folded[start..at];
        let trimmed = n.trim_start_matches('0');
        // "0", "0,5": the zero before the separator stays.
        Some(if trimmed.is_empty() || trimmed.starts_with([',', '.']) { &n[n.len() - trimmed.len() - 1..] } else { trimmed })
    })
}

/// Quotes at most this many words long are names (of a team, a company, a
/// product, a film); longer ones are quoted speech, which two reports of
/// one story often quote differently.
const NAME_WORDS: usize = 5;

/// Stems of the short spans in quotation marks (« », “ ”, „ “, " ") or
/// square brackets ("[РЕЛИЗ]") of a
/// title, sorted and unique.
pub(super) fn quoted_names(title: &str, extra: &[Regex]) -> Vec<u64> {
    let mut names = Vec::new();
    let mut rest = title;
    while let Some(open) = rest.find(['«', '“', '„', '"', '[']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let after = &rest[open + quote.len_utf8()..];
        let closers: &[char] = match quote {
            '«' => &['»'],
            '“' => &['”'],
            '„' => &['“', '”'],
            '[' => &[']'],
            _ => &['"'],
        };
        let Some(close) = after.find(closers) else { break };
        let span = &after[..close];
        if span.split_whitespace().count() <= NAME_WORDS {
            names.extend(stems(&fold(span, extra)));
        }
        let closer_len = after[close..].chars().next().map_or(1, char::len_utf8);
        rest = &after[close + closer_len..];
    }
    names.sort_unstable();
    names.dedup();
    names
}
