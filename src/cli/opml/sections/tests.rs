//! Tests of `cli::opml::sections`: which folder names which category, and the
//! slugs new categories get.

use super::*;

fn index() -> Index {
    let s = |slug: &str, title: &str| Section { slug: slug.into(), title: title.into() };
    Index::of(&[s("politics", "Политика"), s("society", "Общество"), s("world", "В мире"), s("sport", "Спорт"), s("qazaq", "Қазақ тілі")])
}

#[test]
fn folders_find_categories_by_title_slug_or_transliteration() {
    let cases = [
        ("Политика", Some("politics")),
        ("политика", Some("politics")),
        ("ПОЛИТИКА", Some("politics")),
        ("  Политика ", Some("politics")),
        ("politika", Some("politics")),
        ("Politika", Some("politics")),
        ("politics", Some("politics")),
        ("Politics", Some("politics")),
        ("в  мире", Some("world")),
        ("v-mire", Some("world")),
        ("SPORT", Some("sport")),
        ("Қазақ тілі", Some("qazaq")),
        ("qazaq tili", Some("qazaq")),
        ("Культура", None),
        ("", None),
        ("★", None),
    ];
    let index = index();
    for (folder, want) in cases {
        assert_eq!(index.find(folder).as_deref(), want, "{folder:?}");
    }
}

#[test]
fn new_categories_get_free_transliterated_slugs() {
    let configured = index();
    let mut new = Index::default();
    let mut add = |title: &str| {
        let section = new.section(title, &configured);
        make(&mut new, Choice::New(section))
    };
    assert_eq!(add("Культура"), "kultura");
    assert_eq!(add("Kultura!"), "kultura-2");
    assert_eq!(add("Все"), "vse");
    assert_eq!(add("All"), "all-2", "reserved for the built-in feed");
    assert_eq!(add("★"), "category");
}
