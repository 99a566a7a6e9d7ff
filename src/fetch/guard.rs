//! The SSRF guard: which addresses a fetch may reach.
//!
//! Every address falls in one [`AddressClass`]. A fetch may always reach
//! public addresses, and besides them only the class of the URL the admin
//! configured (its [`Reach`]): a public feed may not send syndic into the
//! local network, the cloud metadata service (link-local) or this machine,
//! whether through a redirect or an item link whose page is fetched for
//! full text; a loopback test feed may fetch loopback pages, but not
//! link-local or private ones.
//!
//! The guard is applied twice. Before each request the URL's host is
//! judged when it is an address literal (literals never reach a resolver)
//! or a `localhost` name. At connect time, a [`GuardedResolver`] installed
//! in the client drops every resolved address the reach does not allow and
//! fails when none remain: a name that resolved to a public address when
//! it was checked and to `127.0.0.1` a second later (DNS rebinding) is
//! refused at the connection it would have been used for.
//!
//! IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4)
//! are judged by the address they embed: `[::ffff:127.0.0.1]` is loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::Url;

/// Where an address points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// The public internet.
    Public,
    /// This machine (`0.0.0.0` and `::` included: connecting to them
    /// reaches the local host).
    Loopback,
    /// Link-local (cloud metadata services live here).
    LinkLocal,
    /// Private, unique-local, site-local, carrier-grade NAT, local-use
    /// NAT64, Teredo.
    Private,
    /// Not a unicast host on the internet: multicast, broadcast,
    /// documentation, benchmarking, reserved and protocol ranges.
    Reserved,
}

impl AddressClass {
    /// The class as the admin reads it in an error.
    pub fn name(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Private => "private",
            AddressClass::Reserved => "reserved",
        }
    }

    /// An index for per-class tables.
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// The class of one IP address.
pub fn address_class(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

/// Whether an IP address is anything but a public internet address.
pub fn is_internal_ip(ip: IpAddr) -> bool {
    address_class(ip) != AddressClass::Public
}

fn v4_class(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() || ip.is_unspecified() {
        AddressClass::Loopback
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_private() || (a == 100 && (b & 0xc0) == 64) {
        // RFC 1918, and 100.64.0.0/10 (carrier-grade NAT).
        AddressClass::Private
    } else if a == 0                                  // 0.0.0.0/8, "this network"
        || a >= 224                                   // multicast 224/4, reserved 240/4, broadcast
        || (a == 192 && b == 0 && c == 0)             // 192.0.0.0/24, IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)             // 192.0.2.0/24, documentation
        || (a == 198 && b == 51 && c == 100)          // 198.51.100.0/24, documentation
        || (a == 203 && b == 0 && c == 113)           // 203.0.113.0/24, documentation
        || (a == 198 && (b & 0xfe) == 18)
    // 198.18.0.0/15, benchmarking
    {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

fn v6_class(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_class(v4);
    }
    if ip.is_loopback() || ip.is_unspecified() {
        return AddressClass::Loopback;
    }
    match s[0] {
        // ::a.b.c.d, IPv4-compatible (deprecated, still routed by some stacks).
        0 if s[1..6] == [0; 5] => v4_class(embedded(s[6], s[7])),
        // 64:ff9b::/96, NAT64 well-known prefix: the gateway connects to the
        // IPv4 address in the last 32 bits. 64:ff9b:1::/48 is local-use NAT64.
        0x0064 if s[1] == 0xff9b && s[2..6] == [0; 4] => v4_class(embedded(s[6], s[7])),
        0x0064 if s[1] == 0xff9b && s[2] == 1 => AddressClass::Private,
        // 100::/64, discard-only.
        0x0100 if s[1..4] == [0; 3] => AddressClass::Reserved,
        // 2001::/32, Teredo: a tunnel whose far end is not ours to judge.
        0x2001 if s[1] == 0 => AddressClass::Private,
        // 2001:db8::/32, documentation.
        0x2001 if s[1] == 0x0db8 => AddressClass::Reserved,
        // 2002::/16, 6to4: the IPv4 address in segments 1 and 2 is reached.
        0x2002 => v4_class(embedded(s[1], s[2])),
        first if (first & 0xfe00) == 0xfc00 => AddressClass::Private, // fc00::/7, unique local
        first if (first & 0xffc0) == 0xfe80 => AddressClass::LinkLocal, // fe80::/10
        first if (first & 0xffc0) == 0xfec0 => AddressClass::Private, // fec0::/10, site-local
        first if (first & 0xff00) == 0xff00 => AddressClass::Reserved, // ff00::/8, multicast
        _ => AddressClass::Public,
    }
}

/// The class of a URL's host: its literal address, or the most internal of
/// the addresses its name resolves to.
pub async fn host_class(url: &Url) -> AddressClass {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            if let Some(class) = literal_class(url) {
                return class;
            }
            let port = url.port_or_known_default().unwrap_or(80);
            match tokio::net::lookup_host((name, port)).await {
                Ok(addrs) => addrs.map(|a| address_class(a.ip())).find(|c| *c != AddressClass::Public).unwrap_or(AddressClass::Public),
                // Unresolvable: the request itself will fail with a clear error.
                Err(_) => AddressClass::Public,
            }
        }
        _ => literal_class(url).unwrap_or(AddressClass::Public),
    }
}

/// The class of a URL's host when it is known without a resolver: an
/// address literal, or a `localhost` name (RFC 6761: always loopback).
fn literal_class(url: &Url) -> Option<AddressClass> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(v4_class(ip)),
        url::Host::Ipv6(ip) => Some(v6_class(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            (name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")).then_some(AddressClass::Loopback)
        }
    }
}

/// What one fetch may reach: public addresses and those of its home class,
/// the class of the URL the admin configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// The configured URL's class.
    pub home: AddressClass,
}

impl Reach {
    /// Whether an address of `class` may be connected to.
    pub fn allows(self, class: AddressClass) -> bool {
        class == AddressClass::Public || class == self.home
    }

    /// Why `url` may not be fetched, judged before the request: its
    /// literal address (or `localhost`) is of a class out of reach, or it
    /// is syndic's own listener (`own`) by address or as `localhost`. Other
    /// names are judged at connect time by [`GuardedResolver`]; that a
    /// name points at syndic itself is caught by the admin check, which
    /// refuses every request carrying [`super::OWN_REQUEST`].
    pub fn refuse(self, url: &Url, own: Option<SocketAddr>) -> Option<String> {
        if let Some(class) = literal_class(url)
            && !self.allows(class)
        {
            return Some(format!(
                "refused: {url} is a {} address, out of reach of a source at a {} address",
                class.name(),
                self.home.name()
            ));
        }
        let own = own?;
        let local = |ip: IpAddr| {
            let ip = ip.to_canonical();
            ip == own.ip().to_canonical() || ip.is_loopback() || ip.is_unspecified()
        };
        let own_host = match url.host()? {
            url::Host::Ipv4(ip) => local(ip.into()),
            url::Host::Ipv6(ip) => local(ip.into()),
            url::Host::Domain(_) => literal_class(url) == Some(AddressClass::Loopback),
        };
        (url.port_or_known_default() == Some(own.port()) && own_host).then(|| format!("refused: {url} is syndic's own listener"))
    }
}

/// A DNS resolver that keeps only the addresses a [`Reach`] allows, so the
/// check holds for the address actually connected to.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// What may be reached.
    pub reach: Reach,
}

/// Every address a name resolved to was out of reach.
#[derive(Debug, thiserror::Error)]
#[error("refused: {name} resolves to {class} addresses only ({ip}), out of reach of a source at a {home} address")]
pub struct OutOfReach {
    name: String,
    class: &'static str,
    ip: IpAddr,
    home: &'static str,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.reach;
        let name = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port on the addresses returned.
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved.iter().copied().filter(|a| reach.allows(address_class(a.ip()))).collect();
            if allowed.is_empty()
                && let Some(first) = resolved.first()
            {
                let refused = OutOfReach { name, class: address_class(first.ip()).name(), ip: first.ip(), home: reach.home.name() };
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests;
