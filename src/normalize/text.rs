//! Plain text out of whatever a feed put in a text field.
//!
//! Feeds put entities (`&nbsp;&mdash;`), stray markup and runs of whitespace
//! in titles; descriptions are HTML. [`clean`] turns a field into one line of
//! plain text; [`html_to_text`] turns (sanitized) HTML into text, keeping
//! word boundaries at block elements and `<br>`. Both drop invisible and
//! bidi control characters (see [`super::invisible`]).

use super::invisible;

/// Entities decoded, tags removed, whitespace collapsed, trimmed.
pub fn clean(raw: &str) -> String {
    // A byte search: `contains` with a char set decodes every character.
    if memchr::memchr2(b'<', b'&', raw.as_bytes()).is_none() {
        return collapse(raw);
    }
    html_to_text(raw)
}

/// Visible text of an HTML fragment, on one line.
pub fn html_to_text(html: &str) -> String {
    let stripped = strip_tags(html);
    let decoded = html_escape::decode_html_entities(&stripped);
    collapse(&decoded)
}

/// Collapses every run of whitespace (including NBSP and zero-width
/// characters) to one space and trims the ends.
pub fn collapse(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut i = 0;
    while i < bytes.len() {
        // A run copied as it is: plain bytes, and single spaces between them.
        let start = i;
        while let Some(&b) = bytes.get(i) {
            if plain_byte(b) || (b == b' ' && i > start && bytes.get(i + 1).is_some_and(|&n| plain_byte(n))) {
                i += 1;
            } else {
                break;
            }
        }
        // A run starts and ends at character boundaries: what ends it is
        // ASCII or the first byte of a character.
        if let Some(run) = s.get(start..i).filter(|run| !run.is_empty()) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(run);
            continue;
        }
        let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else { break };
        i += c.len_utf8();
        if c.is_whitespace() || c == '\u{a0}' {
            pending_space = true;
        } else if c.is_control() || (invisible::is_invisible(c) && !joins_emoji(&out, pending_space, c, s.get(i..))) {
            // invisible: drop without a space
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Whether `c`, a ZWJ about to be written after `out`, joins two emoji
/// (`rest` is what follows it): the one invisible character kept.
fn joins_emoji(out: &str, pending_space: bool, c: char, rest: Option<&str>) -> bool {
    c == '\u{200d}' && !pending_space && invisible::joins_emoji(out.chars().next_back(), rest.and_then(|r| r.chars().next()))
}

/// A byte of UTF-8 that is no whitespace, control or invisible character
/// and no part of one: every such character is ASCII or starts with one of
/// the bytes C2 (U+0080–U+00BF), CD (U+034F), E1 (U+1680, U+115F, U+180E),
/// E2 (U+2000–U+2FFF), E3 (U+3000, U+3164), EF (U+FEFF, U+FFA0) or F3 (tag
/// characters). Cyrillic (D0–D4) is plain throughout.
fn plain_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7e | 0x80..=0xc1 | 0xc3..=0xcc | 0xce..=0xe0 | 0xe4..=0xee | 0xf0..=0xf2 | 0xf4..=0xff)
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "pre",
    "hr",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
    "img",
];

/// Removes tags, comments and the contents of `<script>`/`<style>`. A `<`
/// that does not start a tag (`a < b`) is kept. Block tags become a space.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while let Some(at) = memchr::memchr(b'<', bytes.get(i..).unwrap_or_default()) {
        i += at;
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
            i += 1;
            continue;
        }
        out.push_str(&html[text_start..i]);
        if html[i..].starts_with("<!--") {
            i = html[i..].find("-->").map_or(bytes.len(), |e| i + e + 3);
            text_start = i;
            continue;
        }
        let end = tag_end(bytes, i);
        // The name as written, compared without regard to case: no copy.
        let name = tag_name(&html[i + 1..end]);
        if BLOCK_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name)) {
            out.push(' ');
        }
        i = end;
        let raw_text = ["script", "style"].into_iter().find(|t| t.eq_ignore_ascii_case(name));
        if let Some(raw) = raw_text
            && !html[..end].ends_with("/>")
        {
            let close = format!("</{raw}");
            i = find_ascii_ci(&html[i..], &close).map_or(bytes.len(), |e| {
                let after = i + e;
                tag_end(bytes, after)
            });
        }
        text_start = i;
    }
    out.push_str(&html[text_start.min(html.len())..]);
    out
}

/// Index just past the `>` closing the tag that starts at `start`,
/// respecting quoted attribute values.
pub(super) fn tag_end(bytes: &[u8], start: usize) -> usize {
    let mut quote = None;
    let mut i = start + 1;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return i + 1,
            None => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The element name a tag's text (after its `<`) starts with, as written.
fn tag_name(tag: &str) -> &str {
    let tag = tag.trim_start_matches('/');
    &tag[..tag.bytes().take_while(u8::is_ascii_alphanumeric).count()]
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    haystack.as_bytes().windows(n).position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`collapse`] as first written, a character at a time.
    fn collapse_reference(s: &str) -> String {
        let mut out = String::new();
        let mut pending_space = false;
        let chars: Vec<char> = s.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let emoji_zwj = c == '\u{200d}' && !pending_space && invisible::joins_emoji(out.chars().next_back(), chars.get(i + 1).copied());
            if c.is_whitespace() || c == '\u{a0}' {
                pending_space = true;
            } else if c.is_control() || (invisible::is_invisible(c) && !emoji_zwj) {
            } else {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn collapse_agrees_with_a_character_at_a_time(s in "([ a-zа-яә«»—…\t\n\r\u{0}\u{7f}\u{85}\u{a0}\u{ad}\u{34f}\u{1680}\u{2003}\u{200b}\u{200d}\u{202e}\u{2028}\u{202f}\u{2066}\u{3000}\u{3164}\u{feff}\u{e0041}👩🌈]|\\PC){0,60}") {
            proptest::prop_assert_eq!(collapse(&s), collapse_reference(&s));
        }

        #[test]
        fn collapse_agrees_on_any_string(s in proptest::prelude::any::<String>()) {
            proptest::prop_assert_eq!(collapse(&s), collapse_reference(&s));
        }
    }

    #[test]
    fn every_whitespace_control_and_invisible_character_starts_with_a_byte_that_is_not_plain() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            if c.is_whitespace() || c.is_control() || invisible::is_invisible(c) || c == '\u{a0}' {
                let mut buf = [0u8; 4];
                assert!(!plain_byte(c.encode_utf8(&mut buf).as_bytes()[0]), "{c:?}");
            }
        }
    }

    #[test]
    fn clean_table() {
        let cases = [
            ("  Президент   подписал\n закон ", "Президент подписал закон"),
            ("Курс&nbsp;&mdash; 450 тенге", "Курс — 450 тенге"),
            ("Акорда &laquo;ответила&raquo;", "Акорда «ответила»"),
            ("<b>Важно</b>: выборы", "Важно: выборы"),
            ("a < b && c > d", "a < b && c > d"),
            ("x<br>y<p>z</p>", "x y z"),
            ("<script>alert(1)</script>Текст", "Текст"),
            ("<STYLE>p{}</STYLE>Текст<!-- c -->", "Текст"),
            ("со\u{ad}крат\u{200b}ить", "сократить"),
            ("Рек\u{200b}ла\u{2060}ма \u{202e}x\u{202c} \u{3164}", "Реклама x"),
            ("Ка\u{34f}зах\u{e0041}стан\u{feff}", "Казахстан"),
            ("Семья 👨\u{200d}👩\u{200d}👧, а\u{200d}б", "Семья 👨\u{200d}👩\u{200d}👧, аб"),
            ("<a href=\"x>y\">ссылка</a>", "ссылка"),
            ("Қазақстан", "Қазақстан"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }
}
