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
mod tests {
    use super::*;

    #[test]
    fn evidence_order() {
        let cp1251 = encoding_rs::WINDOWS_1251.encode("Новости").0.into_owned();
        let mut declared_utf8 = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>".to_vec();
        declared_utf8.extend_from_slice(&cp1251);
        let cases: Vec<(Vec<u8>, Option<&str>, &str, Evidence)> = vec![
            ("\u{feff}<t>Новости</t>".as_bytes().to_vec(), Some("windows-1251"), "Новости", Evidence::Bom),
            (
                [b"<?xml version='1.0' encoding='windows-1251'?><t>".as_slice(), &cp1251].concat(),
                Some("utf-8"),
                "Новости",
                Evidence::Declared,
            ),
            ([b"<t>".as_slice(), &cp1251].concat(), Some("windows-1251"), "Новости", Evidence::Http),
            ("<t>Новости</t>".as_bytes().to_vec(), None, "Новости", Evidence::ValidUtf8),
            // Declared UTF-8 but windows-1251 bytes: the label is a lie.
            (declared_utf8, None, "Новости", Evidence::Detected),
        ];
        for (bytes, http, want, evidence) in cases {
            let d = decode(&bytes, http);
            assert!(d.text.contains(want), "{:?} gave {:?}", evidence, d.text);
            assert_eq!(d.evidence, evidence, "{}", d.text);
        }
    }

    #[test]
    fn declarations_are_read_whatever_their_case_and_only_within_the_head() {
        let upper = b"<?XML VERSION='1.0' ENCODING='KOI8-R'?><rss/>";
        assert_eq!(declared_encoding(upper), Some(encoding_rs::KOI8_R));
        // `encoding` in the text after the declaration is not the declaration's.
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><rss encoding=\"koi8-r\"/>"), None);
        let late = format!("<html>{}<META Charset=\"koi8-r\">", " ".repeat(DECLARATION_SCAN));
        assert_eq!(declared_encoding(late.as_bytes()), None, "past the bytes searched");
        // A tag cut off at the end of the head is read as far as it goes.
        assert_eq!(declared_within(b"<p><meta charset=koi8-r", 1000), Some(encoding_rs::KOI8_R));
    }

    #[test]
    fn html_meta_charset_found_late() {
        let page = format!("<html><head><title>x</title>{}<meta charset=\"windows-1251\"></head>", " ".repeat(2000));
        assert_eq!(declared_encoding(page.as_bytes()), Some(encoding_rs::WINDOWS_1251));
        let page = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">";
        assert_eq!(declared_encoding(page.as_bytes()), Some(encoding_rs::KOI8_R));
    }

    #[test]
    fn declarations_are_stripped() {
        let cases = [
            ("<?xml version=\"1.0\"?><rss/>", "<rss/>"),
            ("\u{feff}<?xml version=\"1.0\"?>\n<rss><?xml version=\"1.0\" encoding=\"koi8-r\"?></rss>", "\n<rss></rss>"),
            ("<?xml-stylesheet href=\"a.xsl\"?><rss/>", "<?xml-stylesheet href=\"a.xsl\"?><rss/>"),
            ("<rss/><?xml unterminated", "<rss/>"),
        ];
        for (input, want) in cases {
            assert_eq!(prepare_xml(input), want, "{input:?}");
        }
    }

    #[test]
    fn a_utf8_feed_is_read_in_place_and_others_are_decoded() {
        let feed = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss><title>Новости</title></rss>";
        let decoded = decode(feed.as_bytes(), None);
        assert!(matches!(decoded.text, Cow::Borrowed(_)), "valid UTF-8 is not copied");
        let xml = prepare_xml(&decoded.text);
        assert!(matches!(xml, Cow::Borrowed(_)), "a leading declaration is cut off, not copied around");
        assert_eq!(xml, "\n<rss><title>Новости</title></rss>");
        // The slow path still sees a second declaration and a stylesheet.
        let twice = "<?xml version=\"1.0\"?><rss><?xml version=\"1.0\"?></rss>";
        assert_eq!(prepare_xml(twice), "<rss></rss>");
        let styled = "<?xml version=\"1.0\"?><?xml-stylesheet href=\"a.xsl\"?><rss/>";
        assert_eq!(prepare_xml(styled), "<?xml-stylesheet href=\"a.xsl\"?><rss/>");
        let cp1251 =
            [b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><t>".as_slice(), &encoding_rs::WINDOWS_1251.encode("Новости").0].concat();
        let decoded = decode(&cp1251, None);
        assert!(matches!(decoded.text, Cow::Owned(_)));
        assert_eq!(prepare_xml(&decoded.text), "<t>Новости");
    }

    /// The labels a CMS keeps announcing after it moved to UTF-8.
    const CYRILLIC_LABELS: [&str; 8] = ["windows-1251", "cp1251", "koi8-r", "koi8-u", "iso-8859-5", "ibm866", "cp866", "x-mac-cyrillic"];

    #[test]
    fn utf8_under_a_single_byte_cyrillic_label_is_read_as_utf8() {
        let text = "<t>Новости Қазақстана «сегодня»</t>";
        for label in CYRILLIC_LABELS {
            let declared = format!("<?xml version=\"1.0\" encoding=\"{label}\"?>{text}");
            let page = format!("<html><head><meta charset=\"{label}\"></head><body>{text}</body></html>");
            let equiv = format!("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={label}\"></head>{text}");
            let cases = [
                ("declaration", decode(declared.as_bytes(), None)),
                ("HTTP", decode(text.as_bytes(), Some(label))),
                ("both", decode(declared.as_bytes(), Some(label))),
                ("meta", decode_page(page.as_bytes(), None)),
                ("http-equiv", decode_page(equiv.as_bytes(), Some(label))),
            ];
            for (place, d) in cases {
                assert!(d.text.contains(text), "{label} in the {place}: {}", d.text);
                assert_eq!((d.encoding, d.evidence), (UTF_8, Evidence::ValidUtf8), "{label} in the {place}");
            }
        }
        // With nothing to tell them apart (ASCII only), the label stands.
        assert_eq!(decode(b"<t>ok</t>", Some("windows-1251")).evidence, Evidence::Http);
        // Other labels are not second-guessed: valid UTF-8 can be Latin-1.
        assert_eq!(decode("<t>Новости</t>".as_bytes(), Some("iso-8859-1")).evidence, Evidence::Http);
    }

    #[test]
    fn genuine_single_byte_cyrillic_feeds_keep_their_labels() {
        let koi8 = include_bytes!("../../tests/fixtures/koi8r.xml");
        let d = decode(koi8, None);
        assert_eq!((d.encoding, d.evidence), (encoding_rs::KOI8_R, Evidence::Declared));
        assert!(d.text.contains("Ёлку установят на площади Республики"), "{}", d.text);
        let cp1251 = include_bytes!("../../data/demo/partner-1251.xml");
        let d = decode(cp1251, Some("windows-1251"));
        assert_eq!((d.encoding, d.evidence), (encoding_rs::WINDOWS_1251, Evidence::Declared));
        assert!(d.text.contains("Президент подписал бюджет на три года"), "{}", d.text);
        for label in CYRILLIC_LABELS {
            let encoding = Encoding::for_label(label.as_bytes()).unwrap();
            let (bytes, _, unmappable) = encoding.encode("<t>Ёлку установят, её ждут: «Қ» не в этой кодировке</t>");
            let d = decode(&bytes, Some(label));
            assert_eq!((d.encoding, d.evidence), (encoding, Evidence::Http), "{label} (unmappable: {unmappable})");
        }
    }

    /// In windows-1251 and KOI8 every Cyrillic letter is a byte from C0 up
    /// except Ё/ё (A8/B8, B3/A3); a UTF-8 lead byte is followed by bytes
    /// under C0. So two letters in a row, the second not Ё/ё, are never
    /// valid UTF-8, and every Russian word of two letters or more has such
    /// a pair: the rule above cannot take a genuine feed for UTF-8.
    #[test]
    fn two_cyrillic_letters_in_a_row_are_never_valid_utf8_in_cp1251_or_koi8() {
        let letters: Vec<char> = ('А'..='я').chain(['Ё', 'ё']).collect();
        for encoding in [encoding_rs::WINDOWS_1251, encoding_rs::KOI8_R, encoding_rs::KOI8_U] {
            for &a in &letters {
                for &b in letters.iter().filter(|&&b| b != 'Ё' && b != 'ё') {
                    let pair = format!("{a}{b}");
                    let (bytes, _, _) = encoding.encode(&pair);
                    assert!(std::str::from_utf8(&bytes).is_err(), "{}: {a}{b}", encoding.name());
                }
            }
        }
    }

    proptest::proptest! {
        /// Any text with one such pair in it, whatever surrounds it.
        #[test]
        fn cp1251_or_koi8_text_with_a_russian_word_is_never_utf8(
            before in "[ -~А-яЁё«»—…№]{0,40}",
            a in "[А-яЁё]",
            b in "[А-я]",
            after in "[ -~А-яЁё«»—…№]{0,40}",
        ) {
            for encoding in [encoding_rs::WINDOWS_1251, encoding_rs::KOI8_R] {
                let text = format!("{before}{a}{b}{after}");
                let (bytes, _, _) = encoding.encode(&text);
                proptest::prop_assert!(std::str::from_utf8(&bytes).is_err());
                proptest::prop_assert_eq!(decode(&bytes, Some(encoding.name())).encoding, encoding);
            }
        }
    }
}
