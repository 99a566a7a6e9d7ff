//! One regression test per bug the old loop in `daemon.rs` hid.

use std::time::Instant;

use super::*;
use crate::daemon::Daemon;

/// A daemon on a fresh database with three sources on three hosts, each a
/// closed loopback port (nothing leaves the machine).
fn daemon(settings: &str) -> (tempfile::TempDir, Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("syndic.db");
    let settings = format!("[daemon]\ndatabase = {:?}\nsources = \"sources.toml\"\n{settings}", db.display().to_string());
    let mut sources = "[[category]]\nslug = \"politics\"\ntitle = \"Политика\"\n".to_string();
    for (id, host) in [("a", "127.0.0.1"), ("b", "127.0.0.2"), ("c", "127.0.0.3")] {
        sources += &format!(
            "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nurl = \"http://{host}:9/rss\"\nkind = \"partner\"\ncategory = \"politics\"\n"
        );
    }
    std::fs::write(dir.path().join("syndic.toml"), settings).unwrap();
    std::fs::write(dir.path().join("sources.toml"), sources).unwrap();
    let config = crate::config::load(&dir.path().join("syndic.toml")).unwrap();
    (dir, Daemon::start(config).unwrap())
}

fn source<'c>(config: &'c Config, id: &str) -> &'c Source {
    config.source(id).unwrap()
}

#[tokio::test]
async fn a_reload_keeps_the_hosts_that_asked_to_wait_blocked_and_the_fetches_in_flight_counted() {
    let (_dir, d) = daemon("max_concurrent_fetches = 1\n");
    let config = &d.config;
    let scheduler = Scheduler::new(d.ctx.clone(), config);
    let in_flight = scheduler.limits().acquire(source(config, "a")).await;
    assert!(in_flight.is_some());
    scheduler.limits().block_host(source(config, "b"), Duration::from_secs(3600));

    scheduler.reload(config);

    assert!(scheduler.limits().is_blocked(source(config, "b")), "the reload forgot b's Retry-After and would poll it again at once");
    let second = tokio::time::timeout(Duration::from_millis(300), scheduler.limits().acquire(source(config, "c"))).await;
    assert!(second.is_err(), "a second fetch started beside the one in flight: max_concurrent_fetches = 1 was exceeded after the reload");
    drop(in_flight);
    let third = tokio::time::timeout(Duration::from_secs(5), scheduler.limits().acquire(source(config, "c"))).await;
    assert!(third.is_ok_and(|p| p.is_some()), "the slot the finished fetch gave back was not reused");
}

#[tokio::test]
async fn a_reload_that_lowers_the_cap_waits_for_the_fetches_in_flight() {
    let (_dir, d) = daemon("max_concurrent_fetches = 2\n");
    let scheduler = Scheduler::new(d.ctx.clone(), &d.config);
    let first = scheduler.limits().acquire(source(&d.config, "a")).await;
    let second = scheduler.limits().acquire(source(&d.config, "b")).await;
    let mut lowered = (*d.config).clone();
    lowered.daemon.max_concurrent_fetches = 1;
    scheduler.reload(&lowered);
    drop(first);
    let c = source(&d.config, "c");
    let started = tokio::time::timeout(Duration::from_millis(300), scheduler.limits().acquire(c)).await;
    assert!(started.is_err(), "two fetches in flight under a cap of one");
    drop(second);
    assert!(tokio::time::timeout(Duration::from_secs(5), scheduler.limits().acquire(c)).await.is_ok());
}

#[tokio::test]
async fn a_poll_that_panics_frees_its_source_and_is_recorded_as_its_error() {
    let (_dir, d) = daemon("");
    let mut scheduler = Scheduler::new(d.ctx.clone(), &d.config);
    scheduler.spawn_poll("a".into(), async { panic!("feed-rs assertion in quick-xml") });
    assert!(scheduler.is_running("a"));

    let Some(Finished::Poll(report)) = scheduler.next(&d.config).await else { panic!("the panicked poll was not reported") };

    assert_eq!(report.source_id, "a");
    assert!(
        matches!(&report.outcome, Outcome::Failed(e) if e.kind() == "internal" && e.to_string().contains("panicked: feed-rs assertion in quick-xml")),
        "{:?}",
        report.outcome
    );
    assert!(!scheduler.is_running("a"), "the source stays 'running' and is never polled again");
    // Recorded by a task of its own (the daemon's select! may drop `next`
    // at any await, and the report with it); the report comes once it is.
    let recorded = |failures: i64| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let state = d.ctx.store.lock().unwrap().source_state("a").unwrap();
            if state.consecutive_failures == failures || Instant::now() > deadline {
                return state;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let state = recorded(1);
    assert_eq!(state.consecutive_failures, 1, "the panic is not on the source's record");
    assert!(state.last_error.is_some_and(|e| e.contains("panicked")));
    let first_wait = state.next_fetch_at.expect("the source got no next time") - state.last_fetch_at.unwrap();
    // A source that panics on every poll backs off like any failing one.
    scheduler.spawn_poll("a".into(), async { panic!("again") });
    let Some(Finished::Poll(_)) = scheduler.next(&d.config).await else { panic!("the second panic was not reported") };
    let state = recorded(2);
    assert_eq!(state.consecutive_failures, 2);
    assert!(state.next_fetch_at.unwrap() - state.last_fetch_at.unwrap() > first_wait, "no longer wait after a second panic");
    scheduler.start_polls([source(&d.config, "a").clone()]);
    assert!(scheduler.is_running("a"), "the next round does not poll the source again");
}

/// Holds the writer's lock on another thread for `hold`, as a group
/// commit does for most of a busy minute; returns once it is held.
fn hold_writer(d: &Daemon, hold: Duration) -> std::thread::JoinHandle<()> {
    let (store, (held, holding)) = (Arc::clone(&d.ctx.store), std::sync::mpsc::channel());
    let holder = std::thread::spawn(move || {
        let _writer = store.lock().unwrap();
        let _ = held.send(());
        std::thread::sleep(hold);
    });
    holding.recv().unwrap();
    holder
}

/// The longest the runtime's only thread went without running a task
/// that wakes every 10 ms, over `span`.
async fn longest_stall(span: Duration) -> Duration {
    let (started, mut last, mut longest) = (Instant::now(), Instant::now(), Duration::ZERO);
    while started.elapsed() < span {
        tokio::time::sleep(Duration::from_millis(10)).await;
        longest = longest.max(last.elapsed());
        last = Instant::now();
    }
    longest
}

#[tokio::test(flavor = "current_thread")]
async fn a_reload_never_blocks_the_loop_while_the_writer_is_busy() {
    let (_dir, mut d) = daemon("");
    let scheduler = Scheduler::new(d.ctx.clone(), &d.config);
    let holder = hold_writer(&d, Duration::from_millis(800));
    let stall = tokio::spawn(longest_stall(Duration::from_millis(600)));
    tokio::task::yield_now().await;

    let reloaded = d.reload(&scheduler).await;

    assert_eq!(reloaded, crate::daemon::Reload::Done);
    let stall = stall.await.unwrap();
    assert!(stall < Duration::from_millis(300), "the loop's thread stood still {stall:?} waiting for the writer");
    holder.join().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_finished_batch_is_judged_without_waiting_for_the_writer() {
    let (_dir, d) = daemon("");
    let outcomes =
        vec![enrich::Outcome { source_id: "a".into(), url: "http://127.0.0.1:9/1".into(), result: Ok(500), touched: Default::default() }];
    let holder = hold_writer(&d, Duration::from_secs(2));
    let started = Instant::now();

    let health = enrich::health_of(&d.ctx, &outcomes).await;

    assert!(started.elapsed() < Duration::from_secs(1), "judging the batch waited {:?} for the writer", started.elapsed());
    assert!(health.is_empty(), "no attempt is recorded yet: {health:?}");
    holder.join().unwrap();
}
