//! The address a request is counted by: the peer, or what a trusted proxy says it saw.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The address limits are kept for: what the trusted proxy says (with `trust_proxy`), else
/// the peer. In-process test requests have neither and are never limited. IPv6 clients count
/// by their /64 network, which one subscriber usually holds whole.
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> Option<IpAddr> {
    let forwarded = trust_proxy.then(|| forwarded_for(req)).flatten();
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map(network)
}

/// The client address the proxy in front saw: the last `X-Forwarded-For` entry, which that
/// proxy wrote whether it replaces the header or appends to it. `Forwarded` and earlier
/// entries come from the client (or from proxies nobody vouches for) and are never read.
fn forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let header = req.headers().get_all("x-forwarded-for").last()?;
    let last = header.to_str().ok()?.rsplit(',').next()?;
    parse_addr(last)
}

/// The unit one client is counted by: an IPv4 address, or the /64 network of an IPv6 one.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                v6.to_bits() & !u128::from(u64::MAX),
            )),
        },
        v4 => v4,
    }
}

/// An address as `Forwarded`/`X-Forwarded-For` give it: bare, `ip:port` or `[ipv6]:port`.
fn parse_addr(addr: &str) -> Option<IpAddr> {
    let addr = addr.trim();
    addr.parse().ok().or_else(|| {
        addr.parse::<std::net::SocketAddr>()
            .ok()
            .map(|s| s.ip())
            .or_else(|| {
                addr.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse()
                    .ok()
            })
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::{network, parse_addr};

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn forwarded_addresses_parse() {
        for (raw, ip) in [
            ("203.0.113.7", "203.0.113.7"),
            ("203.0.113.7:4711", "203.0.113.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
        ] {
            assert_eq!(parse_addr(raw), Some(ip.parse().unwrap()), "{raw}");
        }
        assert_eq!(parse_addr("unknown"), None);
    }
}
