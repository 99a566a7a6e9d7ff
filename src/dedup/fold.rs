//! Matching normalization: text folded for fingerprints only.
//!
//! Stored text stays as published; this is what two copies of a story are
//! compared on. NFKC, case folding, `ё`→`е`, soft hyphens and zero-width
//! characters gone, NBSP as space, quotes and dashes unified, Latin
//! look-alike letters inside Cyrillic words mapped to Cyrillic (`Cамолет`
//! typed with a Latin C), digit groups joined (`5 000` → `5000`), and
//! boilerplate (attribution tails, "(ВИДЕО)", "Фото: …", "Читайте также")
//! removed by rules an admin can extend. Kazakh letters are kept, then
//! folded to their nearest Russian letter so that a Kazakh spelling and a
//! Russian transliteration of a name meet.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// Built-in boilerplate patterns, applied to lower-cased text.
pub const DEFAULT_BOILERPLATE: &[&str] = &[
    // Attribution tails: "передает Liter.kz", "— сообщает Kazinform", "пишет РБК".
    r"[,.—–-]?\s*(?:как\s+)?(?:передает|передаёт|сообщает|сообщают|пишет|пишут|информирует|отмечает|уточняет)\s+(?:корреспондент\s+|агентство\s+|издание\s+|пресс-служба\s+)?[\p{L}\d.\-]+(?:\s+со\s+ссылкой\s+на\s+[\p{L}\d.\- ]+)?\s*[.]?$",
    r"[,.—–-]?\s*деп\s+(?:хабарлайды|жазады|хабарлады)\s+[\p{L}\d.\- ]+[.]?$",
    r"[\p{L}\d.\- ]+\s+тілшісі\s+хабарлайды[.]?",
    // Marks in titles.
    r"\((?:видео|фото|фото,\s*видео|видео,\s*фото|инфографика|обновлено|дополнено|онлайн|live)\)",
    r"\[(?:видео|фото)\]",
    // Photo credits and cross-links.
    r"(?:фото|фото/видео|видео|источник|иллюстративное фото)\s*:\s*[^.\n]{0,80}(?:\.|$)",
    r"читайте\s+также[^.\n]*(?:\.|$)",
    r"подписывайтесь\s+на\s+[^.\n]*(?:\.|$)",
];

/// Words one of which must occur for the rule at the same index in
/// [`DEFAULT_BOILERPLATE`] to be tried: a substring search is far cheaper
/// than a Unicode regex, and most texts have no boilerplate at all. A
/// trigger may be part of a word its rule needs; no trigger may overlap
/// one of another rule (see [`triggered`]).
const TRIGGERS: &[&[&str]] = &[
    // "тмечает": "отмечает" would overlap the "о" ending rule 5's words.
    &["передает", "передаёт", "сообщает", "сообщают", "пишет", "пишут", "информирует", "тмечает", "уточняет"],
    &["деп "],
    // Not "тілшісі": its "т" would overlap the "т" ending rule 0's words.
    &["ілшісі"],
    &["("],
    &["["],
    &["фото", "видео", "источник"],
    &["читайте"],
    &["подписывайтесь"],
];

/// The rules, each with its index in [`TRIGGERS`].
static DEFAULT_RULES: LazyLock<Vec<(usize, Regex)>> = LazyLock::new(|| {
    DEFAULT_BOILERPLATE.iter().enumerate().filter_map(|(i, p)| Regex::new(&format!("(?i){p}")).ok().map(|re| (i, re))).collect()
});

/// Every trigger word in one automaton (one pass over the text instead of
/// a substring search per word), and the rule each word belongs to.
static TRIGGER_FINDER: LazyLock<Option<(aho_corasick::AhoCorasick, Vec<usize>)>> = LazyLock::new(|| {
    let (words, rules): (Vec<&str>, Vec<usize>) =
        TRIGGERS.iter().enumerate().flat_map(|(rule, words)| words.iter().map(move |w| (*w, rule))).unzip();
    aho_corasick::AhoCorasick::new(words).ok().map(|finder| (finder, rules))
});

/// A bit per rule in [`TRIGGERS`] whose trigger occurs in `s`. No trigger
/// overlaps one of another rule (a test checks), so the plain search,
/// which skips what overlaps a match, finds every rule the overlapping
/// search would, at a fraction of its cost.
fn triggered(s: &str) -> u64 {
    match TRIGGER_FINDER.as_ref() {
        Some((finder, rules)) => finder.find_iter(s).fold(0, |mask, m| mask | 1 << rules[m.pattern().as_usize()]),
        // Without the automaton every rule is tried.
        None => u64::MAX,
    }
}

/// Folds `text` for matching; `extra` are the admin's boilerplate rules.
pub fn fold(text: &str, extra: &[Regex]) -> String {
    let (mut s, mixed) = match lower_stable(text) {
        Some(folded) => folded,
        None => (lower_normalized(text), true),
    };
    // Removals only take text out: triggers found before them are a
    // superset of those left, and a rule whose trigger went just fails.
    let hits = triggered(&s);
    for (i, rule) in DEFAULT_RULES.iter() {
        if hits & (1 << i) != 0 && rule.is_match(&s) {
            s = rule.replace_all(&s, " ").into_owned();
        }
    }
    for rule in extra {
        if rule.is_match(&s) {
            s = rule.replace_all(&s, " ").into_owned();
        }
    }
    // Removals only split words (a match is replaced by a space), so a
    // text without a mixed-script word has none after them either.
    if mixed {
        s = fix_lookalikes(s);
    }
    join_digit_groups(s)
}

/// The lower-cased, folded text in one pass when every character is
/// [`nfkc_stable`] (nearly all news text: ASCII, Russian, Kazakh and
/// common punctuation), and whether a word mixes Latin and Cyrillic
/// letters; `None` when the text needs the Unicode tables.
fn lower_stable(text: &str) -> Option<(String, bool)> {
    // Folding never lengthens a stable character's UTF-8: no reallocation.
    let mut out = String::with_capacity(text.len());
    let (mut latin, mut cyrillic, mut mixed) = (false, false, false);
    for c in text.chars() {
        if !nfkc_stable(c) {
            let expansion = ascii_expansion(c)?;
            latin |= expansion.bytes().any(|b| b.is_ascii_alphabetic());
            if expansion.bytes().any(|b| !b.is_ascii_alphanumeric()) {
                mixed |= latin && cyrillic;
                (latin, cyrillic) = (false, false);
            }
            out.push_str(expansion);
            continue;
        }
        if c.is_ascii_alphabetic() {
            latin = true;
        } else if is_cyrillic(c) {
            cyrillic = true;
        } else if !c.is_ascii_digit() {
            // The end of a word (stable characters other than these are
            // punctuation and spaces).
            mixed |= latin && cyrillic;
            (latin, cyrillic) = (false, false);
        }
        push_lower(c, &mut out);
    }
    Some((out, mixed || latin && cyrillic))
}

/// The lower-cased, folded NFKC form of any text.
fn lower_normalized(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        text.chars().for_each(|c| push_lower(c, &mut s));
    } else {
        text.nfkc().for_each(|c| push_lower(c, &mut s));
    }
    s
}

/// Characters that are their own NFKC form, with combining class 0 and
/// no composition with a starter before them: a text made only of them is
/// NFKC. The test checks every one against the Unicode tables.
fn nfkc_stable(c: char) -> bool {
    // ASCII, and the Cyrillic block's Russian, Ukrainian, Belarusian and
    // Serbian letters.
    c.is_ascii()
        || ('\u{400}'..='\u{45f}').contains(&c)
        || matches!(
            c,
            'Ґ' | 'ґ'
                | 'Ғ'
                | 'ғ'
                | 'Қ'
                | 'қ'
                | 'Ң'
                | 'ң'
                | 'Ү'
                | 'ү'
                | 'Ұ'
                | 'ұ'
                | 'Һ'
                | 'һ'
                | 'Ә'
                | 'ә'
                | 'Ө'
                | 'ө'
                | '«'
                | '»'
                | '–'
                | '—'
                | '−'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '„'
                | '→'
                | '°'
        )
}

/// Characters common in news text whose NFKC form is plain ASCII made of
/// starters, and what they fold to: the one-pass fold writes them itself.
fn ascii_expansion(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{a0}' => " ",
        '…' => "...",
        '№' => "no",
        _ => return None,
    })
}

/// Appends `c` lower-cased and folded ([`fold_char`]). The characters of
/// nearly every news text (Russian and ASCII letters, digits, spaces) take
/// a few comparisons; the rest go through the Unicode case tables.
#[inline]
pub fn push_lower(c: char, out: &mut String) {
    let lower = match c {
        'а'..='я' | 'a'..='z' | '0'..='9' | ' ' => c,
        'А'..='Я' => char::from_u32(c as u32 + 0x20).unwrap_or(c),
        'A'..='Z' => c.to_ascii_lowercase(),
        _ => return push_lower_other(c, out),
    };
    out.push(lower);
}

/// [`push_lower`] for the other characters.
#[cold]
fn push_lower_other(c: char, out: &mut String) {
    if c.is_ascii() {
        out.extend(fold_char(c));
    } else {
        c.to_lowercase().filter_map(fold_char).for_each(|l| out.push(l));
    }
}

/// Per-character folding; `None` drops the character.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' => return None,
        '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{2009}' => ' ',
        'ё' => 'е',
        '«' | '»' | '„' | '“' | '”' | '‟' | '‹' | '›' | '\'' | '‘' | '’' | '`' => '"',
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
        c => c,
    })
}

/// Latin letters that look Cyrillic, inside a word that is otherwise Cyrillic.
fn fix_lookalikes(s: String) -> String {
    if !s.bytes().any(|b| b.is_ascii_alphabetic()) {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_inclusive(|c: char| !is_word_char(c)) {
        let cyrillic = word.chars().filter(|c| is_cyrillic(*c)).count();
        let latin = word.chars().filter(|c| c.is_ascii_alphabetic()).count();
        if cyrillic > 0 && latin > 0 {
            out.extend(word.chars().map(|c| lookalike(c).unwrap_or(c)));
        } else {
            out.push_str(word);
        }
    }
    out
}

fn lookalike(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'c' => 'с',
        'e' => 'е',
        'o' => 'о',
        'p' => 'р',
        'x' => 'х',
        'y' => 'у',
        'k' => 'к',
        'm' => 'м',
        'h' => 'н',
        't' => 'т',
        'b' => 'в',
        'i' => 'і',
        _ => return None,
    })
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04ff}').contains(&c)
}

/// `5 000 000` → `5000000`, `2,5` stays: a space between a digit and a
/// group of exactly three digits goes. Digits and spaces are ASCII, so
/// the bytes are read as they are (no byte of a longer character is one).
fn join_digit_groups(s: String) -> String {
    let bytes = s.as_bytes();
    let joint = |i: usize| {
        bytes[i] == b' '
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1..i + 4).is_some_and(|g| g.iter().all(u8::is_ascii_digit))
            && bytes.get(i + 4).is_none_or(|n| !n.is_ascii_digit())
    };
    let joints: Vec<usize> = memchr::memchr_iter(b' ', bytes).filter(|&i| joint(i)).collect();
    if joints.is_empty() {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    for i in joints {
        out.push_str(&s[from..i]);
        from = i + 1;
    }
    out.push_str(&s[from..]);
    out
}

/// A letter or digit; Cyrillic and ASCII answered without the Unicode
/// tables (which are slow for every non-ASCII character).
#[inline]
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{0400}'..='\u{04ff}').contains(&c) || (!c.is_ascii() && c.is_alphanumeric())
}

/// The words of `text` (runs of [`is_word_char`]
/// characters), as `split` on the other characters gives them without the
/// empty ones; ASCII and Cyrillic (U+0400–U+04FF, first bytes D0–D3) are
/// told by their first byte alone.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    // (length, is a word character) of the character at `i`.
    let class = move |i: usize| -> Option<(usize, bool)> {
        let b = *bytes.get(i)?;
        Some(match b {
            0..=0x7f => (1, b.is_ascii_alphanumeric()),
            0xd0..=0xd3 => (2, true),
            _ => {
                let c = text.get(i..)?.chars().next()?;
                (c.len_utf8(), is_word_char(c))
            }
        })
    };
    let mut i = 0;
    std::iter::from_fn(move || {
        while let (len, false) = class(i)? {
            i += len;
        }
        let start = i;
        while let Some((len, true)) = class(i) {
            i += len;
        }
        text.get(start..i)
    })
}

/// Kazakh letters to the Russian letters they are transliterated with.
pub fn kazakh_to_russian(c: char) -> char {
    match c {
        'ә' => 'а',
        'ғ' => 'г',
        'қ' => 'к',
        'ң' => 'н',
        'ө' => 'о',
        'ұ' | 'ү' => 'у',
        'һ' => 'х',
        'і' => 'и',
        c => c,
    }
}

#[cfg(test)]
mod tests;
