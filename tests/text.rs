//! Text from upstream, end to end through `syndic fetch`: charset labels
//! that lie (UTF-8 bytes announced as windows-1251 or KOI8-R in the XML
//! declaration, the HTTP header or an article page's `<meta>`) and
//! invisible characters (zero-width, bidi controls, tag characters) that
//! would slip a title past a source's `exclude` rule. Genuine single-byte
//! Cyrillic feeds are fetched beside them and must still read right.

mod common;

use common::{Setup, TestSource, Upstream};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn rss(declaration: &str, items: &[(&str, &str)]) -> Vec<u8> {
    let mut xml = format!("{declaration}<rss version=\"2.0\"><channel><title>Лента</title><link>https://l.example.kz/</link>");
    for (slug, title) in items {
        xml.push_str(&format!(
            "<item><title>{title}</title><link>https://l.example.kz/{slug}</link><description>Подробности: {title}</description></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

fn titles(s: &Setup, source: &str) -> Vec<String> {
    let db = s.db();
    let mut stmt = db.prepare("SELECT title FROM items WHERE source_id = ?1 ORDER BY title").unwrap();
    stmt.query_map([source], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// UTF-8 under a windows-1251 declaration, under a KOI8-R HTTP charset,
/// and an article page under `<meta charset="windows-1251">` all come out
/// as Cyrillic; a real windows-1251 and a real KOI8-R feed still do too.
#[test]
fn utf8_under_a_cyrillic_single_byte_label_is_read_as_utf8() {
    let up = Upstream::start();
    let base = format!("http://{}", up.addr);
    let declared = rss("<?xml version=\"1.0\" encoding=\"windows-1251\"?>", &[("d1", "Ёлка на площади Республики")]);
    let http = rss("", &[("h1", "Қазақстанда жаңа мектеп ашылды")]);
    // An article page converted to UTF-8 that kept its old <meta>.
    let page = String::from_utf8(fixture("tests/fixtures/pages/tengri-style.html"))
        .unwrap()
        .replace("<meta charset=\"utf-8\">", "<meta charset=\"windows-1251\">");
    assert!(page.contains("windows-1251"));
    up.put("most.html", page.into_bytes(), "text/html");
    let pages = format!(
        "<rss version=\"2.0\"><channel><title>p</title><link>{base}/</link><item><title>Мост через Бадам</title>\
         <link>{base}/most.html</link><description>Анонс</description></item></channel></rss>"
    );
    let sources = [
        ("declared", up.put("declared.xml", declared, "application/rss+xml")),
        ("http", up.put("http.xml", http, "application/rss+xml; charset=koi8-r")),
        ("page", up.put("pages.xml", pages.into_bytes(), "application/rss+xml")),
        ("cp1251", up.put("cp1251.xml", fixture("data/demo/partner-1251.xml"), "application/rss+xml")),
        ("koi8", up.put("koi8.xml", fixture("tests/fixtures/koi8r.xml"), "application/rss+xml; charset=koi8-r")),
    ];
    let list: Vec<TestSource> =
        sources.iter().map(|(id, url)| TestSource { id, url: url.clone(), kind: "partner", category: "world", priority: 0 }).collect();
    let s = Setup::new(&list);
    s.source_keys("page", r#"full_text = { selector = "article.news-article", remove = [".news-meta"] }"#);
    let out = s.syndic(&["fetch", "--all"]);
    assert!(out.status.success());

    assert_eq!(titles(&s, "declared"), ["Ёлка на площади Республики"]);
    assert_eq!(titles(&s, "http"), ["Қазақстанда жаңа мектеп ашылды"]);
    let full: String = s.db().query_row("SELECT full_html FROM items WHERE source_id = 'page'", [], |r| r.get(0)).unwrap();
    assert!(full.contains("реконструкцию ещё двух мостов"), "page mis-decoded: {full}");
    // Genuine legacy feeds keep decoding by their labels.
    assert!(titles(&s, "cp1251").contains(&"Президент подписал бюджет на три года".to_string()), "{:?}", titles(&s, "cp1251"));
    assert!(titles(&s, "koi8").contains(&"Ёлку установят на площади Республики".to_string()), "{:?}", titles(&s, "koi8"));
}

/// Zero-width, bidi and tag characters are gone before the source's
/// `exclude` rule and dedup see a title: "Рек\u{2060}лама" is excluded,
/// and what is stored (title, text, summary, author) carries none of them.
#[test]
fn invisible_characters_do_not_slip_a_title_past_exclude() {
    let up = Upstream::start();
    let hidden = [
        "Рек\u{200b}лама: кредит без справок",
        "Рек\u{2060}лама: вклады под 20%",
        "Ре\u{34f}кла\u{200d}ма: шубы со скидкой",
        "\u{202e}Реклама: ремонт квартир",
        "\u{3164}Рекл\u{e0041}ама: курсы английского",
    ];
    let mut xml = String::from("<rss version=\"2.0\"><channel><title>z</title><link>https://z.example.kz/</link>");
    for (i, title) in hidden.iter().enumerate() {
        xml.push_str(&format!("<item><title>{title}</title><link>https://z.example.kz/ad{i}</link></item>"));
    }
    xml.push_str(
        "<item><title>Мост\u{200b} через\u{2066} Бадам\u{2069} открыт\u{feff}</title><link>https://z.example.kz/most</link>\
         <author>news@z.kz (Айгуль\u{200f} Нурланова\u{202c})</author>\
         <description>&lt;p&gt;Движение&amp;#x200B; открыто\u{2060} по\u{180e} новому мосту 👩\u{200d}⚕&lt;/p&gt;</description></item></channel></rss>",
    );
    let url = up.put("z.xml", xml.into_bytes(), "application/rss+xml");
    let s = Setup::new(&[TestSource { id: "z", url, kind: "partner", category: "world", priority: 0 }]);
    s.source_keys("z", r#"exclude = ["(?i)^реклама"]"#);
    let out = s.syndic(&["fetch", "--all"]);
    assert!(out.status.success());
    assert_eq!(titles(&s, "z"), ["Мост через Бадам открыт"], "every advert excluded, the story stored clean");
    let (summary, text, author): (String, String, String) =
        s.db().query_row("SELECT summary_html, text, author FROM items", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    assert_eq!(summary, "<p>Движение открыто по новому мосту 👩\u{200d}⚕</p>", "the emoji keeps its joiner");
    assert_eq!(text, "Движение открыто по новому мосту 👩\u{200d}⚕");
    assert_eq!(author, "Айгуль Нурланова");
}
