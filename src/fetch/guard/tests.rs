use super::*;
use AddressClass::*;

#[test]
fn address_classes() {
    let table = [
        // IPv4
        ("8.8.8.8", Public),
        ("1.1.1.1", Public),
        ("100.128.0.1", Public),
        ("172.32.0.1", Public),
        ("198.20.0.1", Public),
        ("223.255.255.255", Public),
        ("127.0.0.1", Loopback),
        ("127.255.0.9", Loopback),
        ("0.0.0.0", Loopback),
        ("169.254.169.254", LinkLocal),
        ("10.1.2.3", Private),
        ("172.16.0.1", Private),
        ("192.168.1.1", Private),
        ("100.64.0.1", Private),
        ("100.127.255.254", Private),
        ("0.1.2.3", Reserved),
        ("224.0.0.1", Reserved),
        ("239.255.255.250", Reserved),
        ("240.0.0.1", Reserved),
        ("255.255.255.255", Reserved),
        ("192.0.0.170", Reserved),
        ("192.0.2.1", Reserved),
        ("198.51.100.7", Reserved),
        ("203.0.113.9", Reserved),
        ("198.18.0.1", Reserved),
        ("198.19.255.255", Reserved),
        // IPv6
        ("2a00:1450::1", Public),
        ("2606:4700::1111", Public),
        ("::1", Loopback),
        ("::", Loopback),
        ("fe80::1", LinkLocal),
        ("fc00::1", Private),
        ("fd12:3456::1", Private),
        ("fec0::1", Private),
        ("ff02::1", Reserved),
        ("ff05::2", Reserved),
        ("2001:db8::1", Reserved),
        ("100::1", Reserved),
        // IPv4-mapped
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:127.0.0.2", Loopback),
        ("::ffff:10.0.0.1", Private),
        ("::ffff:169.254.169.254", LinkLocal),
        ("::ffff:8.8.8.8", Public),
        // IPv4-compatible
        ("::127.0.0.1", Loopback),
        ("::169.254.169.254", LinkLocal),
        ("::10.0.0.1", Private),
        // NAT64
        ("64:ff9b::7f00:1", Loopback),
        ("64:ff9b::169.254.169.254", LinkLocal),
        ("64:ff9b::10.0.0.1", Private),
        ("64:ff9b::8.8.8.8", Public),
        ("64:ff9b:1::8.8.8.8", Private),
        ("64:ff9b:1:ffff::1", Private),
        // 6to4
        ("2002:7f00:1::1", Loopback),
        ("2002:a9fe:a9fe::1", LinkLocal),
        ("2002:c0a8:101::1", Private),
        ("2002:808:808::1", Public),
        // Teredo
        ("2001::1", Private),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Private),
    ];
    for (ip, class) in table {
        let parsed: IpAddr = ip.parse().unwrap();
        assert_eq!(address_class(parsed), class, "{ip}");
        assert_eq!(is_internal_ip(parsed), class != Public, "{ip}");
    }
}

#[tokio::test]
async fn host_classes() {
    for (u, class) in [
        ("http://127.0.0.1:8080/", Loopback),
        ("http://localhost/feed", Loopback),
        ("http://LOCALHOST./feed", Loopback),
        ("http://api.localhost/", Loopback),
        ("http://[::1]/", Loopback),
        ("http://0.0.0.0:8080/", Loopback),
        ("http://[::ffff:127.0.0.1]/", Loopback),
        ("http://169.254.169.254/latest/meta-data", LinkLocal),
        ("http://[fe80::1]/", LinkLocal),
        ("http://10.0.0.5/", Private),
        ("http://[::ffff:192.168.0.1]/", Private),
        ("http://[64:ff9b::a9fe:a9fe]/", LinkLocal),
        ("http://8.8.8.8/feed", Public),
        // The URL parser reads these as IPv4 too.
        ("http://2130706433/", Loopback),
        ("http://0x7f.1/", Loopback),
    ] {
        assert_eq!(host_class(&Url::parse(u).unwrap()).await, class, "{u}");
    }
}

#[test]
fn what_a_reach_refuses_before_the_request() {
    let own: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let public = Reach { home: Public };
    let loopback = Reach { home: Loopback };
    let table = [
        (public, "http://8.8.8.8/a", None),
        (public, "http://example.kz/a", None),
        (public, "http://169.254.169.254/latest/meta-data", Some("link-local")),
        (public, "http://10.0.0.1/", Some("private")),
        (public, "http://[::ffff:127.0.0.1]/", Some("loopback")),
        (public, "http://0.0.0.0/", Some("loopback")),
        (public, "http://localhost:9000/", Some("loopback")),
        (public, "http://[64:ff9b::7f00:1]/", Some("loopback")),
        (public, "http://224.0.0.1/", Some("reserved")),
        (loopback, "http://127.0.0.1:9000/page", None),
        (loopback, "http://[::ffff:127.0.0.2]:9000/", None),
        (loopback, "http://169.254.169.254/", Some("link-local")),
        (loopback, "http://[2002:a9fe:a9fe::1]/", Some("link-local")),
        (loopback, "http://127.0.0.1:8080/status", Some("own listener")),
        (loopback, "http://[::ffff:127.0.0.1]:8080/status", Some("own listener")),
        (loopback, "http://0.0.0.0:8080/status", Some("own listener")),
        (loopback, "http://localhost:8080/status", Some("own listener")),
        (loopback, "http://127.0.0.3:8080/status", Some("own listener")),
        (public, "http://8.8.8.8:8080/", None),
    ];
    for (reach, url, want) in table {
        let got = reach.refuse(&Url::parse(url).unwrap(), Some(own));
        match want {
            None => assert_eq!(got, None, "{url}"),
            Some(word) => assert!(got.as_deref().is_some_and(|m| m.contains(word)), "{url}: {got:?}"),
        }
    }
}

#[tokio::test]
async fn the_resolver_drops_addresses_out_of_reach() {
    use reqwest::dns::Resolve;
    let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
    let public = GuardedResolver { reach: Reach { home: Public } };
    let error = public.resolve(name("localhost")).await.err().expect("localhost resolves to loopback only");
    assert!(error.to_string().contains("resolves to loopback addresses only"), "{error}");
    let loopback = GuardedResolver { reach: Reach { home: Loopback } };
    let addrs: Vec<SocketAddr> = loopback.resolve(name("localhost")).await.unwrap().collect();
    assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
}

/// The guarded client resolves through [`GuardedResolver`]: a name that
/// passes every check before the request and resolves to an address out
/// of reach is refused at connect time, before any byte is sent.
#[tokio::test]
async fn a_name_resolving_out_of_reach_is_refused_at_connect_time() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        }
    });
    let fetcher = super::super::Fetcher::new(super::super::FetchSettings {
        user_agent: "syndic-test".into(),
        connect_timeout: std::time::Duration::from_secs(10),
        total_timeout: std::time::Duration::from_secs(30),
        max_body_bytes: 16 << 20,
    })
    .unwrap();
    let url = format!("http://localhost:{port}/");
    let public = fetcher.guarded(Reach { home: Public }).unwrap();
    let error = public.get(&url).send().await.expect_err("loopback is out of a public source's reach");
    assert!(super::super::describe(&error).contains("localhost resolves to loopback addresses only"), "{error:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing was connected to");
    let loopback = fetcher.guarded(Reach { home: Loopback }).unwrap();
    assert_eq!(loopback.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
