//! The feed as a page for a person who opened its URL in a browser (see
//! `serve::negotiate` for who gets it and why not XSLT).
//!
//! Made from the feed's own bytes, the way a stylesheet would have: what
//! the page shows is what a reader subscribing gets. The title, the
//! description, "copy this address into your reader" with the URL and a
//! copy button, subscribe links for web readers, then every item: its
//! title linked, its date in the portal's zone, the origin and the start
//! of its text. Everything taken from the feed is escaped; item links that
//! are not `http(s)` are left unlinked. The bytes are read back with the
//! same crates that wrote them; a feed they cannot read gives no page
//! (the caller serves the feed instead).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::Format;
use super::layout::{self, Frame, attr, text};

/// Characters of an item's text shown under its title.
const SUMMARY_CHARS: usize = 280;

/// What the page needs besides the feed bytes.
pub struct PageInput<'a> {
    /// The rendered feed (RSS or Atom).
    pub feed: &'a [u8],
    /// Its format.
    pub format: Format,
    /// The address to subscribe to: this feed's public URL.
    pub self_url: &'a str,
    /// The same feed in every format, for the footer.
    pub alternates: &'a [(Format, String)],
    /// The index page.
    pub home: &'a str,
    /// The portal's name.
    pub portal: &'a str,
    /// The portal's zone.
    pub tz: Tz,
}

/// One item as the page shows it.
struct Story {
    title: String,
    link: Option<String>,
    date: Option<DateTime<Utc>>,
    origin: Option<String>,
    text: String,
}

/// The page, or `None` when the bytes are not a feed of `format` that the
/// writers' crates read back.
pub fn render(input: &PageInput) -> Option<String> {
    let (title, description, stories) = match input.format {
        Format::Rss => read_rss(input.feed)?,
        Format::Atom => read_atom(input.feed)?,
        Format::Json => return None,
    };
    let mut body = String::with_capacity(4096 + stories.len() * 600);
    if !description.is_empty() {
        body.push_str(&format!("<p class=\"lead\">{}</p>\n", text(&description)));
    }
    body.push_str(&subscribe(input));
    body.push_str("<h2>Последние материалы</h2>\n");
    if stories.is_empty() {
        body.push_str("<p class=\"muted\">В ленте пока нет материалов.</p>\n");
    } else {
        body.push_str("<ol class=\"items\">\n");
        for story in &stories {
            body.push_str(&item(story, input.tz));
        }
        body.push_str("</ol>\n");
    }
    let formats: Vec<String> = input.alternates.iter().map(|(f, url)| format!("<a href=\"{}\">{}</a>", attr(url), f.label())).collect();
    body.push_str(&format!(
        "<footer><p>Время — {zone}. Эта лента в форматах: {formats}. <a href=\"{home}\">Все ленты</a>.</p></footer>\n",
        zone = text(&layout::zone(input.tz)),
        formats = formats.join(" · "),
        home = attr(input.home),
    ));
    let head = format!(
        "<link rel=\"alternate\" type=\"{}\" title=\"{}\" href=\"{}\">\n<script src=\"/feed-page.js\" defer></script>\n",
        input.format.content_type().split(';').next().unwrap_or_default(),
        attr(&title),
        attr(input.self_url)
    );
    // The channel title ends with the portal's name, which the page shows above it.
    let heading = title.strip_suffix(&format!(" — {}", input.portal)).unwrap_or(&title);
    let frame = Frame { portal: input.portal, home: input.home, heading, head: &head, wide: false, style: STYLE };
    Some(frame.render(&body))
}

/// "Copy this address into your reader", the copy button (shown by
/// `/feed-page.js`) and the web readers' subscribe links.
fn subscribe(input: &PageInput) -> String {
    let url = attr(input.self_url);
    let encoded: String = url::form_urlencoded::byte_serialize(input.self_url.as_bytes()).collect();
    let readers = [
        ("Feedly", format!("https://feedly.com/i/subscription/feed%2F{encoded}")),
        ("Inoreader", format!("https://www.inoreader.com/?add_feed={encoded}")),
        ("NewsBlur", format!("https://www.newsblur.com/?url={encoded}")),
        ("The Old Reader", format!("https://theoldreader.com/feeds/subscribe?url={encoded}")),
    ];
    let buttons: Vec<String> =
        readers.iter().map(|(name, href)| format!("<a class=\"button\" href=\"{}\">{name}</a>", attr(href))).collect();
    format!(
        "<section class=\"subscribe\">\n<p><b>Это лента новостей для RSS-ридера.</b> Скопируйте адрес в свою программу для чтения — \
         новые материалы будут приходить сами.</p>\n\
         <div class=\"copy\"><input id=\"feed-url\" type=\"url\" readonly value=\"{url}\" aria-label=\"Адрес ленты\">\
         <button id=\"copy-feed-url\" type=\"button\" hidden data-done=\"Скопировано\">Копировать</button></div>\n\
         <p class=\"readers\">Подписаться в один клик: {buttons}</p>\n\
         <p class=\"muted\">Miniflux, FreshRSS, Thunderbird, NetNewsWire, newsboat и другие: «Добавить подписку» → вставьте этот адрес.</p>\n\
         </section>\n",
        buttons = buttons.join(" ")
    )
}

fn item(story: &Story, tz: Tz) -> String {
    let title = text(if story.title.is_empty() { "(без заголовка)" } else { &story.title });
    let heading = match story.link.as_deref().and_then(layout::href) {
        Some(href) => format!("<a href=\"{href}\">{title}</a>"),
        None => title,
    };
    let mut meta = Vec::new();
    if let Some(date) = story.date {
        meta.push(format!("<time datetime=\"{}\">{}</time>", date.to_rfc3339(), layout::time(date, tz)));
    }
    if let Some(origin) = &story.origin {
        meta.push(text(origin));
    }
    format!(
        "<li><h3>{heading}</h3><p class=\"meta\">{}</p>{}</li>\n",
        meta.join(" · "),
        if story.text.is_empty() { String::new() } else { format!("<p>{}</p>", text(&story.text)) }
    )
}

/// The start of an item's HTML as plain text, cut at a word.
fn excerpt(html: &str) -> String {
    let plain = crate::normalize::text::html_to_text(html);
    if plain.chars().count() <= SUMMARY_CHARS {
        return plain;
    }
    let cut: String = plain.chars().take(SUMMARY_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', '.', ':', ';', ' ', '—']))
}

type Read = (String, String, Vec<Story>);

fn read_rss(bytes: &[u8]) -> Option<Read> {
    let channel = rss::Channel::read_from(bytes).ok()?;
    let stories = channel
        .items()
        .iter()
        .map(|i| Story {
            // Titles carry `<` escaped once more (see `publish::rss::title`).
            title: html_escape::decode_html_entities(i.title().unwrap_or_default()).into_owned(),
            link: i.link().map(str::to_string),
            date: i.pub_date().and_then(|d| DateTime::parse_from_rfc2822(d).ok()).map(|d| d.with_timezone(&Utc)),
            origin: i.source().and_then(|s| s.title().map(str::to_string)),
            text: excerpt(i.description().unwrap_or_default()),
        })
        .collect();
    Some((channel.title().to_string(), channel.description().to_string(), stories))
}

fn read_atom(bytes: &[u8]) -> Option<Read> {
    let feed = atom_syndication::Feed::read_from(bytes).ok()?;
    let stories = feed
        .entries()
        .iter()
        .map(|e| Story {
            title: e.title().value.clone(),
            link: e.links().iter().find(|l| l.rel() == "alternate").map(|l| l.href().to_string()),
            date: Some(e.published().copied().unwrap_or_else(|| *e.updated()).with_timezone(&Utc)),
            origin: e.source().map(|s| s.title().value.clone()),
            text: excerpt(e.summary().map(|s| s.value.as_str()).unwrap_or_default()),
        })
        .collect();
    let description = feed.subtitle().map(|s| s.value.clone()).unwrap_or_default();
    Some((feed.title().value.clone(), description, stories))
}

/// The feed page's own rules, after the shared stylesheet.
const STYLE: &str = "\
p.lead{font-size:1.1rem;color:#424a53;margin-top:0}\
section.subscribe{background:#f6f8fa;border:1px solid #d0d7de;border-radius:8px;padding:.75rem 1rem;margin:1rem 0}\
section.subscribe p{margin:.4rem 0}\
.copy{display:flex;gap:.5rem;margin:.5rem 0}\
.copy input{flex:1;min-width:0;font:inherit;font-family:ui-monospace,monospace;font-size:.9rem;padding:.4rem .5rem;border:1px solid #8c959f;border-radius:6px;background:#fff}\
.copy button,a.button{font:inherit;padding:.4rem .8rem;border-radius:6px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer;white-space:nowrap}\
a.button{display:inline-block;margin:.2rem .2rem .2rem 0;background:#fff;color:#0b57d0;text-decoration:none;font-size:.95rem}\
ol.items{list-style:none;padding:0;margin:0}\
ol.items li{border-bottom:1px solid #d0d7de;padding:.75rem 0}\
ol.items h3{font-size:1.1rem;line-height:1.35;margin:0}\
ol.items p{margin:.25rem 0}p.meta{color:#57606a;font-size:.9rem}\
footer{margin-top:1.5rem}\
@media (max-width:40rem){.copy{flex-wrap:wrap}.copy input{flex-basis:100%}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_cut_at_a_word() {
        assert_eq!(excerpt("<p>Коротко <b>и</b> ясно</p>"), "Коротко и ясно");
        let long = "слово ".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with("слово…") && cut.chars().count() <= SUMMARY_CHARS + 1, "{cut}");
    }
}
