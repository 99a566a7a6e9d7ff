//! The index page: every feed by its title, with item counts, last update
//! in the portal's zone, a link per format and autodiscovery
//! `<link rel="alternate">` tags, under a summary line saying how the
//! sources are doing. On a phone each feed becomes a labelled card.

use std::fmt::Write;

use super::layout::{self, Frame, attr, text};
use super::{Format, Publisher, slice_title};
use crate::model::Slice;
use crate::store::StoreError;

/// Renders `index.html`.
pub fn render(publisher: &Publisher) -> Result<String, StoreError> {
    let config = publisher.config();
    let tz = config.daemon.timezone;
    let base = config.daemon.public_url.as_str().trim_end_matches('/').to_string();
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
                "<h2>{heading}</h2>\n<table class=\"cards\"><thead><tr><th>Лента</th><th>Материалов</th><th>Обновлено</th><th>Подписаться</th></tr></thead><tbody>\n"
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
                attr(&title),
                format.label(),
                attr(&href)
            );
            links.push(format!("<a href=\"{}\">{}</a>", attr(&href), format.label()));
        }
        let updated = layout::time(chrono::DateTime::<chrono::Utc>::from(feed.last_modified), tz);
        let _ = writeln!(
            rows,
            "<tr><td class=\"feed\">{}</td><td class=\"n\" data-label=\"Материалов\">{}</td><td data-label=\"Обновлено\">{updated}</td><td>{}</td></tr>",
            text(&title),
            feed.items,
            links.join(" · ")
        );
    }
    if !section.is_empty() {
        rows.push_str("</tbody></table>\n");
    }
    let body = format!(
        "<p>Подпишитесь на нужную ленту в любом RSS-ридере: откройте ленту и скопируйте её адрес. Одна новость из нескольких источников \
         показывается один раз. Все ленты одним файлом для импорта в ридер: <a href=\"{opml}\">feeds.opml</a>.</p>\n\
         <p class=\"summary\">{summary}.</p>\n<p class=\"muted\">Время — {zone}.</p>\n{rows}",
        opml = attr(&format!("{base}/feeds.opml")),
        summary = text(&sources_line(publisher)?),
        zone = text(&layout::zone(tz)),
    );
    let frame = Frame {
        portal: &config.daemon.title,
        home: &format!("{base}/"),
        heading: "Ленты новостей",
        head: &head,
        wide: false,
        style: STYLE,
    };
    Ok(frame.render(&body))
}

/// The summary line from the stored source states (one query; the
/// full-text alerts that make a source `degraded` on the status page are
/// not read here).
fn sources_line(publisher: &Publisher) -> Result<String, StoreError> {
    let config = publisher.config();
    let states = publisher.reader.lock().unwrap_or_else(|p| p.into_inner()).source_states()?;
    let states: std::collections::HashMap<&str, &crate::store::SourceState> = states.iter().map(|s| (s.id.as_str(), s)).collect();
    let never = crate::store::SourceState::default();
    let healths = config.sources.iter().map(|s| crate::status::health(s, states.get(s.id.as_str()).copied().unwrap_or(&never), false));
    Ok(super::status_page::summary_line(&crate::status::counts(healths)))
}

/// The sections' tables share column widths, so that they line up.
const STYLE: &str = "td.feed{font-weight:600}\
@media (min-width:40rem){table.cards{table-layout:fixed}table.cards th:nth-child(1){width:38%}table.cards th:nth-child(2){width:14%}table.cards th:nth-child(3){width:20%}}\
@media (max-width:40rem){td.feed{font-size:1.05rem}}";
