use super::report::line_column;
use super::source_list::{RawSection, RawSource};
use super::*;

const SETTINGS: &str = "[daemon]\ndatabase = \"x.db\"\nsources = \"sources.toml\"\n";

const GOOD_SOURCES: &str = r#"
[[category]]
slug = "politics"
title = "Политика"

[[region]]
slug = "almaty"
title = "Алматы"

[[source]]
id = "a"
name = "A"
url = "https://a.kz/rss"
kind = "partner"
category = "politics"
"#;

fn load_pair(settings: &str, sources: &str) -> Result<Config, ConfigErrors> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("syndic.toml"), settings).unwrap();
    std::fs::write(dir.path().join("sources.toml"), sources).unwrap();
    load(&dir.path().join("syndic.toml"))
}

/// The single error a config gives, as `file-name:line:col: message`.
fn only_error(settings: &str, sources: &str) -> String {
    let errors = load_pair(settings, sources).expect_err("config should be rejected").0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    format!("{}:{}:{}: {}", e.file.file_name().unwrap().to_string_lossy(), e.line, e.column, e.message)
}

#[test]
fn good_config_loads_with_typed_values() {
    let c = load_pair(SETTINGS, GOOD_SOURCES).unwrap();
    assert_eq!(c.sources.len(), 1);
    let s = &c.sources[0];
    assert_eq!(s.interval, Duration::from_secs(900));
    assert_eq!(s.priority, 0);
    assert!(s.enabled);
    assert_eq!(c.daemon.timezone, chrono_tz::Asia::Almaty);
    assert_eq!(c.daemon.items_per_feed, 50);
}

#[test]
fn shipped_configs_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let c = load(&root.join("config/syndic.toml")).unwrap();
    assert!(c.sources.len() >= 10);
    assert!(c.sources.iter().all(|s| s.url.scheme() == "https"), "real sources are polled over https");
    let demo = root.join("data/demo/sources.toml");
    let text = std::fs::read_to_string(demo).unwrap().replace("@BASE@", "http://127.0.0.1:1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    load_sources(&dir.path().join("s.toml"), None).unwrap();
}

#[test]
fn bad_source_lists_name_file_line_column() {
    let source = |extra: &str| format!("{GOOD_SOURCES}{extra}");
    // (sources.toml text, expected error)
    let cases: Vec<(String, &str)> = vec![
        (source("colour = \"red\"\n"), "sources.toml:16:1: source[0].colour (id \"a\"): unknown key; known keys: `id`, `name`"),
        (source("intervall = \"10m\"\n"), "sources.toml:16:1: source[0].intervall (id \"a\"): unknown key; did you mean `interval`?"),
        (
            source("\n[[source]]\nid = \"a\"\nname = \"A2\"\nurl = \"https://b.kz/\"\nkind = \"partner\"\ncategory = \"politics\"\n"),
            "sources.toml:18:6: source[1].id (id \"a\"): duplicate source id \"a\"",
        ),
        (
            GOOD_SOURCES.replace("category = \"politics\"\n", "category = \"politic\"\n"),
            "sources.toml:15:12: source[0].category (id \"a\"): unknown category \"politic\"; did you mean \"politics\"?",
        ),
        (
            GOOD_SOURCES.replace("category = \"politics\"\n", "category = \"sports\"\n"),
            "sources.toml:15:12: source[0].category (id \"a\"): unknown category \"sports\"; add a [[category]] with that slug, or use one of \"politics\"",
        ),
        (
            GOOD_SOURCES.replace("url = \"https://a.kz/rss\"", "url = \"ftp://a.kz/rss\""),
            "sources.toml:13:7: source[0].url (id \"a\"): \"ftp://a.kz/rss\" must be an http",
        ),
        (
            GOOD_SOURCES.replace("url = \"https://a.kz/rss\"", "url = \"not a url\""),
            "sources.toml:13:7: source[0].url (id \"a\"): \"not a url\" is not a valid URL",
        ),
        (source("interval = \"soon\"\n"), "sources.toml:16:12: source[0].interval (id \"a\"): \"soon\" is not a duration"),
        (source("interval = \"10s\"\n"), "sources.toml:16:12: source[0].interval (id \"a\"): poll no more often than once a minute"),
        (
            source("interval = 15\n"),
            "sources.toml:16:12: source[0].interval (id \"a\"): expected text in quotes, found the number 15; put it in quotes",
        ),
        (source("exclude = [\"(unclosed\"]\n"), "sources.toml:16:12: source[0].exclude (id \"a\"): bad regex"),
        (source("exclude = \"x\"\n"), "sources.toml:16:11: source[0].exclude (id \"a\"): expected a list of texts in quotes"),
        (
            source("region = \"almatty\"\n"),
            "sources.toml:16:10: source[0].region (id \"a\"): unknown region \"almatty\"; did you mean \"almaty\"?",
        ),
        (
            source("categories = { \"Спорт\" = \"sport\" }\n"),
            "sources.toml:16:26: source[0].categories.\"Спорт\" (id \"a\"): unknown category \"sport\"",
        ),
        (
            GOOD_SOURCES.replace("kind = \"partner\"", "kind = \"partnr\""),
            "sources.toml:14:8: source[0].kind (id \"a\"): expected one of \"regional\", \"partner\", found the text \"partnr\"; did you mean \"partner\"?",
        ),
        (GOOD_SOURCES.replace("slug = \"politics\"", "slug = \"Politics!\""), "sources.toml:3:8: category[0].slug: \"Politics!\" must be"),
        (
            source("priority = \"high\"\n"),
            "sources.toml:16:12: source[0].priority (id \"a\"): expected a whole number, found the text \"high\"",
        ),
        (
            source("priority = \"10\"\n"),
            "sources.toml:16:12: source[0].priority (id \"a\"): expected a whole number, found the text \"10\"; write it without quotes",
        ),
        (GOOD_SOURCES.replace("[[region]]", "[[region]\n"), "sources.toml:6:"),
        (
            GOOD_SOURCES.replace("name = \"A\"\n", ""),
            "sources.toml:10:1: source[0].name (id \"a\"): missing; this key is required (text in quotes)",
        ),
        (
            format!("{GOOD_SOURCES}\n[[category]]\nslug = \"politics\"\ntitle = \"x\"\n"),
            "sources.toml:18:8: category[1].slug: duplicate category slug \"politics\"",
        ),
        (GOOD_SOURCES.replace("slug = \"almaty\"", "slug = \"all\""), "sources.toml:7:8: region[0].slug: \"all\" is reserved"),
        (source("full_text = \"magic\"\n"), "sources.toml:16:13: source[0].full_text (id \"a\"): \"magic\" is not a mode"),
        (
            source("full_text = { selector = \"div[\" }\n"),
            "sources.toml:16:13: source[0].full_text.selector (id \"a\"): \"div[\" is not a valid CSS selector: it ends too early",
        ),
        (
            source("full_text = { selector = \"div\", remove = [\"..x\"] }\n"),
            "sources.toml:16:13: source[0].full_text.remove (id \"a\"): \"..x\" is not a valid CSS selector: `.` must be followed by a class name",
        ),
        (source("full_text = { selektor = \"div\" }\n"), "sources.toml:16:13: source[0].full_text.selector (id \"a\"): missing"),
        (
            source("publish = \"everything\"\n"),
            "sources.toml:16:11: source[0].publish (id \"a\"): expected one of \"full\", \"excerpt\", found the text \"everything\"",
        ),
        (source("excerpt_chars = 5\n"), "sources.toml:16:17: source[0].excerpt_chars (id \"a\"): 5 is out of range"),
        (source("attribution = \"\"\n"), "sources.toml:16:15: source[0].attribution (id \"a\"): write one line"),
        (source("enabled = \"yes\"\n"), "sources.toml:16:11: source[0].enabled (id \"a\"): expected true or false, found the text \"yes\""),
        (format!("[[sorce]]\nid = \"x\"\n{GOOD_SOURCES}"), "sources.toml:1:3: sorce: unknown table; did you mean [source]?"),
        (
            GOOD_SOURCES.replace("[[source]]", "[source]"),
            "sources.toml:10:1: source: expected [[source]] tables, found a table; write [[source]], with double brackets",
        ),
    ];
    for (text, want) in cases {
        let errors = load_pair(SETTINGS, &text).expect_err(&text).0;
        let first = &errors[0];
        let got = format!("{}:{}:{}: {}", first.file.file_name().unwrap().to_string_lossy(), first.line, first.column, first.message);
        assert!(first.line > 0, "{got}");
        assert!(got.starts_with(want), "want {want:?}\n got {got:?}");
    }
}

#[test]
fn bad_settings_name_file_line_column() {
    let cases = [
        ("[daemon]\nlisten = \"everywhere\"\n", "syndic.toml:2:10: daemon.listen: \"everywhere\" is not an address"),
        ("[daemon]\ntimezone = \"Mars/Olympus\"\n", "syndic.toml:2:12: daemon.timezone: unknown zone"),
        ("[daemon]\nretention = \"forever\"\n", "syndic.toml:2:13: daemon.retention: \"forever\" is not a duration"),
        ("[daemon]\nitems_per_feed = 0\n", "syndic.toml:2:18: daemon.items_per_feed: 0 is out of range"),
        (
            "[daemon]\nitems_per_feed = \"50\"\n",
            "syndic.toml:2:18: daemon.items_per_feed: expected a whole number, found the text \"50\"; write it without quotes",
        ),
        ("[daemon]\npublic_url = \"/feeds\"\n", "syndic.toml:2:14: daemon.public_url: \"/feeds\" is not a valid URL"),
        ("[daemon]\nwat = 1\n", "syndic.toml:2:1: daemon.wat: unknown key; known keys: `database`"),
        ("[daemon]\nretension = \"9d\"\n", "syndic.toml:2:1: daemon.retension: unknown key; did you mean `retention`?"),
        (
            "[daemon]\nadmin_loopback = \"false\"\n",
            "syndic.toml:2:18: daemon.admin_loopback: expected true or false, found the text \"false\"; write it without quotes",
        ),
        ("[daemon\n", "syndic.toml:1:8:"),
        ("", "syndic.toml:1:1: the [daemon] table is missing"),
        ("[deamon]\n", "syndic.toml:1:2: deamon: unknown table; did you mean [daemon]?"),
        (
            "[daemon]\nlog_format = \"xml\"\n",
            "syndic.toml:2:14: daemon.log_format: expected one of \"text\", \"json\", found the text \"xml\"",
        ),
        ("[daemon]\nadmin_token = \"short\"\n", "syndic.toml:2:15: daemon.admin_token: use at least 16 characters"),
        ("[daemon]\nper_host_spacing = \"soon\"\n", "syndic.toml:2:20: daemon.per_host_spacing: \"soon\" is not a duration"),
        (
            "[daemon]\ntrusted_proxies = [\"10.0.0.0/8\", \"nginx\"]\n",
            "syndic.toml:2:34: daemon.trusted_proxies: \"nginx\" is not an IP address",
        ),
        ("[daemon]\ntrusted_proxies = [\"10.0.0.0/33\"]\n", "syndic.toml:2:20: daemon.trusted_proxies: \"33\" is not a prefix length"),
        (
            "[daemon]\ntrusted_proxies = [\"::1\", 8]\n",
            "syndic.toml:2:27: daemon.trusted_proxies: expected a list of texts in quotes, like [\"a\", \"b\"], found the number 8 in the list",
        ),
    ];
    for (settings, want) in cases {
        let got = only_error(settings, GOOD_SOURCES);
        assert!(got.starts_with(want), "want {want:?}\n got {got:?}");
    }
}

#[test]
fn every_error_is_reported_at_once() {
    let text = GOOD_SOURCES.replace("url = \"https://a.kz/rss\"", "url = \"x\"\ninterval = \"nope\"\nregion = \"nowhere\"");
    let errors = load_pair(SETTINGS, &text).unwrap_err().0;
    assert_eq!(errors.len(), 3, "{errors:?}");
}

/// The admin's report (#26): a key typo hid a type error in the same file,
/// and an error in syndic.toml hid every error in sources.toml.
#[test]
fn a_typo_hides_nothing_in_either_file() {
    let settings = "[daemon]\nretension = \"9d\"\nitems_per_feed = \"many\"\nlisten = \"everywhere\"\n";
    let sources = GOOD_SOURCES.replace("category = \"politics\"\n", "categroy = \"politics\"\npriority = \"high\"\nregion = \"almatty\"\n")
        + "\n[[source]]\nid = \"b\"\nname = \"B\"\nurl = \"https://b.kz/rss\"\nkind = \"partner\"\ncategory = \"politic\"\nfull_text = { selector = \"..x\" }\n";
    let errors = load_pair(settings, &sources).unwrap_err().0;
    let lines: Vec<String> =
        errors.iter().map(|e| format!("{}:{}: {}", e.file.file_name().unwrap().to_string_lossy(), e.line, e.message)).collect();
    let want = [
        "syndic.toml:2: daemon.retension: unknown key; did you mean `retention`?",
        "syndic.toml:3: daemon.items_per_feed: expected a whole number, found the text \"many\"",
        "syndic.toml:4: daemon.listen: \"everywhere\" is not an address",
        "sources.toml:10: source[0].category (id \"a\"): missing",
        "sources.toml:15: source[0].categroy (id \"a\"): unknown key; did you mean `category`?",
        "sources.toml:16: source[0].priority (id \"a\"): expected a whole number, found the text \"high\"",
        "sources.toml:17: source[0].region (id \"a\"): unknown region \"almatty\"; did you mean \"almaty\"?",
        "sources.toml:24: source[1].category (id \"b\"): unknown category \"politic\"; did you mean \"politics\"?",
        "sources.toml:25: source[1].full_text.selector (id \"b\"): \"..x\" is not a valid CSS selector",
    ];
    assert_eq!(lines.len(), want.len(), "{lines:#?}");
    for (got, want) in lines.iter().zip(want) {
        assert!(got.starts_with(want), "want {want:?}\n got {got:?}");
    }
}

/// Each key in the schema is one the `Raw*` structs read: a key listed
/// there but not in the struct would pass the schema and then fail in serde.
#[test]
fn every_schema_key_deserializes() {
    let value = |kind: schema::Kind| match kind {
        schema::Kind::Text => "\"x\"".to_string(),
        schema::Kind::Number => "1".into(),
        schema::Kind::Bool => "true".into(),
        schema::Kind::Texts => "[\"x\"]".into(),
        schema::Kind::OneOf(allowed) => format!("{:?}", allowed[0]),
        schema::Kind::TextMap => "{ a = \"x\" }".into(),
        schema::Kind::TextOrTable(_) => "\"auto\"".into(),
    };
    let table = |fields: &[schema::Field]| fields.iter().map(|f| format!("{} = {}\n", f.name, value(f.kind))).collect::<String>();
    let read = |text: String| {
        let table = DeTable::parse(Box::leak(text.into_boxed_str())).unwrap();
        toml::de::ValueDeserializer::from(Spanned::new(table.span(), DeValue::Table(table.into_inner())))
    };
    let daemon = read(table(schema::DAEMON));
    let source = read(table(schema::SOURCE));
    let section = read(table(schema::SECTION));
    RawDaemon::deserialize(daemon).unwrap();
    RawSource::deserialize(source).unwrap();
    RawSection::deserialize(section).unwrap();
}

#[test]
fn missing_source_list_is_an_error_naming_it() {
    let got = only_error("[daemon]\nsources = \"missing.toml\"\n", GOOD_SOURCES);
    assert!(got.starts_with("missing.toml:0:0: cannot read the file"), "{got}");
}

#[test]
fn line_column_counts_characters() {
    let text = "a\nбв = 1\n";
    assert_eq!(line_column(text, 0), (1, 1));
    assert_eq!(line_column(text, 2), (2, 1));
    assert_eq!(line_column(text, text.find('=').unwrap()), (2, 4));
}

#[test]
fn trusted_proxy_ranges() {
    use super::IpRange;
    let table = [
        ("127.0.0.1", "127.0.0.1", true),
        ("127.0.0.1", "::ffff:127.0.0.1", true),
        ("127.0.0.1", "127.0.0.2", false),
        ("10.0.0.0/8", "10.200.3.4", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("0.0.0.0/0", "203.0.113.9", true),
        ("0.0.0.0/0", "::1", false),
        ("::1", "::1", true),
        ("fd00::/8", "fd12::1", true),
        ("fd00::/8", "fe80::1", false),
    ];
    for (range, ip, inside) in table {
        let parsed = IpRange::parse(range).unwrap();
        assert_eq!(parsed.contains(ip.parse().unwrap()), inside, "{range} ∋ {ip}");
    }
}

#[test]
fn a_shared_database_is_a_postgres_url_and_its_keys_need_one() {
    let shared = |daemon: &str| format!("[daemon]\nsources = \"sources.toml\"\n{daemon}");
    let ok = load_pair(&shared("database = \"postgres://syndic@db.internal/syndic\"\nreplica = \"r.db\"\nnode = \"web1\"\n"), GOOD_SOURCES)
        .unwrap();
    let cluster = ok.daemon.cluster.expect("a shared store");
    assert_eq!((cluster.node.as_str(), cluster.lease), ("web1", Duration::from_secs(130)));
    assert!(ok.daemon.database.ends_with("r.db"), "{}", ok.daemon.database.display());
    // A typo or another database is an error, not a file of that name.
    for typo in ["postgres:/syndic@db/syndic", "mysql://x@y/z"] {
        let e = only_error(&shared(&format!("database = \"{typo}\"\n")), GOOD_SOURCES);
        assert!(e.contains("neither a file path nor a postgres://"), "{e}");
    }
    for key in ["replica = \"r.db\"", "node = \"web1\""] {
        let e = only_error(&shared(&format!("{key}\n")), GOOD_SOURCES);
        assert!(e.contains("belongs to a node of a shared PostgreSQL database"), "{e}");
    }
}
