//! Public articles answered from memory, on both backends: the JSON of an article as the
//! public reads it is kept with the stamp of what it shows ([`crate::cache::articles`]), and
//! sent again while the article's stamp in the database is the same. The handler knows
//! nothing of it: this layer reads the stamp before the handler runs (so that a change made
//! meanwhile can only make the kept entry miss, never go stale) and keeps what it answers.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use crate::auth::Reader;
use crate::cache::articles::{ArticleCache, Rendered, weight};
use crate::db::{self, articles::ArticleKey, articles::Stamp};
use crate::error::ApiError;
use crate::representation::{Coding, entity_tag};
use crate::state::State;

/// The article a request reads, when it is a plain `GET /api/v1/articles/{slug_or_id}` (no
/// query: `fields` and every other parameter are the handler's to check).
pub fn plain_article_read(req: &ServiceRequest) -> Option<ArticleKey> {
    if req.method() != Method::GET || !req.query_string().is_empty() {
        return None;
    }
    article_path(req.path())
}

/// The article `path` addresses, if it is one article's address.
pub fn article_path(path: &str) -> Option<ArticleKey> {
    let key = path.strip_prefix("/api/v1/articles/")?;
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    plain.then(|| ArticleKey::parse(key))
}

/// The middleware, innermost: inside read admission, so that its stamp reads are admitted
/// like any other read.
pub async fn serve(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<State>().cloned();
    let (Some(state), Some(key)) = (state, plain_article_read(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !state.articles.enabled() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // Who asks decides what they may see: an admin is answered fresh. The reader found here
    // is the handler's too (a key is checked once).
    let reader = match req.extract::<Reader>().await {
        Ok(reader) => reader,
        Err(refused) => return Ok(req.error_response(refused).map_into_boxed_body()),
    };
    req.extensions_mut().insert(reader);
    if reader.is_admin() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let now = db::now();
    let cached = state.articles.get(&key);
    // On SQLite the stamp is read right here when a connection is idle: a kept response is
    // then served without leaving the worker.
    if let Some(cached) = &cached
        && let Some(Ok(Some(stamp))) = db::run_here(&state.pool, |conn| {
            Ok(db::articles::stamp(conn, &key, now)?)
        })
        && stamp == cached.stamp
    {
        return Ok(req.into_response(response_of(cached)).map_into_boxed_body());
    }
    let asked = key.clone();
    let stamp = db::run(&state.pool, move |conn| {
        Ok(db::articles::stamp(conn, &asked, now)?)
    })
    .await;
    let stamp = match stamp {
        Ok(stamp) => stamp,
        Err(failed) => {
            return Ok(req
                .error_response(ApiError::from(failed))
                .map_into_boxed_body());
        }
    };
    if let (Some(stamp), Some(cached)) = (&stamp, &cached)
        && *stamp == cached.stamp
    {
        return Ok(req.into_response(response_of(cached)).map_into_boxed_body());
    }
    let res = next.call(req).await?;
    match stamp {
        Some(stamp) => keep(res, key, stamp, &state.articles).await,
        None => Ok(res.map_into_boxed_body()),
    }
}

fn response_of(entry: &Rendered) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, entry.etag.clone()))
        .insert_header((header::LAST_MODIFIED, entry.last_modified.clone()))
        .body(entry.body.clone())
}

/// Keeps the handler's answer when it is the article (200) with its `Last-Modified`: an
/// article changed within the current second goes without one until the second has passed,
/// and is kept only then, so that it carries it as every later answer of the same content.
async fn keep(
    res: ServiceResponse<impl MessageBody + 'static>,
    key: ArticleKey,
    stamp: Stamp,
    cache: &ArticleCache,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let last_modified = res.headers().get(header::LAST_MODIFIED).cloned();
    let (true, Some(last_modified), false) = (
        res.status() == StatusCode::OK,
        last_modified,
        res.headers().contains_key(header::CONTENT_ENCODING),
    ) else {
        return Ok(res.map_into_boxed_body());
    };
    let (req, response) = res.into_parts();
    let (mut response, body) = response.into_parts();
    let body = match actix_web::body::to_bytes(body).await {
        Ok(body) => body,
        Err(_) => {
            let error = ApiError::Internal("response body unreadable".to_owned());
            return Ok(ServiceResponse::new(req, HttpResponse::from_error(error)));
        }
    };
    let etag = match response.headers().get(header::ETAG) {
        Some(etag) => etag.clone(),
        None => HeaderValue::from_str(&entity_tag(&body, Coding::Identity))
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    response.headers_mut().insert(header::ETAG, etag.clone());
    let entry = Rendered {
        stamp,
        body: body.clone(),
        etag,
        last_modified,
    };
    let weight = weight(&key, &entry);
    cache.put(key, Arc::new(entry), weight);
    Ok(ServiceResponse::new(
        req,
        response.set_body(BoxBody::new(body)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_articles_address_is_an_article() {
        assert_eq!(
            article_path("/api/v1/articles/tram-vote"),
            Some(ArticleKey::Slug("tram-vote".to_owned()))
        );
        assert_eq!(
            article_path("/api/v1/articles/42"),
            Some(ArticleKey::Id(42))
        );
        for other in [
            "/api/v1/articles",
            "/api/v1/articles/",
            "/api/v1/articles/tram-vote/related",
            "/api/v1/articles/Tram%20Vote",
            "/api/v1/tags/tram",
        ] {
            assert_eq!(article_path(other), None, "{other}");
        }
    }
}
