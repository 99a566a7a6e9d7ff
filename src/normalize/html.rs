//! Sanitizing HTML from upstream before it is stored or republished.
//!
//! ammonia (html5ever underneath) keeps a whitelist of tags and attributes:
//! no `script`, `style`, `iframe`, `object`, no event handlers, no
//! `javascript:`/`data:` URLs (in `srcset` candidates too, see
//! [`super::srcset`]), no `style` attributes. Relative URLs are made
//! absolute against the page or feed they came from, and links get
//! `rel="noopener noreferrer"`. Plain text (no `<`, no `&`) skips the parser
//! and is only escaped: most feeds' descriptions are plain text. Invisible
//! and bidi control characters are dropped from the result (see
//! [`super::invisible`]).
//!
//! Every field it returns is at most [`MAX_HTML_BYTES`], and what the
//! parser sees is nested at most [`bound::MAX_DEPTH`] deep: one source's
//! 15 MB description once made a 245 MB merged feed, and 50,000 nested
//! `<div>`s cost html5ever 16 s of CPU per poll. A longer field is cut at
//! a character and tag boundary and ends with [`CUT_MARK`]; the parser
//! closes what the cut left open, so the HTML stays well-formed.

use std::borrow::Cow;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

mod amp;
pub mod bound;

/// Sanitizing passes over one input, at most (see [`Sanitizer::clean`]).
const MAX_PASSES: usize = 8;

/// Longest sanitized HTML kept for one field (summary or content), in
/// bytes: four times the longest story in the corpus (30 KB of full
/// text). Longer fields are cut and end with [`CUT_MARK`]. (html5ever's
/// serializer is quadratic in the `&`s of one text node, 150 ms at 128 KB:
/// [`amp`] keeps them out of its sight.)
pub const MAX_HTML_BYTES: usize = 128 * 1024;

/// What ends a field that was cut, so that a reader sees it was.
pub const CUT_MARK: &str = "…";

/// Room left for the end tags the parser adds after a cut of sanitized
/// HTML: one per open element, at most [`bound::MAX_DEPTH`] and a few.
const CLOSING_ROOM: usize = 8 * 1024;

/// A sanitizer bound to one base URL (one feed or one page).
pub struct Sanitizer {
    builder: Builder<'static>,
}

impl Sanitizer {
    /// A sanitizer that resolves relative URLs against `base`.
    pub fn new(base: &Url) -> Sanitizer {
        let mut builder = Builder::default();
        let srcset_base = base.clone();
        builder
            .url_relative(UrlRelative::RewriteWithBase(base.clone()))
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer"))
            .add_tags(["figure", "figcaption", "picture", "source"])
            .add_tag_attributes("img", ["loading", "srcset"])
            .add_tag_attributes("source", ["srcset", "type", "media"])
            .strip_comments(true)
            // ammonia does not read srcset as URLs: its candidates get the
            // scheme check and resolution that src gets here.
            .attribute_filter(move |_element, attribute, value| match attribute {
                "srcset" => super::srcset::filter(value, &srcset_base).map(Cow::Owned),
                _ => Some(Cow::Borrowed(value)),
            });
        Sanitizer { builder }
    }

    /// Safe HTML for `input`, at most [`MAX_HTML_BYTES`]; `None` when
    /// nothing visible is left.
    pub fn clean(&self, input: &str) -> Option<String> {
        let input = input.trim();
        if input.is_empty() {
            return None;
        }
        // Cut first: the parser never sees more than the cap.
        let input = match bound::cut_point(input, MAX_HTML_BYTES) {
            end if end < input.len() => Cow::Owned(format!("{}{CUT_MARK}", &input[..end])),
            _ => Cow::Borrowed(input),
        };
        let html = if memchr::memchr2(b'<', b'&', input.as_bytes()).is_some() {
            let input = bound::flatten(&input, bound::MAX_DEPTH);
            // Misnested markup (an <h1> opened inside a link inside an <h1>)
            // serializes into HTML that parses differently: passes go on
            // until the output is what every reader's parser will see, so
            // that sanitizing it again changes nothing (property-tested).
            // Nearly all feed HTML is done after one.
            let mut html = self.sanitize(&input);
            for _ in 1..MAX_PASSES {
                if reparses_the_same(&html) {
                    break;
                }
                let again = self.sanitize(&html);
                if again == html {
                    break;
                }
                html = again;
            }
            html
        } else {
            // Escaped as the HTML serializer escapes text (`&`, `<`, `>` and
            // NBSP), so that sanitizing the result again changes nothing.
            html_escape::encode_text(&input).replace('\u{a0}', "&nbsp;")
        };
        // Sanitizing can lengthen what it keeps (absolute URLs, `rel`,
        // escaped `>`): such output is cut again, and parsed once more to
        // close what the cut left open.
        let html = if html.len() > MAX_HTML_BYTES { self.cut_again(&html) } else { html };
        // The serializer writes text and attribute values as characters, so
        // invisible ones arrive here whether they came raw or as references.
        let html = super::invisible::strip(&html);
        let html = html.trim();
        (!html.is_empty()).then(|| html.to_string())
    }

    /// One pass of ammonia, with the text's ampersands and no-break spaces
    /// kept away from html5ever (see [`amp`]).
    fn sanitize(&self, html: &str) -> String {
        amp::restore(self.builder.clean(&amp::protect(html)).to_string())
    }

    /// Sanitized `html`, over the cap, cut to fit it.
    fn cut_again(&self, html: &str) -> String {
        let end = bound::cut_point(html, MAX_HTML_BYTES - CLOSING_ROOM);
        let again = self.sanitize(&format!("{}{CUT_MARK}", &html[..end]));
        if again.len() <= MAX_HTML_BYTES {
            return again;
        }
        // Not seen: a parse of sanitized HTML adds only end tags. Should
        // it ever add more, the field becomes its escaped text.
        let text = super::text::html_to_text(&again);
        let text = html_escape::encode_text(&text[..bound::cut_point(&text, MAX_HTML_BYTES / 6)]).into_owned();
        text + CUT_MARK
    }
}

/// Whether serialized, sanitized HTML parses back into the tree it came
/// from, so that a second pass could change nothing: markup made only of
/// tags that cannot misnest (paragraphs, links, line breaks, images and
/// inline emphasis), with no paragraph inside a paragraph and no link
/// inside a link (the two nestings a parser undoes). That is nearly every
/// feed's HTML; anything else gets the second pass.
fn reparses_the_same(html: &str) -> bool {
    let bytes = html.as_bytes();
    let (mut paragraphs, mut links) = (0usize, 0usize);
    let mut at = 0;
    // The serializer escapes `<` in text, so each one left starts a tag;
    // quoted attribute values (which may hold `<`) are skipped whole.
    while let Some(start) = memchr::memchr(b'<', bytes.get(at..).unwrap_or_default()).map(|i| at + i) {
        let end = super::text::tag_end(bytes, start);
        let tag = html.get(start + 1..end).unwrap_or_default();
        let (closing, tag) = match tag.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        let name = &tag[..tag.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(tag.len())];
        match (closing, name) {
            (false, "p") if paragraphs > 0 => return false,
            (false, "a") if links > 0 => return false,
            (false, "p") => paragraphs += 1,
            (false, "a") => links += 1,
            (true, "p") => paragraphs = paragraphs.saturating_sub(1),
            (true, "a") => links = links.saturating_sub(1),
            (_, "br" | "img" | "b" | "strong" | "i" | "em" | "span") => {}
            _ => return false,
        }
        at = end;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::text;
    use super::*;

    #[test]
    fn relative_urls_resolve_against_each_sanitizers_own_base_on_one_thread() {
        let liter = Sanitizer::new(&Url::parse("https://liter.kz/rss/politics").unwrap());
        let zakon = Sanitizer::new(&Url::parse("https://www.zakon.kz/news/").unwrap());
        for _ in 0..2 {
            assert_eq!(
                liter.clean("<a href=\"/news/1\">a</a> <img src=\"i.jpg\">").as_deref(),
                Some("<a href=\"https://liter.kz/news/1\" rel=\"noopener noreferrer\">a</a> <img src=\"https://liter.kz/rss/i.jpg\">")
            );
            assert_eq!(
                zakon.clean("<a href=\"2\">b</a>").as_deref(),
                Some("<a href=\"https://www.zakon.kz/news/2\" rel=\"noopener noreferrer\">b</a>")
            );
        }
        // Absolute and scheme-relative links are not the base's.
        assert_eq!(
            liter.clean("<a href=\"//tengrinews.kz/x\">c</a>").as_deref(),
            Some("<a href=\"https://tengrinews.kz/x\" rel=\"noopener noreferrer\">c</a>")
        );
    }

    #[test]
    fn markup_the_parser_would_rearrange_is_sanitized_until_it_is_stable() {
        let s = Sanitizer::new(&Url::parse("https://liter.kz/news/").unwrap());
        for input in [
            // Two passes were not enough for this one.
            "<h1><a href=\"/x\"><h1><object><a href=\"/x</p><p>\" title=\"</a><a>\">",
            "<p><marquee><p>",
            "<a href=\"/x\"><object><a href=\"/y\">",
        ] {
            let once = s.clean(input).unwrap_or_default();
            assert_eq!(s.clean(&once).unwrap_or_default(), once, "{input:?}");
        }
    }

    #[test]
    fn only_markup_that_cannot_misnest_skips_the_second_pass() {
        let simple = "<p>Текст <a href=\"https://liter.kz/x\" rel=\"noopener noreferrer\">ссылка</a><br><img src=\"https://liter.kz/i.jpg\"></p><p><strong>Важно</strong> <em>и</em> <span>так</span></p>";
        assert!(reparses_the_same(simple));
        assert!(reparses_the_same("просто текст &lt;p&gt;"));
        for nested in [
            "<p>a<p>b</p></p>",
            "<p><b><p>x</p></b></p>",
            "<a href=\"/x\">a<a href=\"/y\">b</a></a>",
            "<h1>x</h1>",
            "<div>x</div>",
            "<a href=\"/x</p>\"><p>a<p>b</p></p></a>",
            "<",
        ] {
            assert!(!reparses_the_same(nested), "{nested}");
        }
    }

    /// One source's 15 MB description made a 245 MB merged feed: every
    /// field is cut to the cap, says so at its end, and stays HTML that
    /// sanitizing again leaves as it is.
    #[test]
    fn long_fields_are_cut_to_the_cap_well_formed_and_marked() {
        let s = Sanitizer::new(&Url::parse("https://liter.kz/news/").unwrap());
        let paragraphs = "<p>Абзац <b>текста</b> о новостях региона.</p>".repeat(20_000);
        let links = "<a href=1>x</a>".repeat(30_000);
        let arrows = "-> ".repeat(100_000);
        let nested = format!("<blockquote>{}", "<div><span>глубоко ".repeat(20_000));
        for input in [&paragraphs, &links, &arrows, &nested] {
            let out = s.clean(input).unwrap();
            assert!(out.len() <= MAX_HTML_BYTES, "{} bytes", out.len());
            assert!(out.len() > MAX_HTML_BYTES / 2, "cut far too short: {} bytes", out.len());
            assert!(text::html_to_text(&out).ends_with(CUT_MARK), "{}", &out[out.len() - 200..]);
            assert_eq!(s.clean(&out).as_deref(), Some(out.as_str()), "not a fixpoint");
        }
        let short = "<p>Короткий текст</p>";
        assert_eq!(s.clean(short).as_deref(), Some(short), "a field under the cap is not marked");
    }

    /// 50,000 nested `<div>`s took html5ever 16 s: the parser sees the
    /// first 256 levels, and the text inside all of them is kept.
    #[test]
    fn deeply_nested_divs_are_flattened_and_their_text_kept() {
        let s = Sanitizer::new(&Url::parse("https://liter.kz/news/").unwrap());
        let input = format!("{}Суть новости", "<div>".repeat(20_000));
        let out = s.clean(&input).unwrap();
        assert_eq!(out.matches("<div>").count(), bound::MAX_DEPTH);
        assert_eq!(text::html_to_text(&out), "Суть новости");
    }

    #[test]
    fn hostile_html_table() {
        let s = Sanitizer::new(&Url::parse("https://liter.kz/news/").unwrap());
        let cases = [
            ("<p onclick=\"x()\">Текст</p><script>alert(1)</script>", "<p>Текст</p>"),
            ("<a href=\"javascript:alert(1)\">x</a>", "<a rel=\"noopener noreferrer\">x</a>"),
            ("<img src=\"/i.jpg\" onerror=\"x()\">", "<img src=\"https://liter.kz/i.jpg\">"),
            ("<iframe src=\"https://evil\"></iframe>ok", "ok"),
            ("<p style=\"background:url(javascript:x)\">a</p>", "<p>a</p>"),
            ("<a href=\"data:text/html,<script>\">d</a>", "<a rel=\"noopener noreferrer\">d</a>"),
            ("Просто текст < 5", "Просто текст &lt; 5"),
            (">\u{a0}Новости", "&gt;&nbsp;Новости"),
            ("   ", ""),
            ("<p>Рек\u{200b}ла&#x200B;ма\u{202e} 👩\u{200d}⚕</p>", "<p>Реклама 👩\u{200d}⚕</p>"),
            ("Рек\u{2060}лама", "Реклама"),
            (
                "<img src=\"a.jpg\" srcset=\"a.jpg 1x, /b,c.jpg 2x\">",
                "<img src=\"https://liter.kz/news/a.jpg\" srcset=\"https://liter.kz/news/a.jpg 1x, https://liter.kz/b,c.jpg 2x\">",
            ),
            ("<img src=\"a.jpg\" srcset=\"a.jpg 1x, javascript:alert(1) 2x\">", "<img src=\"https://liter.kz/news/a.jpg\">"),
            (
                "<picture><source srcset=\"data:image/svg+xml,&lt;svg onload=alert(1)&gt; 1x\" type=\"image/svg+xml\"><img src=\"a.jpg\"></picture>",
                "<picture><source type=\"image/svg+xml\"><img src=\"https://liter.kz/news/a.jpg\"></picture>",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(s.clean(input).unwrap_or_default(), want, "{input:?}");
        }
    }
}
