//! What operators watch: a request id on every response and its log line, and Prometheus
//! metrics of requests by route and status and of the database pool.

use std::cell::Cell;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::db::Pool;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client; longer or odd ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Paths whose last part is a secret: a preview link's token reads a draft, and more people
/// read logs than should read drafts.
const SECRET_PATHS: [&str; 1] = ["/api/v1/preview/"];

/// The request line of the access log (method, path and query, version), with the secret
/// part of a [`SECRET_PATHS`] path written as `…`.
pub fn logged_request_line(req: &ServiceRequest) -> String {
    let path = req.path();
    let path = match SECRET_PATHS.iter().find(|p| path.starts_with(*p)) {
        Some(prefix) => format!("{prefix}…"),
        None => path.to_owned(),
    };
    match &*crate::url_key::strip(req.query_string(), Some("…")) {
        "" => format!("{} {path} {:?}", req.method(), req.version()),
        query => format!("{} {path}?{query} {:?}", req.method(), req.version()),
    }
}

fn acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(b))
}

/// A new request id: 32 hex digits, from a random start per thread and a counter. Drawing
/// 16 random bytes (a system call) and formatting them a byte at a time was a measurable part
/// of a request answered from memory (BENCHMARKS.md).
fn new_id() -> String {
    thread_local! {
        static NEXT: Cell<u128> = Cell::new(random_start());
    }
    let id = NEXT.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1));
        id
    });
    hex(id)
}

fn random_start() -> u128 {
    let mut bytes = [0u8; 16];
    // Without randomness the clock still sets threads apart.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_le_bytes();
    }
    u128::from_le_bytes(bytes)
}

fn hex(n: u128) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..32)
        .rev()
        .map(|i| char::from(DIGITS[((n >> (i * 4)) & 0xf) as usize]))
        .collect()
}

/// Gives every request an id: the client's `X-Request-Id` when it is a plain token of at
/// most 128 characters, a new one otherwise; the response carries it back.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .map(HeaderValue::as_bytes)
        .filter(|id| acceptable(id))
        .map_or_else(new_id, |id| String::from_utf8_lossy(id).into_owned());
    let value = HeaderValue::from_str(&id).expect("request ids are visible ASCII");
    let mut res = next.call(req).await?;
    res.headers_mut().insert(REQUEST_ID, value);
    Ok(res)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// The server's metrics, shared by its workers.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms to about 3.3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gazette");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from receiving a request to its response, by method, route template and status",
            latency.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_connections.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Open database connections not in use",
            pool_idle.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections the pool opens",
            pool_max.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    /// The metrics in the text exposition format, with the pool's state as of now.
    pub fn render(&self, pool: &Pool) -> String {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        self.pool_max.set(i64::from(pool.max_size()));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}

/// A method as a label: the standard ones by name, any other as `OTHER`, so that made-up
/// methods cannot grow the number of series without bound.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts every response and its latency under the route template it matched
/// (`unmatched` for none), so that paths with ids do not multiply the series.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let metrics = req.app_data::<actix_web::web::Data<Metrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res.request().match_pattern();
        metrics.observe(
            method_label(res.request().method()),
            route.as_deref().unwrap_or("unmatched"),
            res.status().as_u16(),
            start.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::{acceptable, hex, method_label, new_id};

    #[test]
    fn new_request_ids_are_distinct_plain_tokens() {
        assert_eq!(hex(0xab), format!("{:032x}", 0xab));
        assert_eq!(hex(u128::MAX), "f".repeat(32));
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert!(acceptable(a.as_bytes()) && a.len() == 32, "{a}");
    }

    #[test]
    fn made_up_methods_share_one_label() {
        let made_up = actix_web::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&made_up), "OTHER");
        assert_eq!(method_label(&actix_web::http::Method::PATCH), "PATCH");
    }

    #[test]
    fn request_ids_from_clients_are_plain_tokens() {
        assert!(acceptable(b"4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(acceptable(b"req-2026-11-26.001"));
        assert!(!acceptable(b""));
        assert!(!acceptable(b"two words"));
        assert!(!acceptable(b"line\nbreak"));
        assert!(!acceptable(&[b'a'; 129]));
    }
}
