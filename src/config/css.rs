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
        Err(e) => Err(format!("{css:?} is not a valid CSS selector: {}", explain(css, &e))),
    }
}

fn explain(css: &str, e: &SelectorErrorKind) -> String {
    let words = match e {
        SelectorErrorKind::UnexpectedToken => "a character or word where none belongs",
        SelectorErrorKind::EndOfLine => "it ends too early (an unclosed `[`, `(` or quote, or a trailing combinator)",
        SelectorErrorKind::InvalidAtRule | SelectorErrorKind::InvalidAtRuleBody => "@-rules are not selectors",
        SelectorErrorKind::QualRuleInvalid | SelectorErrorKind::TooManyNestedBlocks => "the selector is not well formed",
        SelectorErrorKind::ExpectedColonOnPseudoElement | SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs a name after `::`"
        }
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
            let name = format!("{kind:?}");
            // Both are what the parser says when a selector starts wrong
            // (`##x`, `div !x`); that, when so, is the mistake to name.
            if (name.starts_with("EmptySelector") || name.starts_with("DanglingCombinator"))
                && let Some(words) = bad_start(css)
            {
                return words;
            }
            return parse_error_words(&name);
        }
    };
    words.to_string()
}

/// The first compound selector of `css` that starts with a character none
/// can start with, said in words (brackets, parentheses and quotes skipped).
fn bad_start(css: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut at_start = true;
    let mut chars = css.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            quote = (c != q).then_some(q);
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            ',' | '>' | '+' | '~' => at_start = true,
            _ if c.is_whitespace() => at_start = true,
            '#' if at_start => {
                let next = chars.peek().copied();
                if !next.is_some_and(|n| n.is_alphabetic() || n == '_' || n == '-' || n == '\\') {
                    return Some("`#` must be followed by an id, as in `#main` (an id starting with a digit: `[id=\"1x\"]`)".into());
                }
                at_start = false;
            }
            _ if at_start => {
                if !(c.is_alphabetic() || matches!(c, '_' | '-' | '*' | '.' | ':' | '|' | '\\')) {
                    return Some(format!(
                        "`{c}` cannot start a selector; start with a tag (`div`), a class (`.ad`), an id (`#ad`) or an attribute (`[data-ad]`)"
                    ));
                }
                at_start = false;
            }
            _ => {}
        }
        if c == '[' && at_start {
            at_start = false;
        }
    }
    None
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
            ("##x", "`#` must be followed by an id, as in `#main`"),
            ("div ##x", "`#` must be followed by an id"),
            ("div, #1x", "an id starting with a digit"),
            ("!x", "`!` cannot start a selector"),
            ("a,,b", "two commas in a row"),
            ("[title=\"a !b\"] ,", "a trailing comma"),
        ];
        for (css, want) in table {
            let got = super::check(css).expect_err(css);
            assert!(got.contains(want), "{css}: {got}");
            assert!(!got.contains("developer") && !got.contains('\n'), "{css}: {got}");
        }
        assert!(super::check("div.article__body > p:not(.ad)").is_ok());
    }
}
