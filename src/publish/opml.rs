//! OPML 2.0: our feeds for readers to import in one step, and the upstream
//! source list for admins to move elsewhere.

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
    document("syndic — ленты новостей", &body)
}

/// The upstream sources, grouped by category, with syndic's own attributes.
pub fn sources(config: &Config) -> String {
    let mut body = String::new();
    for category in &config.categories {
        let inner: String = config
            .sources
            .iter()
            .filter(|s| s.category == category.slug)
            .map(|s| {
                format!(
                    "    <outline type=\"rss\" text=\"{n}\" title=\"{n}\" xmlUrl=\"{u}\" category=\"{c}\" syndicId=\"{id}\" syndicKind=\"{k}\"/>\n",
                    n = esc(&s.name),
                    u = esc(s.url.as_str()),
                    c = esc(&s.category),
                    id = esc(&s.id),
                    k = s.kind.as_str()
                )
            })
            .collect();
        if !inner.is_empty() {
            body.push_str(&format!("  <outline text=\"{}\">\n{inner}  </outline>\n", esc(&category.title)));
        }
    }
    document("syndic — источники", &body)
}
