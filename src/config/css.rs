//! CSS selectors in `full_text` rules, checked with an explanation an admin
//! can act on.
//!
//! scraper describes most selector mistakes as "Unexpected error occurred.
//! Please report this to the developer" followed by a Rust debug dump; a
//! mistyped selector is the admin's to fix, not ours, so each kind of
//! mistake is said here in words.

use scraper::Selector;
use scraper::error::SelectorErrorKind;

/// `Ok` when `css` parses; else why not, in words.
pub fn check(css: &str) -> Result<(), String> {
    if css.trim().is_empty() {
        return Err("the selector is empty; write one such as \"div.article__body\"".into());
    }
    match Selector::parse(css) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{css:?} is not a valid CSS selector: {}", explain(&e))),
    }
}

fn explain(e: &SelectorErrorKind) -> String {
    let words = match e {
        SelectorErrorKind::UnexpectedToken => "a character or word where none belongs",
        SelectorErrorKind::EndOfLine => "it ends too early (an unclosed `[`, `(` or quote, or a trailing combinator)",
        SelectorErrorKind::InvalidAtRule | SelectorErrorKind::InvalidAtRuleBody => "@-rules are not selectors",
        SelectorErrorKind::QualRuleInvalid | SelectorErrorKind::TooManyNestedBlocks => "the selector is not well formed",
        SelectorErrorKind::ExpectedColonOnPseudoElement | SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs a name after `::`"
        }
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => return parse_error_words(&format!("{kind:?}")),
    };
    words.to_string()
}

/// The selectors crate's error kinds, by name (it is not a direct
/// dependency, so its enum is matched through its debug form).
fn parse_error_words(debug: &str) -> String {
    let name = debug.split(['(', ' ']).next().unwrap_or(debug);
    let words = match name {
        "ClassNeedsIdent" => "`.` must be followed by a class name, as in `.article`",
        "EmptySelector" => "a selector is empty (two commas in a row, or a trailing comma?)",
        "DanglingCombinator" => "`>`, `+` or `~` needs an element on both sides",
        "NoQualifiedNameInAttributeSelector" | "InvalidQualNameInAttr" => "an attribute selector needs a name, as in `[data-role]`",
        "UnexpectedTokenInAttributeSelector" | "BadValueInAttr" | "ExpectedBarInAttr" => {
            "an attribute selector is not well formed; write `[name]` or `[name=\"value\"]`"
        }
        "UnsupportedPseudoClassOrElement" | "NoIdentForPseudo" => {
            "unknown pseudo-class; syndic supports the usual ones such as `:not(…)`, `:first-child`"
        }
        "PseudoElementExpectedColon" | "PseudoElementExpectedIdent" => "a pseudo-element needs a name after `::`",
        "ExpectedNamespace" | "ExplicitNamespaceUnexpectedToken" => "namespaces (`ns|tag`) are not supported",
        "UnexpectedIdent" => "a name where none belongs",
        _ => "the selector is not well formed",
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn mistakes_are_said_in_words_never_report_to_the_developer() {
        let table = [
            ("..x", "`.` must be followed by a class name"),
            ("div[", "ends too early"),
            ("div >", "needs an element on both sides"),
            ("a,,b", "is not a valid CSS selector"),
            ("div:nosuch", "unknown pseudo-class"),
            ("", "the selector is empty"),
        ];
        for (css, want) in table {
            let got = super::check(css).expect_err(css);
            assert!(got.contains(want), "{css}: {got}");
            assert!(!got.contains("developer") && !got.contains('\n'), "{css}: {got}");
        }
        assert!(super::check("div.article__body > p:not(.ad)").is_ok());
    }
}
