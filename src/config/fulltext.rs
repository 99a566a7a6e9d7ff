//! The per-source full-text and republishing-policy keys:
//! `full_text = "auto"` or `{ selector = "…", remove = ["…"] }`,
//! `publish = "full" | "excerpt"`, `excerpt_chars`, `attribution`.

use serde::Deserialize;
use toml::Spanned;

use super::Report;
use super::Rule;
use super::css;

/// What a partner allows us to republish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `publish = "full"` (the default): the whole story goes out. With
    /// `"excerpt"`, only the first `excerpt_chars` characters of its text.
    pub full: bool,
    /// Length of the excerpt, in characters.
    pub excerpt_chars: usize,
    /// A line appended to every item (licensing terms, credit).
    pub attribution: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { full: true, excerpt_chars: DEFAULT_EXCERPT_CHARS, attribution: None }
    }
}

const DEFAULT_EXCERPT_CHARS: usize = 300;

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawFullText {
    Mode(String),
    Rule(RawRule),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    selector: String,
    #[serde(default)]
    remove: Vec<String>,
}

/// The raw keys, as read from one `[[source]]`.
pub(super) struct RawKeys<'r> {
    pub full_text: Option<&'r Spanned<RawFullText>>,
    pub publish: Option<&'r Spanned<String>>,
    pub excerpt_chars: Option<&'r Spanned<i64>>,
    pub attribution: Option<&'r Spanned<String>>,
}

/// Validates the keys; errors go to `report`.
pub(super) fn validate(raw: RawKeys<'_>, report: &mut Report<'_>) -> (Option<Rule>, Policy) {
    let rule = raw.full_text.and_then(|f| match f.get_ref() {
        RawFullText::Mode(m) if m == "auto" => Some(Rule::Auto),
        RawFullText::Mode(m) => {
            report.key(
                f.span(),
                "full_text",
                format!("{m:?} is not a mode; write \"auto\" or {{ selector = \"CSS\", remove = [\"CSS\"] }}"),
            );
            None
        }
        RawFullText::Rule(r) => {
            let bad = std::iter::once(("full_text.selector", &r.selector))
                .chain(r.remove.iter().map(|css| ("full_text.remove", css)))
                .filter_map(|(key, css)| css::check(css).err().map(|e| (key, e)))
                .map(|(key, e)| report.key(f.span(), key, e))
                .count();
            if bad > 0 {
                return None;
            }
            match Rule::selector(&r.selector, &r.remove) {
                Ok(rule) => Some(rule),
                Err(e) => {
                    report.key(f.span(), "full_text", e);
                    None
                }
            }
        }
    });
    let mut policy = Policy::default();
    if let Some(p) = raw.publish {
        match p.get_ref().as_str() {
            "full" => policy.full = true,
            "excerpt" => policy.full = false,
            other => report.key(p.span(), "publish", format!("{other:?} must be \"full\" or \"excerpt\"")),
        }
    }
    if let Some(n) = raw.excerpt_chars {
        match usize::try_from(*n.get_ref()) {
            Ok(v) if (50..=10_000).contains(&v) => policy.excerpt_chars = v,
            _ => report.key(n.span(), "excerpt_chars", format!("{} is out of range (50..=10000)", n.get_ref())),
        }
    }
    if let Some(a) = raw.attribution {
        let text = a.get_ref().trim();
        if text.is_empty() || text.chars().count() > 500 {
            report.key(a.span(), "attribution", "write one line of 1 to 500 characters");
        } else {
            policy.attribution = Some(text.to_string());
        }
    }
    (rule, policy)
}
