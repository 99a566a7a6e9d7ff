//! `srcset` candidate lists, held to the rules `src` and `href` follow.
//!
//! ammonia checks the schemes of URL attributes it knows (`src`, `href`…)
//! but treats `srcset` as plain text, so `<img srcset="javascript:x 1x">` or
//! a `data:` image passed through, and relative candidates stayed relative
//! to a feed the reader never sees. [`filter`] reads the candidate list the
//! way browsers do (HTML's "parse a srcset attribute": a URL runs to the next
//! whitespace, so URLs may contain commas, as `data:` URLs and many image
//! CDNs' do), resolves each URL against the page or feed like `src`, and
//! keeps the attribute only when every candidate is http(s). One bad
//! candidate drops the whole attribute: the image keeps its `src`.

use url::Url;

/// The schemes a candidate may have after resolution.
const SCHEMES: [&str; 2] = ["http", "https"];

/// The candidate list with every URL absolute, or `None` when a candidate
/// is not http(s) (or there is none).
pub fn filter(value: &str, base: &Url) -> Option<String> {
    let candidates = parse(value);
    if candidates.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(value.len() + 32);
    for (url, descriptors) in candidates {
        let resolved = base.join(url).ok().filter(|u| SCHEMES.contains(&u.scheme()))?;
        if !out.is_empty() {
            out.push_str(", ");
        }
        // A trailing comma would be read back as a separator, not as part
        // of the URL: escaped, the list reads the same after another pass.
        let resolved = resolved.as_str();
        let kept = resolved.trim_end_matches(',');
        out.push_str(kept);
        for _ in kept.len()..resolved.len() {
            out.push_str("%2C");
        }
        for d in descriptors {
            out.push(' ');
            out.push_str(d);
        }
    }
    Some(out)
}

/// One candidate: its URL and its descriptors (`2x`, `480w`), as written.
type Candidate<'a> = (&'a str, Vec<&'a str>);

/// The candidates of a `srcset` value: (URL, descriptors), as HTML's
/// "parse a srcset attribute" splits them (descriptors are not judged:
/// they are copied as written and cannot carry a URL).
fn parse(value: &str) -> Vec<Candidate<'_>> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r');
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c| ws(c) || c == ',');
        if rest.is_empty() {
            return out;
        }
        let url_end = rest.find(ws).unwrap_or(rest.len());
        let url = &rest[..url_end];
        rest = &rest[url_end..];
        if url.ends_with(',') {
            // "a.jpg," ends the candidate: no descriptors.
            out.push((url.trim_end_matches(','), Vec::new()));
            continue;
        }
        let (descriptors, after) = descriptors(rest);
        out.push((url, descriptors));
        rest = after;
    }
}

/// The descriptors after a URL, up to the comma that ends the candidate
/// (a comma inside parentheses does not), and what follows that comma.
fn descriptors(s: &str) -> (Vec<&str>, &str) {
    let mut out = Vec::new();
    let mut start = None;
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => {
                depth += 1;
                start.get_or_insert(i);
            }
            ')' if depth > 0 => depth -= 1,
            ',' if depth == 0 => {
                if let Some(st) = start.take() {
                    out.push(&s[st..i]);
                }
                return (out, &s[i + 1..]);
            }
            ' ' | '\t' | '\n' | '\x0c' | '\r' if depth == 0 => {
                if let Some(st) = start.take() {
                    out.push(&s[st..i]);
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_table() {
        let base = Url::parse("https://liter.kz/news/").unwrap();
        let cases: [(&str, Option<&str>); 16] = [
            ("a.jpg 1x, /b.jpg 2x", Some("https://liter.kz/news/a.jpg 1x, https://liter.kz/b.jpg 2x")),
            ("https://cdn.kz/a.jpg 480w,https://cdn.kz/b.jpg 800w", Some("https://cdn.kz/a.jpg 480w, https://cdn.kz/b.jpg 800w")),
            ("//cdn.kz/a.jpg", Some("https://cdn.kz/a.jpg")),
            // Commas inside a URL belong to it.
            (
                "https://cdn.kz/w_100,h_50/a.jpg 1x, https://cdn.kz/w_200,h_100/a.jpg 2x",
                Some("https://cdn.kz/w_100,h_50/a.jpg 1x, https://cdn.kz/w_200,h_100/a.jpg 2x"),
            ),
            ("a.jpg,b.jpg 2x", Some("https://liter.kz/news/a.jpg,b.jpg 2x")),
            ("a.jpg, b.jpg 2x", Some("https://liter.kz/news/a.jpg, https://liter.kz/news/b.jpg 2x")),
            ("  a.jpg   1.5x  ,  ,b.jpg  ", Some("https://liter.kz/news/a.jpg 1.5x, https://liter.kz/news/b.jpg")),
            // Any script or data candidate drops the attribute.
            ("javascript:alert(1)", None),
            ("a.jpg 1x, javascript:alert(1) 2x", None),
            ("JaVaScRiPt:alert(1) 1x", None),
            ("data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+ 1x", None),
            ("data:text/html,<script>alert(1)</script> 2x, a.jpg 1x", None),
            (" vbscript:x", None),
            ("a.jpg 1x, \tjavascript:alert(1)", None),
            ("", None),
            (" , , ", None),
        ];
        for (input, want) in cases {
            assert_eq!(filter(input, &base).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn candidates_split_as_browsers_split_them() {
        let cases: [(&str, Vec<Candidate>); 5] = [
            ("a.jpg 1x, b.jpg 2x", vec![("a.jpg", vec!["1x"]), ("b.jpg", vec!["2x"])]),
            ("a.jpg,b.jpg", vec![("a.jpg,b.jpg", vec![])]),
            ("a.jpg, b.jpg", vec![("a.jpg", vec![]), ("b.jpg", vec![])]),
            ("a.jpg 100w 50h,b.jpg", vec![("a.jpg", vec!["100w", "50h"]), ("b.jpg", vec![])]),
            ("a.jpg (x, y) 1x, b.jpg", vec![("a.jpg", vec!["(x, y)", "1x"]), ("b.jpg", vec![])]),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), want, "{input:?}");
        }
    }

    #[test]
    fn a_filtered_list_filters_to_itself() {
        let base = Url::parse("https://liter.kz/news/").unwrap();
        for input in ["a.jpg 1x, /b,c.jpg 2x", "a, 1x", "https://x.kz/a,,, 2x", "a.jpg (1, 2) 3x,b"] {
            let once = filter(input, &base).unwrap();
            assert_eq!(filter(&once, &base).as_deref(), Some(once.as_str()), "{input:?}");
        }
    }
}
