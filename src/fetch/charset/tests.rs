//! Tests of `fetch::charset`: the order of evidence, declarations read and
//! stripped, and labels that lie in either direction (UTF-8 claimed for
//! windows-1251 bytes; a single-byte Cyrillic charset claimed for UTF-8),
//! with the proof that genuine windows-1251/KOI8 text is never valid UTF-8.

use super::*;

#[test]
fn evidence_order() {
    let cp1251 = encoding_rs::WINDOWS_1251.encode("Новости").0.into_owned();
    let mut declared_utf8 = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>".to_vec();
    declared_utf8.extend_from_slice(&cp1251);
    let cases: Vec<(Vec<u8>, Option<&str>, &str, Evidence)> = vec![
        ("\u{feff}<t>Новости</t>".as_bytes().to_vec(), Some("windows-1251"), "Новости", Evidence::Bom),
        ([b"<?xml version='1.0' encoding='windows-1251'?><t>".as_slice(), &cp1251].concat(), Some("utf-8"), "Новости", Evidence::Declared),
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
    let koi8 = include_bytes!("../../../tests/fixtures/koi8r.xml");
    let d = decode(koi8, None);
    assert_eq!((d.encoding, d.evidence), (encoding_rs::KOI8_R, Evidence::Declared));
    assert!(d.text.contains("Ёлку установят на площади Республики"), "{}", d.text);
    let cp1251 = include_bytes!("../../../data/demo/partner-1251.xml");
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
    /// Any text with one such pair in it, whatever surrounds it. Neither
    /// letter of the pair is Ё/ё: a letter before an `ё` can take its byte
    /// as a UTF-8 continuation (`Вё` is C2 B8, U+00B8), and the pair after
    /// it is then no longer two letters in a row (found by this test).
    #[test]
    fn cp1251_or_koi8_text_with_a_russian_word_is_never_utf8(
        before in "[ -~А-яЁё«»—…№]{0,40}",
        a in "[А-я]",
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
