//! OPML 2.0: our feeds for readers to import in one step, and the upstream
//! source list for admins to move elsewhere (read back by
//! [`crate::cli::opml`]; the `syndic:` attributes are in
//! [`super::SYNDIC_NAMESPACE`]).

use crate::config::Config;
use crate::model::Slice;

use super::{Format, slice_title};

fn esc(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head><title>{}</title></head>\n<body>\n{body}</body>\n</opml>\n",
        html_escape::encode_text(title)
    )
}

/// Every feed we publish (RSS), grouped: all, categories, regions, partners.
pub fn feeds(config: &Config, slices: &[Slice]) -> String {
    let base = config.daemon.public_url.as_str().trim_end_matches('/');
    let outline = |slice: &Slice| {
        let title = slice_title(config, slice).unwrap_or_default();
        format!(
            "  <outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{u}\" htmlUrl=\"{h}\"/>\n",
            t = esc(&title),
            u = esc(&format!("{base}/feeds/{}.{}", slice.path(), Format::Rss.extension())),
            h = esc(&format!("{base}/"))
        )
    };
    let group = |name: &str, pick: &dyn Fn(&Slice) -> bool| {
        let inner: String = slices.iter().filter(|s| pick(s)).map(|s| format!("  {}", outline(s))).collect();
        if inner.is_empty() { String::new() } else { format!("  <outline text=\"{}\">\n{inner}  </outline>\n", esc(name)) }
    };
    let mut body = String::new();
    body.push_str(&slices.iter().filter(|s| matches!(s, Slice::All | Slice::Partners)).map(outline).collect::<String>());
    body.push_str(&group("Рубрики", &|s| matches!(s, Slice::Category(_))));
    body.push_str(&group("Регионы", &|s| matches!(s, Slice::Region(_))));
    body.push_str(&group("Рубрики по регионам", &|s| matches!(s, Slice::CategoryRegion(..))));
    document(&format!("{} — ленты новостей", config.daemon.title), &body)
}

/// The upstream sources for another syndic (or any reader): a folder per
/// category (empty ones too), and on each feed the `syndic:` attributes OPML has no word for
/// (id, kind, category, region, priority, a poll interval other than the
/// default, `enabled="false"`), with the regions' titles in the head, so
/// that `syndic opml import` of this file gives back the same sources.
pub fn sources(config: &Config) -> String {
    let mut body = String::new();
    for category in &config.categories {
        let inner: String = config.sources.iter().filter(|s| s.category == category.slug).map(|s| source(config, s)).collect();
        // An empty category is an empty folder: it still comes along.
        let (open, close) = if inner.is_empty() { ("/>\n", String::new()) } else { (">\n", format!("{inner}  </outline>\n")) };
        body.push_str(&format!(
            "  <outline text=\"{t}\" title=\"{t}\" syndic:category=\"{c}\"{open}{close}",
            t = esc(&category.title),
            c = esc(&category.slug)
        ));
    }
    let regions: String =
        config.regions.iter().map(|r| format!("  <syndic:region slug=\"{}\" title=\"{}\"/>\n", esc(&r.slug), esc(&r.title))).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\" xmlns:syndic=\"{ns}\">\n<head>\n  <title>{title} — источники</title>\n{regions}</head>\n<body>\n{body}</body>\n</opml>\n",
        ns = super::SYNDIC_NAMESPACE,
        title = esc(&config.daemon.title)
    )
}

fn source(config: &Config, s: &crate::config::Source) -> String {
    let mut extra = String::new();
    if let Some(region) = &s.region {
        extra.push_str(&format!(" syndic:region=\"{}\"", esc(region)));
    }
    if s.interval != config.daemon.default_interval {
        extra.push_str(&format!(" syndic:interval=\"{}\"", humantime::format_duration(s.interval)));
    }
    if !s.enabled {
        extra.push_str(" syndic:enabled=\"false\"");
    }
    format!(
        "    <outline type=\"rss\" text=\"{n}\" title=\"{n}\" xmlUrl=\"{u}\" syndic:id=\"{id}\" syndic:kind=\"{k}\" syndic:category=\"{c}\" syndic:priority=\"{p}\"{extra}/>\n",
        n = esc(&s.name),
        u = esc(s.url.as_str()),
        id = esc(&s.id),
        k = s.kind.as_str(),
        c = esc(&s.category),
        p = s.priority,
    )
}
