//! Ampersands and no-break spaces kept out of the sanitizer's text.
//!
//! html5ever's tree and serializer are quadratic in the `&` and U+00A0
//! characters of one text node: 20,000 `&amp;` (or `&nbsp;`, or bare `&`,
//! or unknown `&a;`) in a description cost 1.2 s (2.3 s) of a debug
//! build's CPU, 50,000 of them 22 s, on every poll of an unchanged feed,
//! while as many `&lt;` or Cyrillic letters cost milliseconds. Before the
//! sanitizer sees a text, each `&` and no-break space in it (written as a
//! character or as a reference) becomes a noncharacter that html5ever
//! passes through as an ordinary letter; after it, they are written back
//! as `&amp;` and `&nbsp;`, exactly what its serializer writes for them.
//! Tags (and their attribute values, where `&` separates URL parameters)
//! are left as they are.
//!
//! A bare `&` that starts no reference is a literal ampersand, as
//! html5ever reads it too, except before a legacy entity name written
//! without its `;` (`&copy 2024`), which now stays as written.

use std::borrow::Cow;

/// Stands for `&` while the sanitizer works.
const AMP: char = '\u{fdd0}';
/// Stands for U+00A0 while the sanitizer works.
const NBSP: char = '\u{fdd1}';

/// `html` with the ampersands and no-break spaces of its text replaced by
/// placeholders (and any placeholder it carried dropped).
pub fn protect(html: &str) -> Cow<'_, str> {
    if memchr::memchr2(b'&', 0xef, html.as_bytes()).is_none() && !html.contains('\u{a0}') {
        return Cow::Borrowed(html);
    }
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    // Runs without `<`, `&` or the first byte of U+00A0 (C2) or of a
    // placeholder (EF) are copied whole: this runs on most fields of
    // every feed. The next EF is looked up again only once passed.
    let mut next_ef = memchr::memchr(0xef, bytes);
    loop {
        if next_ef.is_some_and(|e| e < at) {
            next_ef = memchr::memchr(0xef, &bytes[at..]).map(|i| at + i);
        }
        let next = memchr::memchr3(b'<', b'&', 0xc2, &bytes[at..]).map(|i| at + i);
        let Some(i) = (match (next, next_ef) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }) else {
            break;
        };
        out.push_str(&html[at..i]);
        at = i;
        let c = html[at..].chars().next().unwrap_or('\0');
        match c {
            '<' => {
                let end = crate::normalize::text::tag_end(bytes, at);
                out.push_str(&html[at..end]);
                at = end;
                continue;
            }
            '&' => {
                let (value, len) = reference(&html[at..]);
                match value {
                    Some('&') => out.push(AMP),
                    Some('\u{a0}') => out.push(NBSP),
                    Some(_) => out.push_str(&html[at..at + len]),
                    // Not a reference: a literal ampersand.
                    None => out.push(AMP),
                }
                at += len;
                continue;
            }
            '\u{a0}' => out.push(NBSP),
            AMP | NBSP => {}
            c => out.push(c),
        }
        at += c.len_utf8();
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// The sanitizer's output with the placeholders written back.
pub fn restore(html: String) -> String {
    if !html.contains([AMP, NBSP]) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    let mut from = 0;
    for (i, placeholder) in html.match_indices([AMP, NBSP]) {
        out.push_str(&html[from..i]);
        out.push_str(if placeholder.starts_with(AMP) { "&amp;" } else { "&nbsp;" });
        from = i + placeholder.len();
    }
    out.push_str(&html[from..]);
    out
}

/// The character a reference at the start of `s` (which starts with `&`)
/// stands for and the reference's length; `(None, 1)` when it is no
/// reference (a bare `&`, or an unknown name).
fn reference(s: &str) -> (Option<char>, usize) {
    let Some(semi) = s.as_bytes().iter().take(34).position(|&b| b == b';') else { return (None, 1) };
    let body = &s[1..semi];
    let value = if let Some(num) = body.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        n.and_then(char::from_u32)
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        match body {
            "amp" | "AMP" => Some('&'),
            "nbsp" => Some('\u{a0}'),
            // Any other known name stands for itself: kept as written.
            _ => {
                let reference = &s[..=semi];
                let decoded = html_escape::decode_html_entities(reference);
                if decoded == reference { None } else { decoded.chars().next() }
            }
        }
    } else {
        None
    };
    match value {
        Some(c) => (Some(c), semi + 1),
        None => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ampersands_and_nbsp_are_placeholders_tags_are_not() {
        let cases = [
            ("AT&amp;T &#38; &#x26; &AMP; R&D", "AT\u{fdd0}T \u{fdd0} \u{fdd0} \u{fdd0} R\u{fdd0}D"),
            ("a&nbsp;b&#160;c\u{a0}d", "a\u{fdd1}b\u{fdd1}c\u{fdd1}d"),
            ("&lt;b&gt; &copy; &#1072;", "&lt;b&gt; &copy; &#1072;"),
            ("&a; &zz;x &", "\u{fdd0}a; \u{fdd0}zz;x \u{fdd0}"),
            ("<a href=\"/x?a=1&amp;b=2\" title='&nbsp;'>1&amp;2</a>", "<a href=\"/x?a=1&amp;b=2\" title='&nbsp;'>1\u{fdd0}2</a>"),
            ("smuggled \u{fdd0}\u{fdd1} placeholders", "smuggled  placeholders"),
        ];
        for (input, want) in cases {
            assert_eq!(protect(input), want, "{input:?}");
        }
        assert!(matches!(protect("plain <b>text</b> без амперсандов"), Cow::Borrowed(_)));
        assert_eq!(restore("AT\u{fdd0}T\u{fdd1}x".to_string()), "AT&amp;T&nbsp;x");
    }
}
