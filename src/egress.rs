//! Where webhook deliveries may go: the egress policy.
//!
//! A delivery goes only to public addresses: every address its host resolves to must be
//! outside the loopback, unspecified, private, link-local, shared (CGNAT), multicast,
//! broadcast, documentation, benchmarking and reserved ranges of IPv4 and IPv6 (IPv4-mapped,
//! IPv4-compatible, NAT64 and 6to4 forms included). The host is resolved once per
//! connection, by the [`GuardedResolver`] the agent uses, and the connection goes to exactly
//! the addresses it checked, so a name that changes its answer (DNS rebinding) cannot switch
//! it to another. Redirects are not followed and no proxy is used.
//!
//! Hosts listed in `WEBHOOK_ALLOWED_HOSTS` opt in: their addresses may be private (a
//! receiver on the same machine or network). When the list is not empty, deliveries go to
//! those hosts only.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// The fixed reason recorded when a host resolves to an address deliveries may not reach.
pub const REFUSED_ADDRESS: &str = "refused address";
/// The fixed reason recorded when a host is not one of a non-empty `WEBHOOK_ALLOWED_HOSTS`.
pub const NOT_LISTED: &str = "host not in WEBHOOK_ALLOWED_HOSTS";
/// The fixed reason recorded when the host has no address.
pub const HOST_NOT_FOUND: &str = "host not found";
/// The one reason recorded for every failure to get an HTTP answer (refused, reset, timed
/// out, TLS or protocol errors): they would otherwise tell an open port from a closed one.
pub const NO_ANSWER: &str = "connection failed or timed out";

/// IPv4 ranges deliveries may not reach: (network, prefix length, what it is).
const REFUSED_V4: [(Ipv4Addr, u8, &str); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8, "unspecified"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "shared (CGNAT)"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link-local"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "reserved"),
    (Ipv4Addr::new(192, 0, 2, 0), 24, "documentation"),
    (Ipv4Addr::new(192, 88, 99, 0), 24, "reserved"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, "documentation"),
    (Ipv4Addr::new(203, 0, 113, 0), 24, "documentation"),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    // Reserved for future use, with the broadcast address 255.255.255.255.
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved or broadcast"),
];

/// IPv6 ranges inside global unicast (2000::/3) that deliveries may not reach.
const REFUSED_V6: [(Ipv6Addr, u8, &str); 3] = [
    // Teredo, benchmarking, ORCHID and other protocol assignments.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23, "reserved"),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
];

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// What kind of address `ip` is when deliveries may not reach it; `None` for a public one.
pub fn refused_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => REFUSED_V4
            .iter()
            .find(|(net, len, _)| in_v4(v4, *net, *len))
            .map(|(_, _, kind)| *kind),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        return refused_kind(IpAddr::V4(Ipv4Addr::from(bits as u32)));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in bits 16 to 48.
    if in_v6(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        return refused_kind(IpAddr::V4(Ipv4Addr::from((bits >> 80) as u32)));
    }
    // Outside global unicast: unspecified, loopback, IPv4-mapped and -compatible, local-use
    // NAT64, discard, unique local (fc00::/7), link-local (fe80::/10), multicast and the
    // unassigned rest.
    if !in_v6(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        return Some(match ip {
            _ if ip.is_unspecified() => "unspecified",
            _ if ip.is_loopback() => "loopback",
            _ if ip.to_ipv4_mapped().is_some() => "IPv4-mapped",
            _ if in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) => "IPv4-compatible",
            _ if in_v6(ip, Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7) => "unique local",
            _ if in_v6(ip, Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10) => "link-local",
            _ if ip.is_multicast() => "multicast",
            _ => "reserved",
        });
    }
    REFUSED_V6
        .iter()
        .find(|(net, len, _)| in_v6(ip, *net, *len))
        .map(|(_, _, kind)| *kind)
}

/// Names that never reach a public host: `localhost` and the special-use and internal
/// domains, at any depth.
const LOCAL_DOMAINS: [&str; 5] = ["localhost", "local", "internal", "localdomain", "home.arpa"];

/// The host of `url` exactly as written (lower case): what `WEBHOOK_ALLOWED_HOSTS` lists.
fn written_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => &host_port[..v6.find(']').map_or(host_port.len(), |i| i + 2)],
        None => host_port.split(':').next().unwrap_or(host_port),
    };
    host.to_ascii_lowercase()
}

fn listed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|h| h == host)
}

/// Why a webhook may not be subscribed at `url` (an http(s) URL already checked for its
/// form), judged without resolving names: its host is an address deliveries may not reach
/// (in any of the forms a URL may write an IPv4 address: `127.1`, `2130706433`,
/// `0x7f000001`…), or a name that is not a public one (`localhost`, `*.internal`, a name
/// without a dot…), and it is not listed in `allowed`. Names are checked again, by their
/// addresses, at each delivery.
pub fn check_url(url: &str, allowed: &[String]) -> Result<(), String> {
    if listed(&written_host(url), allowed) {
        return Ok(());
    }
    let opt_in =
        "webhooks go only to public addresses unless their host is listed in WEBHOOK_ALLOWED_HOSTS";
    let parsed = url::Url::parse(url).map_err(|_| "is not a valid URL".to_owned())?;
    let refused = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => refused_kind(IpAddr::V4(ip)).map(|k| (ip.to_string(), k)),
        Some(url::Host::Ipv6(ip)) => refused_kind(IpAddr::V6(ip)).map(|k| (ip.to_string(), k)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            if !name.contains('.') && name != "localhost" {
                return Err(format!(
                    "has the host '{name}', a name without a dot, which is not a public host name; {opt_in}"
                ));
            }
            LOCAL_DOMAINS
                .iter()
                .find(|d| name == **d || name.strip_suffix(**d).is_some_and(|p| p.ends_with('.')))
                .map(|_| (name.to_owned(), "local or internal name"))
        }
        None => return Err("has no host".to_owned()),
    };
    match refused {
        Some((host, kind)) => Err(format!("has the host '{host}', a {kind}; {opt_in}")),
        None => Ok(()),
    }
}

/// Why the resolver refused a host: its `Display` is the fixed reason recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotListed,
    Address,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotListed => NOT_LISTED,
            Self::Address => REFUSED_ADDRESS,
        })
    }
}

impl std::error::Error for Refusal {}

/// Resolves a host once, then admits the connection only if every address is public (or
/// the host is listed); ureq connects to exactly the addresses returned.
#[derive(Debug)]
pub struct GuardedResolver<R = DefaultResolver> {
    allowed: Arc<[String]>,
    lookup: R,
}

impl<R: Resolver> GuardedResolver<R> {
    /// Guards `lookup` (the system resolver in the agent; a fixed answer in tests).
    pub fn new(allowed: &[String], lookup: R) -> Self {
        Self {
            allowed: allowed.iter().map(|h| h.to_ascii_lowercase()).collect(),
            lookup,
        }
    }
}

impl<R: Resolver> Resolver for GuardedResolver<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let listed = listed(&host, &self.allowed);
        if !self.allowed.is_empty() && !listed {
            return Err(ureq::Error::Other(Box::new(Refusal::NotListed)));
        }
        let addresses = match self.lookup.resolve(uri, config, timeout) {
            Ok(addresses) => addresses,
            Err(ureq::Error::Other(e)) => return Err(ureq::Error::Other(e)),
            Err(_) => return Err(ureq::Error::HostNotFound),
        };
        if !listed && addresses.iter().any(|a| refused_kind(a.ip()).is_some()) {
            return Err(ureq::Error::Other(Box::new(Refusal::Address)));
        }
        Ok(addresses)
    }
}

/// The agent deliveries are sent with: the [`GuardedResolver`], no proxy (one taken from
/// the environment would resolve the host itself), no redirects, a bound on the whole
/// attempt, and 4xx/5xx answers as answers.
pub fn agent(timeout: Duration, allowed: &[String]) -> ureq::Agent {
    agent_with(
        timeout,
        GuardedResolver::new(allowed, DefaultResolver::default()),
    )
}

/// [`agent`] with another resolver under the guard.
pub fn agent_with(timeout: Duration, resolver: impl Resolver) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .user_agent(concat!("Gazette-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::with_parts(config, DefaultConnector::new(), resolver)
}

/// The fixed reason recorded for an attempt that got no HTTP answer: never the text of an
/// error, which could carry what the other side said or tell ports apart.
pub fn reason(error: &ureq::Error) -> &'static str {
    match error {
        ureq::Error::Other(e) => match e.downcast_ref::<Refusal>() {
            Some(Refusal::NotListed) => NOT_LISTED,
            Some(Refusal::Address) => REFUSED_ADDRESS,
            None => NO_ANSWER,
        },
        ureq::Error::HostNotFound => HOST_NOT_FOUND,
        _ => NO_ANSWER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        refused_kind(ip.parse().unwrap())
    }

    #[test]
    fn refused_ranges_are_refused_and_public_addresses_pass() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "100::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:c0a8:101::1",
            "5f00::1",
            "4000::1",
        ] {
            assert!(kind(ip).is_some(), "{ip} must be refused");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:200::1",
        ] {
            assert_eq!(kind(ip), None, "{ip} is public");
        }
        assert_eq!(kind("169.254.169.254"), Some("link-local"));
        assert_eq!(kind("100.100.100.200"), Some("shared (CGNAT)"));
        assert_eq!(kind("::ffff:10.0.0.1"), Some("IPv4-mapped"));
        assert_eq!(kind("64:ff9b::7f00:1"), Some("loopback"));
    }

    #[test]
    fn urls_are_judged_by_their_written_host_and_address() {
        let none: Vec<String> = Vec::new();
        for url in [
            "http://127.0.0.1:9/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://0/",
            "http://0.0.0.0:8080/",
            "http://localhost/",
            "http://LocalHost:80/",
            "http://a.localhost/",
            "http://169.254.169.254/latest",
            "http://10.0.0.1/",
            "http://192.168.0.10/",
            "http://100.64.1.1/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://printer.local/",
            "http://intranet/",
            "http://router.home.arpa/",
            "http://1.2.3.4.5/",
        ] {
            assert!(check_url(url, &none).is_err(), "{url} must be refused");
        }
        for url in [
            "https://hooks.example.org/in",
            "http://93.184.216.34:8080/",
            "https://local.example.org/",
        ] {
            assert_eq!(check_url(url, &none), Ok(()), "{url}");
        }
        let allowed = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        assert_eq!(check_url("http://127.0.0.1:9/x", &allowed), Ok(()));
        assert_eq!(check_url("http://LOCALHOST:9/x", &allowed), Ok(()));
        // Listed as written: another spelling of the address is not the listed host.
        assert!(check_url("http://127.1:9/x", &allowed).is_err());
        let message = check_url("http://2130706433/", &none).unwrap_err();
        assert!(message.contains("'127.0.0.1', a loopback"), "{message}");
        assert!(message.contains("WEBHOOK_ALLOWED_HOSTS"), "{message}");
    }
}
