//! Public reads answered from memory: a response rendered for a URL is sent again from the
//! [`ResponseCache`] as long as the database has not changed since, without a query or a
//! rendering.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

use super::article_cache::article_path;
use crate::cache::responses::ResponseCache;
use crate::error::ApiError;
use crate::representation::{Coding, entity_tag, forbids_storing};

/// The public content: the API and the feeds. Not health, metrics, the spec or the docs.
fn public_content(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/feed.atom" || path == "/sitemap.xml"
}

/// The middleware, inside [`super::conditional::conditional`]: it sees every `HEAD` as the
/// `GET` it answers, and gives that middleware entity tags already made.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Keyed requests may see drafts and are answered as the key allows: never kept.
    let anonymous = req.method() == Method::GET
        && !req.headers().contains_key(header::AUTHORIZATION)
        && public_content(req.path());
    let cache = req.app_data::<web::Data<ResponseCache>>().cloned();
    let Some((cache, generation)) = cache
        .filter(|_| anonymous)
        .and_then(|c| c.generation().map(|g| (c, g)))
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    if let Some(entry) = cache.get(&key, generation) {
        let mut response = HttpResponse::with_body(StatusCode::OK, entry.body.clone());
        for (name, value) in &entry.headers {
            response.headers_mut().append(name.clone(), value.clone());
        }
        return Ok(req.into_response(response).map_into_boxed_body());
    }
    let res = next.call(req).await?;
    // An article changed within the current second goes without Last-Modified until the
    // second has passed: kept only with it, as every later answer of the same content has it.
    let settled = article_path(res.request().path()).is_none()
        || res.headers().contains_key(header::LAST_MODIFIED);
    let keep = res.status() == StatusCode::OK
        && settled
        && res
            .headers()
            .get(header::CACHE_CONTROL)
            .is_none_or(|v| !forbids_storing(v))
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
    // The conditional middleware takes a tag it is given instead of hashing the body again.
    if !response.headers().contains_key(header::ETAG)
        && let Ok(etag) = HeaderValue::from_str(&entity_tag(&body, Coding::Identity))
    {
        response.headers_mut().insert(header::ETAG, etag);
    }
    cache.put(key, generation, response.headers().clone(), body.clone());
    Ok(ServiceResponse::new(
        req,
        response.set_body(BoxBody::new(body)),
    ))
}
