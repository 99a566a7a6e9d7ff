//! Source-list text → validated configuration or located errors; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(errors) = syndic::config::parse_sources(text, std::path::Path::new("sources.toml"), None) {
            assert!(!errors.0.is_empty());
            for e in &errors.0 {
                let _ = e.to_string();
            }
        }
    }
});
