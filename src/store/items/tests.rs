//! Group ingest with a failing feed, the slices a feed touches, and the
//! site shortcut.

use super::*;
use crate::config::Source;
use crate::dedup::site;

const NATO: (&str, &str) = (
    "Генсек НАТО призвал Грузию готовиться к членству",
    "Генеральный секретарь НАТО Йенс Столтенберг призвал Грузию готовиться к членству в Альянсе, передает Liter.kz.",
);
const NATO_RETOLD: (&str, &str) = (
    "Генсек НАТО призвал Грузию ускорить подготовку к членству в Альянсе",
    "Генеральный секретарь НАТО Йенс Столтенберг призвал Грузию ускорить подготовку к членству в Альянсе, сообщает Kazinform.",
);
const BUDGET: (&str, &str) = (
    "Мажилис одобрил поправки в Налоговый кодекс для малого бизнеса",
    "Депутаты мажилиса одобрили в первом чтении поправки в Налоговый кодекс, снижающие ставки для малого бизнеса и фермеров.",
);
const BUDGET_RETOLD: (&str, &str) = (
    "Мажилис одобрил в первом чтении поправки в Налоговый кодекс для малого бизнеса",
    "Депутаты мажилиса одобрили в первом чтении поправки в Налоговый кодекс, снижающие ставки для малого бизнеса и фермеров, сообщает Zakon.kz.",
);

fn feed(source: &str, from: usize, stories: &[(&str, &str)], matcher: &Matcher) -> (Vec<Item>, Vec<Fingerprint>) {
    let items: Vec<Item> = stories.iter().enumerate().map(|(n, (t, x))| Item::sample(source, from + n, t, x)).collect();
    let prints = items.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
    (items, prints)
}

#[test]
fn a_failing_feed_in_a_group_leaves_nothing_and_the_others_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("m.db")).unwrap();
    let sources: Vec<Source> =
        ["a", "b", "c", "d"].iter().map(|id| Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap())).collect();
    store.sync_sources(&sources).unwrap();
    let m = Matcher::default();
    let now = chrono::Utc::now().timestamp();
    let a = feed("a", 0, &[NATO], &m);
    // Feed "b" stores one good row, then breaks the foreign key.
    let mut b = feed("b", 0, &[BUDGET, ("Третья новость без пары", "Совсем другой текст о погоде в горах Алатау и снеге.")], &m);
    b.0[1].source_id = "ghost".into();
    let c = feed("c", 0, &[("Аким Алматы открыл новую школу", "В Наурызбайском районе открылась школа на 1200 мест.")], &m);
    let group = [
        FeedItems { items: &a.0, prints: &a.1, priority: 0, now, record: None },
        FeedItems { items: &b.0, prints: &b.1, priority: 0, now, record: None },
        FeedItems { items: &c.0, prints: &c.1, priority: 0, now, record: None },
    ];
    let results = store.ingest_many(&group, &m).unwrap();
    assert_eq!(results[0].as_ref().map(|r| r.0.new).ok(), Some(1));
    assert!(results[1].as_ref().is_err_and(|e| e.to_string().contains("FOREIGN KEY")), "{:?}", results[1].as_ref().err());
    assert_eq!(results[2].as_ref().map(|r| r.0.new).ok(), Some(1));
    assert_eq!(store.counts().unwrap(), (2, 0), "b's good row went with its bad one");
    assert_eq!(store.bands.len(), a.1[0].bands.len() + c.1[0].bands.len(), "band keys of stored items only, each once");
    // A retelling of a's story is found through a's band keys; one of
    // b's story is not (its keys went with its rows).
    let d = feed("d", 0, &[NATO_RETOLD, BUDGET_RETOLD], &m);
    let (stats, _) = store.ingest(&d.0, &d.1, 0, now, &m).unwrap();
    assert_eq!((stats.new, stats.duplicates), (2, 1));
    assert_eq!(store.counts().unwrap(), (4, 1));
}

#[test]
fn site_agrees_with_a_full_url_parse_on_stored_links() {
    let full = |l: &str| url::Url::parse(l).ok().and_then(|u| u.host_str().map(|h| h.trim_start_matches("www.").to_string()));
    for link in [
        "https://www.tengrinews.kz/kazakhstan_news/x-123/",
        "https://kaz.inform.kz:8443/ru/a?id=1#top",
        "http://user:pw@www.zakon.kz/news",
        "https://[2001:db8::1]:8080/feed",
        "http://127.0.0.1/f/1.xml",
        "https://xn--80ak6aa92e.xn--p1ai/путь",
        "https://inform.kz",
        "https://inform.kz?x=1",
    ] {
        let normalized = url::Url::parse(link).map(String::from).unwrap_or_default();
        assert_eq!(site(&normalized).map(str::to_string), full(&normalized), "{normalized}");
    }
    assert_eq!(site("not a link"), None);
}

#[test]
fn a_feed_touches_the_slices_of_every_category_and_region_among_its_new_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let source = Source::example("p", url::Url::parse("https://p.kz/rss").unwrap());
    store.sync_sources(&[source]).unwrap();
    let m = Matcher::default();
    let stories = [
        ("Аким Алматы открыл новую школу", "В Наурызбайском районе открылась школа на 1200 мест."),
        ("В Астане прошел турнир по дзюдо", "Спортсмены из двенадцати стран боролись за медали чемпионата."),
        ("Нацбанк сохранил базовую ставку", "Базовая ставка осталась на прежнем уровне, решил совет директоров."),
        ("В Шымкенте отремонтируют дороги", "Ремонт затронет сорок улиц города в течение летнего сезона."),
    ];
    let (mut items, prints) = feed("p", 0, &stories, &m);
    // Consecutive items share a category and region, then change them.
    for (item, (category, region)) in items.iter_mut().zip([
        ("politics", Some("almaty")),
        ("politics", Some("almaty")),
        ("economy", Some("almaty")),
        ("economy", Some("astana")),
    ]) {
        item.category = category.into();
        item.region = region.map(String::from);
    }
    let (stats, touched) = store.ingest(&items, &prints, 0, chrono::Utc::now().timestamp(), &m).unwrap();
    assert_eq!(stats.new, 4);
    let want: BTreeSet<Slice> = [
        Slice::All,
        Slice::Partners,
        Slice::Category("politics".into()),
        Slice::Category("economy".into()),
        Slice::Region("almaty".into()),
        Slice::CategoryRegion("politics".into(), "almaty".into()),
        Slice::CategoryRegion("economy".into(), "almaty".into()),
        Slice::Region("astana".into()),
        Slice::CategoryRegion("economy".into(), "astana".into()),
    ]
    .into_iter()
    .collect();
    assert_eq!(touched.slices, want);
}
