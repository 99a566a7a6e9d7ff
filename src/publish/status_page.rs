//! The status page: what needs the admin, at a glance, with any number of
//! sources.
//!
//! On top, the problems the daemon itself has (a rejected reload, a broken
//! database: each an [`Alert`], so another kind is one more entry), then a
//! summary line (how many sources are ok, failing, empty…), then one table
//! of the sources that need attention, broken first. Sources that are fine,
//! not polled yet or switched off follow in collapsed groups, so that 2,000
//! healthy sources do not bury the three that fail. Times are in the
//! portal's zone, named on the page; categories by their titles. On a
//! phone each row becomes a labelled card.

use super::layout::{self, Frame, attr, text};
use crate::config::Config;
use crate::status::{SourceStatus, counts, full_text_note, note};

/// A problem of the daemon shown above everything: its CSS class, the
/// heading and the details (shown as preformatted text).
pub struct Alert<'a> {
    /// CSS class, also what tests and scripts look for.
    pub class: &'a str,
    /// One line saying what is wrong and what still works.
    pub heading: &'a str,
    /// The error itself.
    pub details: &'a str,
}

/// The health a source has, in words.
pub fn label(health: &str) -> &'static str {
    match health {
        "ok" => "в порядке",
        "failing" => "сбой",
        "empty" => "пустая лента",
        "moved" => "переехала",
        "degraded" => "полный текст не извлекается",
        "gone" => "удалена у источника",
        "new" => "ещё не опрошена",
        "disabled" => "выключена",
        _ => "?",
    }
}

/// Sources of one health, counted: "со сбоями: 2".
fn group_label(health: &str) -> &'static str {
    match health {
        "ok" => "в порядке",
        "failing" => "со сбоями",
        "empty" => "пустые",
        "moved" => "переехали",
        "degraded" => "без полного текста",
        "gone" => "удалены у источника",
        "new" => "ещё не опрошены",
        "disabled" => "выключены",
        _ => "?",
    }
}

/// "Источников: 12 — в порядке: 9, со сбоями: 2, пустые: 1".
pub fn summary_line(counts: &[(&str, usize)]) -> String {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts.iter().map(|(h, n)| format!("{}: {n}", group_label(h))).collect();
    format!("Источников: {total} — {}", parts.join(", "))
}

/// The HTML status page; `config_error` is the rejected reload, shown on
/// top until a good one; `database_error` what is wrong with the database
/// file or its last commit.
/// What is wrong beyond single sources, shown above the table.
#[derive(Debug, Default, Clone, Copy)]
pub struct Problems<'a> {
    /// The rejected new configuration's errors (the previous one runs).
    pub config: Option<&'a str>,
    /// The database's fault (full disk, replaced file).
    pub database: Option<&'a str>,
    /// The static export's last failure (publish_dir).
    pub export: Option<&'a str>,
    /// The shared store's state, on a node of several (`cluster`).
    pub shared: Option<&'a str>,
}

pub fn html(rows: &[SourceStatus], problems: Problems<'_>, config: &Config) -> String {
    let mut alerts = Vec::new();
    if let Some(e) = problems.database {
        alerts.push(Alert { class: "database-error", heading: "База данных неисправна:", details: e });
    }
    if let Some(e) = problems.export {
        alerts.push(Alert {
            class: "export-error", heading: "Статическая копия лент не обновляется:", details: e
        });
    }
    if let Some(e) = problems.config {
        alerts.push(Alert {
            class: "config-error", heading: "Новая конфигурация отклонена, работает прежняя:", details: e
        });
    }
    let mut page = page(rows, &alerts, config);
    if let Some(shared) = problems.shared {
        let class = if shared.contains("Ошибка:") { "alert shared-error" } else { "shared muted" };
        let line = format!("<p class=\"{class}\">{}</p>\n", text(shared));
        if let Some(at) = page.find("<p class=\"summary\">") {
            page.insert_str(at, &line);
        }
    }
    page
}

/// The page with any list of alerts.
pub fn page(rows: &[SourceStatus], alerts: &[Alert], config: &Config) -> String {
    let tz = config.daemon.timezone;
    let mut body = String::new();
    for a in alerts {
        body.push_str(&format!("<div class=\"alert {}\"><b>{}</b><pre>{}</pre></div>\n", attr(a.class), text(a.heading), text(a.details)));
    }
    body.push_str(&format!(
        "<p class=\"summary\">{}.</p>\n<p class=\"muted\">Время — {}. Сверху — источники, которым нужно внимание.</p>\n",
        text(&summary_line(&counts(rows.iter().map(|r| r.health)))),
        text(&layout::zone(tz))
    ));
    let quiet = |h: &str| matches!(h, "ok" | "new" | "disabled");
    let urgent: Vec<&SourceStatus> = rows.iter().filter(|r| !quiet(r.health)).collect();
    if urgent.is_empty() {
        body.push_str("<p>Все источники работают.</p>\n");
    } else {
        body.push_str(&table(&urgent, config));
    }
    for health in ["new", "disabled", "ok"] {
        let group: Vec<&SourceStatus> = rows.iter().filter(|r| r.health == health).collect();
        if !group.is_empty() {
            body.push_str(&format!(
                "<details class=\"{health}\"{open}><summary>{}: {}</summary>\n{}</details>\n",
                text(group_label(health)),
                group.len(),
                table(&group, config),
                // A short list is read at once; a long one waits for a click.
                open = if group.len() <= OPEN_UP_TO { " open" } else { "" },
            ));
        }
    }
    let frame = Frame {
        portal: &config.daemon.title,
        home: config.daemon.public_url.as_str(),
        heading: "Состояние источников",
        head: "",
        wide: true,
        style: STYLE,
    };
    frame.render(&body)
}

/// Groups of quiet sources up to this size are shown open.
const OPEN_UP_TO: usize = 50;

fn table(rows: &[&SourceStatus], config: &Config) -> String {
    let tz = config.daemon.timezone;
    let mut out = String::with_capacity(256 + rows.len() * 700);
    out.push_str(
        "<table class=\"cards\"><thead><tr><th>Источник</th><th>Состояние</th><th>Рубрика</th><th>Последний запрос</th>\
         <th>Последний успех</th><th>HTTP</th><th>Материалов</th><th>Следующий запрос</th><th>Сбоев подряд</th><th>Что случилось</th></tr></thead><tbody>\n",
    );
    for r in rows {
        let category = config.category(&r.category).map_or(r.category.as_str(), |c| c.title.as_str());
        let notes: Vec<String> = [note(r), full_text_note(r)].into_iter().filter(|n| !n.is_empty()).map(|n| text(&n)).collect();
        let name = match layout::href(&r.url) {
            Some(href) => format!("<a href=\"{href}\">{}</a>", text(&r.name)),
            None => text(&r.name),
        };
        out.push_str(&format!(
            "<tr class=\"{h}\"><td class=\"source\">{name}<br><code>{id}</code></td><td data-label=\"Состояние\">{label}</td>\
             <td data-label=\"Рубрика\">{c}</td><td data-label=\"Последний запрос\">{lf}</td><td data-label=\"Последний успех\">{ls}</td>\
             <td data-label=\"HTTP\">{st}</td><td class=\"n\" data-label=\"Материалов\">{it}</td><td data-label=\"Следующий запрос\">{nd}</td>\
             <td class=\"n\" data-label=\"Сбоев подряд\">{f}</td><td class=\"note\">{notes}</td></tr>\n",
            h = attr(r.health),
            label = text(label(r.health)),
            id = text(&r.id),
            c = text(category),
            lf = layout::time_of(r.state.last_fetch_at, tz),
            ls = layout::time_of(r.state.last_success_at, tz),
            st = r.state.last_status.map_or("—".into(), |s| s.to_string()),
            it = r.state.items,
            nd = layout::time_of(r.state.next_fetch_at, tz),
            f = r.state.consecutive_failures,
            notes = notes.join("<br>"),
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Row colours by health, and a smaller type for the wide table.
const STYLE: &str = "\
body{font-size:14px}td.note{min-width:14rem;max-width:28rem;overflow-wrap:anywhere}\
tr.failing{background:#fff4e5}tr.degraded,tr.empty,tr.moved{background:#fffbe0}tr.gone{background:#fde8e8}\
details>table{margin-top:.5rem}\
@media (max-width:40rem){body{font-size:15px}td.source{font-weight:600}td.note{min-width:0;max-width:none}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_ok_failing_and_empty_always() {
        let line = summary_line(&counts(["ok", "failing", "ok", "gone"]));
        assert_eq!(line, "Источников: 4 — в порядке: 2, со сбоями: 1, пустые: 0, удалены у источника: 1");
    }
}
