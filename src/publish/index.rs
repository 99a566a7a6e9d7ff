//! The index page: every feed, with item counts, last update, a subscribe
//! link per format and autodiscovery `<link rel="alternate">` tags.

use std::fmt::Write;

use super::{Format, Publisher, slice_title};
use crate::model::Slice;
use crate::store::StoreError;

/// Renders `index.html`.
pub fn render(publisher: &Publisher) -> Result<String, StoreError> {
    let config = publisher.config();
    let base = config.daemon.public_url.as_str().trim_end_matches('/').to_string();
    let esc = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    let mut head = String::new();
    let mut rows = String::new();
    let mut section = "";
    for slice in publisher.slices() {
        let title = slice_title(&config, &slice).unwrap_or_default();
        let Some(feed) = publisher.feed(&slice, Format::Rss)? else { continue };
        let heading = match slice {
            Slice::All | Slice::Partners => "Все ленты",
            Slice::Category(_) => "Рубрики",
            Slice::Region(_) => "Регионы",
            Slice::CategoryRegion(..) => "Рубрики по регионам",
        };
        if heading != section {
            if !section.is_empty() {
                rows.push_str("</tbody></table>\n");
            }
            let _ = write!(
                rows,
                "<h2>{heading}</h2>\n<table><thead><tr><th>Лента</th><th>Материалов</th><th>Обновлено (UTC)</th><th>Подписаться</th></tr></thead><tbody>\n"
            );
            section = heading;
        }
        let mut links = Vec::new();
        for format in Format::ALL {
            let href = format!("{base}/feeds/{}.{}", slice.path(), format.extension());
            let _ = writeln!(
                head,
                "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
                format.content_type().split(';').next().unwrap_or_default(),
                esc(&title),
                format.label(),
                esc(&href)
            );
            links.push(format!("<a href=\"{}\">{}</a>", esc(&href), format.label()));
        }
        let updated = chrono::DateTime::<chrono::Utc>::from(feed.last_modified).format("%d.%m.%Y %H:%M");
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{updated}</td><td>{}</td></tr>",
            html_escape::encode_text(&title),
            feed.items,
            links.join(" · ")
        );
    }
    if !section.is_empty() {
        rows.push_str("</tbody></table>\n");
    }
    Ok(format!(
        "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Ленты новостей — syndic</title>\n{head}\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         table{{border-collapse:collapse;width:100%;margin-bottom:1.5rem}}th,td{{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd}}\
         td.n{{text-align:right}}a{{color:#0b57d0}}</style></head>\n\
         <body><h1>Ленты новостей</h1>\n<p>Подпишитесь на нужную ленту в любом RSS-ридере. Одна новость из нескольких источников показывается один раз. \
         Все ленты одним файлом: <a href=\"{base}/feeds.opml\">feeds.opml</a>.</p>\n{rows}</body></html>\n"
    ))
}
