//! Accepting connections with limits, so abusive clients cost little and
//! never crowd out readers.
//!
//! Every connection is served by hyper's HTTP/1 engine with: a header read
//! timeout ([`HEADER_TIMEOUT`]: a slowloris client sending a byte a second
//! is dropped), a cap on buffered request bytes ([`MAX_BUF`]: huge headers
//! get `431`/close), and a lifetime cap ([`MAX_LIFETIME`]: an idle
//! keep-alive connection is closed). Connections above [`MAX_CONNECTIONS`]
//! wait in the kernel's backlog instead of being accepted. Idle connections
//! cost a socket and a small task each: ten thousand of them are fine (the
//! daemon raises its open-file limit at start, see [`raise_fd_limit`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};

/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest a connection stays open, whatever it does.
pub const MAX_LIFETIME: Duration = Duration::from_secs(120);

/// Request bytes buffered per connection (headers included).
pub const MAX_BUF: usize = 64 * 1024;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16_384;

/// Pending connections the kernel queues for us (capped by `somaxconn`):
/// a burst of clients waits in the queue instead of retrying SYNs.
const BACKLOG: u32 = 4096;

/// Binds a listener with a deep accept queue.
pub fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves `app` on `listener` until `stop` turns true.
///
/// Connections are accepted here and handed round-robin to one
/// single-threaded runtime per core, where each lives to its end: no
/// connection's wake-ups cross threads (on two cores, work stealing between
/// runtime workers cost a third of the throughput in context switches), and
/// serving never waits behind ingest work on the main runtime.
pub async fn serve(listener: tokio::net::TcpListener, front: super::Front, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).max_buf_size(MAX_BUF).keep_alive(true);
    let builder = Arc::new(builder);
    let workers: Vec<_> = (0..std::thread::available_parallelism().map_or(1, |n| n.get())).filter_map(|i| worker(i, &stop)).collect();
    let mut next = 0usize;
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else { return };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: log, breathe, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => return,
        };
        let _ = stream.set_nodelay(true);
        // Re-registered with the serving runtime's own reactor below: a
        // socket left on this runtime's reactor would have every readiness
        // event cross threads (a wake-up through the worker's eventfd).
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "could not hand over a connection");
                continue;
            }
        };
        let front = front.clone();
        let builder = Arc::clone(&builder);
        let connection = async move {
            let Ok(stream) = tokio::net::TcpStream::from_std(stream) else { return };
            let service = hyper::service::service_fn(move |request| front.call(request, peer));
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            // Errors here are the client's (reset, garbage, timeout): not ours to log loudly.
            if let Ok(Err(e)) = tokio::time::timeout(MAX_LIFETIME, conn).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        };
        next = next.wrapping_add(1);
        match workers.get(next % workers.len().max(1)) {
            // The task is detached: it ends with its connection.
            Some(worker) => drop(worker.spawn(connection)),
            None => {
                tokio::spawn(connection);
            }
        }
    }
}

/// A thread running a single-threaded runtime that serves connections
/// until `stop` turns true; `None` if it could not be started (then the
/// main runtime serves).
fn worker(i: usize, stop: &watch::Receiver<bool>) -> Option<tokio::runtime::Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    let handle = runtime.handle().clone();
    let mut stop = stop.clone();
    std::thread::Builder::new().name(format!("http-{i}")).spawn(move || runtime.block_on(async move { stopped(&mut stop).await })).ok()?;
    Some(handle)
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Raises the soft open-file limit to the hard one (as Go and nginx do), so
/// many idle clients cannot exhaust descriptors the fetcher and SQLite need.
/// Returns the limit in force.
pub fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit read and write a plain struct we own.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
        limit.rlim_cur
    }
}
