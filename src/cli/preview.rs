//! `syndic extract URL|FILE`: what a rule makes of a page, for an admin
//! writing or checking a selector before saving it.

use std::fmt::Write as _;
use std::time::Duration;

use url::Url;

use crate::config::Rule;
use crate::extract::Extracted;
use crate::fetch::{FetchSettings, Fetched, Fetcher, Validators, charset};

/// The page to read: a URL, or a file with the URL it should be read as.
pub enum Target {
    /// Fetched with the daemon's client and limits.
    Url(Url),
    /// Read from disk; links resolve against `base`.
    File {
        /// The saved page.
        path: std::path::PathBuf,
        /// Its address on the web.
        base: Url,
    },
}

impl Target {
    /// A URL when `arg` is one, else a file path.
    pub fn parse(arg: &str, base: Option<&str>) -> anyhow::Result<Target> {
        if let Ok(url) = Url::parse(arg)
            && matches!(url.scheme(), "http" | "https")
        {
            return Ok(Target::Url(url));
        }
        let path = std::path::PathBuf::from(arg);
        if !path.is_file() {
            anyhow::bail!("{arg:?} is neither an http(s) URL nor a readable file");
        }
        let base = match base {
            Some(b) => Url::parse(b).map_err(|e| anyhow::anyhow!("--base {b:?}: {e}"))?,
            None => Url::from_file_path(std::fs::canonicalize(&path)?).map_err(|()| anyhow::anyhow!("cannot make a URL of {arg:?}"))?,
        };
        Ok(Target::File { path, base })
    }
}

/// Fetches (or reads) and extracts; the report is ready to print.
pub async fn run(target: Target, rule: &Rule, settings: FetchSettings, tz: chrono_tz::Tz, html: bool) -> anyhow::Result<String> {
    let (bytes, charset_label, url) = match target {
        Target::File { path, base } => (std::fs::read(&path)?, None, base),
        Target::Url(url) => match Fetcher::new(settings)?.get(&url, &Validators::default()).await? {
            Fetched::Body(body) => (body.bytes, body.charset, body.final_url),
            Fetched::NotModified { .. } => anyhow::bail!("{url}: the server answered 304 to an unconditional request"),
        },
    };
    let decoded = charset::decode_page(&bytes, charset_label.as_deref());
    match crate::extract::extract(&decoded.text, &url, rule, tz) {
        Ok(page) => Ok(report(&page, rule, &url, decoded.encoding.name(), html)),
        Err(e) => {
            let mut message = format!("{url}: {e}");
            let suggestions = crate::extract::suggest(&decoded.text, 5);
            if !suggestions.is_empty() {
                let _ = write!(message, "\nelements holding the most paragraph text: {}", suggestions.join(", "));
            }
            anyhow::bail!(message)
        }
    }
}

fn report(page: &Extracted, rule: &Rule, url: &Url, encoding: &str, html: bool) -> String {
    let mut out = String::new();
    let none = || "—".to_string();
    let _ = writeln!(out, "URL:       {url}");
    let _ = writeln!(out, "Rule:      {}", rule.describe());
    let _ = writeln!(out, "Encoding:  {encoding}");
    let _ = writeln!(out, "Title:     {}", page.title.clone().unwrap_or_else(none));
    let _ = writeln!(out, "Lead:      {}", page.lead.clone().unwrap_or_else(none));
    let _ = writeln!(out, "Date:      {}", page.published.map_or_else(none, |d| d.to_rfc3339()));
    let _ = writeln!(out, "Author:    {}", page.author.clone().unwrap_or_else(none));
    let _ = writeln!(out, "Image:     {}", page.image.clone().unwrap_or_else(none));
    let _ = writeln!(out, "Length:    {} characters", page.chars);
    let _ = writeln!(out);
    if html {
        let _ = writeln!(out, "{}", page.html);
    } else {
        for paragraph in paragraphs(&page.html) {
            let _ = writeln!(out, "{paragraph}\n");
        }
    }
    out
}

/// The text of the HTML, a paragraph per block, for reading in a terminal.
fn paragraphs(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_fragment(html);
    let mut out = Vec::new();
    let mut current = String::new();
    for edge in doc.root_element().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) => {
                if let Some(t) = n.value().as_text() {
                    current.push_str(t);
                }
            }
            ego_tree::iter::Edge::Close(n) => {
                let block = n.value().as_element().is_some_and(|e| {
                    matches!(e.name(), "p" | "div" | "h1" | "h2" | "h3" | "h4" | "li" | "blockquote" | "figure" | "figcaption" | "br")
                });
                if block {
                    let text = crate::normalize::text::collapse(&current);
                    if !text.is_empty() {
                        out.push(text);
                    }
                    current.clear();
                }
            }
        }
    }
    let text = crate::normalize::text::collapse(&current);
    if !text.is_empty() {
        out.push(text);
    }
    out
}

/// Client settings for a preview when no configuration is at hand.
pub fn default_settings() -> FetchSettings {
    FetchSettings {
        user_agent: format!("syndic/{} (extract preview)", env!("CARGO_PKG_VERSION")),
        connect_timeout: Duration::from_secs(10),
        total_timeout: Duration::from_secs(30),
        max_body_bytes: 16 << 20,
    }
}
