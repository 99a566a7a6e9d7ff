//! `syndic opml export` run as an admin runs it, and export → import on
//! another node giving back the same sources.

#[path = "opml/admin.rs"]
mod admin;

use admin::{Admin, SOURCES, pairs};

/// Every field the export carries comes back: id, name, url, kind,
/// category (and its title), region (and its title), priority, interval,
/// enabled.
#[test]
fn export_then_import_round_trips_every_exported_field() {
    let from = Admin::new(&format!(
        "{SOURCES}
[[source]]
id = \"almaty-desk\"
name = \"Редакция «Алматы» & партнёры\"
url = \"https://almaty.example.kz/rss?lang=ru&section=1\"
kind = \"regional\"
category = \"regions\"
region = \"almaty\"
priority = 20
interval = \"10m\"

[[source]]
id = \"old-partner\"
name = \"Старый партнёр\"
url = \"https://old.example.kz/feed\"
kind = \"partner\"
category = \"world\"
priority = -5
enabled = false
"
    ));
    let export = from.syndic(&["opml", "export"]);
    assert_eq!(export.code, Some(0), "{}", export.stderr);
    assert!(export.stdout.contains("xmlns:syndic="), "{}", export.stdout);
    let file = from.dir.path().join("export.opml");
    std::fs::write(&file, &export.stdout).unwrap();

    let to = Admin::new("# a fresh install\n");
    let run = to.import(&file, &["--create-categories"]);
    assert!(run.stdout.contains("added 3 sources"), "{}", run.stdout);
    let load = |a: &Admin| syndic::config::load(&a.dir.path().join("syndic.toml")).unwrap();
    let (a, b) = (load(&from), load(&to));
    let fields = |c: &syndic::config::Config| -> Vec<String> {
        c.sources
            .iter()
            .map(|s| {
                let title = |slug: &str| c.category(slug).map(|x| x.title.clone());
                let region = s.region.as_deref().and_then(|r| c.region(r)).map(|r| r.title.clone());
                format!(
                    "{} {:?} {} {} {} {:?} {:?} {:?} {} {:?} {}",
                    s.id,
                    s.name,
                    s.url,
                    s.kind.as_str(),
                    s.category,
                    title(&s.category),
                    s.region,
                    region,
                    s.priority,
                    s.interval,
                    s.enabled
                )
            })
            .collect()
    };
    let mut want = fields(&a);
    let mut got = fields(&b);
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // The copy exports the same file again: empty categories and regions
    // came along too.
    assert_eq!(to.syndic(&["opml", "export"]).stdout, export.stdout);
}

/// A node whose categories and regions have other slugs: the exported
/// ones are found by title, not made a second time.
#[test]
fn an_export_lands_in_the_categories_and_regions_titled_alike() {
    let from = Admin::new(&format!(
        "{SOURCES}
[[source]]
id = \"almaty-desk\"
name = \"Редакция Алматы\"
url = \"https://almaty.example.kz/rss\"
kind = \"regional\"
category = \"regions\"
region = \"almaty\"
"
    ));
    let file = from.dir.path().join("export.opml");
    std::fs::write(&file, from.syndic(&["opml", "export"]).stdout).unwrap();
    let to = Admin::new(
        "[[category]]\nslug = \"politika\"\ntitle = \"Политика\"\n\n[[category]]\nslug = \"regiony\"\ntitle = \"РЕГИОНЫ\"\n\n[[region]]\nslug = \"almaty-city\"\ntitle = \"Алматы\"\n",
    );
    let run = to.import(&file, &["--create-categories"]);
    assert_eq!(to.placed(), pairs(&[("tengri-politics", "politika"), ("almaty-desk", "regiony")]), "{}", run.stdout);
    assert_eq!(to.source("almaty-desk").region.as_deref(), Some("almaty-city"));
    let text = to.sources();
    for twin in ["slug = \"politics\"", "slug = \"regions\"", "slug = \"almaty\""] {
        assert!(!text.contains(twin), "{twin} made again:\n{text}");
    }
    assert!(text.contains("slug = \"sport\"\ntitle = \"Спорт\""), "an empty category did not come along:\n{text}");
}

/// The export's head said `syndic — источники` whatever `[daemon] title`
/// was; feeds.opml already used the title.
#[test]
fn export_is_titled_with_the_daemon_title() {
    let admin = Admin::new(SOURCES);
    let settings = "[daemon]\ndatabase = \"syndic.db\"\nsources = \"sources.toml\"\ntitle = \"Новости Казахстана & Co\"\n";
    std::fs::write(admin.dir.path().join("syndic.toml"), settings).unwrap();
    let run = admin.syndic(&["opml", "export"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("<title>Новости Казахстана &amp; Co — источники</title>"), "{}", run.stdout);
}
