//! `syndic opml import` run as an admin runs it, on OPML
//! shaped like what Feedly, Inoreader, Thunderbird, Miniflux and FreshRSS
//! export (`tests/fixtures/opml/`), and on hostile files; `opml_export.rs`
//! has export and the round trip.

use std::process::Command;

#[path = "opml/admin.rs"]
mod admin;

use admin::{Admin, SOURCES, fixture, pairs};

/// The symptoms of #26: everything landed in the first category, a feed
/// in two folders became two sources, a known feed was skipped silently.
#[test]
fn feedly_folders_become_categories_and_a_feed_in_two_folders_is_one_source() {
    let admin = Admin::new(SOURCES);
    let run = admin.import(&fixture("feedly.opml"), &[]);
    assert_eq!(
        admin.placed(),
        pairs(&[("tengri-politics", "politics"), ("informburo", "politics"), ("kapital", "economy")]),
        "{}",
        run.stdout
    );
    let out = &run.stdout;
    assert!(out.contains("added 2 sources"), "{out}");
    assert!(
        out.contains("https://informburo.kz/rss in «Политика», «Экономика»: category from folder «Политика» (the first folder in the file that is a category)"),
        "{out}"
    );
    assert!(out.contains("https://tengrinews.kz/rss/politics/ (Tengrinews — Политика) is source \"tengri-politics\""), "{out}");
    assert!(out.contains("folder «Культура» is not a category (--create-categories makes it one"), "{out}");
    assert!(out.contains("https://voxpopuli.kz/feed/ (Vox Populi)"), "{out}");
    assert!(!admin.sources().contains("voxpopuli"), "a folder that is no category imported its feeds");
    assert!(admin.syndic(&["check"]).stdout.starts_with("ok: 3 sources"));
}

#[test]
fn inoreader_folders_match_by_transliteration_and_case_and_new_ones_are_created() {
    let admin = Admin::new(SOURCES);
    let run = admin.import(&fixture("inoreader.opml"), &["--create-categories"]);
    assert_eq!(
        admin.placed(),
        pairs(&[
            ("tengri-politics", "politics"),
            ("inform-sayasat", "politics"), // folder "politika": «Политика» transliterated
            ("zakon-news", "society"),      // folder "ОБЩЕСТВО"
            ("nur-yandex", "society"),
            ("egemen", "qogam"), // folder «Қоғам», created
            ("azattyq-zrqiteuuir", "qogam"),
            ("vesti-football", "sport"), // folder "Sport"
        ]),
        "{}",
        run.stdout
    );
    let text = admin.sources();
    assert!(text.starts_with(SOURCES), "the admin's text and comments are kept verbatim");
    assert!(text.contains("[[category]]\nslug = \"qogam\"\ntitle = \"Қоғам\"\n"), "{text}");
    assert!(run.stdout.contains("category qogam «Қоғам»"), "{}", run.stdout);
    // Tracking parameters are not part of the feed's address.
    assert_eq!(admin.source("zakon-news").url.as_str(), "http://zakon.kz/rss/news.xml");
}

#[test]
fn thunderbird_account_and_per_feed_folders_are_seen_through() {
    let admin = Admin::new(SOURCES);
    let run = admin.import(&fixture("thunderbird.opml"), &["--create-categories"]);
    assert_eq!(admin.placed(), pairs(&[("tengri-politics", "politics"), ("orda", "politics"), ("kz-kursiv", "economy")]), "{}", run.stdout);
    // Neither the account («Новости Казахстана») nor a feed's own folder
    // («Курсив») became a category.
    assert!(!admin.sources().contains("[[category]]\nslug = \"novosti"), "{}", admin.sources());
    assert!(!admin.sources().contains("slug = \"kursiv\""), "{}", admin.sources());
    assert!(run.stdout.contains("is source \"tengri-politics\""), "{}", run.stdout);
}

#[test]
fn miniflux_and_freshrss_exports() {
    let admin = Admin::new(SOURCES);
    let run = admin.import(&fixture("miniflux.opml"), &["--category", "society"]);
    assert_eq!(
        admin.placed(),
        pairs(&[
            ("tengri-politics", "politics"),
            ("lada", "society"), // Miniflux's "All": not a category, so --category
            ("uralskweek", "regions"),
            ("time-almaty", "regions"),
            ("kapital", "economy"),
        ]),
        "{}",
        run.stdout
    );
    // --create-categories does not make categories of the readers'
    // catch-all folders («Без категории», "All").
    let run = admin.import(&fixture("freshrss.opml"), &["--create-categories"]);
    let out = &run.stdout;
    assert!(out.contains("added 2 sources"), "{out}");
    assert!(out.contains("line 13: «Акорда» is type=\"html+xpath\", a web page, not a feed"), "{out}");
    assert!(out.contains("in the reader's catch-all folder «Без категории» (--category SLUG puts them in one):"), "{out}");
    assert!(!admin.sources().contains("bez-kategorii"), "{}", admin.sources());
    assert_eq!(admin.source("liter-politics").name, "Liter.kz — Политика", "character references decoded");
    assert_eq!(admin.source("astanatimes").category, "world", "folder «В мире» is the category titled so");
}

#[test]
fn dry_run_prints_the_toml_and_changes_nothing() {
    let admin = Admin::new(SOURCES);
    let dry = admin.import(&fixture("feedly.opml"), &["--create-categories", "--dry-run"]);
    assert_eq!(admin.sources(), SOURCES, "--dry-run wrote the source list");
    assert!(dry.stdout.contains("would add 4 sources"), "{}", dry.stdout);
    let marker = "this would be appended to";
    let at = dry.stdout.find(marker).unwrap_or_else(|| panic!("{}", dry.stdout));
    let toml = dry.stdout[at..].split_once("\n\n").map(|(_, t)| t).unwrap();
    assert!(toml.contains("[[category]]\nslug = \"kultura\"\ntitle = \"Культура\"\n"), "{toml}");
    assert!(toml.contains("id = \"esquire\"\nname = \"Esquire Казахстан\"\nurl = \"https://esquire.kz/feed/\""), "{toml}");

    let real = admin.import(&fixture("feedly.opml"), &["--create-categories"]);
    assert_eq!(admin.sources(), format!("{SOURCES}\n{toml}"), "the real run appended something else");
    assert!(real.stdout.contains("added 4 sources"), "{}", real.stdout);
}

#[test]
fn reimport_adds_nothing_and_lists_every_skipped_feed_with_its_id() {
    let admin = Admin::new(SOURCES);
    admin.import(&fixture("inoreader.opml"), &["--create-categories"]);
    let before = admin.sources();
    let run = admin.import(&fixture("inoreader.opml"), &["--create-categories"]);
    assert_eq!(admin.sources(), before, "a second import changed the list");
    let out = &run.stdout;
    assert!(out.contains("added 0 sources"), "{out}");
    assert!(out.contains("skipped (6), already configured:"), "{out}");
    // The file's URL still has its tracking parameter; the same feed.
    assert!(out.contains("http://zakon.kz/rss/news.xml?utm_source=inoreader (Zakon.kz) is source \"zakon-news\""), "{out}");
    assert!(out.contains("https://egemen.kz/rss (Egemen Qazaqstan) is source \"egemen\""), "{out}");
}

#[test]
fn hostile_opml_is_refused_with_a_reason_and_nothing_written() {
    let admin = Admin::new(SOURCES);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.opml",
            b"<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n<outline text=\"A\">\n<outline xmlUrl=\"https://a.kz/rss\"/>\n</body></opml>"
                .to_vec(),
            "line 5: not well-formed XML",
        ),
        ("feed.opml", b"<rss version=\"2.0\"><channel><title>x</title></channel></rss>".to_vec(), "the root element is <rss>, not <opml>"),
        ("empty.opml", Vec::new(), "empty or has no root element"),
        ("folders.opml", b"<opml><body><outline text=\"Only a folder\"/></body></opml>".to_vec(), "no feeds in it"),
        (
            "deep.opml",
            format!("<opml><body>{}{}</body></opml>", "<outline text=\"x\">".repeat(100), "</outline>".repeat(100)).into_bytes(),
            "nested deeper than 64 levels",
        ),
        ("huge.opml", vec![b' '; (16 << 20) + 1], "larger than 16 MB"),
    ];
    for (name, bytes, message) in cases {
        let file = admin.dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let run = admin.syndic(&["opml", "import", file.to_str().unwrap(), "--create-categories"]);
        assert_eq!(run.code, Some(1), "{name}: {}", run.stdout);
        assert!(run.stderr.contains(message), "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{name}: the message names the file: {}", run.stderr);
        assert_eq!(admin.sources(), SOURCES, "{name}");
    }
}

/// Entities a DTD declares are never expanded (billion laughs), undeclared
/// HTML ones are read, outlines without an address are reported.
#[test]
fn entities_and_outlines_without_an_address() {
    let admin = Admin::new(SOURCES);
    let file = admin.dir.path().join("odd.opml");
    let laughs = "<!DOCTYPE opml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>";
    std::fs::write(
        &file,
        format!(
            "<?xml version=\"1.0\"?>{laughs}
<opml version=\"1.1\"><head><title>Подписки</title></head><body>
<outline TEXT=\"Политика\">
  <outline text=\"Новости&nbsp;&mdash; &c;\" xmlurl=\"https://news.example.kz/rss\"/>
  <outline text=\"Без адреса\" type=\"rss\"/>
  <outline text=\"Не веб\" type=\"rss\" xmlUrl=\"ftp://files.example.kz/feed.xml\"/>
</outline>
</body></opml>"
        ),
    )
    .unwrap();
    let run = admin.import(&file, &[]);
    assert!(run.stdout.contains("added 1 source to"), "{}", run.stdout);
    let name = admin.source("news-example").name;
    // NBSP folded to a space; the DTD's entity left as written.
    assert_eq!(name, "Новости — &c;");
    assert!(run.stdout.contains("line 5: «Без адреса» has type=\"rss\" but no xmlUrl"), "{}", run.stdout);
    assert!(run.stdout.contains("line 6: «Не веб»: \"ftp://files.example.kz/feed.xml\" is not an http(s) URL"), "{}", run.stdout);
}

/// Ids were 48 characters of URL path; now `host-path-stem`, at most 32,
/// transliterated, unique: the end of a long path (the part that differs)
/// is kept, and a query says how two feeds of one path differ.
#[test]
fn ids_are_short_readable_and_unique() {
    let admin = Admin::new(SOURCES);
    let file = admin.dir.path().join("ids.opml");
    std::fs::write(
        &file,
        "<opml version=\"2.0\"><body><outline text=\"Общество\">
<outline text=\"A\" xmlUrl=\"https://informburo.kz/rss/category/obshchestvo/sotsialnaya-sfera/zdravoohranenie-i-meditsina.xml\"/>
<outline text=\"B\" xmlUrl=\"https://kaz.inform.kz/rss/%D2%9B%D0%BE%D2%93%D0%B0%D0%BC.xml\"/>
<outline text=\"C\" xmlUrl=\"https://tengrinews.kz/news.rss\"/>
<outline text=\"D\" xmlUrl=\"https://tengrinews.kz/news.rss?lang=kz\"/>
<outline text=\"E\" xmlUrl=\"http://127.0.0.1:8080/tehtehteh/data/import/unian.xml\"/>
<outline text=\"F\" xmlUrl=\"http://127.0.0.1:8080/tehtehteh/data/import/ukranews.xml\"/>
<outline text=\"G\" xmlUrl=\"http://127.0.0.1:8080/tehtehteh/data/import/pravda.xml\"/>
<outline text=\"H\" xmlUrl=\"https://новости.қаз/лента/саясат\"/>
</outline></body></opml>",
    )
    .unwrap();
    admin.import(&file, &[]);
    let ids: Vec<String> = admin.placed().into_iter().map(|(id, _)| id).skip(1).collect();
    let want = [
        "informburo-meditsina",
        "kaz-inform-qogam",
        "tengrinews-news",
        "tengrinews-news-kz",
        "127-0-0-1-unian",
        "127-0-0-1-ukranews",
        "127-0-0-1-pravda",
        "novosti-sayasat",
    ];
    assert_eq!(ids, want);
}

/// The daemon (another user under systemd) must still read the list: the
/// new file keeps the old one's permissions.
#[test]
fn import_keeps_the_source_lists_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let admin = Admin::new(SOURCES);
    std::fs::set_permissions(admin.sources_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    // A umask that would make a fresh file private.
    let run = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077 && exec \"$0\" opml import {} --config {}",
            fixture("feedly.opml").display(),
            admin.dir.path().join("syndic.toml").display()
        ))
        .arg(env!("CARGO_BIN_EXE_syndic"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(admin.sources().contains("informburo"));
    let mode = std::fs::metadata(admin.sources_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

/// A feed that cannot be placed makes nothing: no region for it alone.
#[test]
fn a_feed_left_out_leaves_no_empty_region_behind() {
    let admin = Admin::new(SOURCES);
    let file = admin.dir.path().join("loose.opml");
    std::fs::write(
        &file,
        "<opml version=\"2.0\" xmlns:syndic=\"https://github.com/syndic/syndic/ns/1.0\"><body>
<outline text=\"Ак Жайык\" type=\"rss\" xmlUrl=\"https://azh.kz/ru/rss\" syndic:region=\"atyrau\"/>
</body></opml>",
    )
    .unwrap();
    let run = admin.import(&file, &["--create-categories"]);
    assert!(run.stdout.contains("in no folder (--category SLUG puts them in one):"), "{}", run.stdout);
    assert_eq!(admin.sources(), SOURCES, "something was written for a feed left out");
}

/// `syndic opml import big.opml --dry-run | head` used to panic
/// ("failed printing to stdout") once `head` had read enough.
#[test]
fn a_reader_closing_the_pipe_early_is_no_failure() {
    use std::io::{BufRead, BufReader};
    let admin = Admin::new(SOURCES);
    let file = admin.dir.path().join("big.opml");
    let feeds: String = (0..3000).map(|i| format!("<outline text=\"Лента {i}\" xmlUrl=\"https://site{i}.kz/rss\"/>\n")).collect();
    std::fs::write(&file, format!("<opml><body><outline text=\"Политика\">\n{feeds}</outline></body></opml>")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_syndic"))
        .args(["opml", "import", file.to_str().unwrap(), "--dry-run", "--config"])
        .arg(admin.dir.path().join("syndic.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("3000 feed outlines"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A «Регионы» folder's feeds became partners without a word: the kind
/// is said, and `--kind regional` makes the portal's own newsrooms.
#[test]
fn import_says_the_kind_it_gives_and_kind_regional_gives_regional() {
    let admin = Admin::new(SOURCES);
    let file = admin.dir.path().join("regions.opml");
    std::fs::write(
        &file,
        "<opml version=\"2.0\"><body><outline text=\"Регионы\">
<outline text=\"Алматы\" xmlUrl=\"https://almaty.example.kz/rss.xml\"/>
<outline text=\"Шымкент\" xmlUrl=\"https://shymkent.example.kz/rss.xml\" syndic:kind=\"partner\"/>
</outline></body></opml>",
    )
    .unwrap();
    let dry = admin.import(&file, &["--dry-run"]);
    assert!(dry.stdout.contains("kind: partner (their stories are also in /feeds/partners.*)"), "{}", dry.stdout);
    assert!(dry.stdout.contains("--kind regional"), "{}", dry.stdout);

    let run = admin.import(&file, &["--kind", "regional"]);
    assert!(run.stdout.contains("kind: regional (the portal's own newsrooms"), "{}", run.stdout);
    assert!(run.stdout.contains(", kind partner from syndic:kind"), "{}", run.stdout);
    assert_eq!(admin.source("almaty-example").kind, syndic::model::SourceKind::Regional, "{}", run.stdout);
    assert_eq!(admin.source("shymkent-example").kind, syndic::model::SourceKind::Partner, "syndic:kind wins over --kind");

    let help = admin.syndic(&["opml", "import", "--help"]).stdout;
    assert!(help.contains("--kind <KIND>") && help.contains("regional"), "{help}");
}

/// Problems were listed by the pass that found them (reading, URLs,
/// syndic attributes), so line 3 came after line 5.
#[test]
fn problems_in_the_file_are_listed_in_line_order() {
    let admin = Admin::new(SOURCES);
    let file = admin.dir.path().join("problems.opml");
    std::fs::write(
        &file,
        "<opml version=\"2.0\"><body>
<outline text=\"Политика\">
<outline text=\"Плохой вид\" xmlUrl=\"https://a.example.kz/rss\" syndic:kind=\"agency\"/>
<outline text=\"Без адреса\" type=\"rss\"/>
<outline text=\"Не веб\" xmlUrl=\"ftp://files.example.kz/feed.xml\"/>
<outline text=\"Хороший\" xmlUrl=\"https://b.example.kz/rss\"/>
</outline></body></opml>",
    )
    .unwrap();
    let out = admin.import(&file, &[]).stdout;
    let at = out.find("problems in the file (3):").unwrap_or_else(|| panic!("{out}"));
    let lines: Vec<&str> = out[at..].lines().skip(1).take(3).collect();
    let numbers: Vec<&str> = lines.iter().map(|l| l.trim().split(':').next().unwrap_or_default()).collect();
    assert_eq!(numbers, ["line 3", "line 4", "line 5"], "{out}");
}
