//! Turning response bytes into UTF-8 text.
//!
//! The order of evidence is: a byte-order mark, then the XML declaration's
//! `encoding`, then the HTTP `charset`, then "the bytes are valid UTF-8",
//! then a statistical guess (chardetng). A label that claims UTF-8 for bytes
//! that are not UTF-8 is ignored, because real feeds lie that way
//! (windows-1251 bytes under a UTF-8 declaration); such a body then falls
//! through to detection instead of decoding into U+FFFD. The reverse lie is
//! caught too: bytes that are valid UTF-8 with Cyrillic characters under a
//! single-byte Cyrillic label (`windows-1251`, `koi8-r`, `iso-8859-5`,
//! `ibm866`, `x-mac-cyrillic`), in the declaration, the HTTP header or a
//! page's `<meta>`, are UTF-8: genuine Cyrillic text in those encodings is
//! not valid UTF-8 (see [`SINGLE_BYTE_CYRILLIC`]).
//!
//! [`prepare_xml`] then removes every `<?xml …?>` declaration: the text is
//! UTF-8 now, a stale declaration would make the parser decode it again, and
//! a declaration in the wrong place makes feed-rs 3 panic.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// Text decoded from a response body.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The body as UTF-8, BOM removed: the body itself when it was UTF-8
    /// already (nearly every feed), so a feed is not copied to be read.
    pub text: Cow<'a, str>,
    /// The encoding it was decoded from.
    pub encoding: &'static Encoding,
    /// How the encoding was chosen.
    pub evidence: Evidence,
}

/// Where the choice of encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A byte-order mark.
    Bom,
    /// `<?xml encoding=…?>` or `<meta charset>`.
    Declared,
    /// The HTTP `Content-Type` charset.
    Http,
    /// The bytes were valid UTF-8.
    ValidUtf8,
    /// A statistical guess.
    Detected,
}

/// Decodes `bytes` using the evidence order described in the module docs.
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    decode_scanning(bytes, http_charset, DECLARATION_SCAN)
}

/// Decodes an HTML page. Like [`decode`], but `<meta charset>` is looked for
/// in the whole `<head>` (up to 1 MB): pages put it after kilobytes of
/// inline scripts and styles.
pub fn decode_page<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    let limit = bytes.len().min(1 << 20);
    let head_end = bytes[..limit].windows(7).position(|w| w.eq_ignore_ascii_case(b"</head>")).unwrap_or(limit);
    decode_scanning(bytes, http_charset, head_end.max(DECLARATION_SCAN))
}

/// Bytes searched for a declaration in a feed.
const DECLARATION_SCAN: usize = 4096;

fn decode_scanning<'a>(bytes: &'a [u8], http_charset: Option<&str>, scan: usize) -> Decoded<'a> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded { text, encoding, evidence: Evidence::Bom };
    }
    // SIMD validation: std's is byte by byte on Cyrillic text.
    let utf8 = simdutf8::basic::from_utf8(bytes).ok();
    // A UTF-8 document with a few broken sequences (a truncated field, a
    // stray byte) is still UTF-8: it is decoded with U+FFFD for the broken
    // bytes. A legacy 8-bit text is almost all broken sequences instead.
    let utf8_ok = utf8.is_some() || mostly_utf8(bytes);
    // Computed only when a Cyrillic label asks: it reads the whole body.
    let utf8_cyrillic = std::cell::OnceCell::new();
    let usable = |e: &'static Encoding| {
        // A UTF-16 label without a BOM cannot be right: we read the label as ASCII.
        if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
            return false;
        }
        if e == UTF_8 {
            return utf8_ok;
        }
        !(SINGLE_BYTE_CYRILLIC.contains(&e) && *utf8_cyrillic.get_or_init(|| utf8.is_some_and(has_cyrillic)))
    };
    let declared = declared_within(bytes, scan).filter(|e| usable(e));
    let http = http_charset.and_then(|c| Encoding::for_label(c.trim().trim_matches('"').as_bytes())).filter(|e| usable(e));
    let (encoding, evidence) = if let Some(e) = declared {
        (e, Evidence::Declared)
    } else if let Some(e) = http {
        (e, Evidence::Http)
    } else if utf8_ok {
        (UTF_8, Evidence::ValidUtf8)
    } else {
        let mut detector = chardetng::EncodingDetector::new();
        detector.feed(bytes, true);
        (detector.guess(None, true), Evidence::Detected)
    };
    let text = if let (true, Some(text)) = (encoding == UTF_8, utf8) {
        // Already validated: borrowed as it is.
        Cow::Borrowed(text)
    } else {
        encoding.decode_without_bom_handling(bytes).0
    };
    Decoded { text, encoding, evidence }
}

/// Single-byte Cyrillic encodings. Russian or Kazakh text in any of them is
/// practically never valid UTF-8 (in windows-1251 and KOI8 every letter is
/// a byte from C0 up, and a UTF-8 lead byte must be followed by bytes under
/// C0: two letters in a row are already invalid; see the tests), while CMSs
/// that switched to UTF-8 often keep announcing the old charset. So valid
/// UTF-8 with Cyrillic letters under one of these labels is read as UTF-8.
/// (In IBM866 and ISO-8859-5 a short word can be valid UTF-8, `так` in
/// IBM866 is E2 A0 AA, but it reads as a Braille pattern, not Cyrillic,
/// and a whole feed or page never is: the corpus test decodes every real
/// legacy feed by its own label.)
const SINGLE_BYTE_CYRILLIC: [&Encoding; 6] = [
    encoding_rs::WINDOWS_1251,
    encoding_rs::KOI8_R,
    encoding_rs::KOI8_U,
    encoding_rs::ISO_8859_5,
    encoding_rs::IBM866,
    encoding_rs::X_MAC_CYRILLIC,
];

/// Whether valid UTF-8 holds Cyrillic (U+0400–U+052F): in valid UTF-8 the
/// bytes D0–D4 only ever start those characters.
fn has_cyrillic(text: &str) -> bool {
    text.bytes().any(|b| (0xd0..=0xd4).contains(&b))
}

/// Whether invalid UTF-8 is still UTF-8 with a few broken sequences: at
/// least twenty well-formed non-ASCII characters per broken one.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            bad += 1;
        }
    }
    bad > 0 && good >= 20 * bad
}

/// The encoding named by an XML declaration or an HTML `<meta charset>` in
/// the first kilobytes of an ASCII-compatible document.
pub fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    declared_within(bytes, DECLARATION_SCAN)
}

fn declared_within(bytes: &[u8], scan: usize) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(scan)];
    // Only the tags read are lower-cased: copying and lower-casing the
    // whole head of every feed cost more than all the rest of decoding a
    // UTF-8 one.
    let tags = |name: &'static [u8]| {
        memchr::memchr_iter(b'<', head)
            .filter(move |&at| head.get(at + 1..at + 1 + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .map(move |at| at + 1 + name.len())
    };
    let lower = |from: usize, end: &[u8]| {
        let rest = &head[from..];
        let len = memchr::memmem::find(rest, end).unwrap_or(rest.len());
        String::from_utf8_lossy(&rest[..len]).to_ascii_lowercase()
    };
    if let Some(from) = tags(b"?xml").next()
        && let Some(label) = attribute(&lower(from, b"?>"), "encoding")
    {
        return Encoding::for_label(label.as_bytes());
    }
    // HTML pages: <meta charset="…"> or <meta http-equiv content="…; charset=…">.
    for from in tags(b"meta") {
        let tag = lower(from, b">");
        if let Some(label) = attribute(&tag, "charset") {
            return Encoding::for_label(label.as_bytes());
        }
        if let Some(pos) = tag.find("charset=") {
            let label: String = tag[pos + 8..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_:".contains(*c)).collect();
            return Encoding::for_label(label.as_bytes());
        }
    }
    None
}

/// The value of `name="…"` (or `'…'`, or bare) inside a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let preceded_ok = at == 0 || tag.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !preceded_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let (quote, body) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &rest[1..]),
            _ => (None, rest),
        };
        let end = match quote {
            Some(q) => body.find(q),
            None => body.find(|c: char| c.is_whitespace() || "/>;\"'".contains(c)),
        }
        .unwrap_or(body.len());
        return Some(&body[..end]);
    }
    None
}

/// Removes a leading BOM and every `<?xml …?>` declaration from decoded text.
pub fn prepare_xml(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = memchr::memmem::find(text.as_bytes(), b"<?xml") else { return Cow::Borrowed(text) };
    // The usual document: one declaration, first. What follows it is the
    // answer, borrowed rather than copied.
    if first == 0
        && let Some(end) = text.find("?>")
        && text[5..].starts_with(char::is_whitespace)
        && memchr::memmem::find(&text.as_bytes()[end..], b"<?xml").is_none()
    {
        return Cow::Borrowed(&text[end + 2..]);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<?xml") {
        // `<?xml-stylesheet …?>` is a processing instruction, not a declaration.
        let after = rest[start + 5..].chars().next();
        if !matches!(after, Some(c) if c.is_whitespace()) {
            out.push_str(&rest[..start + 5]);
            rest = &rest[start + 5..];
            continue;
        }
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("?>") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
