use super::*;

/// How deep html5ever builds the tree of `html`: the depth its stack of
/// open elements reached, near enough.
fn parsed_depth(html: &str) -> usize {
    let doc = scraper::Html::parse_fragment(html);
    let (mut depth, mut deepest) = (0usize, 0usize);
    for edge in doc.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) if n.value().is_element() => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ego_tree::iter::Edge::Close(n) if n.value().is_element() => depth -= 1,
            _ => {}
        }
    }
    deepest
}

#[test]
fn cut_points_table() {
    let cases = [
        ("short", 10, 5),
        ("abcdef", 3, 3),
        ("абв", 3, 2),
        ("text <a href=\"x\">", 10, 5),
        ("text <b>bold</b>", 8, 8),
        ("a &amp; b", 5, 2),
        ("a &#1057; b", 6, 2),
        ("a & b c d", 6, 6),
        ("<p>x</p>", 4, 4),
    ];
    for (html, max, want) in cases {
        assert_eq!(cut_point(html, max), want, "{html} at {max}");
    }
}

#[test]
fn ordinary_markup_is_left_alone() {
    for html in [
        "<p>Текст <a href=\"/x\">ссылка</a><br><img src=\"i.jpg\"></p>",
        "<div><ul><li>один<li>два</ul><p>a<p>b<table><tr><td>1</td></tr></table></div>",
        "<script>if (a < b && c > d) { x('<div><div>') }</script><style>p > a {}</style>",
        "a < b, <!-- comment <div> --> <!DOCTYPE html>",
    ] {
        assert!(matches!(flatten(html, 8), Cow::Borrowed(_)), "{html}");
    }
}

#[test]
fn nesting_past_the_limit_is_flattened_and_its_text_kept() {
    let html = format!("{}глубоко{}", "<div>".repeat(1000), "</div>".repeat(1000));
    let flat = flatten(&html, 64);
    assert_eq!(flat.matches("<div>").count(), 64);
    assert_eq!(flat.matches("</div>").count(), 64);
    assert!(flat.contains("глубоко"));
    assert!(parsed_depth(&flat) <= 64 + 2, "{}", parsed_depth(&flat));
}

/// Shapes that keep html5ever's stack growing while a naive count of
/// start and end tags stays flat (or that hide tags from a naive
/// scanner): after flattening, the parsed tree stays near the limit.
#[test]
fn tricks_that_hide_nesting_are_counted() {
    type Shape = (&'static str, fn(usize) -> String);
    let shapes: [Shape; 13] = [
        ("plain divs", |_| "<div>".into()),
        ("stray end tags", |_| "<div></x>".into()),
        ("end tag past a block", |_| "<span><div></span>".into()),
        ("list item past a list", |_| "<li><ul></li>".into()),
        ("formatting reopened", |i| format!("<p><b id={i}></p>text")),
        ("formatting in a div", |i| format!("<div><i class=c{i}>x</div>")),
        ("slash before a quote", |_| "<a x/=\"><div>\">".into()),
        ("equals before a name", |_| "<a =\"><div>\">".into()),
        ("abrupt comment", |_| "<!--><div>".into()),
        ("escaped script end", |_| "<script><!--</script><div>".into()),
        ("style in svg", |_| "<svg><style><div>".into()),
        ("tables", |_| "<table><tr><td>".into()),
        ("headings and links", |i| format!("<h1><a href=/{i}><div>")),
    ];
    for (what, shape) in shapes {
        let html: String = (0..1500).map(shape).collect();
        assert!(parsed_depth(&html) > 1000, "{what}: not deep to begin with");
        let flat = flatten(&html, 64);
        let depth = parsed_depth(&flat);
        assert!(depth <= 2 * 64 + 8, "{what}: parsed {depth} deep after flattening");
    }
}
