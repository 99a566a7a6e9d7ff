//! Who may read the admin pages (`/status*`, `/metrics`, `/sources.opml`,
//! whose upstream URLs can carry keys).
//!
//! An admin is a client holding `admin_token`, or a loopback client when
//! `admin_loopback` is on. Who the client is: the TCP peer, with an
//! IPv4-mapped address (`::ffff:127.0.0.1`, an IPv4 client of a `[::]`
//! listener) read as IPv4. Behind a reverse proxy on the same host every
//! peer is loopback, so when the peer is one of `trusted_proxies`, the
//! client is the right-most `X-Forwarded-For` address that is not itself a
//! trusted proxy (addresses left of it were written by the client and
//! prove nothing); an unreadable entry makes the client unknown, never
//! loopback. From any other peer the header is ignored.
//!
//! A request syndic itself made (it carries [`crate::fetch::OWN_REQUEST`])
//! is never an admin: an item link at `http://127.0.0.1:PORT/status` must
//! not republish the status page.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

use crate::config::{Daemon, IpRange};

/// The client a request speaks for, as far as the admin check is concerned.
pub fn client(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpRange]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        client = parse_forwarded(entry)?.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, with or without a port
/// (`1.2.3.4:5678`, `[::1]:5678`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Ok(addr) = entry.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).and_then(|e| e.parse().ok())
}

/// Whether a request may read the admin pages.
pub fn allowed(daemon: &Daemon, peer: Option<IpAddr>, headers: &HeaderMap, query: Option<&str>) -> bool {
    if headers.contains_key(crate::fetch::OWN_REQUEST) {
        return false;
    }
    let loopback = daemon.admin_loopback && client(peer, headers, &daemon.trusted_proxies).is_some_and(|ip| ip.is_loopback());
    let token_ok = daemon.admin_token.as_deref().is_some_and(|token| {
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let query = query.and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()));
        bearer == Some(token) || query.as_deref() == Some(token)
    });
    loopback || token_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_the_client_is() {
        let trusted = [IpRange::parse("127.0.0.1").unwrap(), IpRange::parse("10.0.0.0/8").unwrap()];
        let table: [(&str, &[&str], Option<&str>); 12] = [
            // Untrusted peers: the header is ignored.
            ("203.0.113.9", &["127.0.0.1"], Some("203.0.113.9")),
            ("::1", &["203.0.113.9"], Some("::1")),
            ("::ffff:127.0.0.2", &[], Some("127.0.0.2")),
            // A trusted proxy: the right-most untrusted entry.
            ("127.0.0.1", &[], Some("127.0.0.1")),
            ("::ffff:127.0.0.1", &["203.0.113.9"], Some("203.0.113.9")),
            ("127.0.0.1", &["127.0.0.1"], Some("127.0.0.1")),
            ("127.0.0.1", &["::1"], Some("::1")),
            ("127.0.0.1", &["127.0.0.1, 203.0.113.9"], Some("203.0.113.9")),
            ("127.0.0.1", &["203.0.113.9, 10.1.1.1"], Some("203.0.113.9")),
            ("127.0.0.1", &["127.0.0.1", "198.51.100.1:4711"], Some("198.51.100.1")),
            // Spoofed loopback on the left of the real client proves nothing.
            ("127.0.0.1", &["127.0.0.1, 203.0.113.9, 10.0.0.2"], Some("203.0.113.9")),
            ("127.0.0.1", &["not-an-address"], None),
        ];
        for (peer, xff, want) in table {
            let mut headers = HeaderMap::new();
            for v in xff {
                headers.append("x-forwarded-for", v.parse().unwrap());
            }
            let got = client(Some(peer.parse().unwrap()), &headers, &trusted);
            assert_eq!(got, want.map(|w| w.parse::<IpAddr>().unwrap()), "{peer} {xff:?}");
        }
    }
}
