//! Response bytes → charset decoding → feed parsing → normalization, as a
//! poll does; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use syndic::fetch::charset;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://feed.example.kz/rss").unwrap();
    let decoded = charset::decode(data, None);
    let xml = charset::prepare_xml(&decoded.text);
    let xml = syndic::poll::cap_entries(&xml, 200);
    let dates: syndic::parse::DateParser = std::sync::Arc::new(|s: &str| syndic::normalize::date::parse(s, chrono_tz::UTC));
    if let Ok(feed) = syndic::parse::parse(&xml, &base, &dates) {
        let source = syndic::config::Source::example("fuzz", base.clone());
        let n = syndic::normalize::Normalizer::new(&source, &base, chrono::Utc::now());
        for e in feed.entries {
            let _ = n.normalize(e);
        }
    }
});
