//! Partner policy, applied to stories as they are rendered: the full story
//! (extracted page or the feed's own content) or only an excerpt, and an
//! attribution line on every item. Applied at render time, so an admin's
//! change takes effect on the next render without touching stored data.

use crate::config::{Config, Policy};
use crate::normalize::text;
use crate::store::StoredItem;

/// Rewrites `items` in place for their sources' policies.
pub fn apply(config: &Config, items: &mut [StoredItem]) {
    for item in items {
        let default = Policy::default();
        let policy = config.source(&item.source_id).map_or(&default, |s| &s.policy);
        let full = item.full_html.take().or_else(|| item.content_html.take());
        if policy.full {
            item.content_html = full;
        } else {
            let source_text = full.as_deref().or(item.summary_html.as_deref()).map(text::html_to_text).unwrap_or_default();
            let source_text = if source_text.is_empty() { item.text.clone() } else { source_text };
            item.summary_html = Some(format!("<p>{}</p>", html_escape::encode_text(&excerpt(&source_text, policy.excerpt_chars))));
            item.content_html = None;
        }
        if let Some(line) = &policy.attribution {
            let line = format!("<p class=\"attribution\">{}</p>", html_escape::encode_text(line));
            for html in [&mut item.summary_html, &mut item.content_html].into_iter().flatten() {
                html.push_str(&line);
            }
            if item.summary_html.is_none() {
                item.summary_html = Some(line);
            }
        }
    }
}

/// The first `max` characters of `text`, cut at a word, with "…" when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => {
            let at = text[..cut].rfind(' ').filter(|&i| i > cut / 2).unwrap_or(cut);
            format!("{}…", text[..at].trim_end_matches([',', ';', ':', ' ', '—', '-']))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpt_cuts_at_a_word() {
        assert_eq!(excerpt("Короткий текст", 100), "Короткий текст");
        assert_eq!(excerpt("Первый зампред Алматинского филиала рассказал", 20), "Первый зампред…");
        assert_eq!(excerpt("Словобезпробелов", 5), "Слово…");
    }
}
