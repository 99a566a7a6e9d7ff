//! Bounds on upstream HTML before the sanitizer parses it: a size cut and
//! a nesting cap, both one linear pass.
//!
//! html5ever (under ammonia) checks its stack of open elements for every
//! start tag (is there a `<p>` in scope to close?), so 50,000 nested
//! `<div>`s cost it 16 s of CPU, on every poll of the feed. [`flatten`]
//! keeps the markup html5ever will see at most [`MAX_DEPTH`] deep: start
//! tags that would open deeper are dropped (their text stays, their
//! formatting goes), with the end tags that close them.
//!
//! The nesting is read by a model of html5ever's stack that never counts
//! fewer open elements than html5ever has: it reads tags the way
//! html5ever's tokenizer does (quoted attributes, comments and their odd
//! endings, the raw text of `<script>`, `<style>`, `<textarea>`…), and
//! closes an element only where html5ever certainly does: a matching end
//! tag with nothing but phrasing elements above it, and the few start
//! tags that close the current node (`<p>` after a `<p>`, `<li>` after a
//! `<li>`…). Formatting elements (`<b>`, `<a>`…) that an end tag skips
//! stay counted, because html5ever reopens them before the next text.
//! Sloppy markup therefore counts deeper than it renders; a real story is
//! a few dozen deep at most.

use std::borrow::Cow;

use memchr::{memchr, memmem, memrchr};

/// Deepest element nesting handed to the sanitizer; deeper start tags are
/// dropped (their text kept). Real stories nest a few dozen deep at most.
pub const MAX_DEPTH: usize = 256;

/// The longest prefix of `html`, at most `max` bytes, that ends on a
/// character boundary and outside a tag and a character reference.
pub fn cut_point(html: &str, max: usize) -> usize {
    if html.len() <= max {
        return html.len();
    }
    let mut at = max;
    while !html.is_char_boundary(at) {
        at -= 1;
    }
    let bytes = html.as_bytes();
    if let Some(lt) = memrchr(b'<', &bytes[..at])
        && memchr(b'>', &bytes[lt..at]).is_none()
    {
        at = lt;
    }
    if let Some(amp) = memrchr(b'&', &bytes[..at])
        && at - amp <= 32
        && bytes[amp + 1..at].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'#')
    {
        at = amp;
    }
    at
}

/// `html` with every start tag that would open deeper than `max` (and the
/// end tag that closes it) removed; borrowed when nothing was.
pub fn flatten(html: &str, max: usize) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut open: Vec<Open<'_>> = Vec::with_capacity(max.min(64));
    // Start tags dropped and not yet closed: the next end tags are theirs.
    let mut excess = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(lt) = memchr(b'<', &bytes[at..]).map(|i| at + i) {
        let (token, end) = token(html, lt);
        at = end;
        let keep = match token {
            Token::Text | Token::Other => true,
            Token::Start(name) if VOID.iter().any(|v| name.eq_ignore_ascii_case(v)) => true,
            Token::Start(_) if excess > 0 || open.len() >= max => {
                excess += 1;
                false
            }
            Token::Start(name) => {
                close_current(&mut open, name);
                open.push(Open::new(name));
                if is(name, RAW_TEXT) && !open.iter().any(|o| o.foreign) {
                    at = raw_text_end(html, at, name);
                }
                true
            }
            Token::End(_) if excess > 0 => {
                excess -= 1;
                false
            }
            Token::End(name) => {
                close(&mut open, name);
                true
            }
        };
        if !keep {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[copied..lt]);
            copied = end;
        }
        if end >= bytes.len() {
            break;
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[copied..]);
            Cow::Owned(out)
        }
    }
}

/// What starts at a `<`.
enum Token<'a> {
    /// A start tag and its name.
    Start(&'a str),
    /// An end tag and its name.
    End(&'a str),
    /// A comment, declaration or bogus comment: no element.
    Other,
    /// Not markup (`a < b`), or markup cut off by the end of the input,
    /// which html5ever drops.
    Text,
}

/// The token at `lt` (a `<`) and the index just past it.
fn token(html: &str, lt: usize) -> (Token<'_>, usize) {
    let bytes = html.as_bytes();
    let after = lt + 1;
    let to_gt = |from: usize| memchr(b'>', &bytes[from.min(bytes.len())..]).map_or(bytes.len(), |i| from + i + 1);
    match bytes.get(after) {
        Some(b) if b.is_ascii_alphabetic() => match tag(html, after) {
            Some((name, end)) => (Token::Start(name), end),
            None => (Token::Text, bytes.len()),
        },
        Some(b'/') => match bytes.get(after + 1) {
            Some(b) if b.is_ascii_alphabetic() => match tag(html, after + 1) {
                Some((name, end)) => (Token::End(name), end),
                None => (Token::Text, bytes.len()),
            },
            // `</>` is dropped; `</` + anything else is a bogus comment.
            Some(_) => (Token::Other, to_gt(after + 1)),
            None => (Token::Text, bytes.len()),
        },
        Some(b'!') if bytes[after..].starts_with(b"!--") => {
            let body = after + 3;
            // `<!-->` and `<!--->` are whole (empty) comments.
            if bytes[body..].starts_with(b">") {
                return (Token::Other, body + 1);
            }
            if bytes[body..].starts_with(b"->") {
                return (Token::Other, body + 2);
            }
            let ends = [memmem::find(&bytes[body..], b"-->").map(|i| i + 3), memmem::find(&bytes[body..], b"--!>").map(|i| i + 4)];
            (Token::Other, ends.into_iter().flatten().min().map_or(bytes.len(), |i| body + i))
        }
        // Doctypes, `<![CDATA[` (outside SVG and MathML), `<?…>`: up to
        // the first `>`, quotes or not.
        Some(b'!' | b'?') => (Token::Other, to_gt(after + 1)),
        _ => (Token::Text, after),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// A tag whose name starts at `from`: its name and the index past its
/// `>`, or `None` when the input ends inside it. Attribute values are
/// quoted only right after `=`, as html5ever's tokenizer reads them.
fn tag(html: &str, from: usize) -> Option<(&str, usize)> {
    #[derive(Clone, Copy)]
    enum State {
        BeforeName,
        Name,
        AfterName,
        BeforeValue,
        Quoted(u8),
        AfterQuoted,
        Unquoted,
    }
    let bytes = html.as_bytes();
    let name_end = from + bytes[from..].iter().position(|&b| is_space(b) || b == b'/' || b == b'>')?;
    let name = html.get(from..name_end)?;
    let mut state = State::BeforeName;
    let mut i = name_end;
    while let Some(&b) = bytes.get(i) {
        state = match (state, b) {
            (State::Quoted(q), _) => {
                i += memchr(q, &bytes[i..])?;
                State::AfterQuoted
            }
            (_, b'>') => return Some((name, i + 1)),
            (State::BeforeValue, b'"' | b'\'') => State::Quoted(b),
            (State::BeforeValue, _) if is_space(b) => State::BeforeValue,
            (State::BeforeValue, _) => State::Unquoted,
            (State::Unquoted, _) if is_space(b) => State::BeforeName,
            (State::Unquoted, _) => State::Unquoted,
            (State::Name | State::AfterName, b'=') => State::BeforeValue,
            (State::Name | State::AfterName, _) if is_space(b) => State::AfterName,
            // `/` (self-closing, or not) goes back to before a name.
            (State::BeforeName | State::Name | State::AfterName | State::AfterQuoted, _) if is_space(b) || b == b'/' => State::BeforeName,
            // Any other byte, `=` included, starts or continues a name.
            (State::BeforeName | State::Name | State::AfterName | State::AfterQuoted, _) => State::Name,
        };
        i += 1;
    }
    None
}

/// Where the raw text of `name` (script, style, textarea…) that starts at
/// `from` ends: at its `</name` followed by a space, `/` or `>`.
fn raw_text_end(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    for i in memmem::find_iter(&bytes[from..], b"</").map(|i| from + i) {
        let candidate = &bytes[i + 2..];
        if candidate.len() >= name.len()
            && candidate[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && candidate.get(name.len()).is_some_and(|&b| is_space(b) || b == b'/' || b == b'>')
        {
            return i;
        }
    }
    bytes.len()
}

/// An element the model counts as open, classified once.
#[derive(Clone, Copy)]
struct Open<'a> {
    name: &'a str,
    /// An end tag for another element does not close past it.
    special: bool,
    /// html5ever reopens it after an end tag skipped it.
    formatting: bool,
    /// `<svg>` or `<math>`: inside, `<style>` and `<title>` hold elements.
    foreign: bool,
}

impl<'a> Open<'a> {
    fn new(name: &'a str) -> Open<'a> {
        let foreign = name.eq_ignore_ascii_case("svg") || name.eq_ignore_ascii_case("math");
        Open { name, special: foreign || is(name, SPECIAL), formatting: is(name, FORMATTING), foreign }
    }
}

fn is(name: &str, set: &[&str]) -> bool {
    set.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// The start tags that certainly close the current node first, as
/// html5ever's tree builder does: a block after an open `<p>`, a `<li>`
/// after a `<li>`, a heading after a heading, a link after a link.
fn close_current(open: &mut Vec<Open<'_>>, name: &str) {
    if open.last().is_some_and(|top| top.name.eq_ignore_ascii_case("p")) && is(name, CLOSES_P) {
        open.pop();
    }
    let pops = match open.last().map(|top| top.name) {
        Some(top) if is(name, HEADINGS) => is(top, HEADINGS),
        Some(top) if is(name, &["li"]) => top.eq_ignore_ascii_case("li"),
        Some(top) if is(name, &["dd", "dt"]) => is(top, &["dd", "dt"]),
        Some(top) if is(name, &["option", "a"]) => top.eq_ignore_ascii_case(name),
        _ => false,
    };
    if pops {
        open.pop();
    }
}

/// An end tag closes the nearest open element of its name when only
/// phrasing elements lie above it (elsewhere html5ever may ignore it);
/// formatting elements above it stay counted, since html5ever reopens
/// them. An end tag with no such match changes nothing.
fn close(open: &mut Vec<Open<'_>>, name: &str) {
    let mut found = None;
    for (k, o) in open.iter().enumerate().rev() {
        if o.name.eq_ignore_ascii_case(name) {
            found = Some(k);
            break;
        }
        if o.special {
            return;
        }
    }
    let Some(k) = found else { return };
    let mut kept = k;
    for r in k + 1..open.len() {
        if open[r].formatting {
            open[kept] = open[r];
            kept += 1;
        }
    }
    open.truncate(kept);
}

/// Elements that never take an end tag (`image` becomes `img`).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Elements whose content html5ever's tokenizer reads as text (not
/// `noscript`: counted as markup, an over-estimate either way).
const RAW_TEXT: &[&str] = &["script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title", "plaintext"];

/// html5ever's formatting elements (kept in its list of active formatting
/// elements and reopened).
const FORMATTING: &[&str] = &["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Start tags that close a `<p>` that is the current node.
#[rustfmt::skip]
const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "search", "section",
    "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form", "xmp", "plaintext", "dd", "dt", "li",
];

/// html5ever's "special" elements (HTML, MathML and SVG): an end tag for
/// another element does not close past them. The model adds `<svg>` and
/// `<math>` (see [`Open`]): closing less is always safe.
#[rustfmt::skip]
const SPECIAL: &[&str] = &[
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br",
    "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed", "fieldset",
    "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header",
    "hgroup", "hr", "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main", "marquee", "menu",
    "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param", "plaintext", "pre", "script",
    "search", "section", "select", "source", "style", "summary", "table", "tbody", "td", "template", "textarea",
    "tfoot", "th", "thead", "title", "tr", "track", "ul", "wbr", "xmp", "mi", "mo", "mn", "ms", "mtext",
    "annotation-xml", "foreignobject", "desc",
];

#[cfg(test)]
mod tests;
