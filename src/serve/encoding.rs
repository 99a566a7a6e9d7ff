//! Content-coding negotiation for feed responses (RFC 9110 §12.5.3).
//!
//! `Accept-Encoding` lists codings with optional weights; a weight of zero
//! (`q=0`, `Q=0.000`: parameter names are case-insensitive) means "not
//! acceptable", and a named coding's weight overrides `*`'s. Among the
//! acceptable codings brotli is preferred to gzip (smaller, already made),
//! and identity is the fallback. Each coding has its own entity tag
//! (§8.8.3: a gzip body and an identity body are different
//! representations), so `If-None-Match` is compared with the tag of the
//! coding the response would carry.

use axum::http::{HeaderMap, header};

pub use crate::publish::coding::Coding;

/// The coding to answer a request with.
pub fn choose(req: &HeaderMap) -> Coding {
    if acceptable(req, "br") {
        Coding::Brotli
    } else if acceptable(req, "gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// Whether `Accept-Encoding` allows `coding`: named with a weight above
/// zero, or not named and `*` allows it.
pub fn acceptable(req: &HeaderMap, coding: &str) -> bool {
    let mut named = None;
    let mut star = None;
    let entries = req.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    for entry in entries {
        let mut parts = entry.split(';');
        let name = parts.next().unwrap_or("").trim();
        let weight = parts.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("q").then(|| v.trim().parse::<f32>().unwrap_or(0.0))
        });
        let weight = weight.unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            named = Some(named.map_or(weight, |w: f32| w.max(weight)));
        } else if name == "*" {
            star = Some(weight);
        }
    }
    named.or(star).is_some_and(|w| w > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn negotiation() {
        let table = [
            ("", Coding::Identity),
            ("gzip, deflate, br", Coding::Brotli),
            ("br;q=1.0, gzip;q=0.8", Coding::Brotli),
            ("gzip", Coding::Gzip),
            ("GZIP", Coding::Gzip),
            ("gzip;q=0", Coding::Identity),
            ("gzip;Q=0", Coding::Identity),
            ("gzip; Q = 0.000", Coding::Identity),
            ("br;Q=0, gzip", Coding::Gzip),
            ("br;q=0.0, gzip;q=0.5", Coding::Gzip),
            ("*", Coding::Brotli),
            ("*;q=0", Coding::Identity),
            ("*, br;q=0", Coding::Gzip),
            ("gzip;q=0, *", Coding::Brotli),
            ("br;q=0, gzip;Q=0, *;q=0", Coding::Identity),
            ("gzip;q=nonsense", Coding::Identity),
            ("deflate", Coding::Identity),
        ];
        for (value, want) in table {
            let mut h = HeaderMap::new();
            if !value.is_empty() {
                h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
            }
            assert_eq!(choose(&h), want, "{value:?}");
        }
    }

    #[test]
    fn every_coding_has_its_own_tag() {
        let tags: Vec<String> = [Coding::Identity, Coding::Gzip, Coding::Brotli].iter().map(|c| c.etag("\"00ff\"")).collect();
        assert_eq!(tags, ["\"00ff\"", "\"00ff-gzip\"", "\"00ff-br\""]);
    }
}
