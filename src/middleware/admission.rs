//! Admission of reads: a budget per client address for expensive reads (a search, a filter,
//! a page past the first) and a bound on how many reads use the database at once, of which
//! expensive ones may take only part, so that no client can starve the others. Reads
//! answered from memory ([`crate::responses`], outside this middleware) pass freely.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError, web};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::client_address::client_address;
use crate::config::ReadLimits;
use crate::error::ApiError;
use crate::ratelimit::{RateLimiter, retry_after_secs};

/// Query parameters that leave a read cheap: they choose among index orders or trim the
/// answer. Any other (`q`, `cursor`, `tag`, `published_after`, `status`, …) makes it
/// expensive, and so does any parameter added later until it is listed here.
const CHEAP_PARAMETERS: [&str; 4] = ["limit", "fields", "sort", crate::url_key::PARAMETER];

/// What a request costs the database, as far as its method, path and query tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Not a read of the database (a write, health, metrics, the spec, the docs): not
    /// admitted here.
    Free,
    /// A read of one resource or of a list's first page in an index order.
    Cheap,
    /// A read whose work depends on its parameters: a search, a filter, a cursor.
    Expensive,
}

/// Whether a read of `path` (or of paths of this template) is admitted here: the API and
/// the feeds. Not health, metrics, the spec or the docs, nor readiness, whose one trivial
/// query must tell whether the database answers, not whether the server is busy.
pub fn reads_database(path: &str) -> bool {
    path.starts_with("/api/v1/") || matches!(path, "/feed.atom" | "/sitemap.xml")
}

/// The cost of a request for `path?query` with `method`.
pub fn cost(method: &Method, path: &str, query: &str) -> Cost {
    if !matches!(*method, Method::GET | Method::HEAD) || !reads_database(path) {
        return Cost::Free;
    }
    let all_cheap = url::form_urlencoded::parse(query.as_bytes())
        .all(|(name, _)| CHEAP_PARAMETERS.contains(&name.as_ref()));
    if all_cheap {
        Cost::Cheap
    } else {
        Cost::Expensive
    }
}

/// The admission state of one server, shared by its workers.
#[derive(Debug)]
pub struct Admission {
    /// Expensive reads per client address; `None` when unlimited.
    expensive_budget: Option<RateLimiter>,
    trust_proxy: bool,
    /// Every read holds one of these while it runs.
    reads: Semaphore,
    /// An expensive read holds one of these too: fewer than `reads` has.
    expensive: Semaphore,
    /// How long a read waits for its permits.
    queue: Duration,
}

/// Room for one read, held while it runs.
#[derive(Debug)]
pub struct Ticket<'a> {
    _read: SemaphorePermit<'a>,
    _expensive: Option<SemaphorePermit<'a>>,
}

impl Admission {
    /// Admission by `limits`; reads at once default to `pool_size` (the database
    /// connections), expensive ones to half of them, at least one.
    pub fn new(limits: ReadLimits, pool_size: u32, trust_proxy: bool) -> Self {
        let at_once = limits.max_concurrent.unwrap_or(pool_size).max(1) as usize;
        Self {
            expensive_budget: RateLimiter::per_minute(limits.expensive_per_minute),
            trust_proxy,
            reads: Semaphore::new(at_once),
            expensive: Semaphore::new((at_once / 2).max(1)),
            queue: Duration::from_millis(limits.queue_ms),
        }
    }

    /// Counts an expensive read against `req`'s client address; a 429 past its budget.
    pub fn charge(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let (Some(budget), Some(client)) = (
            &self.expensive_budget,
            client_address(req, self.trust_proxy),
        ) else {
            return Ok(());
        };
        budget
            .hit(client, Instant::now())
            .map_err(|wait| ApiError::TooManyRequests {
                detail: "Too many searches, filtered lists and further pages from this \
                         address; plain lists and articles are still served."
                    .to_owned(),
                retry_after: retry_after_secs(wait),
            })
    }

    /// Room for a read of `cost`, waiting in line for at most the queue time; a 503 when
    /// none became free. An expensive read first takes its share's permit, so that waiting
    /// expensive reads never stand in line before cheap ones for more than that share.
    pub async fn enter(&self, cost: Cost) -> Result<Ticket<'_>, ApiError> {
        let deadline = actix_web::rt::time::Instant::now() + self.queue;
        let expensive = match cost {
            Cost::Expensive => Some(self.acquire(&self.expensive, deadline).await?),
            _ => None,
        };
        let read = self.acquire(&self.reads, deadline).await?;
        Ok(Ticket {
            _read: read,
            _expensive: expensive,
        })
    }

    async fn acquire<'a>(
        &self,
        semaphore: &'a Semaphore,
        deadline: actix_web::rt::time::Instant,
    ) -> Result<SemaphorePermit<'a>, ApiError> {
        let busy = || {
            ApiError::Unavailable(
                "The server is answering as many reads as it can; retry shortly.".to_owned(),
            )
        };
        if let Ok(permit) = semaphore.try_acquire() {
            return Ok(permit);
        }
        let left = deadline.saturating_duration_since(actix_web::rt::time::Instant::now());
        if left.is_zero() {
            return Err(busy());
        }
        match actix_web::rt::time::timeout(left, semaphore.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy()),
        }
    }
}

/// The middleware, inside [`super::response_cache::serve`] so that answers kept in memory never
/// reach it: charges expensive reads to their client's budget (429 past it), then holds room
/// for the read while it runs (503 when none became free in time).
pub async fn admit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cost = cost(req.method(), req.path(), req.query_string());
    let admission = req.app_data::<web::Data<Admission>>().cloned();
    let Some(admission) = admission.filter(|_| cost != Cost::Free) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let charged = match cost {
        Cost::Expensive => admission.charge(req.request()),
        _ => Ok(()),
    };
    let ticket = match charged {
        Ok(()) => admission.enter(cost).await,
        Err(refused) => Err(refused),
    };
    match ticket {
        Ok(_ticket) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(refused) => Ok(req
            .into_response(refused.error_response())
            .map_into_boxed_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_with_parameters_that_set_their_work_are_expensive() {
        let get = Method::GET;
        for (path, query) in [
            ("/api/v1/articles", ""),
            (
                "/api/v1/articles",
                "limit=100&fields=slug,title&sort=-updated_at",
            ),
            ("/api/v1/articles/some-story", ""),
            ("/api/v1/articles/some-story/related", "limit=8"),
            ("/api/v1/tags", "limit=100"),
            ("/feed.atom", ""),
            ("/sitemap.xml", ""),
        ] {
            assert_eq!(cost(&get, path, query), Cost::Cheap, "{path}?{query}");
        }
        for (path, query) in [
            ("/api/v1/articles", "q=tram"),
            (
                "/api/v1/articles",
                "limit=100&q=ka&published_after=2026-01-01T00:00:00Z",
            ),
            ("/api/v1/articles", "cursor=abc"),
            ("/api/v1/articles", "tag=transport"),
            ("/api/v1/articles", "published_before=2026-01-01T00:00:00Z"),
            ("/api/v1/articles", "status=draft"),
            ("/api/v1/articles", "author=someone"),
            ("/api/v1/tags", "cursor=abc"),
            ("/feed.atom", "tag=transport"),
            // Parameters no list knows are refused by the list, but are not free either.
            ("/api/v1/articles", "made-up=1"),
            ("/api/v1/articles", "limit=20&%71=tram"),
        ] {
            assert_eq!(cost(&get, path, query), Cost::Expensive, "{path}?{query}");
        }
        assert_eq!(
            cost(&Method::HEAD, "/api/v1/articles", "q=x"),
            Cost::Expensive
        );
        for (method, path) in [
            (Method::POST, "/api/v1/articles"),
            (Method::PATCH, "/api/v1/articles/x"),
            (Method::GET, "/healthz"),
            (Method::GET, "/readyz"),
            (Method::GET, "/metrics"),
            (Method::GET, "/openapi.json"),
            (Method::GET, "/docs/"),
        ] {
            assert_eq!(cost(&method, path, "q=x"), Cost::Free, "{method} {path}");
        }
    }

    fn limits(max_concurrent: u32, queue_ms: u64) -> ReadLimits {
        ReadLimits {
            expensive_per_minute: 0,
            max_concurrent: Some(max_concurrent),
            queue_ms,
        }
    }

    #[actix_web::test]
    async fn expensive_reads_take_at_most_half_of_the_room() {
        let admission = Admission::new(limits(4, 0), 8, false);
        let first = admission.enter(Cost::Expensive).await.unwrap();
        let second = admission.enter(Cost::Expensive).await.unwrap();
        assert!(admission.enter(Cost::Expensive).await.is_err());
        // The rest is left to cheap reads, and then nothing is.
        let cheap = [
            admission.enter(Cost::Cheap).await.unwrap(),
            admission.enter(Cost::Cheap).await.unwrap(),
        ];
        assert!(admission.enter(Cost::Cheap).await.is_err());
        drop(first);
        assert!(admission.enter(Cost::Cheap).await.is_ok());
        drop((second, cheap));
    }

    #[actix_web::test]
    async fn a_read_waits_for_room_up_to_the_queue_time() {
        let admission = std::sync::Arc::new(Admission::new(limits(1, 5_000), 8, false));
        let held = admission.enter(Cost::Cheap).await.unwrap();
        let waiting = {
            let admission = admission.clone();
            actix_web::rt::spawn(async move { admission.enter(Cost::Cheap).await.is_ok() })
        };
        actix_web::rt::task::yield_now().await;
        drop(held);
        assert!(
            waiting.await.unwrap(),
            "the waiting read got the room let go"
        );
    }

    #[test]
    fn the_room_defaults_to_the_pool_size() {
        let admission = Admission::new(ReadLimits::default(), 6, false);
        assert_eq!(admission.reads.available_permits(), 6);
        assert_eq!(admission.expensive.available_permits(), 3);
        let one = Admission::new(limits(1, 0), 6, false);
        assert_eq!(one.reads.available_permits(), 1);
        assert_eq!(one.expensive.available_permits(), 1);
    }
}
