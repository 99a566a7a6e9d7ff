use std::collections::HashMap;
use std::time::Duration;

use chrono::TimeZone;

use super::*;

fn source() -> Source {
    Source {
        name: "Liter.kz".into(),
        region: Some("almaty".into()),
        interval: Duration::from_secs(600),
        categories: HashMap::from([("спорт".to_string(), "sport".to_string())]),
        exclude: vec![regex::Regex::new("(?i)реклама").unwrap()],
        ..Source::example("liter", ::url::Url::parse("https://liter.kz/rss").unwrap())
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn entry(title: &str) -> Entry {
    Entry { title: Some(title.into()), link: Some("/news/1?utm_source=rss#top".into()), ..Entry::default() }
}

#[test]
fn entry_becomes_clean_item() {
    let s = source();
    let n = Normalizer::new(&s, &::url::Url::parse("https://liter.kz/rss").unwrap(), now());
    let e = Entry {
        guid: None,
        summary: Some("<p onclick=\"x()\">Текст&nbsp;новости <img src=\"/a.jpg\"></p>".into()),
        authors: vec!["  Айгуль  ".into()],
        categories: vec![" Спорт ".into()],
        published: Some(Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0).unwrap()),
        ..entry("  Сенат&nbsp;принял   закон ")
    };
    let item = n.normalize(e).unwrap();
    assert_eq!(item.title, "Сенат принял закон");
    assert_eq!(item.link.as_deref(), Some("https://liter.kz/news/1"));
    assert_eq!(item.canonical_link.as_deref(), Some("https://liter.kz/news/1"));
    assert_eq!(item.guid, "https://liter.kz/news/1", "no GUID: keyed on the canonical link");
    assert_eq!(item.summary_html.as_deref(), Some("<p>Текст&nbsp;новости <img src=\"https://liter.kz/a.jpg\"></p>"));
    assert_eq!(item.text, "Текст новости");
    assert_eq!(item.author.as_deref(), Some("Айгуль"));
    assert_eq!(item.category, "sport", "the source's categories map applies to the entry's own terms");
    assert_eq!(item.region.as_deref(), Some("almaty"));
    assert_eq!(item.language.as_deref(), Some("ru"));
    assert_eq!(item.published_at, Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0).unwrap());
}

#[test]
fn defaults_exclusions_and_fallbacks() {
    let s = source();
    let base = ::url::Url::parse("https://liter.kz/rss").unwrap();
    let n = Normalizer::new(&s, &base, now());
    // Excluded by the source's regex.
    assert_eq!(n.normalize(entry("РЕКЛАМА: лучшие кредиты")), None);
    // Nothing to show.
    assert_eq!(n.normalize(Entry::default()), None);
    // A future date becomes the first-seen time; the default category applies.
    let future = Entry { published: Some(now() + chrono::Duration::days(2)), ..entry("Заголовок") };
    let item = n.normalize(future).unwrap();
    assert_eq!(item.published_at, now());
    assert_eq!(item.category, "politics");
    // No title: the first words of the text stand in.
    let untitled = Entry {
        title: None, summary: Some("Қазақстанда жаңа заң қабылданды және ол күшіне енді".into()), ..Entry::default()
    };
    let item = n.normalize(untitled).unwrap();
    assert!(item.title.starts_with("Қазақстанда жаңа заң"));
    assert_eq!(item.language.as_deref(), Some("kk"));
    assert_eq!(item.guid, format!("title:{}", item.title.to_lowercase()));
    // javascript: links are dropped, not published.
    let hostile = Entry { link: Some("javascript:alert(1)".into()), guid: Some("g1".into()), ..entry("Опасная ссылка") };
    let item = n.normalize(hostile).unwrap();
    assert_eq!(item.link, None);
    assert_eq!(item.guid, "g1");
    // A 5,000-character title is cut at a word.
    let long = entry(&"слово ".repeat(1000));
    assert!(n.normalize(long).unwrap().title.chars().count() <= MAX_TITLE_CHARS + 1);
}

proptest::proptest! {
    /// On collapsed text the prefix is exactly the words joined by spaces.
    #[test]
    fn first_words_of_collapsed_text_are_its_first_words_joined(raw in "[ \\t\\nа-яa-z0-9.\u{a0}\u{200b}<>&;]{0,60}", n in 0usize..12) {
        let text = text::html_to_text(&raw);
        let joined = text.split_whitespace().take(n).collect::<Vec<_>>().join(" ");
        proptest::prop_assert_eq!(first_words(&text, n), joined.as_str());
    }
}
