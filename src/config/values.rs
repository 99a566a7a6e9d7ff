//! Typed values in config files: durations, counts, URLs and regexes,
//! each checked with its location reported on failure.

use std::time::Duration;

use regex::Regex;
use toml::Spanned;
use url::Url;

use super::Report;

pub(super) fn regexes(patterns: &[Spanned<String>], key: &str, flags: &str, report: &mut Report<'_>) -> Vec<Regex> {
    let mut out = Vec::new();
    for pattern in patterns {
        match Regex::new(&format!("{flags}{}", pattern.get_ref())) {
            Ok(re) => out.push(re),
            Err(e) => report.key(pattern.span(), key, format!("bad regex: {}", one_line(&e.to_string()))),
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn http_url(value: &Spanned<String>, key: &str, report: &mut Report<'_>) -> Option<Url> {
    match Url::parse(value.get_ref()) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => Some(u),
        Ok(u) => {
            let message = format!("{:?} must be an http:// or https:// URL with a host (scheme is {:?})", value.get_ref(), u.scheme());
            report.key(value.span(), key, message);
            None
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            // `feeds.example.kz`: a host without its scheme.
            let text = value.get_ref().trim();
            let with = format!("https://{text}");
            let message = match Url::parse(&with) {
                Ok(u) if !text.starts_with('/') && u.host_str().is_some_and(|h| h.contains('.')) => {
                    format!("{text:?} has no scheme; write the whole address, such as {with:?}")
                }
                _ => format!("{text:?} is not a valid URL: write the whole address, starting with https:// or http://"),
            };
            report.key(value.span(), key, message);
            None
        }
        Err(e) => {
            report.key(value.span(), key, format!("{:?} is not a valid URL: {e}", value.get_ref()));
            None
        }
    }
}

/// Parses durations such as `90s`, `15m`, `1h 30m`, `90d`. The error says
/// what a duration looks like (humantime's own says "expected number at 0").
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    use humantime::DurationError as E;
    humantime::parse_duration(text).map_err(|e| {
        let why = match e {
            E::UnknownUnit { unit, .. } => format!(" ({unit:?} is no unit)"),
            E::NumberOverflow => " (too long)".to_string(),
            _ => String::new(),
        };
        format!("write a number and a unit, such as \"90s\", \"15m\", \"1h\" or \"30d\"{why}")
    })
}

pub(super) fn duration(value: Option<&Spanned<String>>, key: &str, default: Duration, report: &mut Report<'_>) -> Duration {
    let Some(value) = value else { return default };
    match parse_duration(value.get_ref()) {
        Ok(d) if !d.is_zero() => d,
        Ok(_) => {
            report.key(value.span(), key, "must be longer than zero");
            default
        }
        Err(e) => {
            report.key(value.span(), key, format!("{:?} is not a duration; {e}", value.get_ref()));
            default
        }
    }
}

pub(super) fn count(
    value: Option<&Spanned<i64>>,
    key: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    report: &mut Report<'_>,
) -> i64 {
    let Some(value) = value else { return default };
    let n = *value.get_ref();
    if range.contains(&n) {
        n
    } else {
        report.key(value.span(), key, format!("{n} is out of range ({}..={})", range.start(), range.end()));
        default
    }
}

/// An IP address or a CIDR block (`10.0.0.0/8`, `::1`), for
/// `daemon.trusted_proxies`. IPv4-mapped IPv6 forms are read as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: std::net::IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(text: &str) -> Result<IpRange, String> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network = addr.parse::<std::net::IpAddr>().map_err(|_| format!("{addr:?} is not an IP address"))?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{p:?} is not a prefix length (0..={max})"))?,
        };
        Ok(IpRange { network, prefix })
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let bits = |ip: std::net::IpAddr| match ip {
            std::net::IpAddr::V4(v4) => (u32::from(v4) as u128) << 96,
            std::net::IpAddr::V6(v6) => u128::from(v6),
        };
        let ip = ip.to_canonical();
        if ip.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix as u32) };
        bits(ip) & mask == bits(self.network) & mask
    }
}

pub(super) fn ip_ranges(values: &[Spanned<String>], key: &str, report: &mut Report<'_>) -> Vec<IpRange> {
    let mut out = Vec::new();
    for value in values {
        match IpRange::parse(value.get_ref()) {
            Ok(range) => out.push(range),
            Err(e) => report.key(value.span(), key, format!("{e}; use an address or a block such as \"10.0.0.0/8\"")),
        }
    }
    out
}
