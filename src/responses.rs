//! Public reads answered from memory: a response rendered for a URL is sent again, as long
//! as the database has not changed since ([`Changes`]), without a query or a rendering.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, ResponseError};

use crate::api::State;
use crate::db::{self, changes::Changes};
use crate::delivery::{self, Coding};
use crate::error::ApiError;
use crate::keep::Kept;

/// Rendered public responses by URL, and the watcher that says whether they still hold.
#[derive(Debug)]
pub struct Responses {
    changes: Option<Changes>,
    kept: Kept<String, Arc<Entry>>,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    headers: HeaderMap,
    body: Bytes,
}

/// Put in a handler's response to keep it from being served again (its headers are about to
/// change with nothing written: an article's Last-Modified, held back within its second).
#[derive(Debug, Clone, Copy)]
pub struct Unkept;

impl Responses {
    /// Keeps at most `budget` bytes; nothing when `changes` is `None` (the database cannot
    /// tell cheaply whether it changed) or the budget is 0.
    pub fn new(changes: Option<Changes>, budget: usize) -> Self {
        Self {
            kept: Kept::new(if changes.is_some() { budget } else { 0 }),
            changes,
        }
    }

    /// The generation of the database now, when responses may be kept.
    fn generation(&self) -> Option<u64> {
        match &self.changes {
            Some(changes) if self.kept.enabled() => changes.generation(db::now()),
            _ => None,
        }
    }

    pub fn bytes(&self) -> usize {
        self.kept.bytes()
    }
}

/// The public content: the API and the feeds. Not health, metrics, the spec or the docs.
fn public_content(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/feed.atom" || path == "/sitemap.xml"
}

/// The middleware, inside [`delivery::deliver`]: it sees every `HEAD` as the `GET` it
/// answers, and gives delivery entity tags already made.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Keyed requests may see drafts and are answered as the key allows: never kept.
    let anonymous = req.method() == Method::GET
        && !req.headers().contains_key(header::AUTHORIZATION)
        && public_content(req.path());
    let state = req.app_data::<State>().cloned();
    let Some((state, generation)) = state
        .filter(|_| anonymous)
        .and_then(|s| s.responses.generation().map(|g| (s, g)))
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    if let Some(entry) = state.responses.kept.get(&key)
        && entry.generation == generation
    {
        let mut response = HttpResponse::with_body(StatusCode::OK, entry.body.clone());
        for (name, value) in &entry.headers {
            response.headers_mut().append(name.clone(), value.clone());
        }
        return Ok(req.into_response(response).map_into_boxed_body());
    }
    let res = next.call(req).await?;
    let keep = res.status() == StatusCode::OK
        && res.response().extensions().get::<Unkept>().is_none()
        && res
            .headers()
            .get(header::CACHE_CONTROL)
            .is_none_or(|v| !delivery::forbids_storing(v))
        && !res.headers().contains_key(header::CONTENT_ENCODING)
        && !res.headers().contains_key(header::SET_COOKIE);
    if !keep {
        return Ok(res.map_into_boxed_body());
    }
    let (req, response) = res.into_parts();
    let (mut response, body) = response.into_parts();
    // A body that is one buffer already (a kept article's) is shared, not copied: the two
    // caches then hold one copy of it.
    let body = match body.try_into_bytes() {
        Ok(bytes) => Ok(bytes),
        Err(body) => actix_web::body::to_bytes(body).await,
    };
    let body = match body {
        Ok(body) => body,
        Err(_) => {
            let error = ApiError::Internal("response body unreadable".to_owned());
            return Ok(ServiceResponse::new(req, error.error_response()));
        }
    };
    // Delivery takes a tag it is given instead of hashing the body at every request.
    if !response.headers().contains_key(header::ETAG)
        && let Ok(etag) = HeaderValue::from_str(&delivery::entity_tag(&body, Coding::Identity))
    {
        response.headers_mut().insert(header::ETAG, etag);
    }
    let entry = Entry {
        generation,
        headers: response.headers().clone(),
        body: body.clone(),
    };
    let weight = key.len()
        + body.len()
        + entry
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 32)
            .sum::<usize>()
        + 128;
    state.responses.kept.put(key, Arc::new(entry), weight);
    Ok(ServiceResponse::new(
        req,
        response.set_body(BoxBody::new(body)),
    ))
}
