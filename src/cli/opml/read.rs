//! Reading an OPML file: every feed it lists, with the folders it sits in.
//!
//! Readers write OPML in several dialects and all are read the same way:
//! version 1.0 or 2.0; attribute names in any case (`xmlUrl`, `xmlurl`);
//! a name in `title`, `text` or both; `type="rss"`, `"atom"` or none. An
//! outline with an `xmlUrl` is a feed, any other outline a folder, and
//! folders nest. Two shapes are undone here: Thunderbird's folder made for
//! each feed (a folder holding only that feed, under the feed's name) and
//! an outline wrapping the whole account (named in the `<head>` title
//! `Thunderbird OPML Export - ACCOUNT`); neither says what the feed is about.
//!
//! syndic's own exports add attributes in the [`SYNDIC_NAMESPACE`]
//! (`syndic:id`, `syndic:kind`, …) and `<syndic:region>` elements in the
//! head; they are kept raw here and checked by the plan.
//!
//! The file is hostile input. It is parsed with quick-xml (not patterns),
//! after the bytes are decoded like a feed's (BOM, declaration, detection)
//! and stale `<?xml?>` declarations removed; the size, the nesting depth and
//! the number of outlines are bounded; a DTD's entities are never expanded
//! (an undeclared `&nbsp;` in an attribute is read as an HTML entity).

use std::collections::BTreeMap;

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::naming::fold;
use crate::publish::SYNDIC_NAMESPACE;

/// Larger files are refused (a reader's export of 10,000 feeds is ~2 MB).
pub const MAX_BYTES: u64 = 16 << 20;
/// Deeper nesting is refused.
pub const MAX_DEPTH: usize = 64;
/// More outlines are refused.
pub const MAX_OUTLINES: usize = 200_000;

/// One feed outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// `title`, else `text`, else the URL.
    pub title: String,
    /// `xmlUrl` as written.
    pub url: String,
    /// Titles of the folders it is in, outermost first (Thunderbird's
    /// per-feed folder and account wrapper left out).
    pub folders: Vec<String>,
    /// `syndic:*` attributes by local name.
    pub syndic: BTreeMap<String, String>,
    /// 1-based line of the outline, for messages.
    pub line: usize,
}

/// What the file holds.
#[derive(Debug, Default)]
pub struct Document {
    /// Feeds in document order (a feed in two folders appears twice).
    pub feeds: Vec<Feed>,
    /// `<syndic:region slug=… title=…>` from the head: (slug, title).
    pub regions: Vec<(String, String)>,
    /// Folders with a `syndic:category` (slug, title), empty ones too.
    pub categories: Vec<(String, String)>,
    /// Outlines that were skipped: (line, the reason, naming the line).
    pub problems: Vec<(usize, String)>,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The XML is broken.
    #[error("line {line}: not well-formed XML: {message}")]
    Xml {
        /// 1-based line of the error.
        line: usize,
        /// The parser's words.
        message: String,
    },
    /// The root element is not `<opml>`.
    #[error("not an OPML file: the root element is <{0}>, not <opml>")]
    NotOpml(String),
    /// Nesting past [`MAX_DEPTH`].
    #[error("outlines nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// More than [`MAX_OUTLINES`] outlines.
    #[error("more than {MAX_OUTLINES} outlines")]
    TooMany,
}

/// An open folder while reading.
struct Folder {
    title: String,
    children: usize,
}

/// A feed before its folder path is settled: indices into the folder list.
struct Pending {
    feed: Feed,
    path: Vec<usize>,
}

/// Reads OPML bytes.
pub fn read(bytes: &[u8]) -> Result<Document, ReadError> {
    let decoded = crate::fetch::charset::decode(bytes, None);
    let text = crate::fetch::charset::prepare_xml(&decoded.text);
    // quick-xml asserts on a few malformed inputs in some versions: a panic
    // must not take the command down without saying what was wrong.
    std::panic::catch_unwind(|| parse(&text))
        .unwrap_or_else(|_| Err(ReadError::Xml { line: 0, message: "the XML parser gave up on this file".into() }))
}

fn parse(text: &str) -> Result<Document, ReadError> {
    let mut reader = NsReader::from_str(text);
    let mut doc = Document::default();
    let mut folders: Vec<Folder> = Vec::new();
    // Open outlines: Some(folder index) for a folder, None for a feed.
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut root_seen = false;
    let mut head_title: Option<String> = None;
    let mut in_title = false;
    let mut outlines = 0usize;
    // Elements open: a file that ends with some open was cut short.
    let mut open = 0usize;
    let line_at = |pos: u64| text.get(..pos as usize).map_or(0, |t| t.matches('\n').count() + 1);
    loop {
        let event = reader.read_event().map_err(|e| ReadError::Xml { line: line_at(reader.error_position()), message: e.to_string() })?;
        let position = reader.buffer_position();
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            open += usize::from(!empty);
            let local = e.local_name().as_ref().to_ascii_lowercase();
            if !root_seen {
                if local != "opml" {
                    return Err(ReadError::NotOpml(e.name().as_ref().to_string()));
                }
                root_seen = true;
                continue;
            }
            match local.as_str() {
                "outline" => {
                    outlines += 1;
                    if outlines > MAX_OUTLINES {
                        return Err(ReadError::TooMany);
                    }
                    if let Some(Some(parent)) = stack.last()
                        && let Some(f) = folders.get_mut(*parent)
                    {
                        f.children += 1;
                    }
                    let outline = Outline::of(&reader, e);
                    let path: Vec<usize> = stack.iter().flatten().copied().collect();
                    let line = line_at(position);
                    let is_feed = match outline.feed(line) {
                        Ok(Some(feed)) => {
                            pending.push(Pending { feed, path });
                            true
                        }
                        Ok(None) => false,
                        Err(problem) => {
                            doc.problems.push((line, problem));
                            true
                        }
                    };
                    if !is_feed && let (Some(slug), Some(title)) = (outline.syndic.get("category"), outline.name()) {
                        doc.categories.push((slug.clone(), title));
                    }
                    if !empty {
                        if stack.len() >= MAX_DEPTH {
                            return Err(ReadError::TooDeep);
                        }
                        if is_feed {
                            stack.push(None);
                        } else {
                            folders.push(Folder { title: outline.name().unwrap_or_default(), children: 0 });
                            stack.push(Some(folders.len() - 1));
                        }
                    }
                }
                "title" if !empty && stack.is_empty() => in_title = head_title.is_none(),
                "region" if is_syndic(&reader, e) => {
                    let o = Outline::of(&reader, e);
                    if let (Some(slug), Some(title)) = (o.plain.get("slug"), o.plain.get("title")) {
                        doc.regions.push((slug.clone(), title.clone()));
                    }
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::End(e) => {
                open = open.saturating_sub(1);
                let local = e.local_name();
                if local.as_ref().eq_ignore_ascii_case("outline") {
                    stack.pop();
                } else if local.as_ref().eq_ignore_ascii_case("title") {
                    in_title = false;
                }
            }
            Event::Text(t) if in_title => head_title.get_or_insert_default().push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) if in_title => {
                let name = r.xml_content(XmlVersion::Implicit1_0);
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => resolve_predefined_entity(&name).map_or_else(|| format!("&{name};"), str::to_string),
                };
                head_title.get_or_insert_default().push_str(&resolved);
            }
            Event::Eof if open > 0 => {
                return Err(ReadError::Xml {
                    line: line_at(position),
                    message: "the file ends before its elements are closed (cut short?)".into(),
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(ReadError::Xml { line: 1, message: "the file is empty or has no root element".into() });
    }
    let account = head_title.as_deref().and_then(thunderbird_account).map(|a| fold(&a));
    doc.feeds = pending.into_iter().map(|p| settle(p, &folders, account.as_deref())).collect();
    Ok(doc)
}

/// The folder titles that say something about the feed.
fn settle(p: Pending, folders: &[Folder], account: Option<&str>) -> Feed {
    let mut path: Vec<&Folder> = p.path.iter().filter_map(|&i| folders.get(i)).collect();
    if let (Some(account), Some(first)) = (account, path.first())
        && fold(&first.title) == account
    {
        path.remove(0);
    }
    if let Some(last) = path.last()
        && last.children == 1
        && alnum(&last.title) == alnum(&p.feed.title)
    {
        path.pop();
    }
    let folders = path.iter().map(|f| f.title.clone()).filter(|t| !t.is_empty()).collect();
    Feed { folders, ..p.feed }
}

fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// `Thunderbird OPML Export - Blogs & News Feeds` → `Blogs & News Feeds`.
fn thunderbird_account(title: &str) -> Option<String> {
    let (_, account) = title.split_once(" OPML Export - ")?;
    Some(account.trim().to_string())
}

fn is_syndic(reader: &NsReader<&[u8]>, e: &BytesStart<'_>) -> bool {
    match reader.resolver().resolve_element(e.name()).0 {
        ResolveResult::Bound(ns) => ns.as_ref() == SYNDIC_NAMESPACE,
        ResolveResult::Unknown(prefix) => prefix == "syndic",
        ResolveResult::Unbound => false,
    }
}

/// The attributes of one outline.
#[derive(Default)]
struct Outline {
    /// Un-namespaced attributes, names lower-cased.
    plain: BTreeMap<String, String>,
    /// `syndic:*` attributes.
    syndic: BTreeMap<String, String>,
}

impl Outline {
    fn of(reader: &NsReader<&[u8]>, e: &BytesStart<'_>) -> Outline {
        let mut out = Outline::default();
        // A malformed attribute (no value, no quotes) ends the list: what
        // came before it is kept.
        for attr in e.attributes().with_checks(false).map_while(Result::ok) {
            let value = attr
                .normalized_value_with(XmlVersion::Implicit1_0, 8, resolve_predefined_entity)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| html_escape::decode_html_entities(&attr.value).into_owned());
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            let (ns, local) = reader.resolver().resolve_attribute(attr.key);
            let local = local.as_ref().to_string();
            let syndic = match ns {
                ResolveResult::Bound(ns) => ns.as_ref() == SYNDIC_NAMESPACE,
                ResolveResult::Unknown(prefix) => prefix == "syndic",
                ResolveResult::Unbound => false,
            };
            if syndic {
                out.syndic.insert(local, value);
            } else if attr.key.prefix().is_none() {
                out.plain.insert(local.to_ascii_lowercase(), value);
            }
        }
        // syndic's exports before the namespace: `syndicId`, `syndicKind`.
        for (old, new) in [("syndicid", "id"), ("syndickind", "kind")] {
            if let Some(v) = out.plain.get(old).cloned() {
                out.syndic.entry(new.into()).or_insert(v);
            }
        }
        out
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.plain.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn name(&self) -> Option<String> {
        self.get("title").or_else(|| self.get("text")).map(str::to_string)
    }

    /// `Ok(Some)` for a feed, `Ok(None)` for a folder, `Err` for an outline
    /// that says it is a feed but names none.
    fn feed(&self, line: usize) -> Result<Option<Feed>, String> {
        let kind = self.get("type").map(str::to_ascii_lowercase);
        let says_feed = matches!(kind.as_deref(), Some("rss" | "atom" | "feed" | "json"));
        // Thunderbird also reads `url` on a type="rss" outline.
        let url = self.get("xmlurl").or_else(|| self.get("url").filter(|_| says_feed));
        // FreshRSS's scraped pages (`HTML+XPath`, `XML+XPath`) carry the
        // page's address in xmlUrl; OPML's `link` and `include` are not feeds.
        if let (Some(kind), Some(_)) = (&kind, url)
            && ["xpath", "html", "link", "include"].iter().any(|k| kind.contains(k))
        {
            return Err(format!("line {line}: «{}» is type=\"{kind}\", a web page, not a feed", self.name().unwrap_or_default()));
        }
        match url {
            Some(url) => Ok(Some(Feed {
                title: self.name().unwrap_or_else(|| url.to_string()),
                url: url.to_string(),
                folders: Vec::new(),
                syndic: self.syndic.clone(),
                line,
            })),
            None if says_feed => Err(format!("line {line}: «{}» has type=\"rss\" but no xmlUrl", self.name().unwrap_or_default())),
            None => Ok(None),
        }
    }
}

/// One feed and every place the file lists it.
pub(super) struct Unique<'a> {
    pub url: url::Url,
    pub first: &'a Feed,
    pub all: Vec<&'a Feed>,
}

#[cfg(test)]
mod tests;
