//! A hostile upstream on loopback: raw TCP, so it can lie in ways a
//! well-behaved HTTP library will not (a byte a second, a body that never
//! ends, a declared length it never sends, a bomb under Content-Encoding).
//! One server per test binary; the behaviour is chosen by the path.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

/// The server's address (started on first use).
pub fn addr() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = handle(stream);
                });
            }
        });
        addr
    })
}

/// `http://127.0.0.1:PORT/PATH`.
pub fn url(path: &str) -> String {
    format!("http://{}/{path}", addr())
}

pub const GOOD_FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Good</title><link>https://good.kz/</link>
<item><title>Хорошая новость один</title><link>https://good.kz/1</link><description>Текст первой новости.</description></item>
<item><title>Хорошая новость два</title><link>https://good.kz/2</link><description>Текст второй новости.</description></item>
</channel></rss>"#;

fn rss(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title><link>https://h.kz/</link>{items}</channel></rss>"#
    )
}

fn item(title: &str, link: &str, extra: &str) -> String {
    format!("<item><title>{title}</title><link>{link}</link>{extra}</item>")
}

/// A feed of one item nesting `n` elements: `<media:group>` in RSS or in
/// Atom, or `<itunes:category>` (feed-rs reads each by recursion).
fn nested(path: &str, n: usize) -> String {
    let (open, close) = if path.contains("itunes") {
        ("<itunes:category text=\"News\">", "</itunes:category>")
    } else {
        ("<media:group>", "</media:group>")
    };
    let nest = format!("{}{}", open.repeat(n), close.repeat(n));
    let namespaces = "xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"";
    if path.contains("atom") {
        format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" {namespaces}><title>N</title><entry><id>n1</id><title>Вложенная</title><updated>2026-01-01T00:00:00Z</updated>{nest}</entry></feed>"
        )
    } else if path.contains("itunes") {
        // Categories are the channel's (a podcast's).
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" {namespaces}><channel><title>N</title>{nest}{}</channel></rss>",
            item("Вложенная", "https://h.kz/nested", "")
        )
    } else {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" {namespaces}><channel><title>N</title>{}</channel></rss>",
            item("Вложенная", "https://h.kz/nested", &nest)
        )
    }
}

/// The compression bombs, built once (a second or two: build them before
/// a fetch starts its timeout).
pub fn bomb(encoding: &str) -> &'static [u8] {
    static GZIP: OnceLock<Vec<u8>> = OnceLock::new();
    static BROTLI: OnceLock<Vec<u8>> = OnceLock::new();
    // 1 GiB of zeros (after a feed opening) inflates from about a megabyte.
    const INFLATED: usize = 1 << 30;
    let head = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>";
    let zeros = vec![b'0'; 1 << 20];
    match encoding {
        "gzip" => GZIP.get_or_init(|| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(head).unwrap();
            for _ in 0..INFLATED >> 20 {
                enc.write_all(&zeros).unwrap();
            }
            enc.finish().unwrap()
        }),
        _ => BROTLI.get_or_init(|| {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 1 << 16, 1, 22);
                w.write_all(head).unwrap();
                for _ in 0..INFLATED >> 20 {
                    w.write_all(&zeros).unwrap();
                }
            }
            out
        }),
    }
}

fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)
}

fn ok(s: &mut TcpStream, content_type: &str, body: &[u8]) -> std::io::Result<()> {
    respond(s, "200 OK", &[("Content-Type", content_type)], body)
}

fn redirect(s: &mut TcpStream, to: &str) -> std::io::Result<()> {
    respond(s, "302 Found", &[("Location", to)], b"")
}

/// Writes `chunk` as chunked transfer-encoding until the client hangs up.
fn endless(s: &mut TcpStream, first: &[u8], chunk: &[u8]) -> std::io::Result<()> {
    s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\n\r\n")?;
    s.write_all(format!("{:x}\r\n", first.len()).as_bytes())?;
    s.write_all(first)?;
    s.write_all(b"\r\n")?;
    loop {
        s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
        s.write_all(chunk)?;
        s.write_all(b"\r\n")?;
    }
}

fn handle(mut s: TcpStream) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = [0u8; 8192];
    let mut req = Vec::new();
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        req.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&req);
    let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
    let xml = "application/rss+xml; charset=utf-8";
    match path.as_str() {
        "good.xml" => ok(&mut s, xml, GOOD_FEED.as_bytes()),
        "billion-laughs.xml" => {
            let mut dtd = String::from("<!DOCTYPE rss [<!ENTITY lol \"lol\">");
            for i in 1..=9 {
                let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
                dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">", format!("&{prev};").repeat(10)));
            }
            dtd.push_str("]>");
            let body = format!(
                "<?xml version=\"1.0\"?>{dtd}<rss version=\"2.0\"><channel><title>&lol9;</title>{}</channel></rss>",
                item("&lol9;", "https://h.kz/lol", "<description>&lol9;</description>")
            );
            ok(&mut s, xml, body.as_bytes())
        }
        "quadratic.xml" => {
            let big = "x".repeat(50_000);
            let refs = "&a;".repeat(50_000);
            let body = format!(
                "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"{big}\">]><rss version=\"2.0\"><channel><title>Q</title>{}</channel></rss>",
                item("quadratic", "https://h.kz/q", &format!("<description>{refs}</description>"))
            );
            ok(&mut s, xml, body.as_bytes())
        }
        "xxe.xml" => {
            let body = format!(
                "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><title>X</title>{}</channel></rss>",
                item("XXE &xxe;", "https://h.kz/xxe", "<description>secret: &xxe;</description>")
            );
            ok(&mut s, xml, body.as_bytes())
        }
        "huge-declared.xml" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 200000000\r\n\r\n<rss>")?;
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        }
        "huge-200mb.xml" => {
            // 200 MB, no declared length: the cap must stop the read.
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n")?;
            s.write_all(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>")?;
            let block = vec![b'a'; 1 << 20];
            for _ in 0..200 {
                s.write_all(&block)?;
            }
            Ok(())
        }
        "gzip-bomb.xml" | "brotli-bomb.xml" => {
            let encoding = if path.starts_with("gzip") { "gzip" } else { "br" };
            respond(&mut s, "200 OK", &[("Content-Type", xml), ("Content-Encoding", encoding)], bomb(encoding))
        }
        "slowloris.xml" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n")?;
            for b in GOOD_FEED.bytes() {
                s.write_all(&[b])?;
                std::thread::sleep(Duration::from_secs(1));
            }
            Ok(())
        }
        "never-ends.xml" => {
            let first = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>N</title>";
            endless(&mut s, first, item("again", "https://h.kz/a", "").repeat(100).as_bytes())
        }
        "redirect-loop.xml" => redirect(&mut s, "/redirect-loop.xml"),
        "redirect-file.xml" => redirect(&mut s, "file:///etc/passwd"),
        "redirect-ftp.xml" => redirect(&mut s, "ftp://ftp.example.kz/feed.xml"),
        "redirect-metadata.xml" => redirect(&mut s, "http://169.254.169.254/latest/meta-data/"),
        "redirect-private.xml" => redirect(&mut s, "http://10.0.0.1/feed.xml"),
        "status-500.xml" => respond(&mut s, "500 Internal Server Error", &[], b"oops"),
        "status-503.xml" => respond(&mut s, "503 Service Unavailable", &[("Retry-After", "120")], b"busy"),
        "status-429.xml" => respond(&mut s, "429 Too Many Requests", &[("Retry-After", "60")], b"slow down"),
        "invalid.xml" => ok(&mut s, xml, b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>unclosed</chan"),
        "html.xml" => {
            ok(&mut s, "text/html", b"<!DOCTYPE html><html><head><title>Not a feed</title></head><body><p>Hello</p></body></html>")
        }
        "empty.xml" => ok(&mut s, xml, b""),
        "wrong-type.xml" => ok(&mut s, "image/png", rss(&item("Лента с чужим типом", "https://h.kz/wt", "")).as_bytes()),
        "bad-utf8.xml" => {
            // One broken sequence in an otherwise UTF-8 Russian feed.
            let text = "<description>Правительство утвердило план развития транспортной инфраструктуры на пять лет.</description>";
            let mut body =
                rss(&(item("Битые байты: XX", "https://h.kz/bu", text) + &item("Целая новость", "https://h.kz/ok", text))).into_bytes();
            let at = body.windows(2).position(|w| w == b"XX").unwrap();
            body[at] = 0xff;
            body[at + 1] = 0xfe;
            ok(&mut s, xml, &body)
        }
        "second-decl.xml" => {
            let body = rss(&format!(
                "{}<?xml version=\"1.0\" encoding=\"windows-1251\"?>{}",
                item("До объявления", "https://h.kz/d1", ""),
                item("После объявления", "https://h.kz/d2", "")
            ));
            ok(&mut s, xml, body.as_bytes())
        }
        "100k-items.xml" => {
            let items: String = (0..100_000).map(|i| format!("<item><title>n{i}</title><link>https://h.kz/{i}</link></item>")).collect();
            ok(&mut s, xml, rss(&items).as_bytes())
        }
        "5mb-title.xml" => ok(&mut s, xml, rss(&item(&"Длинно ".repeat(400_000), "https://h.kz/long", "")).as_bytes()),
        "dates.xml" => {
            let items = item("Нулевой год", "https://h.kz/y0", "<pubDate>Sat, 01 Jan 0000 00:00:00 +0000</pubDate>")
                + &item("Год 9999", "https://h.kz/y9999", "<pubDate>Fri, 31 Dec 9999 23:59:59 +0000</pubDate>")
                + &item("ISO 9999", "https://h.kz/iso", "<pubDate>9999-12-31T23:59:59Z</pubDate>");
            ok(&mut s, xml, rss(&items).as_bytes())
        }
        "dup-guids.xml" => {
            let items: String = (0..3)
                .map(|i| item(&format!("Версия {i}"), &format!("https://h.kz/v{i}"), "<guid isPermaLink=\"false\">same-guid</guid>"))
                .collect();
            ok(&mut s, xml, rss(&items).as_bytes())
        }
        "js-links.xml" => {
            let items = item("Скрипт вместо ссылки", "javascript:alert(document.cookie)", "<description>текст</description>")
                + &item("VBScript", "vbscript:msgbox(1)", "")
                + &item("Data", "data:text/html,<script>alert(1)</script>", "");
            ok(&mut s, xml, rss(&items).as_bytes())
        }
        "reset.xml" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n<rss><chan")?;
            Ok(()) // closes mid-body
        }
        "garbage-status.xml" => {
            s.write_all(b"HTTP/1.1 WAT\r\n\r\n")?;
            Ok(())
        }
        "nested-media-group.xml" | "nested-itunes-category.xml" | "nested-atom-media.xml" => {
            let body = nested(&path, 1000);
            ok(&mut s, if path.contains("atom") { "application/atom+xml" } else { xml }, body.as_bytes())
        }
        "nested-divs.xml" => {
            // Unclosed, as html5ever's worst case came: 20,000 levels under
            // the size cap, 50,000 over it.
            let items = item(
                "Глубокие блоки",
                "https://h.kz/deep",
                &format!("<description><![CDATA[{}Суть новости]]></description>", "<div>".repeat(20_000)),
            ) + &item(
                "Ещё глубже",
                "https://h.kz/deeper",
                &format!("<description><![CDATA[{}Конец]]></description>", "<div>".repeat(50_000)),
            );
            ok(&mut s, xml, rss(&items).as_bytes())
        }
        "huge-description.xml" => {
            let paragraph = "<p>Очень длинный текст одной новости, абзац за абзацем.</p>";
            let huge = format!("<description><![CDATA[{}]]></description>", paragraph.repeat(12_000_000 / paragraph.len()));
            let items = item("Огромное описание", "https://h.kz/huge", &huge)
                + &item("Обычная новость", "https://h.kz/small", "<description>Коротко.</description>");
            ok(&mut s, xml, rss(&items).as_bytes())
        }
        "lone-surrogate.json" => {
            let body = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
                {"id": "1", "url": "https://h.kz/j1", "title": "Сломанный \ud800 заголовок", "content_text": "Текст."},
                {"id": "2", "url": "https://h.kz/j2", "title": "Флаг \ud83c\uddf0\ud83c\uddff и смайлик \ud83d\ude00", "content_text": "Текст."},
                {"id": "3", "url": "https://h.kz/j3", "title": "Обычная", "content_text": "Текст \\ud800 как есть."}]}"#;
            ok(&mut s, "application/feed+json", body.as_bytes())
        }
        _ => respond(&mut s, "404 Not Found", &[], b"no"),
    }
}
