//! What every request must pass before a handler sees it (header size, an unencoded body, a
//! key for the docs when reads need one), the rate limits the key extractors apply, and the
//! security headers every response carries.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, ResponseError};

use crate::api::State;
use crate::api::extract::Reader;
use crate::config::RateLimits;
use crate::error::ApiError;
use crate::ratelimit::{RateLimiter, retry_after_secs};

/// The most header bytes (names, values and separators) a request may carry; actix's own
/// limit, far above, answers without problem details.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The policy of everything but the docs UI: JSON, feeds and the sitemap load nothing.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The docs UI loads its own scripts, styles and images, and calls the API it documents.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
base-uri 'none'; form-action 'none'";

/// The rate limits of one server, shared by its workers: writes per API key, failed key
/// checks per client address.
#[derive(Debug)]
pub struct Limiters {
    /// Keyed by the id of the admin key that writes.
    writes: Option<RateLimiter<i64>>,
    auth_failures: Option<RateLimiter<IpAddr>>,
    trust_proxy: bool,
}

impl Limiters {
    pub fn new(limits: RateLimits, trust_proxy: bool) -> Self {
        Self {
            writes: RateLimiter::per_minute(limits.writes_per_minute),
            auth_failures: RateLimiter::per_minute(limits.auth_failures_per_minute),
            trust_proxy,
        }
    }

    fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        client_address(req, self.trust_proxy)
    }

    /// Counts a failed key check against `req`'s address; the 429 to send instead of
    /// `failure` once the address is over the limit.
    pub fn auth_failed(&self, req: &HttpRequest, failure: ApiError) -> ApiError {
        match (&self.auth_failures, self.client(req)) {
            (Some(limiter), Some(client)) => match limiter.hit(client, Instant::now()) {
                Ok(()) => failure,
                Err(wait) => too_many(
                    "Too many requests with a wrong key from this address.",
                    wait,
                ),
            },
            _ => failure,
        }
    }

    /// Counts `req` against the write allowance of the valid admin key `key_id` it was made
    /// with, if it is a write; a 429 once the key is over the limit. Like every limit, it
    /// spares requests from no address (the in-process test app).
    pub fn hit_write(&self, req: &HttpRequest, key_id: i64) -> Result<(), ApiError> {
        if !is_write(req.method()) || self.client(req).is_none() {
            return Ok(());
        }
        match &self.writes {
            Some(limiter) => limiter
                .hit(key_id, Instant::now())
                .map_err(|wait| too_many("Too many writes with this key.", wait)),
            None => Ok(()),
        }
    }
}

/// The address limits are kept for: what the trusted proxy says (with `trust_proxy`), else
/// the peer. In-process test requests have neither and are never limited. IPv6 clients count
/// by their /64 network, which one subscriber usually holds whole.
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> Option<IpAddr> {
    let forwarded = trust_proxy.then(|| forwarded_for(req)).flatten();
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map(network)
}

fn too_many(detail: &str, wait: std::time::Duration) -> ApiError {
    ApiError::TooManyRequests {
        detail: detail.to_owned(),
        retry_after: retry_after_secs(wait),
    }
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

/// Refuses paths that cannot name a resource (404), oversized headers (431), encoded bodies
/// (415) and, when reads need a key, requests for the docs UI without one (401).
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    // No resource's path holds a NUL (PostgreSQL text cannot even store one).
    let impossible_path = req.path().to_ascii_lowercase().contains("%00");
    let mut refused = if impossible_path {
        Some(ApiError::not_found(format!(
            "No resource lives at {}.",
            req.path()
        )))
    } else if header_bytes > MAX_HEADER_BYTES {
        Some(ApiError::HeadersTooLarge(format!(
            "The request headers take {header_bytes} bytes; at most {MAX_HEADER_BYTES} are accepted."
        )))
    } else if is_encoded(req.headers()) {
        Some(ApiError::UnsupportedEncoding(
            "The request declares a Content-Encoding other than identity; send the body \
             unencoded (it is refused unread)."
                .to_owned(),
        ))
    } else {
        None
    };
    // The docs UI is served by a service no key extractor runs in.
    if refused.is_none()
        && is_docs(req.path())
        && req
            .app_data::<State>()
            .is_some_and(|s| s.settings.require_content_key)
    {
        refused = Reader::extract(req.request()).await.err();
    }
    match refused {
        Some(err) => Ok(req
            .into_response(err.error_response())
            .map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// Whether the request declares a content coding other than `identity`. Gazette decodes
/// none: a few kilobytes of gzip, brotli or zstd can inflate to gigabytes, so such a body is
/// refused before anything reads it, whatever key comes with it.
fn is_encoded(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).any(|value| {
        value.to_str().map_or(true, |codings| {
            codings
                .split(',')
                .map(str::trim)
                .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"))
        })
    })
}

fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// `nosniff` and a Content-Security-Policy on every response; the docs UI gets the policy
/// it needs to run, everything else one that allows nothing.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = is_docs(req.path());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(if docs { DOCS_CSP } else { API_CSP }),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use actix_web::http::header::{self, HeaderMap, HeaderValue};

    use super::{is_encoded, network, parse_addr};

    fn encodings(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::CONTENT_ENCODING,
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn any_coding_but_identity_is_refused() {
        for refused in [
            &[b"gzip".as_slice()][..],
            &[b"br"],
            &[b"zstd"],
            &[b"deflate"],
            &[b"x-gzip"],
            &[b"GZIP"],
            &[b"identity, gzip"],
            &[b"gzip, identity"],
            &[b"identity", b"br"],
            &[b"made-up"],
            &[b"\xff"],
        ] {
            assert!(is_encoded(&encodings(refused)), "{refused:?}");
        }
        for accepted in [
            &[][..],
            &[b"identity".as_slice()],
            &[b"IDENTITY"],
            &[b" identity "],
            &[b"identity, identity"],
            &[b"identity", b"identity"],
            &[b""],
        ] {
            assert!(!is_encoded(&encodings(accepted)), "{accepted:?}");
        }
    }

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
