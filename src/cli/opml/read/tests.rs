//! Tests of `cli::opml::read`: the readers' dialects, Thunderbird's
//! wrapper folders, syndic's attributes, encodings and broken files.

use super::*;

fn feeds(text: &str) -> Vec<Feed> {
    read(text.as_bytes()).unwrap().feeds
}

#[test]
fn dialects_name_feeds_and_folders_alike() {
    let doc = "<opml version=\"1.0\"><body>
<outline title=\"Политика\">
  <outline text=\"Тенгри\" title=\"Tengrinews\" type=\"rss\" xmlUrl=\"https://tengrinews.kz/rss\"/>
  <outline text=\"Orda\" xmlurl=\"https://orda.kz/feed/\"/>
  <outline TITLE=\"Kursiv\" type=\"RSS\" url=\"https://kursiv.kz/feed\"/>
</outline>
<outline text=\"Экономика\"><outline text=\"Без названия\" type=\"atom\" XMLURL=\"https://kapital.kz/feed\"/></outline>
<outline xmlUrl=\"https://noname.kz/rss\"/>
</body></opml>";
    let got: Vec<(String, String, Vec<String>)> = feeds(doc).into_iter().map(|f| (f.title, f.url, f.folders)).collect();
    let want = [
        ("Tengrinews", "https://tengrinews.kz/rss", vec!["Политика"]),
        ("Orda", "https://orda.kz/feed/", vec!["Политика"]),
        ("Kursiv", "https://kursiv.kz/feed", vec!["Политика"]),
        ("Без названия", "https://kapital.kz/feed", vec!["Экономика"]),
        ("https://noname.kz/rss", "https://noname.kz/rss", vec![]),
    ];
    let want: Vec<(String, String, Vec<String>)> =
        want.into_iter().map(|(t, u, f)| (t.to_string(), u.to_string(), f.into_iter().map(String::from).collect())).collect();
    assert_eq!(got, want);
}

#[test]
fn thunderbird_wrappers_are_dropped_but_a_folder_of_several_is_kept() {
    let doc =
        "<opml version=\"1.0\" xmlns:fz=\"urn:forumzilla:\"><head><title>Thunderbird OPML Export - Ленты &amp; новости</title></head><body>
<outline title=\"Ленты &amp; новости\">
  <outline title=\"Спорт\">
    <outline title=\"Vesti.kz\"><outline type=\"rss\" title=\"Vesti.kz\" fz:quickMode=\"false\" xmlUrl=\"https://vesti.kz/rss/\"/></outline>
    <outline title=\"Sports.kz\">
      <outline type=\"rss\" title=\"Sports.kz\" xmlUrl=\"https://sports.kz/rss\"/>
      <outline type=\"rss\" title=\"Sports.kz — футбол\" xmlUrl=\"https://sports.kz/rss/football\"/>
    </outline>
  </outline>
</outline>
</body></opml>";
    let got: Vec<Vec<String>> = feeds(doc).into_iter().map(|f| f.folders).collect();
    assert_eq!(got, [vec!["Спорт".to_string()], vec!["Спорт".into(), "Sports.kz".into()], vec!["Спорт".into(), "Sports.kz".into()]]);
}

#[test]
fn syndic_attributes_by_namespace_not_prefix() {
    let doc = format!(
        "<opml xmlns:s=\"{SYNDIC_NAMESPACE}\" xmlns:other=\"urn:x\"><head><s:region slug=\"almaty\" title=\"Алматы\"/></head><body>
<outline text=\"A\" xmlUrl=\"https://a.kz/rss\" s:id=\"a\" s:kind=\"regional\" other:id=\"nope\"/>
<outline text=\"B\" xmlUrl=\"https://b.kz/rss\" syndicId=\"b-old\" syndicKind=\"partner\"/>
</body></opml>"
    );
    let doc = read(doc.as_bytes()).unwrap();
    assert_eq!(doc.regions, [("almaty".to_string(), "Алматы".to_string())]);
    let attrs: Vec<Vec<(String, String)>> = doc.feeds.iter().map(|f| f.syndic.clone().into_iter().collect()).collect();
    assert_eq!(attrs[0], [("id".to_string(), "a".to_string()), ("kind".into(), "regional".into())]);
    assert_eq!(attrs[1], [("id".to_string(), "b-old".to_string()), ("kind".into(), "partner".into())]);
}

#[test]
fn windows_1251_files_are_decoded() {
    let text = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><opml><body><outline text=\"Экономика\"><outline text=\"Капитал\" xmlUrl=\"https://kapital.kz/feed\"/></outline></body></opml>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let got = read(&bytes).unwrap().feeds;
    assert_eq!(got[0].title, "Капитал");
    assert_eq!(got[0].folders, ["Экономика"]);
}

#[test]
fn broken_files_are_errors_not_panics() {
    let cases = [
        "<opml><body><outline text=\"a\" xmlUrl=\"https://a.kz\"></body></opml>",
        "<opml><body><outline text=\"a\" xmlUrl=\"https://a.kz\"/>",
        "<opml><body><outline text=\"a & b\" xmlUrl=\"https://a.kz\"/></body></opml></extra>",
        "\u{feff}<?xml version=\"1.0\"?><?xml version=\"1.0\" encoding=\"koi8-r\"?><opml><body></body></opml",
        "<html><body>not opml</body></html>",
        "",
        "   ",
    ];
    for text in cases {
        assert!(read(text.as_bytes()).is_err(), "{text:?} was accepted");
    }
}
