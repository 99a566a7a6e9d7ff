//! Entry to item: every field cleaned, every link absolute, every date UTC.
//!
//! [`Normalizer`] is built once per fetched feed (it holds the sanitizer
//! bound to the feed's URL) and turns each [`Entry`] into an [`Item`], or
//! drops it when the source's `exclude` rules match or when it has neither
//! a title nor text. The stored text stays as published; folding for
//! matching happens in `dedup`.

pub mod date;
pub mod html;
pub mod invisible;
pub mod lang;
pub mod srcset;
pub mod text;
pub mod url;

use chrono::{DateTime, Utc};

use crate::config::Source;
use crate::model::{Entry, Item};

/// Longest title kept, in characters; longer ones are cut at a word and
/// end with `…`. Summary and content are capped by the sanitizer
/// ([`html::MAX_HTML_BYTES`]).
pub const MAX_TITLE_CHARS: usize = 500;

/// Longest author line kept, in characters (cut like a title).
pub const MAX_AUTHOR_CHARS: usize = 200;

/// Normalizes the entries of one fetched feed.
pub struct Normalizer<'a> {
    source: &'a Source,
    base: ::url::Url,
    now: DateTime<Utc>,
    sanitizer: html::Sanitizer,
}

impl<'a> Normalizer<'a> {
    /// `base` is the feed's final URL (after redirects); `now` is first-seen time.
    pub fn new(source: &'a Source, base: &::url::Url, now: DateTime<Utc>) -> Self {
        Normalizer { source, base: base.clone(), now, sanitizer: html::Sanitizer::new(base) }
    }

    /// The item for `entry`, or `None` when it is excluded or empty.
    pub fn normalize(&self, entry: Entry) -> Option<Item> {
        let link = entry.link.as_deref().and_then(|l| url::clean(l, Some(&self.base)));
        let summary_html = entry.summary.as_deref().and_then(|s| self.sanitizer.clean(s));
        let content_html = entry.content.as_deref().and_then(|s| self.sanitizer.clean(s));
        let body = summary_html.as_deref().or(content_html.as_deref()).unwrap_or_default();
        let text = text::html_to_text(body);
        let mut title = entry.title.as_deref().map(text::clean).unwrap_or_default();
        if title.is_empty() {
            title = first_words(&text, 12).to_string();
        }
        if title.is_empty() {
            return None;
        }
        truncate_chars(&mut title, MAX_TITLE_CHARS);
        if self.source.exclude.iter().any(|re| re.is_match(&title)) {
            return None;
        }
        let canonical_link = link.as_ref().map(url::canonical);
        let guid = match (&entry.guid, &canonical_link) {
            (Some(guid), _) => guid.clone(),
            (None, Some(key)) => key.clone(),
            // Neither id nor link: the title is all that identifies it.
            (None, None) => format!("title:{}", title.to_lowercase()),
        };
        let language = lang::detect(&[&title, first_words(&text, 60)]);
        let published_at = date::settle(entry.published, self.now);
        let author = Some(entry.authors.iter().map(|a| text::clean(a)).filter(|a| !a.is_empty()).collect::<Vec<_>>().join(", "))
            .filter(|a| !a.is_empty())
            .map(|mut a| {
                truncate_chars(&mut a, MAX_AUTHOR_CHARS);
                a
            });
        let image = entry.image.as_deref().and_then(|i| url::clean(i, Some(&self.base))).map(String::from);
        Some(Item {
            source_id: self.source.id.clone(),
            guid,
            link: link.map(String::from),
            canonical_link,
            title,
            summary_html,
            content_html,
            text,
            author,
            image,
            published_at,
            language: language.map(str::to_string),
            category: self.category(&entry.categories),
            region: self.source.region.clone(),
            content_hash: None,
            date_guessed: Some(published_at) != entry.published,
            wants_full_text: self.source.full_text.is_some(),
        })
    }

    /// The source's default category, unless its `categories` map knows one
    /// of the entry's own terms.
    fn category(&self, terms: &[String]) -> String {
        if self.source.categories.is_empty() {
            return self.source.category.clone();
        }
        terms.iter().find_map(|t| self.source.categories.get(&text::clean(t).to_lowercase())).unwrap_or(&self.source.category).clone()
    }
}

/// The first `n` words of collapsed text (single spaces, trimmed: what
/// [`text::html_to_text`] returns), as a prefix of it rather than a copy.
fn first_words(text: &str, n: usize) -> &str {
    let Some(last) = n.checked_sub(1) else { return "" };
    memchr::memchr_iter(b' ', text.as_bytes()).nth(last).map_or(text, |end| &text[..end])
}

fn truncate_chars(s: &mut String, max: usize) {
    if let Some((cut, _)) = s.char_indices().nth(max) {
        let at = s[..cut].rfind(' ').filter(|&i| i > cut / 2).unwrap_or(cut);
        s.truncate(at);
        s.push('…');
    }
}

#[cfg(test)]
mod tests;
