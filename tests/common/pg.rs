//! A throwaway PostgreSQL database per test, on the server named by
//! `SYNDIC_TEST_POSTGRES` (`.ci/postgres` starts one on loopback). Where it
//! is not set the test is skipped with a note, except under CI, where a
//! missing server is a failure.

use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The server's URL, or `None` (with a note) when there is none.
pub fn server() -> Option<String> {
    match std::env::var("SYNDIC_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true but SYNDIC_TEST_POSTGRES is not set: .ci/run starts a PostgreSQL server for these tests"
            );
            eprintln!("SKIPPED: no PostgreSQL server (start one with `eval \"$(.ci/postgres start)\"`, see docs/testing.md)");
            None
        }
    }
}

/// A new, empty database on the server; its URL.
pub fn database() -> Option<String> {
    let server = server()?;
    let name = format!("syndic_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    run(&server, &[&format!("DROP DATABASE IF EXISTS {name}"), &format!("CREATE DATABASE {name}")]);
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(url.to_string())
}

/// Runs statements on `url`.
pub fn run(url: &str, statements: &[&str]) {
    apart(|| {
        runtime().block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            for sql in statements {
                client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        })
    })
}

/// The first column of every row of `sql`, as text.
pub fn column(url: &str, sql: &str) -> Vec<String> {
    apart(|| {
        runtime().block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            let rows = client.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("").to_string()),
                    _ => None,
                })
                .collect()
        })
    })
}

/// One number.
pub fn number(url: &str, sql: &str) -> i64 {
    column(url, sql).first().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{sql}: no number"))
}

/// Runs `f` on a thread of its own (callable from inside a test's runtime).
fn apart<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(f).join().unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}
