//! The repair a JSON Feed gets when it fails to parse: lone surrogates.
//!
//! JSON text escapes characters outside the Basic Multilingual Plane as
//! surrogate pairs (`"\ud83d\ude00"`). Publishers that cut strings by
//! UTF-16 units leave half a pair (`"\ud800"`), which is no character at
//! all: serde_json rejects it, and with it the whole feed. Each escape of
//! a surrogate that is not half of a pair becomes `\ufffd` (U+FFFD, the
//! replacement character), so the one bad string reads as slightly
//! damaged and the feed's other items are kept. Only `\u` escapes are
//! rewritten (ASCII for ASCII), so everything else is left byte for byte.

use std::borrow::Cow;

/// `text` with every escape of a lone surrogate replaced by `\ufffd`;
/// borrowed when there is none.
pub fn repair_surrogates(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'\\', &bytes[at..]).map(|i| at + i) {
        // An escape is a backslash and one character, or `\uXXXX`: `\\`
        // is skipped whole, so `\\ud800` stays a backslash and text.
        let Some(unit) = escaped_unit(bytes, i) else {
            at = i + 2;
            continue;
        };
        at = i + 6;
        if (0xd800..0xdc00).contains(&unit) && escaped_unit(bytes, i + 6).is_some_and(|low| (0xdc00..0xe000).contains(&low)) {
            at = i + 12;
            continue;
        }
        if !(0xd800..0xe000).contains(&unit) {
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[copied..i]);
        out.push_str("\\ufffd");
        copied = i + 6;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The UTF-16 unit of a `\uXXXX` escape starting at `at`.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let hex = bytes.get(at..at + 6)?.strip_prefix(b"\\u")?;
    // from_str_radix would also take a leading `+`.
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_table() {
        let cases = [
            (r#""\ud800""#, r#""\ufffd""#),
            (r#""\uDC00 x""#, r#""\ufffd x""#),
            (r#""\ud83d\ude00""#, r#""\ud83d\ude00""#),
            (r#""\ud83d\ud83d\ude00""#, r#""\ufffd\ud83d\ude00""#),
            (r#""\ud83d\u0041""#, r#""\ufffd\u0041""#),
            (r#""\\ud800""#, r#""\\ud800""#),
            (r#""\\\ud800""#, r#""\\\ufffd""#),
            (r#""\u+800 \u00e9 \n""#, r#""\u+800 \u00e9 \n""#),
            (r#""tail \ud800"#, r#""tail \ufffd"#),
            (r#""cut \ud8"#, r#""cut \ud8"#),
            ("\"Қазақ \\ud800 тілі\"", "\"Қазақ \\ufffd тілі\""),
        ];
        for (input, want) in cases {
            assert_eq!(repair_surrogates(input), want, "{input}");
        }
        assert!(matches!(repair_surrogates(r#"{"a": "\ud83d\ude00 \\u"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn repaired_text_is_json_serde_reads() {
        let input = r#"["\ud800", "\ud83d\ude00", "\udfff\ud800"]"#;
        assert!(serde_json::from_str::<Vec<String>>(input).is_err());
        let strings: Vec<String> = serde_json::from_str(&repair_surrogates(input)).unwrap();
        assert_eq!(strings, ["\u{fffd}", "😀", "\u{fffd}\u{fffd}"]);
    }
}
