use super::*;

fn url() -> Url {
    Url::parse("https://example.kz/news/1").unwrap()
}

fn body(inner: &str) -> String {
    format!("<html><head><title>Заголовок</title></head><body><article>{inner}</article></body></html>")
}

fn story() -> String {
    "Текст новости о событиях в регионе. ".repeat(5)
}

#[test]
fn blocks_are_judged_by_their_first_words_only_when_short() {
    let long_ad_story = format!("Реклама на билбордах Алматы подорожала вдвое. {}", "Подробности от участников рынка. ".repeat(15));
    let html = body(&format!(
        "<p>{}</p><p>Реклама</p><div>Читайте также: <a href=\"/x\">другое</a></div><p>{long_ad_story}</p><span>×</span>",
        story()
    ));
    let page = extract(&html, &url(), &Rule::selector("article", &[]).unwrap(), chrono_tz::UTC).unwrap();
    assert!(page.text.contains("Реклама на билбордах"), "a long paragraph that opens with «Реклама» is story: {}", page.text);
    assert!(!page.text.contains("Читайте также") && !page.text.contains('×'), "{}", page.text);
    assert!(!page.html.contains("<p>Реклама</p>"), "{}", page.html);
}

#[test]
fn lazy_images_get_their_real_source_and_the_placeholder_goes() {
    let html = body(&format!(
        r#"<p>{}</p><img src="data:image/gif;base64,R0lG" data-lazy-src="/img/a.jpg" alt="a"><img src="/img/b.jpg" alt="b">"#,
        story()
    ));
    let page = extract(&html, &url(), &Rule::selector("article", &[]).unwrap(), chrono_tz::UTC).unwrap();
    assert!(page.html.contains(r#"src="https://example.kz/img/a.jpg""#), "{}", page.html);
    assert!(page.html.contains(r#"src="https://example.kz/img/b.jpg""#), "{}", page.html);
    assert!(!page.html.contains("data:"), "{}", page.html);
}

#[test]
fn chrome_is_recognized_by_class_words_not_substrings() {
    let html = body(&format!(
        r#"<p>{}</p><div class="share-buttons">Поделиться</div><div class="article-heads">Важная часть</div><div id="ad_top">Купить</div>"#,
        story()
    ));
    let page = extract(&html, &url(), &Rule::selector("article", &[]).unwrap(), chrono_tz::UTC).unwrap();
    assert!(!page.text.contains("Поделиться") && !page.text.contains("Купить"), "{}", page.text);
    assert!(page.text.contains("Важная часть"), "'heads' is not 'ads': {}", page.text);
}

#[test]
fn json_ld_fills_date_and_author_when_meta_tags_are_absent() {
    let html = format!(
        r#"<html><head><script type="application/ld+json">[{{"@type":"BreadcrumbList"}},{{"@type":["NewsArticle"],"headline":"Х","datePublished":"21.08.2019, 15:41","author":"Редакция"}}]</script></head><body><article><p>{}</p></article></body></html>"#,
        story()
    );
    let page = extract(&html, &url(), &Rule::selector("article", &[]).unwrap(), chrono_tz::Asia::Almaty).unwrap();
    assert_eq!(page.published.map(|d| d.to_rfc3339()).as_deref(), Some("2019-08-21T09:41:00+00:00"));
    assert_eq!(page.author.as_deref(), Some("Редакция"));
}

#[test]
fn nesting_estimate_ignores_void_and_self_closed_tags() {
    assert_eq!(nesting_estimate("<div><br><img src=x><input/><div></div></div>"), 2);
    assert_eq!(nesting_estimate("<p>a</p><p>b</p>"), 1);
    assert_eq!(nesting_estimate("a < b and <> nothing"), 0);
}
