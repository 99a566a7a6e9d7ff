//! Characters that take no space on screen and must not reach a title.
//!
//! Zero-width spaces and joiners, bidi embeddings, overrides and isolates,
//! word joiners and invisible operators, the combining grapheme joiner,
//! the Mongolian vowel separator, Hangul fillers, a BOM inside text and the
//! tag characters (U+E0000–U+E007F) all render as nothing. Left in, they
//! let `Рек\u{200B}лама` slip past a source's `exclude = ["(?i)реклама"]`,
//! make two copies of a story look different to dedup, and bidi overrides
//! reorder what a reader sees. Normalization drops them from titles, text,
//! summaries and authors before filters and dedup run, and from the text of
//! sanitized HTML.
//!
//! The one deliberate exception is ZERO WIDTH JOINER between two emoji
//! (`👨‍👩‍👧`, `🏳️‍🌈`): it builds one picture out of several, costs one
//! look-around to keep, and no Cyrillic or Latin word contains it. Between
//! letters it is dropped, as is ZERO WIDTH NON-JOINER everywhere: they
//! shape Persian and Indic scripts, not Russian or Kazakh, and the feeds we
//! read use them only to break up words.

use std::borrow::Cow;

/// ZERO WIDTH JOINER, kept only inside emoji sequences.
const ZWJ: char = '\u{200d}';

/// Whether `c` is invisible and is dropped from text (ZWJ: see
/// [`joins_emoji`] for where it stays).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'                        // soft hyphen
        | '\u{34f}'                     // combining grapheme joiner
        | '\u{115f}' | '\u{1160}'       // Hangul choseong / jungseong fillers
        | '\u{180e}'                    // Mongolian vowel separator
        | '\u{200b}'..='\u{200f}'       // zero-width space, ZWNJ, ZWJ, LRM, RLM
        | '\u{202a}'..='\u{202e}'       // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'       // bidi isolates
        | '\u{3164}'                    // Hangul filler
        | '\u{feff}'                    // BOM / zero-width no-break space
        | '\u{ffa0}'                    // halfwidth Hangul filler
        | '\u{e0000}'..='\u{e007f}' // tag characters
    )
}

/// Whether a ZWJ between `before` and `after` joins two emoji into one.
pub fn joins_emoji(before: Option<char>, after: Option<char>) -> bool {
    // VS16 (U+FE0F) and skin tones end an emoji that a ZWJ may continue.
    before.is_some_and(|c| is_emoji(c) || c == '\u{fe0f}') && after.is_some_and(is_emoji)
}

/// Pictographs and symbols that take part in ZWJ sequences: the emoji
/// planes and the Miscellaneous Symbols / Dingbats blocks (♀, ♂, ⚕, ❤).
fn is_emoji(c: char) -> bool {
    matches!(c, '\u{1f000}'..='\u{1faff}' | '\u{2600}'..='\u{27bf}' | '\u{2b00}'..='\u{2bff}')
}

/// Whether an invisible character can start with the bytes `b0 b1`: C2 AD
/// (U+00AD), E2 80/81 (U+200x, U+202x, U+206x), EF BB/BE (U+FEFF, U+FFA0);
/// and any character starting CD (U+034F), E1 (U+115F, U+1160, U+180E),
/// E3 (U+3164) or F3 (tag characters), all rare in our feeds.
fn may_start_invisible(b0: u8, b1: Option<u8>) -> bool {
    match b0 {
        0xc2 => b1 == Some(0xad),
        0xe2 => matches!(b1, Some(0x80 | 0x81)),
        0xef => matches!(b1, Some(0xbb | 0xbe)),
        0xcd | 0xe1 | 0xe3 | 0xf3 => true,
        _ => false,
    }
}

/// `s` without its invisible characters, ZWJ kept inside emoji sequences;
/// borrowed when there were none (nearly always).
pub fn strip(s: &str) -> Cow<'_, str> {
    let Some(first) = first_invisible(s) else { return Cow::Borrowed(s) };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut chars = s[first..].chars().peekable();
    while let Some(c) = chars.next() {
        if !is_invisible(c) || (c == ZWJ && joins_emoji(out.chars().next_back(), chars.peek().copied())) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Where the first character [`strip`] would drop starts. Searched for by
/// lead byte with memchr, in two sets: C2, E2 and EF start common Russian
/// punctuation (NBSP, «», —, …), so their hits are ruled out by the second
/// byte before any character is decoded; CD, E1, E3 and F3 hardly occur.
/// (A loop over every byte cost 8 % of normalizing an item.)
fn first_invisible(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let drops = |&at: &usize| {
        let Some(rest) = s.get(at..) else { return false };
        let mut chars = rest.chars();
        chars.next().is_some_and(|c| is_invisible(c) && !(c == ZWJ && joins_emoji(s[..at].chars().next_back(), chars.next())))
    };
    let common =
        memchr::memchr3_iter(0xc2, 0xe2, 0xef, bytes).filter(|&at| may_start_invisible(bytes[at], bytes.get(at + 1).copied())).find(drops);
    let rare = memchr::memchr3_iter(0xcd, 0xe1, 0xe3, bytes).chain(memchr::memchr_iter(0xf3, bytes)).filter(drops).min();
    match (common, rare) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_table() {
        let cases = [
            ("Рек\u{200b}лама", "Реклама"),
            ("Ре\u{200c}кл\u{200d}ама", "Реклама"),
            ("\u{202e}амалкеР", "амалкеР"),
            ("a\u{2066}b\u{2069}c\u{2060}d\u{2064}e", "abcde"),
            ("Ка\u{34f}зах\u{180e}стан", "Казахстан"),
            ("\u{3164}\u{115f}\u{1160}\u{ffa0}Заголовок", "Заголовок"),
            ("Нов\u{feff}ости", "Новости"),
            ("Сп\u{e0041}\u{e007f}орт", "Спорт"),
            ("со\u{ad}кратить", "сократить"),
            ("\u{200e}Almaty\u{200f}", "Almaty"),
            // Emoji sequences keep their joiner; letters do not.
            ("Семья 👨\u{200d}👩\u{200d}👧", "Семья 👨\u{200d}👩\u{200d}👧"),
            ("Флаг 🏳\u{fe0f}\u{200d}🌈", "Флаг 🏳\u{fe0f}\u{200d}🌈"),
            ("врач 👩\u{200d}⚕", "врач 👩\u{200d}⚕"),
            ("👩\u{200d}а", "👩а"),
            ("а\u{200d}👩", "а👩"),
            ("\u{200d}", ""),
            ("Қазақстан — «жаңа» заң…", "Қазақстан — «жаңа» заң…"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(strip(input), want, "{input:?}");
        }
        assert!(matches!(strip("Президент — «закон» №5"), Cow::Borrowed(_)), "nothing to drop: not copied");
    }

    #[test]
    fn every_invisible_character_starts_with_a_byte_the_scan_looks_at() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32).filter(|&c| is_invisible(c)) {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            assert!(may_start_invisible(bytes[0], bytes.get(1).copied()), "{c:?}");
            // Every lead byte accepted is one of the two memchr sets.
            assert!([0xc2, 0xe2, 0xef, 0xcd, 0xe1, 0xe3, 0xf3].contains(&bytes[0]), "{c:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn strip_agrees_with_a_character_at_a_time(s in "([а-яa-z 👩🌈⚕\u{fe0f}\u{ad}\u{34f}\u{200b}\u{200c}\u{200d}\u{202e}\u{2066}\u{feff}\u{e0041}]|\\PC){0,40}") {
            let mut want = String::new();
            let chars: Vec<char> = s.chars().collect();
            for (i, &c) in chars.iter().enumerate() {
                if !is_invisible(c) || (c == ZWJ && joins_emoji(want.chars().next_back(), chars.get(i + 1).copied())) {
                    want.push(c);
                }
            }
            proptest::prop_assert_eq!(strip(&s), want);
        }
    }
}
