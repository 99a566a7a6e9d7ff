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
        (source("colour = \"red\"\n"), "sources.toml:16:1: unknown field `colour`"),
        (
            source("\n[[source]]\nid = \"a\"\nname = \"A2\"\nurl = \"https://b.kz/\"\nkind = \"partner\"\ncategory = \"politics\"\n"),
            "sources.toml:18:6: duplicate source id \"a\"",
        ),
        (GOOD_SOURCES.replace("category = \"politics\"\n", "category = \"sports\"\n"), "sources.toml:15:12: unknown category \"sports\""),
        (
            GOOD_SOURCES.replace("url = \"https://a.kz/rss\"", "url = \"ftp://a.kz/rss\""),
            "sources.toml:13:7: url: \"ftp://a.kz/rss\" must be an http",
        ),
        (
            GOOD_SOURCES.replace("url = \"https://a.kz/rss\"", "url = \"not a url\""),
            "sources.toml:13:7: url: \"not a url\" is not a valid URL",
        ),
        (source("interval = \"soon\"\n"), "sources.toml:16:12: interval: \"soon\" is not a duration"),
        (source("interval = \"10s\"\n"), "sources.toml:16:12: interval: poll no more often than once a minute"),
        (source("exclude = [\"(unclosed\"]\n"), "sources.toml:16:12: exclude: bad regex"),
        (source("region = \"astana\"\n"), "sources.toml:16:10: unknown region \"astana\""),
        (source("categories = { \"Спорт\" = \"sport\" }\n"), "sources.toml:16:26: categories: unknown category \"sport\""),
        (GOOD_SOURCES.replace("kind = \"partner\"", "kind = \"friend\""), "sources.toml:14:8: unknown variant `friend`"),
        (GOOD_SOURCES.replace("slug = \"politics\"", "slug = \"Politics!\""), "sources.toml:3:8: category slug \"Politics!\" must be"),
        (source("priority = \"high\"\n"), "sources.toml:16:12: invalid type"),
        (GOOD_SOURCES.replace("[[region]]", "[[region]\n"), "sources.toml:6:"),
        (GOOD_SOURCES.replace("name = \"A\"\n", ""), "sources.toml:10:1: missing field `name`"),
        (
            format!("{GOOD_SOURCES}\n[[category]]\nslug = \"politics\"\ntitle = \"x\"\n"),
            "sources.toml:18:8: duplicate category slug \"politics\"",
        ),
        (GOOD_SOURCES.replace("slug = \"almaty\"", "slug = \"all\""), "sources.toml:7:8: region slug \"all\" is reserved"),
        (source("full_text = \"magic\"\n"), "sources.toml:16:13: full_text: \"magic\" is not a mode"),
        (source("full_text = { selector = \"div[\" }\n"), "sources.toml:16:13: full_text: \"div[\" is not a valid CSS selector"),
        (
            source("full_text = { selector = \"div\", remove = [\"..x\"] }\n"),
            "sources.toml:16:13: full_text: \"..x\" is not a valid CSS selector",
        ),
        (source("full_text = { selektor = \"div\" }\n"), "sources.toml:16:13:"),
        (source("publish = \"everything\"\n"), "sources.toml:16:11: publish: \"everything\" must be \"full\" or \"excerpt\""),
        (source("excerpt_chars = 5\n"), "sources.toml:16:17: excerpt_chars: 5 is out of range"),
        (source("attribution = \"\"\n"), "sources.toml:16:15: attribution: write one line"),
        (source("enabled = \"yes\"\n"), "sources.toml:16:11: invalid type"),
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
        ("[daemon]\nlisten = \"everywhere\"\n", "syndic.toml:2:10: listen: \"everywhere\" is not an address"),
        ("[daemon]\ntimezone = \"Mars/Olympus\"\n", "syndic.toml:2:12: timezone: unknown zone"),
        ("[daemon]\nretention = \"forever\"\n", "syndic.toml:2:13: retention: \"forever\" is not a duration"),
        ("[daemon]\nitems_per_feed = 0\n", "syndic.toml:2:18: items_per_feed: 0 is out of range"),
        ("[daemon]\npublic_url = \"/feeds\"\n", "syndic.toml:2:14: public_url: \"/feeds\" is not a valid URL"),
        ("[daemon]\nwat = 1\n", "syndic.toml:2:1: unknown field `wat`"),
        ("[daemon\n", "syndic.toml:1:8:"),
        ("", "syndic.toml:1:1: missing field `daemon`"),
        ("[daemon]\nlog_format = \"xml\"\n", "syndic.toml:2:14: unknown variant `xml`"),
        ("[daemon]\nadmin_token = \"short\"\n", "syndic.toml:2:15: admin_token: use at least 16 characters"),
        ("[daemon]\nper_host_spacing = \"soon\"\n", "syndic.toml:2:20: per_host_spacing: \"soon\" is not a duration"),
        ("[daemon]\ntrusted_proxies = [\"10.0.0.0/8\", \"nginx\"]\n", "syndic.toml:2:34: trusted_proxies: \"nginx\" is not an IP address"),
        ("[daemon]\ntrusted_proxies = [\"10.0.0.0/33\"]\n", "syndic.toml:2:20: trusted_proxies: \"33\" is not a prefix length"),
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
