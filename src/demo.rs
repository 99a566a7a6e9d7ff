//! `syndic demo`: the whole pipeline on bundled sample feeds, offline.
//!
//! Starts a loopback HTTP server that plays the publishers (the feeds in
//! `data/demo/`, compiled into the binary), writes a configuration pointing
//! at it into a temporary directory, aggregates everything into a fresh
//! database there, prints a summary and the feed URLs, and serves them.

use std::net::SocketAddr;

pub async fn run(_listen: SocketAddr, _once: bool) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
