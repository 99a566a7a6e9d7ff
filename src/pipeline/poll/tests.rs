//! Tests of one poll: a fetched feed waiting for a CPU worker, the entry
//! cap, and learned template prefixes left out of the fingerprints.

use super::*;

/// A poll context on `store` with one fetch in flight, as the daemon
/// builds it.
fn context(store: Store) -> Context {
    let fetcher = Fetcher::new(crate::fetch::FetchSettings {
        user_agent: "syndic-test".into(),
        connect_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(5),
        max_body_bytes: 1 << 20,
    })
    .unwrap();
    let dates: DateParser = Arc::new(|s| crate::normalize::date::parse(s, chrono_tz::Asia::Almaty));
    Context::new(fetcher, store, dates, dedup::Matcher::default(), 1)
}

fn entries(xml: &str) -> usize {
    feed_rs::parser::parse(xml.as_bytes()).map(|f| f.entries.len()).unwrap_or(usize::MAX)
}

/// A loopback server answering every request with `body`; counts them.
async fn serve(body: &'static str) -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = conn.read(&mut request).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes()).await;
            let _ = conn.write_all(body.as_bytes()).await;
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (addr, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_feed_waits_for_a_cpu_worker_before_it_is_parsed_and_stored() {
    const RSS: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
        <item><title>Сенат принял закон о местном самоуправлении</title><link>https://a.kz/1</link>\
        <description>Депутаты Сената приняли закон во втором чтении.</description></item></channel></rss>";
    let (addr, served) = serve(RSS).await;
    let dir = tempfile::tempdir().unwrap();
    let source = Source::example("a", url::Url::parse(&format!("http://{addr}/rss")).unwrap());
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    store.sync_sources(std::slice::from_ref(&source)).unwrap();
    let mut ctx = context(store);
    // The only CPU worker is busy with another job until released.
    ctx.cpu = crate::cpu::Pool::new(1);
    let (release, busy) = std::sync::mpsc::channel::<()>();
    let (holding, held) = std::sync::mpsc::channel::<()>();
    let other_job = tokio::spawn({
        let cpu = ctx.cpu.clone();
        async move {
            cpu.run(move || {
                let _ = holding.send(());
                busy.recv().is_ok()
            })
            .await
        }
    });
    // The worker is held before the poll starts: on a loaded machine the
    // poll's fetch could otherwise finish before the other job is queued.
    let held = tokio::task::spawn_blocking(move || held.recv_timeout(Duration::from_secs(10))).await.unwrap();
    assert!(held.is_ok(), "the other job never reached the worker");
    let poll = tokio::spawn({
        let (ctx, source) = (ctx.clone(), source.clone());
        async move { poll_source(&ctx, &source, None).await }
    });
    let waited = std::time::Instant::now();
    while served.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(waited.elapsed() < Duration::from_secs(10), "the feed was never fetched");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    if poll.is_finished() {
        panic!("the poll went on without a worker: {:?}", poll.await);
    }
    assert_eq!(ctx.store.lock().unwrap().counts().unwrap().0, 0, "nothing is stored before a worker is free");
    release.send(()).unwrap();
    assert_eq!(other_job.await.unwrap(), Ok(true));
    let report = tokio::time::timeout(Duration::from_secs(10), poll).await.unwrap().unwrap();
    assert_eq!(report.outcome, Outcome::Ingested, "{report:?}");
    assert_eq!(report.stats.new, 1);
    assert_eq!(ctx.store.lock().unwrap().counts().unwrap().0, 1);
    assert_eq!(ctx.backlog.available_permits(), backlog(1).available_permits(), "the place in the backlog is given back");
}

#[test]
fn long_feeds_are_cut_after_the_cap_and_still_parse() {
    let item = |i: usize| format!("<item><title>t{i}</title><link>https://a.kz/{i}</link></item>");
    let rss = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>{}</channel></rss>",
        (0..7).map(item).collect::<String>()
    );
    let entry = |i: usize| format!("<entry><id>e{i}</id><title>t{i}</title><updated>2026-01-01T00:00:00Z</updated></entry>");
    let atom = format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title>{}</feed>", (0..7).map(entry).collect::<String>());
    for xml in [&rss, &atom] {
        assert!(matches!(cap_entries(xml, 8), std::borrow::Cow::Borrowed(_)), "below the cap: untouched");
        assert!(matches!(cap_entries(xml, 7), std::borrow::Cow::Borrowed(_)), "exactly at the cap: untouched");
        let cut = cap_entries(xml, 5);
        assert!(matches!(cut, std::borrow::Cow::Owned(_)));
        assert_eq!(entries(&cut), 5, "{cut}");
    }
}

#[test]
fn a_template_the_source_put_on_many_stories_is_left_out_of_its_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::parse("https://press.kz/rss").unwrap();
    let sources = [Source::example("press", url.clone()), Source::example("news", url::Url::parse("https://news.kz/rss").unwrap())];
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    store.sync_sources(&sources).unwrap();
    let mut ctx = context(store);
    let rss = |titles: &[&str]| {
        let items: String = titles
            .iter()
            .enumerate()
            .map(|(i, t)| format!("<item><title>{t}</title><link>https://press.kz/{i}</link><description>Компания сообщила о запуске.</description></item>"))
            .collect();
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>p</title>{items}</channel></rss>")
    };
    let history = [
        "Kaspi представил услугу",
        "Halyk открыл отделение",
        "Beeline запустил тариф",
        "Air Astana открывает рейсы",
        "Kcell представила 5G",
    ]
    .map(|t| format!("[РЕЛИЗ] {t}"));
    let now = Utc::now();
    let first = prepare(&ctx, &sources[0], rss(&history.each_ref().map(String::as_str)).as_bytes(), None, &url, now).unwrap();
    assert!(first.prints.iter().all(|p| p.profile.names.len() == 1), "nothing learned yet: the tag is a bracketed name");
    first.store(&ctx, 0, now).unwrap();
    // As when the young source's templates are next learned.
    ctx.templates = Arc::default();
    let new = "[РЕЛИЗ] Jusan представил приложение";
    let bare = dedup::Matcher::default().fingerprint("Jusan представил приложение", "Компания сообщила о запуске.");
    let second = prepare(&ctx, &sources[0], rss(&[new]).as_bytes(), None, &url, now).unwrap();
    assert_eq!(second.prints[0].profile, bare.profile, "the learned prefix is no evidence of the story");
    assert_eq!(second.items[0].title, new, "readers still see the whole title");
    let other = prepare(&ctx, &sources[1], rss(&[new]).as_bytes(), None, &url, now).unwrap();
    assert_ne!(other.prints[0].profile, bare.profile, "another source never used it: it is kept there");
}
