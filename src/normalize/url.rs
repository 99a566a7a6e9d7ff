//! Links: the one readers follow and the key that says "same page".
//!
//! [`clean`] resolves a link against the feed, accepts only http(s), drops the
//! fragment and tracking parameters (`utm_*`, `fbclid`, `gclid`, `yclid`,
//! `ysclid`, `_openstat`, …). [`canonical`] goes further for matching only:
//! scheme folded to https, `www.` dropped, query sorted, trailing slash
//! dropped. Both are idempotent.

use url::Url;

const TRACKING: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "yclid",
    "ysclid",
    "_openstat",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_ga",
    "_gl",
    "twclid",
    "ttclid",
    "wickedid",
    "spm",
    "rb_clickid",
    "cmpid",
    "from_rss",
];

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING.contains(&key.as_str())
}

/// The link as readers get it, or `None` when it is not an http(s) URL.
pub fn clean(raw: &str, base: Option<&Url>) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(base) => base.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> =
            url.query_pairs().filter(|(k, _)| !is_tracking(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        set_query(&mut url, &kept);
    }
    Some(url)
}

/// The match key: two links with the same key are the same page.
pub fn canonical(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str("https://");
    key.push_str(host);
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = url.path();
    key.push_str(if path.len() > 1 { path.trim_end_matches('/') } else { "" });
    if url.query().is_some() {
        let mut pairs: Vec<(String, String)> =
            url.query_pairs().filter(|(k, _)| !is_tracking(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if !pairs.is_empty() {
            pairs.sort();
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            key.push('?');
            key.push_str(&query);
        }
    }
    key
}

fn set_query(url: &mut Url, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        url.set_query(Some(&query));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_table() {
        let base = Url::parse("https://Liter.kz/rss/politics").unwrap();
        let cases = [
            ("https://liter.kz/news/1?utm_source=rss&utm_medium=feed", Some("https://liter.kz/news/1")),
            ("https://liter.kz/news/1?id=5&fbclid=abc#comments", Some("https://liter.kz/news/1?id=5")),
            ("/news/2?yclid=1&ysclid=2&_openstat=x", Some("https://liter.kz/news/2")),
            ("HTTP://WWW.Zakon.KZ/a", Some("http://www.zakon.kz/a")),
            ("javascript:alert(1)", None),
            ("mailto:a@b.kz", None),
            ("", None),
            ("https://tengrinews.kz/новости/1", Some("https://tengrinews.kz/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1")),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input, Some(&base)).map(|u| u.to_string()).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn canonical_table() {
        let cases = [
            ("http://www.zakon.kz/news/1/", "https://zakon.kz/news/1"),
            ("https://zakon.kz/news/1?b=2&a=1", "https://zakon.kz/news/1?a=1&b=2"),
            ("https://zakon.kz/?utm_source=x", "https://zakon.kz"),
            ("https://zakon.kz:8443/a", "https://zakon.kz:8443/a"),
        ];
        for (input, want) in cases {
            let url = clean(input, None).unwrap();
            assert_eq!(canonical(&url), want, "{input:?}");
            // Idempotent: the key of the key is the key.
            assert_eq!(canonical(&Url::parse(want).unwrap()), want);
        }
    }
}
