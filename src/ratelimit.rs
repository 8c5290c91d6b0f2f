//! Rate limits per client (an address, an API key): a steady rate with bursts of up to one
//! period's worth (the generic cell rate algorithm), kept in memory per server process.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::Method;

use crate::client_address::client_address;
use crate::config::RateLimits;
use crate::error::ApiError;

/// Clients tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

/// Admits up to `limit` requests per period from one client, refilled evenly. Clients are
/// told apart by `K`: an address, or the id of the API key a request was made with.
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    /// Time one request uses up.
    interval: Duration,
    /// How far ahead of now a client may have used time: one period.
    burst: Duration,
    /// Per client, when its used-up time runs out.
    clients: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    /// `limit` requests a minute; `None` for 0 (no limit).
    pub fn per_minute(limit: u32) -> Option<Self> {
        let period = Duration::from_secs(60);
        (limit > 0).then(|| Self {
            interval: period / limit,
            burst: period,
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// Counts one request from `client`; when it is over the limit, counts nothing and
    /// returns how long until a request would be admitted.
    pub fn hit(&self, client: K, now: Instant) -> Result<(), Duration> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let next = self.next(clients.get(&client).copied(), now)?;
        if clients.len() >= MAX_TRACKED && !clients.contains_key(&client) {
            clients.retain(|_, until| *until > now);
        }
        clients.insert(client, next);
        Ok(())
    }

    fn next(&self, used_until: Option<Instant>, now: Instant) -> Result<Instant, Duration> {
        let next = used_until.map_or(now, |t| t.max(now)) + self.interval;
        let ahead = next - now;
        if ahead > self.burst {
            Err(ahead - self.burst)
        } else {
            Ok(next)
        }
    }
}

/// Whole seconds to wait, as `Retry-After` says it: rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

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

fn too_many(detail: &str, wait: std::time::Duration) -> ApiError {
    ApiError::TooManyRequests {
        detail: detail.to_owned(),
        retry_after: retry_after_secs(wait),
    }
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn admits_a_burst_then_one_per_interval() {
        let limiter: RateLimiter = RateLimiter::per_minute(6).unwrap();
        let t0 = Instant::now();
        for _ in 0..6 {
            limiter.hit(A, t0).unwrap();
        }
        let wait = limiter.hit(A, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        // A refused request is not counted: the wait does not grow.
        assert_eq!(limiter.hit(A, t0), Err(Duration::from_secs(10)));
        // Another client has its own allowance.
        limiter.hit(B, t0).unwrap();
        // After one interval, exactly one more request is admitted.
        let t1 = t0 + Duration::from_secs(10);
        limiter.hit(A, t1).unwrap();
        assert!(limiter.hit(A, t1).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        assert!(RateLimiter::<IpAddr>::per_minute(0).is_none());
    }

    #[test]
    fn any_key_type_counts_its_clients_apart() {
        let limiter = RateLimiter::<i64>::per_minute(1).unwrap();
        let now = Instant::now();
        limiter.hit(1, now).unwrap();
        assert!(limiter.hit(1, now).is_err());
        limiter.hit(2, now).unwrap();
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(10)), 10);
        assert_eq!(retry_after_secs(Duration::from_millis(10_001)), 11);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
