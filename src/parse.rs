//! Bytes (already decoded to UTF-8) to [`Entry`]s, with feed-rs.
//!
//! This is the only module that knows feed-rs. It reads RSS 0.9x/1.0/2.0,
//! Atom and JSON Feed, adapts every entry into our own [`Entry`], and never
//! lets the parser take the process down: a panic inside feed-rs (it has
//! them, see STACK.md) becomes a [`ParseError::Panicked`]. A feed that fails
//! to parse gets one repair pass (bare `&`, NUL character references) and a
//! second try, because real publishers send those mistakes every day
//! (a JSON Feed's repair is its lone surrogates, [`json`]). A document
//! nested deeper than feed-rs's recursion can bear is refused before it
//! is parsed ([`depth`]): a stack overflow would abort the process.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use feed_rs::model;
use url::Url;

use crate::model::Entry;

pub mod depth;
pub mod json;

/// A date reader for the formats feed-rs does not know (zone-less, Russian).
pub type DateParser = Arc<dyn Fn(&str) -> Option<DateTime<Utc>> + Send + Sync>;

/// A parsed feed.
#[derive(Debug, Default)]
pub struct ParsedFeed {
    /// The feed's own title.
    pub title: Option<String>,
    /// The feed's `<ttl>` in minutes (RSS).
    pub ttl: Option<u32>,
    /// Entries in document order.
    pub entries: Vec<Entry>,
    /// Whether the repair pass was needed.
    pub repaired: bool,
}

/// Why a body is not a feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("empty body")]
    Empty,
    /// The parser rejected the document, even after repair.
    #[error("not a valid feed: {0}")]
    Invalid(String),
    /// Elements nest deeper than [`depth::MAX_DEPTH`]: refused unparsed.
    #[error(
        "feed nests elements more than {limit} deep (at byte {offset}): refused unparsed, a parser would exhaust its stack; the source sends malformed or hostile XML"
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Byte offset of the first start tag past it.
        offset: usize,
    },
    /// The parser panicked; the document is certainly malformed.
    #[error("feed parser crashed on this document ({0}); the source sends malformed XML")]
    Panicked(String),
}

/// Parses a decoded feed document. `base` resolves relative links.
pub fn parse(text: &str, base: &Url, dates: &DateParser) -> Result<ParsedFeed, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let text = &*space_before_emails(text);
    let json = is_json(text);
    if !json {
        // JSON nests through serde_json, which stops at 128 levels itself.
        depth::check(text, depth::MAX_DEPTH).map_err(|e| ParseError::TooDeep { limit: depth::MAX_DEPTH, offset: e.offset })?;
    }
    let text = &*drop_rss_default_namespace(text);
    let text = &*flatten_rss_title_markup(text);
    let text = &*turbo_content_as_content_encoded(text);
    match parse_once(text, base, dates) {
        Ok(feed) => Ok(adapt(feed, false)),
        Err(first) => {
            let repaired = if json { json::repair_surrogates(text).into_owned() } else { repair(text) };
            if repaired == text {
                return Err(first);
            }
            parse_once(&repaired, base, dates).map(|f| adapt(f, true)).map_err(|_| first)
        }
    }
}

fn parse_once(text: &str, base: &Url, dates: &DateParser) -> Result<model::Feed, ParseError> {
    let dates = Arc::clone(dates);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // No synthetic ids: an entry without one is keyed on its link later.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(move |s| dates(s))
        .build();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match catch_unwind(AssertUnwindSafe(|| parser.parse(text.as_bytes()))) {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(ParseError::Invalid(e.to_string())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ParseError::Panicked(msg))
        }
    }
}

/// Whether feed-rs will read `text` as a JSON Feed: it decides on which
/// of `<` and `{` comes first.
fn is_json(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2(b'<', b'{', bytes).is_some_and(|i| bytes[i] == b'{')
}

/// feed-rs 3.0 slices an author string one byte before an e-mail address,
/// and panics when that byte is inside a multi-byte character that is not
/// a letter (`Иван\u{a0}ivan@mail.kz`, `«ivan@mail.kz»`; found by fuzzing).
/// An ASCII space is put between such a character and the address.
pub fn space_before_emails(text: &str) -> std::borrow::Cow<'_, str> {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut cuts = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at].char_indices().rev().take_while(|&(_, c)| local(c)).last().map_or(at, |(i, _)| i);
        if let Some(before) = text[..start].chars().next_back()
            && before.len_utf8() > 1
            && !before.is_alphanumeric()
        {
            cuts.push(start);
        }
    }
    if cuts.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + cuts.len());
    let mut from = 0;
    for cut in cuts {
        out.push_str(&text[from..cut]);
        out.push(' ');
        from = cut;
    }
    out.push_str(&text[from..]);
    std::borrow::Cow::Owned(out)
}

/// RSS 2.0 has no namespace, but some publishers put one on the root
/// (`<rss xmlns="http://backend.userland.com/rss2">`, a Radio UserLand
/// habit that Yandex's feed templates copied). feed-rs 3.0 then files every
/// element under that unknown namespace and finds a valid feed with no
/// entries: a silent loss, not an error. The declaration is dropped from the
/// `<rss>` start tag (prefixed `xmlns:…` declarations stay). Upstream:
/// feed-rs matches RSS elements only when their namespace is unset or RSS.
pub fn drop_rss_default_namespace(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = root_start(text) else { return std::borrow::Cow::Borrowed(text) };
    let tag = &text[start..];
    if !tag.starts_with("<rss") || !tag[4..].starts_with(|c: char| c.is_ascii_whitespace()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let Some(end) = tag.find('>') else { return std::borrow::Cow::Borrowed(text) };
    let head = &tag[..end];
    let mut at = 0;
    while let Some(i) = head[at..].find("xmlns") {
        let name_at = at + i;
        let after = head[name_at + 5..].trim_start();
        let preceded_by_space = head[..name_at].ends_with(|c: char| c.is_ascii_whitespace());
        if preceded_by_space && let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let Some(quote) = value.chars().next().filter(|q| *q == '"' || *q == '\'') else { break };
            let Some(close) = value[1..].find(quote) else { break };
            let value_end = head.len() - value.len() + 1 + close + 1;
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[..start + name_at]);
            out.push_str(&text[start + value_end..]);
            return std::borrow::Cow::Owned(out);
        }
        at = name_at + 5;
    }
    std::borrow::Cow::Borrowed(text)
}

/// Some RSS generators put raw markup inside `<title>`
/// (`<title><b>Имя</b>: цитата</title>`, ukranews' interviews). RSS titles
/// are text, and feed-rs keeps only the text before the first child
/// element, here nothing but white space: the item lost its title and, with
/// an empty description, was dropped. The child tags are removed so that
/// their text stays (feedparser reads such titles the same way). Only in RSS
/// documents: an Atom `<title type="xhtml">` holds markup by design.
pub fn flatten_rss_title_markup(text: &str) -> std::borrow::Cow<'_, str> {
    if !root_start(text).is_some_and(|at| text[at..].starts_with("<rss")) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(i) = text[at..].find("<title>") {
        let inner_start = at + i + "<title>".len();
        let Some(len) = text[inner_start..].find("</title>") else { break };
        let inner = &text[inner_start..inner_start + len];
        at = inner_start + len;
        if !inner.contains('<') || inner.contains("<![CDATA[") {
            continue;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
        buf.push_str(&text[copied..inner_start]);
        let mut rest = inner;
        while let Some(open) = rest.find('<') {
            buf.push_str(&rest[..open]);
            rest = rest[open..].find('>').map_or("", |close| &rest[open + close + 1..]);
        }
        buf.push_str(rest);
        copied = at;
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            std::borrow::Cow::Owned(buf)
        }
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Yandex Turbo feeds (common on Russian and Kazakh news sites) carry the
/// story in `<turbo:content>`, often with no title and no description:
/// feed-rs does not know that element, and such an item came out empty and
/// was dropped. The element is renamed `<content:encoded>`, which it means,
/// and the `content` prefix declared on `<rss>` when it is missing.
pub fn turbo_content_as_content_encoded(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("<turbo:content>") {
        return std::borrow::Cow::Borrowed(text);
    }
    let Some(root) = root_start(text).filter(|&at| text[at..].starts_with("<rss")) else { return std::borrow::Cow::Borrowed(text) };
    let mut out = text.replace("<turbo:content>", "<content:encoded>").replace("</turbo:content>", "</content:encoded>");
    let head_end = out[root..].find('>').map_or(root, |i| root + i);
    if !out[root..head_end].contains("xmlns:content=") {
        out.insert_str(root + "<rss".len(), " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"");
    }
    std::borrow::Cow::Owned(out)
}

/// Byte offset of the root element's `<`, past the prolog (declaration,
/// processing instructions, comments, doctype, whitespace, a BOM).
fn root_start(text: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("<?") {
            at += trimmed.find("?>")? + 2;
        } else if trimmed.starts_with("<!--") {
            at += trimmed.find("-->")? + 3;
        } else if trimmed.starts_with("<!") {
            at += trimmed.find('>')? + 1;
        } else if trimmed.starts_with('<') {
            return Some(at);
        } else {
            return None;
        }
    }
}

/// Fixes the mistakes that make a whole feed unreadable: a bare `&`
/// (`AT&T`) and NUL character references.
pub fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let entity_len = after.find(';').filter(|&end| end > 0 && end <= 32).filter(|&end| {
            let name = &after[..end];
            name.chars().all(|c| c.is_ascii_alphanumeric())
                || (name.starts_with('#') && name.len() > 1 && name[1..].chars().all(|c| c.is_ascii_hexdigit() || c == 'x' || c == 'X'))
        });
        match entity_len {
            Some(end) if is_nul_reference(&after[..end]) => rest = &after[end + 1..],
            Some(_) => {
                out.push('&');
                rest = after;
            }
            None => {
                out.push_str("&amp;");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_nul_reference(name: &str) -> bool {
    let Some(num) = name.strip_prefix('#') else { return false };
    let value = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => num.parse::<u32>().ok(),
    };
    value == Some(0)
}

fn adapt(feed: model::Feed, repaired: bool) -> ParsedFeed {
    ParsedFeed {
        title: feed.title.map(|t| t.content),
        ttl: feed.ttl,
        entries: feed.entries.into_iter().map(adapt_entry).collect(),
        repaired,
    }
}

fn adapt_entry(e: model::Entry) -> Entry {
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty());
    let image = e.media.iter().find_map(|m| {
        m.content
            .iter()
            .find(|c| c.content_type.as_ref().is_none_or(|t| t.ty() == "image"))
            .and_then(|c| c.url.as_ref().map(|u| u.to_string()))
            .or_else(|| m.thumbnails.first().map(|t| t.image.uri.clone()))
    });
    Entry {
        guid: Some(e.id.trim().to_string()).filter(|id| !id.is_empty()),
        link,
        title: e.title.map(|t| t.content),
        summary: e.summary.map(|t| t.content),
        content: e.content.and_then(|c| c.body),
        authors: e.authors.into_iter().filter_map(person_name).collect(),
        categories: e.categories.into_iter().map(|c| c.label.unwrap_or(c.term)).collect(),
        published: e.published.or(e.updated),
        updated: e.updated,
        image,
    }
}

/// RSS `<author>` is often `email (Name)`: keep the name.
fn person_name(p: model::Person) -> Option<String> {
    let name = p.name.as_deref()?.trim();
    // feed-rs splits `email (Name)` into the email and `(Name)`.
    let name = name.strip_prefix('(').and_then(|n| n.strip_suffix(')')).unwrap_or(name).trim();
    if let (Some(open), true) = (name.find('('), name.ends_with(')')) {
        let inner = name[open + 1..name.len() - 1].trim();
        if !inner.is_empty() && name[..open].contains('@') {
            return Some(inner.to_string());
        }
    }
    Some(name.to_string()).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_dates() -> DateParser {
        Arc::new(|_| None)
    }

    fn base() -> Url {
        Url::parse("https://example.kz/rss").unwrap()
    }

    #[test]
    fn repairs_table() {
        let cases = [
            ("AT&T", "AT&amp;T"),
            ("a &amp; b", "a &amp; b"),
            ("&#0;x&#x0;", "x"),
            ("&#1057;", "&#1057;"),
            ("&nbsp;", "&nbsp;"),
            ("Q&A; R&D", "Q&A; R&amp;D"),
            ("tail &", "tail &amp;"),
        ];
        for (input, want) in cases {
            assert_eq!(repair(input), want, "{input:?}");
        }
    }

    #[test]
    fn bare_ampersand_feed_is_repaired() {
        let xml = "<rss version=\"2.0\"><channel><title>t</title><item><title>AT&T покупает</title><link>https://example.kz/a</link></item></channel></rss>";
        let feed = parse(xml, &base(), &no_dates()).unwrap();
        assert!(feed.repaired);
        assert_eq!(feed.entries[0].title.as_deref(), Some("AT&T покупает"));
    }

    #[test]
    fn entries_without_guid_have_none_and_relative_links_resolve() {
        let xml = "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><link>/news/1</link><author>a@b.kz (Айгуль)</author></item></channel></rss>";
        let feed = parse(xml, &base(), &no_dates()).unwrap();
        let e = &feed.entries[0];
        assert_eq!(e.guid, None);
        assert_eq!(e.link.as_deref(), Some("https://example.kz/news/1"));
        assert_eq!(e.authors, vec!["Айгуль".to_string()]);
    }

    /// Three of the corpus's real feeds declare Radio UserLand's namespace
    /// on `<rss>`; feed-rs read them as valid feeds with no entries.
    #[test]
    fn rss_with_a_default_namespace_keeps_its_entries() {
        let item = "<channel><title>t</title><item><title>Первая</title><link>https://example.kz/1</link></item><item><title>Вторая</title><link>https://example.kz/2</link></item></channel></rss>";
        let heads = [
            "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">",
            "<?xml version=\"1.0\"?>\n<!-- generated -->\n<rss xmlns:yandex=\"http://news.yandex.ru\" xmlns = 'https://backend.userland.com/rss2' version=\"2.0\">",
            "\u{feff}<rss\n  xmlns=\"http://example.com/anything\"\n  version=\"2.0\">",
        ];
        for head in heads {
            let feed = parse(&format!("{head}{item}"), &base(), &no_dates()).unwrap();
            let titles: Vec<_> = feed.entries.iter().filter_map(|e| e.title.as_deref()).collect();
            assert_eq!(titles, ["Первая", "Вторая"], "{head}");
        }
        // Prefixed declarations and other roots are left alone.
        for untouched in [
            "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel/></rss>",
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title></feed>",
            "<rssfeed xmlns=\"x\"/>",
        ] {
            assert!(matches!(drop_rss_default_namespace(untouched), std::borrow::Cow::Borrowed(_)), "{untouched}");
        }
    }

    /// ukranews' interviews put `<b>` inside `<title>`: the item kept no
    /// title and was dropped.
    #[test]
    fn rss_titles_with_markup_keep_their_text() {
        let xml = "<rss version=\"2.0\"><channel><title>t</title><item><title>\n  <b>Анжела Печенизкая</b>: понимаю &amp; знаю\n</title><link>https://example.kz/1</link><description></description></item>\
                   <item><title><![CDATA[<i>x</i>]]></title><link>https://example.kz/2</link></item></channel></rss>";
        let feed = parse(xml, &base(), &no_dates()).unwrap();
        assert_eq!(feed.entries[0].title.as_deref().map(str::trim), Some("Анжела Печенизкая: понимаю & знаю"));
        assert_eq!(feed.entries[1].title.as_deref(), Some("<i>x</i>"), "CDATA is left alone");
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"xhtml\"><div>t</div></title></feed>";
        assert!(matches!(flatten_rss_title_markup(atom), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn turbo_content_is_the_story() {
        let xml = "<rss xmlns:turbo=\"http://turbo.yandex.ru\" version=\"2.0\"><channel><title>t</title><item turbo=\"true\">\
                   <link>https://example.kz/1</link><turbo:content><![CDATA[<header><h1>Заголовок</h1></header><p>Текст новости</p>]]></turbo:content></item></channel></rss>";
        let feed = parse(xml, &base(), &no_dates()).unwrap();
        assert!(feed.entries[0].content.as_deref().is_some_and(|c| c.contains("<p>Текст новости</p>")), "{:?}", feed.entries[0]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in ["", "   ", "<html><body>not a feed</body></html>", "<rss><channel><item><title>cut", "{\"version\": 1"] {
            assert!(parse(input, &base(), &no_dates()).is_err(), "{input:?}");
        }
    }
}

#[cfg(test)]
mod regression {
    use super::*;

    /// feed-rs 3 asserts inside quick-xml on a declaration past byte 64 or a
    /// second declaration mid-document: that must be an error, not a crash.
    #[test]
    fn parser_panic_is_contained() {
        let base = Url::parse("https://example.kz/").unwrap();
        let dates: DateParser = Arc::new(|_| None);
        let padding = " ".repeat(80);
        let inputs = [
            format!("{padding}<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>"),
            "<rss version=\"2.0\"><channel><title>t</title><?xml version=\"1.0\" encoding=\"koi8-r\"?><item><title>x</title></item></channel></rss>".to_string(),
        ];
        for input in inputs {
            assert!(matches!(parse(&input, &base, &dates), Err(ParseError::Panicked(_))));
            // The pipeline strips declarations first, and then the feed reads.
            let prepared = crate::fetch::charset::prepare_xml(&input);
            assert!(parse(&prepared, &base, &dates).is_ok(), "{prepared}");
        }
    }

    /// Found by `cargo fuzz run feed`: feed-rs slices an author one byte
    /// before an e-mail address, inside a multi-byte character. The crash
    /// input is kept; the feed now reads, authors and all.
    #[test]
    fn author_with_email_after_a_multibyte_character_reads() {
        let base = Url::parse("https://example.kz/").unwrap();
        let dates: DateParser = Arc::new(|_| None);
        let crash = include_bytes!("../tests/fixtures/fuzz/feed-author-email-after-multibyte.xml");
        let decoded = crate::fetch::charset::decode(crash, None);
        let prepared = crate::fetch::charset::prepare_xml(&decoded.text);
        assert!(!matches!(parse(&prepared, &base, &dates), Err(ParseError::Panicked(_))));
        for author in ["Иван\u{a0}ivan@mail.kz", "Редакция «news@inform.kz»", "▌x@y.kz"] {
            let feed = format!(
                "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><author>{author}</author></item></channel></rss>"
            );
            let parsed = parse(&feed, &base, &dates).unwrap_or_else(|e| panic!("{author}: {e}"));
            assert_eq!(parsed.entries.len(), 1, "{author}");
        }
        assert_eq!(space_before_emails("a «b@c.kz» d"), "a « b@c.kz» d");
        assert_eq!(space_before_emails("Иванa@b.kz plain x@y.kz"), "Иванa@b.kz plain x@y.kz");
    }
}

#[cfg(test)]
mod hostile {
    use super::*;

    /// A feed whose first item nests `n` elements of one shape.
    fn nested(shape: &str, n: usize) -> String {
        match shape {
            "media:group in RSS" => format!(
                "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title>t</title><item><title>x</title>{}{}</item></channel></rss>",
                "<media:group>".repeat(n),
                "</media:group>".repeat(n)
            ),
            "itunes:category" => format!(
                "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><title>t</title>{}{}<item><title>x</title></item></channel></rss>",
                "<itunes:category text=\"a\">".repeat(n),
                "</itunes:category>".repeat(n)
            ),
            _ => format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\"><title>t</title><entry><id>1</id><title>x</title>{}{}</entry></feed>",
                "<media:group>".repeat(n),
                "</media:group>".repeat(n)
            ),
        }
    }

    const SHAPES: [&str; 3] = ["media:group in RSS", "itunes:category", "Atom media:group"];

    /// Nested past the limit, a feed is refused unparsed (feed-rs would
    /// overflow its stack on a thousand levels); at the limit it parses
    /// on a CPU worker's stack.
    #[test]
    fn nesting_is_refused_past_the_limit_and_parses_at_it_on_a_worker_stack() {
        let base = Url::parse("https://example.kz/").unwrap();
        for shape in SHAPES {
            let dates: DateParser = Arc::new(|_| None);
            match parse(&nested(shape, 1000), &base, &dates) {
                Err(ParseError::TooDeep { limit: depth::MAX_DEPTH, .. }) => {}
                other => panic!("{shape}: {other:?}"),
            }
            let at_limit = nested(shape, depth::MAX_DEPTH - 4);
            assert!(depth::check(&at_limit, depth::MAX_DEPTH).is_ok_and(|d| d > depth::MAX_DEPTH - 4), "{shape}");
            let base = base.clone();
            let parsed = std::thread::Builder::new()
                .stack_size(crate::cpu::STACK_BYTES)
                .spawn(move || parse(&at_limit, &base, &dates).map(|f| f.entries.len()).map_err(|e| e.to_string()))
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(parsed, Ok(1), "{shape}");
        }
    }

    /// serde_json rejects a lone surrogate escape, and with it the whole
    /// feed: the repair pass makes it U+FFFD and keeps valid pairs.
    #[test]
    fn json_feed_with_a_lone_surrogate_keeps_every_item() {
        let base = Url::parse("https://example.kz/").unwrap();
        let dates: DateParser = Arc::new(|_| None);
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "AT&T \ud83d\ude00", "items": [
            {"id": "1", "title": "Сломано \ud800 здесь", "content_text": "a"},
            {"id": "2", "title": "Эмодзи \ud83c\uddf0\ud83c\uddff", "content_html": "<p>R&amp;D \\ud800</p>"}]}"#;
        let feed = parse(json, &base, &dates).unwrap();
        assert!(feed.repaired);
        assert_eq!(feed.title.as_deref(), Some("AT&T 😀"));
        let titles: Vec<_> = feed.entries.iter().map(|e| e.title.clone().unwrap_or_default()).collect();
        assert_eq!(titles, ["Сломано \u{fffd} здесь", "Эмодзи 🇰🇿"]);
        assert_eq!(feed.entries[1].content.as_deref(), Some("<p>R&amp;D \\ud800</p>"));
    }
}
