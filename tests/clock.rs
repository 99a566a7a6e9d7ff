//! Clock jumps: a wall clock a year ahead deletes nothing, and what a fast
//! clock stored (future dates, late next-due times) is brought back when
//! the clock moves back, even once fetches were recorded on the jumped
//! clock (the upstreams' `Date` headers tell). The daemon's clock is a parameter of
//! `Daemon::prune_at` / `Daemon::repair_clock` and of a poll's CPU half
//! (`poll::prepare`): the binary itself has no way to fake the time.

mod common;

use chrono::{Duration, Utc};
use common::{Setup, TestSource, Upstream};
use syndic::daemon::Daemon;
use syndic::model::Slice;

const DAY: i64 = 86400;

/// An RSS feed of `n` stories, one every `spacing` seconds back from now;
/// `dated = false` leaves out every `<pubDate>` (stamped at first sight).
fn feed(tag: &str, n: usize, spacing: i64, dated: bool) -> Vec<u8> {
    let mut xml =
        String::from(r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://c.kz/</link>"#);
    let now = Utc::now();
    for i in 0..n {
        let date = (now - Duration::seconds(spacing * i as i64)).to_rfc2822();
        xml.push_str(&format!(
            "<item><title>{tag} {i}: акимат утвердил план номер {i}</title><link>https://c.kz/{tag}/{i}</link>{}<description>Текст сообщения {tag} номер {i} о решениях акимата.</description></item>",
            if dated { format!("<pubDate>{date}</pubDate>") } else { String::new() }
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

/// One source `c` serving `body`; feeds show 10 stories, retention 90 days.
fn setup(body: Vec<u8>) -> (Upstream, Setup) {
    let up = Upstream::start();
    let url = up.put("c.xml", body, "application/rss+xml");
    let s = Setup::new(&[TestSource { id: "c", url, kind: "partner", category: "politics", priority: 0 }]);
    let text = std::fs::read_to_string(s.config()).unwrap().replace("items_per_feed = 1000", "items_per_feed = 10\nretention = \"90d\"");
    std::fs::write(s.config(), text).unwrap();
    (up, s)
}

fn daemon(s: &Setup) -> Daemon {
    Daemon::start(syndic::config::load(&s.config()).unwrap()).unwrap()
}

#[test]
fn a_clock_a_year_ahead_deletes_no_story() {
    // 300 stories of the last 60 days: none is past a 90-day retention.
    let (_up, s) = setup(feed("c", 300, 4 * 3600, true));
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    assert_eq!(s.count("SELECT count(*) FROM items"), 300);
    let d = daemon(&s);
    let now = Utc::now().timestamp();
    // The daemon starts on a clock a year ahead: every story looks 10+ months old.
    assert_eq!(d.prune_at(now + 365 * DAY).unwrap(), 0);
    assert_eq!(s.count("SELECT count(*) FROM items"), 300, "a jumped clock deleted stories");
    // On the right clock retention runs, and has nothing to delete yet.
    assert_eq!(d.prune_at(now).unwrap(), 0);
    // Half a year later by a clock that fetched all along, it deletes what is old.
    d.ctx.store.lock().unwrap().record_fetch("c", &fetched_at(now + 180 * DAY)).unwrap();
    assert!(d.prune_at(now + 180 * DAY).unwrap() > 0, "retention still works on a clock that fetches");
}

#[test]
fn a_clock_that_jumped_a_year_ahead_while_running_deletes_no_story() {
    let (_up, s) = setup(feed("c", 300, 4 * 3600, true));
    let d = daemon(&s);
    // Polled by the daemon: the upstream's answer carries its clock (`Date`).
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let reports = runtime.block_on(d.poll_all(&d.config.sources));
    assert_eq!(reports[0].stats.new, 300, "{reports:?}");
    // Then the clock jumps a year ahead, and fetches are recorded on it:
    // by the store alone, the clock looks right.
    let jumped = Utc::now().timestamp() + 365 * DAY;
    d.ctx.store.lock().unwrap().record_fetch("c", &fetched_at(jumped)).unwrap();
    assert_eq!(d.prune_at(jumped).unwrap(), 0);
    assert_eq!(s.count("SELECT count(*) FROM items"), 300, "a jumped clock deleted stories");
}

fn fetched_at(at: i64) -> syndic::store::FetchRecord {
    syndic::store::FetchRecord { at, next_fetch_at: at + 900, ..Default::default() }
}

/// Titles of `slice`'s feed, newest first.
fn titles(d: &Daemon, slice: &Slice) -> Vec<String> {
    d.ctx.store.lock().unwrap().feed_items(slice, 100).unwrap().into_iter().map(|i| i.title).collect()
}

#[test]
fn stories_stored_on_a_fast_clock_do_not_top_the_feeds_once_it_moves_back() {
    let (up, s) = setup(feed("early", 5, 3600, true));
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    let d = daemon(&s);
    let source = d.config.source("c").unwrap().clone();
    let url = source.url.clone();
    // A day ahead, an undated feed is stored: its stories are stamped with
    // that clock's time.
    let fast = Utc::now() + Duration::days(1);
    let undated = feed("fast", 3, 60, false);
    let prepared = syndic::pipeline::poll::prepare(&d.ctx, &source, &undated, None, &url, fast).unwrap();
    prepared.store(&d.ctx, 0, fast).unwrap();
    d.ctx.store.lock().unwrap().record_fetch("c", &fetched_at(fast.timestamp())).unwrap();
    assert!(titles(&d, &Slice::All)[0].starts_with("fast"));
    // The clock moves back to the right time (the daemon sees it on its
    // next tick, or at start): nothing stays dated in the future.
    drop(d);
    let d = daemon(&s);
    let now = Utc::now().timestamp();
    let ahead = s.count(&format!("SELECT count(*) FROM items WHERE published_at > {}", now + 600));
    assert_eq!(ahead, 0, "stories dated in the future");
    // The next-due time a day ahead is pulled back to an interval from now.
    let next = d.ctx.store.lock().unwrap().source_state("c").unwrap().next_fetch_at.unwrap();
    assert!(next <= now + 900 + 90, "next fetch still at {} s from now", next - now);
    // A story published now comes first, above those stamped on the fast clock.
    up.put("c.xml", feed("late", 1, 0, true), "application/rss+xml");
    assert!(s.syndic(&["fetch", "--all"]).status.success());
    let d = daemon(&s);
    let all = titles(&d, &Slice::All);
    assert!(all[0].starts_with("late"), "{all:?}");
    assert!(titles(&d, &Slice::Category("politics".into()))[0].starts_with("late"));
}
