//! What every HTML page shares: the document frame (viewport, the
//! portal's name above the heading, one stylesheet that fits a 390 px
//! phone), escaping, and times in the portal's zone.
//!
//! Every string that comes from a feed, a source list or the network goes
//! through [`text`] or [`attr`]; links from feeds go through [`href`],
//! which keeps only `http(s)` URLs. Pages carry no inline script, and
//! [`CSP`] forbids any (the feed page's copy button is `/feed-page.js`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `Content-Security-Policy` of every page: inline styles, scripts only
/// from this origin, nothing else loaded.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escaped for element content.
pub fn text(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// Escaped for a double-quoted attribute value.
pub fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// A feed-provided link as an attribute value, or `None` unless it is an
/// absolute `http`/`https` URL (no `javascript:`, no relative tricks).
pub fn href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| attr(parsed.as_str()))
}

/// `04.12.2026 23:10` in `tz`.
pub fn time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

/// Unix seconds as [`time`], `—` when unknown.
pub fn time_of(t: Option<i64>, tz: Tz) -> String {
    t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)).map_or_else(|| "—".into(), |d| time(d, tz))
}

/// The zone as readers see it: `Asia/Almaty, UTC+05:00` (today's offset).
pub fn zone(tz: Tz) -> String {
    format!("{}, UTC{}", tz.name(), Utc::now().with_timezone(&tz).format("%:z"))
}

/// One page: `portal` above the `<h1>`, `head` extra tags (autodiscovery,
/// scripts), `body` the content after the heading. `wide` lets a table use
/// the whole window (the status page).
pub struct Frame<'a> {
    /// The portal's name (`[daemon] title`).
    pub portal: &'a str,
    /// Where the portal's name links to (the index).
    pub home: &'a str,
    /// The page heading and, with the portal, its `<title>`.
    pub heading: &'a str,
    /// Extra tags for `<head>`, already escaped.
    pub head: &'a str,
    /// Use the full window width.
    pub wide: bool,
    /// The page's own CSS rules, after the shared ones.
    pub style: &'a str,
}

impl Frame<'_> {
    /// The whole document around `body` (already escaped HTML).
    pub fn render(&self, body: &str) -> String {
        format!(
            "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{heading} — {portal}</title>\n{head}<style>{STYLE}{style}{wide}</style></head>\n\
             <body><header class=\"site\"><a href=\"{home}\">{portal}</a></header>\n<h1>{heading}</h1>\n{body}</body></html>\n",
            heading = text(self.heading),
            portal = text(self.portal),
            home = attr(self.home),
            head = self.head,
            style = self.style,
            wide = if self.wide { "body{max-width:none}" } else { "" },
        )
    }
}

/// One stylesheet for all pages. Under 40rem, tables marked `cards` turn
/// into one block per row, each cell labelled from its `data-label`, so
/// nothing scrolls sideways on a phone.
const STYLE: &str = "\
*{box-sizing:border-box}\
body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1f2328;background:#fff;overflow-wrap:break-word}\
a{color:#0b57d0}\
header.site{font-size:.95rem;color:#57606a}header.site a{color:inherit;text-decoration:none;font-weight:600}\
h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0 .75rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}\
p.summary{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.5rem .75rem}\
p.muted,footer{color:#57606a;font-size:.9rem}\
table{border-collapse:collapse;width:100%;margin-bottom:1rem}\
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}\
th{font-weight:600;background:#f6f8fa}td.n{text-align:right;white-space:nowrap}\
details{margin:1rem 0}summary{cursor:pointer;font-weight:600}\
.alert{background:#fde8e8;border:1px solid #f5c2c2;border-radius:6px;padding:.5rem 1rem;margin-bottom:1rem}\
.alert pre{white-space:pre-wrap;margin:.25rem 0 0}\
@media (max-width:40rem){\
body{padding:.75rem}h1{font-size:1.35rem}\
table.cards thead{display:none}\
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:auto}\
table.cards tr{border-bottom:1px solid #d0d7de;padding:.5rem 0}\
table.cards td{border:0;padding:.05rem 0;text-align:left}\
table.cards td[data-label]::before{content:attr(data-label) ': ';color:#57606a}\
}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_become_hrefs() {
        let table = [
            ("https://example.kz/a?b=1&c=2", Some("https://example.kz/a?b=1&amp;c=2")),
            ("http://example.kz/\"><script>", Some("http://example.kz/%22%3E%3Cscript%3E")),
            ("javascript:alert(1)", None),
            (" JaVaScRiPt:alert(1)", None),
            ("data:text/html,<b>", None),
            ("/relative", None),
            ("", None),
        ];
        for (input, want) in table {
            assert_eq!(href(input).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn times_are_in_the_portal_zone() {
        let t = DateTime::<Utc>::from_timestamp(1_764_000_000, 0).unwrap(); // 2025-11-24 16:00 UTC
        assert_eq!(time(t, chrono_tz::Asia::Almaty), "24.11.2025 21:00");
        assert_eq!(time(t, chrono_tz::UTC), "24.11.2025 16:00");
        assert_eq!(time_of(None, chrono_tz::UTC), "—");
        assert!(zone(chrono_tz::Asia::Almaty).starts_with("Asia/Almaty, UTC+0"), "{}", zone(chrono_tz::Asia::Almaty));
    }
}
