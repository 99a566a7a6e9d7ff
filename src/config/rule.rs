//! How a source's article pages are read (`full_text`): the validated
//! form of the setting, with its CSS selectors compiled. The `extract`
//! stage applies it; it lives here because it is configuration, and a
//! stage reads config, never the other way round.

use scraper::Selector;

/// How a source's article pages are read.
#[derive(Debug, Clone)]
pub enum Rule {
    /// The elements matching `selector`, minus those matching `remove`.
    Selector {
        /// Where the story is, as written in the config.
        css: String,
        /// `css`, compiled.
        selector: Selector,
        /// What to cut out of it, as written.
        remove_css: Vec<String>,
        /// `remove_css`, compiled.
        remove: Vec<Selector>,
    },
    /// Readability-style detection.
    Auto,
}

impl Rule {
    /// A selector rule from CSS text; the error names the selector that
    /// does not parse.
    pub fn selector(css: &str, remove: &[String]) -> Result<Rule, String> {
        let compile = |s: &str| Selector::parse(s).map_err(|e| format!("{s:?} is not a valid CSS selector: {e}"));
        Ok(Rule::Selector {
            css: css.to_string(),
            selector: compile(css)?,
            remove_css: remove.to_vec(),
            remove: remove.iter().map(|r| compile(r)).collect::<Result<_, _>>()?,
        })
    }

    /// `auto` or the selector, for logs and the status page.
    pub fn describe(&self) -> String {
        match self {
            Rule::Auto => "auto".into(),
            Rule::Selector { css, .. } => css.clone(),
        }
    }
}
