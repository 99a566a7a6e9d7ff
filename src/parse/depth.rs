//! How deep a feed's elements nest, read before any parser sees it.
//!
//! feed-rs reads nested elements by recursion (`<media:group>` in a
//! `<media:group>`, `<itunes:category>` in an `<itunes:category>`), so a
//! feed nested a thousand deep (27 KB) overflows the parsing thread's
//! stack. A stack overflow is not a panic: it aborts the whole process,
//! and systemd restarts it into the same feed. [`check`] refuses such a
//! document first, in one pass over the bytes that allocates nothing.
//! Real feeds nest under ten deep (`rss > channel > item > media:group >
//! media:content`).
//!
//! The scan reads what changes nesting in XML: start tags (quoted
//! attribute values may hold `>`), end tags, self-closed tags, and the
//! markup that holds no elements: comments, CDATA sections, processing
//! instructions and declarations. It never reports less nesting than a
//! parser would see: an unterminated comment or tag ends the scan (the
//! parser rejects the document there too), and markup inside a DTD's
//! entity values counts as if it were elements (an over-estimate).

use memchr::{memchr, memchr3, memmem};

/// Deepest element nesting read. Real feeds nest under ten deep; the CPU
/// worker threads' stacks are sized for a parse this deep (see `cpu`).
pub const MAX_DEPTH: usize = 256;

/// Where a document first nests deeper than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// Byte offset of the start tag that went past the limit.
    pub offset: usize,
}

/// The deepest nesting in `xml`, or where it first goes past `max`.
pub fn check(xml: &str, max: usize) -> Result<usize, TooDeep> {
    let bytes = xml.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut at = 0;
    while let Some(lt) = memchr(b'<', &bytes[at..]).map(|i| at + i) {
        let rest = &bytes[lt + 1..];
        let skip_to = |end: &[u8]| memmem::find(rest, end).map(|i| lt + 1 + i + end.len());
        let next = match rest.first() {
            Some(b'!') if rest.starts_with(b"!--") => skip_to(b"-->"),
            Some(b'!') if rest.starts_with(b"![CDATA[") => skip_to(b"]]>"),
            // A DOCTYPE's internal subset holds `<!ENTITY …>` declarations:
            // they are skipped one by one, like any `<!…>`.
            Some(b'!' | b'?') => skip_to(b">"),
            Some(b'/') => {
                depth = depth.saturating_sub(1);
                skip_to(b">")
            }
            Some(_) => {
                let Some(end) = tag_end(bytes, lt + 1) else { break };
                if bytes[end - 1] != b'/' {
                    depth += 1;
                    if depth > max {
                        return Err(TooDeep { offset: lt });
                    }
                    deepest = deepest.max(depth);
                }
                Some(end + 1)
            }
            None => None,
        };
        match next {
            Some(next) => at = next,
            None => break,
        }
    }
    Ok(deepest)
}

/// The index of the `>` that ends the tag whose name starts at `from`:
/// the first one outside a quoted attribute value.
fn tag_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + memchr3(b'>', b'"', b'\'', &bytes[from..])?;
        if bytes[i] == b'>' {
            return Some(i);
        }
        let quote = bytes[i];
        from = i + 1 + memchr(quote, &bytes[i + 1..])? + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_table() {
        let cases = [
            ("<rss><channel><item>x</item><item/></channel></rss>", Ok(3)),
            ("<a><b/><c x='/>'><d></d></c></a>", Ok(3)),
            ("<a x=\"1 > 0\"><b></b></a>", Ok(2)),
            ("<a><!-- <b><c><d> --><![CDATA[<b><c><d>]]><?pi <b>?></a>", Ok(1)),
            ("<!DOCTYPE rss [<!ENTITY a \"x\">]><a></a>", Ok(1)),
            ("<a><b><c><d>", Err(TooDeep { offset: 9 })),
            ("<a><b><c></c></b><b><c></c></b></a>", Ok(3)),
            ("<a><b><c x=\"unterminated", Ok(2)),
            ("<a><!-- never ends <b><c><d>", Ok(1)),
            ("", Ok(0)),
            ("<", Ok(0)),
        ];
        for (xml, want) in cases {
            assert_eq!(check(xml, 3), want, "{xml}");
        }
    }

    #[test]
    fn the_limit_itself_passes_and_one_more_does_not() {
        let nested = |n: usize| format!("<rss>{}{}</rss>", "<g>".repeat(n - 1), "</g>".repeat(n - 1));
        assert_eq!(check(&nested(MAX_DEPTH), MAX_DEPTH), Ok(MAX_DEPTH));
        assert!(check(&nested(MAX_DEPTH + 1), MAX_DEPTH).is_err());
    }
}
