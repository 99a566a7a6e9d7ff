//! Links from feeds → cleaned link and canonical match key; canonical keys
//! are stable (canonicalizing a canonical URL gives the same key).
#![no_main]
use libfuzzer_sys::fuzz_target;
use syndic::normalize::url::{canonical, clean};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let base = url::Url::parse("https://news.example.kz/feed/").unwrap();
    if let Some(u) = clean(raw, Some(&base)) {
        assert!(matches!(u.scheme(), "http" | "https"), "{u}");
        let again = clean(u.as_str(), None).expect("a cleaned URL cleans again");
        assert_eq!(canonical(&again), canonical(&u), "{raw:?}");
    }
});
