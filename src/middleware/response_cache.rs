//! The caching layer, on both backends: a public answer rendered for a URL is sent again from
//! the [`ResponseCache`] until a change names one of the keys it shows
//! ([`crate::representation::Shown`], [`crate::db::changes`]); the same keys go to a CDN in
//! the configured tag headers ([`super::cdn`]). After a write, the changes it made are applied
//! before its answer leaves, so the writer's next read sees them. Handlers know nothing of
//! it: they only say what an answer shows.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

use super::cdn;
use crate::cache::responses::{Entry, ResponseCache, Turn};
use crate::error::ApiError;
use crate::follower;
use crate::hub::{Hub, STREAM_PATH};
use crate::representation::{Coding, Shown, entity_tag, forbids_storing};
use crate::state::State;

/// How long an article answered without `Last-Modified` (changed within the current second)
/// is kept: until its second has surely passed.
const UNSETTLED: Duration = Duration::from_secs(1);

/// The public content: the API and the feeds. Not health, metrics, the spec or the docs,
/// nor the event stream, which never ends.
fn public_content(path: &str) -> bool {
    (path.starts_with("/api/v1/") && path != STREAM_PATH)
        || path == "/feed.atom"
        || path == "/sitemap.xml"
}

/// The middleware, inside [`super::conditional::conditional`]: it sees every `HEAD` as the
/// `GET` it answers, and gives that middleware entity tags already made.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let cache = req.app_data::<web::Data<ResponseCache>>().cloned();
    let state = req.app_data::<State>().cloned();
    let hub = req.app_data::<web::Data<Hub>>().cloned();
    let (Some(cache), Some(state), Some(hub)) = (cache, state, hub) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let method = req.method().clone();
    if method != Method::GET {
        let res = next.call(req).await?;
        let wrote = method != Method::OPTIONS && res.status().is_success();
        if wrote
            && let Err(e) = follower::catch_up(
                &state.pool,
                cache.into_inner(),
                hub.into_inner(),
                state.search.clone(),
            )
            .await
        {
            log::warn!("the write's changes are not yet applied to the cache: {e}");
        }
        return Ok(res.map_into_boxed_body());
    }
    // Keyed requests may see drafts and are answered as the key allows: never kept, and
    // always read afresh.
    let anonymous =
        !crate::auth::sends_key(req.headers(), req.query_string()) && public_content(req.path());
    if !anonymous {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let url = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    // A missing answer is rendered by one request; the others asking for it meanwhile wait
    // and take it from memory (or render it themselves if it was not kept).
    let mut rendering = None;
    for look in 0..2 {
        if let Some(entry) = cache.get(&url) {
            return Ok(req.into_response(response_of(&entry)).map_into_boxed_body());
        }
        match cache.turn(&url) {
            Turn::Lead(lead) => {
                rendering = Some(lead);
                break;
            }
            Turn::Follow(mut under_way) if look == 0 => {
                let _ = under_way.changed().await;
            }
            Turn::Follow(_) => {}
        }
    }
    let read_from = cache.applied();
    let mut res = next.call(req).await?;
    let shown = res.response().extensions().get::<Shown>().cloned();
    let keys = match &shown {
        Some(shown) => shown.0.iter().cloned().collect(),
        None => cdn::keys_of_address(res.request().path(), res.request().query_string()),
    };
    let cacheable = matches!(
        res.status(),
        StatusCode::OK | StatusCode::NOT_FOUND | StatusCode::MOVED_PERMANENTLY
    ) && res
        .headers()
        .get(header::CACHE_CONTROL)
        .is_none_or(|v| !forbids_storing(v));
    if cacheable && !keys.is_empty() {
        cdn::tell(res.headers_mut(), &keys, &state.settings);
    }
    // An article changed within the current second goes without Last-Modified until the
    // second has passed: kept for that second only, then rendered again with it, as every
    // later answer of the same content has it.
    let settled = cdn::article_address(res.request().path()).is_none()
        || res.headers().contains_key(header::LAST_MODIFIED);
    let expires = (!settled).then(|| Instant::now() + UNSETTLED);
    let keep = cache.enabled()
        && shown.is_some()
        && cacheable
        && res.status() == StatusCode::OK
        && !res.headers().contains_key(header::CONTENT_ENCODING)
        && !res.headers().contains_key(header::SET_COOKIE);
    if !keep {
        return Ok(res.map_into_boxed_body());
    }
    let (req, response) = res.into_parts();
    let (mut response, body) = response.into_parts();
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
    cache.put(
        url,
        read_from,
        (response.headers().clone(), body.clone()),
        keys,
        expires,
    );
    drop(rendering);
    Ok(ServiceResponse::new(
        req,
        response.set_body(BoxBody::new(body)),
    ))
}

/// A kept answer, sent again.
fn response_of(entry: &Entry) -> HttpResponse<actix_web::web::Bytes> {
    let mut response = HttpResponse::with_body(StatusCode::OK, entry.body.clone());
    for (name, value) in &entry.headers {
        response.headers_mut().append(name.clone(), value.clone());
    }
    response
}
