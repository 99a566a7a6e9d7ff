//! A source with every optional setting at its default, for code that
//! builds one outside the source list (tests, benchmarks, tools):
//! `Source { region: Some("almaty".into()), ..Source::example(id, url) }`.
//! A new per-source option gets its default here once, and no test or
//! benchmark that does not care about it has to name it.

use std::collections::HashMap;
use std::time::Duration;

use url::Url;

use super::{Policy, Source};
use crate::model::SourceKind;

impl Source {
    /// A partner source in `politics`, polled every 15 minutes, with every
    /// optional setting at its default (real ones come from the source list).
    pub fn example(id: &str, url: Url) -> Source {
        Source {
            id: id.to_string(),
            name: id.to_string(),
            url,
            kind: SourceKind::Partner,
            category: "politics".into(),
            region: None,
            priority: 0,
            interval: Duration::from_secs(900),
            categories: HashMap::new(),
            exclude: Vec::new(),
            enabled: true,
            full_text: None,
            policy: Policy::default(),
        }
    }
}
