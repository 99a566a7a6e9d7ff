//! Source ids from feed URLs: `host-stem`, the host's distinctive labels
//! and the last path segment that says which feed this is.
//!
//! `https://tengrinews.kz/rss/politics.xml` → `tengrinews-politics`;
//! `http://127.0.0.1:8080/data/import/unian.xml` → `127-0-0-1-unian`;
//! `https://новости.қаз/лента/саясат` (`xn--b1amnebsh.xn--80ao21a`) →
//! `novosti-sayasat`. A query's values are part of the stem
//! (`news.rss?lang=kz` → `tengrinews-news-kz`), so two feeds that differ
//! only there get ids that say how. An id longer than [`MAX_ID`] keeps its
//! host and the end of its stem: the part that tells feeds of one site
//! apart.

use std::collections::HashSet;

use super::{MAX_ID, join_bounded, words};

/// Words that say "this is a feed" and nothing about which; never used.
const NOISE: &[&str] = &["rss", "rss2", "feed", "feeds", "atom", "xml", "index", "syndication", "rdf", "php", "html", "htm", "aspx", "www"];

/// Segments that say little: used only when no segment says more.
const GENERIC: &[&str] = &["news", "export", "data", "import", "api", "lenta", "category", "all", "latest", "v1", "v2"];

/// Host labels that name no site: `www`, `rss.`, `feeds.`, `co.uk`.
const HOST_NOISE: &[&str] = &["www", "rss", "feed", "feeds", "co", "com", "org", "net", "gov", "edu", "ac"];

/// File extensions of feeds, dropped from the last segment.
const EXTENSIONS: &[&str] = &["xml", "rss", "atom", "rdf", "json", "php", "html", "htm", "aspx", "asp", "jsp", "cgi"];

/// Shortest stem kept when the host is long.
const MIN_STEM: usize = 12;

/// The id for `url`: [`source_words`] bounded to [`MAX_ID`], with `-2`,
/// `-3`… at the end when `taken` holds it. The result is added to `taken`.
pub fn source_id(url: &url::Url, taken: &mut HashSet<String>) -> String {
    let (host, mut plain) = source_words(url);
    if host.is_empty() && plain.is_empty() {
        plain = vec!["feed".to_string()];
    }
    let mut id = bounded(&host, &plain);
    let mut n = 2;
    while taken.contains(&id) {
        let mut stem = plain.clone();
        stem.push(n.to_string());
        n += 1;
        id = bounded(&host, &stem);
    }
    taken.insert(id.clone());
    id
}

/// The id for `url`, not yet made unique.
pub fn source_base(url: &url::Url) -> String {
    let (host, stem) = source_words(url);
    bounded(&host, &stem)
}

/// (host words, stem words) of a feed URL.
fn source_words(url: &url::Url) -> (Vec<String>, Vec<String>) {
    (host_words(url), stem_words(url))
}

/// The host without its top-level domain and labels that name no site,
/// an IDN decoded and transliterated; an address as it is.
fn host_words(url: &url::Url) -> Vec<String> {
    let Some(host) = url.host() else { return Vec::new() };
    let name = match host {
        url::Host::Domain(d) => idna::domain_to_unicode(d).0,
        other => return words(&other.to_string()),
    };
    let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
    let labels = match labels.len() {
        n if n > 1 => &labels[..n - 1],
        _ => &labels[..],
    };
    let all: Vec<String> = labels.iter().flat_map(|l| words(l)).collect();
    let kept: Vec<String> = all.iter().filter(|w| !HOST_NOISE.contains(&w.as_str())).cloned().collect();
    if kept.is_empty() { all } else { kept }
}

/// The last path segment that names the feed (else the last generic one),
/// then the query's values.
fn stem_words(url: &url::Url) -> Vec<String> {
    let path = percent_decode(url.path());
    let segments: Vec<Vec<String>> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = match s.rsplit_once('.') {
                Some((stem, ext)) if EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) => stem,
                _ => s,
            };
            words(s).into_iter().filter(|w| !NOISE.contains(&w.as_str())).collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let specific = |seg: &&Vec<String>| seg.iter().any(|w| !GENERIC.contains(&w.as_str()));
    let mut stem = segments.iter().rev().find(specific).or(segments.last()).cloned().unwrap_or_default();
    for (key, value) in url.query_pairs() {
        let said = if value.is_empty() { key } else { value };
        stem.extend(words(&said).into_iter().filter(|w| !NOISE.contains(&w.as_str())));
    }
    stem
}

/// `host-stem` in at most [`MAX_ID`] characters: the host cut at a word
/// when it would leave the stem less than [`MIN_STEM`], then as many of
/// the stem's last words as fit (a leading one-letter word dropped).
fn bounded(host: &[String], stem: &[String]) -> String {
    let stem_len = stem.iter().map(|w| w.len() + 1).sum::<usize>();
    let host = join_bounded(host, MAX_ID.saturating_sub(stem_len.min(MIN_STEM + 1)));
    let room = if host.is_empty() { MAX_ID } else { MAX_ID.saturating_sub(host.len() + 1) };
    let mut tail = end_words(stem, room);
    if tail.len() > 1 && tail[0].len() == 1 {
        tail.remove(0);
    }
    let tail = tail.join("-");
    match (host.is_empty(), tail.is_empty()) {
        (_, true) => host,
        (true, false) => tail,
        (false, false) => format!("{host}-{tail}"),
    }
}

/// The last words of `words` that fit in `max` joined with `-` (a last
/// word longer than that is cut to its start).
fn end_words(words: &[String], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut len = 0;
    for w in words.iter().rev() {
        let extra = if out.is_empty() { w.len() } else { w.len() + 1 };
        if len + extra > max {
            if out.is_empty() && max > 0 {
                out.push(w.chars().take(max).collect());
            }
            break;
        }
        len += extra;
        out.insert(0, w.clone());
    }
    out
}

/// `%D0%BF…` back to text (invalid UTF-8 replaced; only used for naming).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn source_ids_are_host_and_the_last_meaningful_segment() {
        let cases = [
            ("https://tengrinews.kz/news.rss", "tengrinews-news"),
            ("https://tengrinews.kz/rss/", "tengrinews"),
            ("https://www.zakon.kz/rss/politics.xml", "zakon-politics"),
            ("https://rus.azattyq.org/api/zrqiteuuir", "rus-azattyq-zrqiteuuir"),
            ("https://kaz.inform.kz/rss/%D1%81%D0%B0%D1%8F%D1%81%D0%B0%D1%82.xml", "kaz-inform-sayasat"),
            ("https://liter.kz/feed/", "liter"),
            ("https://feeds.bbci.co.uk/news/world/rss.xml", "bbci-world"),
            ("http://127.0.0.1:8080/feeds/politics.rss", "127-0-0-1-politics"),
            ("http://127.0.0.1:8080/tehtehteh/data/import/unian.xml", "127-0-0-1-unian"),
            ("http://127.0.0.1:8080/tehtehteh/data/import/ukranews.xml", "127-0-0-1-ukranews"),
            ("http://127.0.0.1:8080/tehtehteh/data/import/pravda.xml", "127-0-0-1-pravda"),
            ("https://informburo.kz/rss/category/obshchestvo/sotsialnaya-sfera/zdravoohranenie-i-meditsina.xml", "informburo-meditsina"),
            ("https://xn--b1amnebsh.xn--80ao21a/лента/саясат", "novosti-sayasat"),
            ("https://xn--80aaaa6azcir70fda.xn--80ao21a/lenta/", "qazaqparat-lenta"),
            ("https://example.kz/rss.xml?lang=kz", "example-kz"),
            ("https://example.kz/rss.xml?lang=ru", "example-ru"),
        ];
        for (u, want) in cases {
            let got = source_base(&url(u));
            assert_eq!(got, want, "{u}");
            assert!(got.len() <= MAX_ID, "{got}");
        }
    }

    #[test]
    fn long_ids_keep_the_host_and_the_end_of_the_stem() {
        let got = source_base(&url("https://very-long-regional-portal-name.kz/rss/almatinskaya-oblast-talgar.xml"));
        assert!(got.len() <= MAX_ID, "{got}");
        assert!(got.starts_with("very-long") && got.ends_with("talgar"), "{got}");
        let mut taken = HashSet::new();
        let u = url("https://informburo.kz/rss/category/zdravoohranenie-i-meditsina.xml");
        assert_eq!(source_id(&u, &mut taken), "informburo-meditsina");
        assert_eq!(source_id(&u, &mut taken), "informburo-meditsina-2");
        let long = url("https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.kz/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.xml");
        let first = source_id(&long, &mut taken);
        let second = source_id(&long, &mut taken);
        assert!(first.len() <= MAX_ID && second.len() <= MAX_ID && first != second, "{first} {second}");
        assert!(second.ends_with("-2"), "{second}");
        assert_eq!(source_id(&url("https://127.0.0.1/"), &mut taken), "127-0-0-1");
    }
}
