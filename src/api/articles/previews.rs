//! Preview links: an admin mints a link to an unpublished article
//! (`POST /api/v1/articles/{slug_or_id}/preview`), and whoever holds it reads the article with
//! no key (`GET /api/v1/preview/{token}`) until the link expires, is revoked, or the article
//! is deleted or public.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, delete, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Article, article_out};
use crate::api::documented;
use crate::api::extract::{Admin, JsonBody};
use crate::api::problems;
use crate::api::{State, utc};
use crate::db::articles::ArticleKey;
use crate::db::{self, StoreError, previews as store};
use crate::error::{ApiError, FieldError, Problem};

/// The shortest life a link may be given, in seconds: one minute.
pub const MIN_EXPIRES_IN: i64 = 60;
/// The longest life a link may be given, in seconds: 30 days.
pub const MAX_EXPIRES_IN: i64 = 30 * 24 * 3600;
/// The life of a link when none is asked for, in seconds: 7 days.
pub const DEFAULT_EXPIRES_IN: i64 = 7 * 24 * 3600;

/// What every preview answer says to caches and crawlers: kept by nobody, indexed by nobody.
const PRIVATE: &str = "private, no-store";
const NOINDEX: &str = "noindex";

/// The same answer for every token that shows nothing, so that none can be told apart.
const DEAD_LINK: &str = "This preview link shows nothing: it is unknown, has expired or been \
     revoked, or its article was deleted or has been published.";

/// A new preview link's options; the body may also be left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"expires_in": 86400}))]
pub struct PreviewCreate {
    /// Seconds until the link expires: 60 to 2592000 (30 days); 604800 (7 days) when absent.
    // A number, so that a whole one written with a fraction (`3600.0`) is taken as JSON
    // Schema's `integer` takes it.
    #[schema(value_type = Option<i64>, minimum = 60, maximum = 2592000, default = 604800, example = 86400)]
    expires_in: Option<f64>,
}

/// A new preview link. The token is shown this once: only its hash is stored.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3,
    "token": "l0G3xW9kz3Yc8u1o2yqM0bJ7aHn5tQe4sVfR6dKpZ_A",
    "url": "https://news.example.com/preview/l0G3xW9kz3Yc8u1o2yqM0bJ7aHn5tQe4sVfR6dKpZ_A",
    "created_at": "2026-11-23T18:05:00Z",
    "expires_at": "2026-11-30T18:05:00Z"
}))]
pub struct PreviewLink {
    /// Names the link to revoke it.
    pub id: i64,
    /// The secret of the link: `GET /api/v1/preview/{token}` reads the article with it.
    pub token: String,
    /// Where the public site (`SITE_URL`) shows the preview: `{SITE_URL}/preview/{token}`.
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// After this the link answers 404.
    pub expires_at: DateTime<Utc>,
}

/// A live preview link, without its token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "created_at": "2026-11-23T18:05:00Z", "expires_at": "2026-11-30T18:05:00Z"}))]
pub struct PreviewSummary {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An article's live preview links, newest first (at most 50).
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewList {
    pub data: Vec<PreviewSummary>,
}

/// Whether the request carries a body at all; without one, the defaults apply.
fn has_body(req: &HttpRequest) -> bool {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(n) => n > 0,
        None => req.headers().contains_key(header::TRANSFER_ENCODING),
    }
}

fn lifetime(input: &PreviewCreate) -> Result<Duration, ApiError> {
    let Some(seconds) = input.expires_in else {
        return Ok(Duration::seconds(DEFAULT_EXPIRES_IN));
    };
    let whole = seconds.fract() == 0.0;
    let range = MIN_EXPIRES_IN as f64..=MAX_EXPIRES_IN as f64;
    if !whole || !range.contains(&seconds) {
        return Err(ApiError::invalid(vec![FieldError::new(
            "expires_in",
            format!(
                "must be a whole number of seconds from {MIN_EXPIRES_IN} to {MAX_EXPIRES_IN} \
                 (30 days), got {seconds}"
            ),
        )]));
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a whole number within the range checked above"
    )]
    Ok(Duration::seconds(seconds as i64))
}

/// Mint a preview link.
///
/// A link that shows the unpublished article (draft, scheduled or archived) to whoever
/// holds it, with no key, as an admin reads it: `GET /api/v1/preview/{token}`, or the site's
/// `url`. The token is in this answer only. The link lives `expires_in` seconds (7 days by
/// default, 30 at most) unless revoked; it answers 404 once the article is deleted or public,
/// and for good once the article has been public (even if it is unpublished again). An
/// article may have 50 live links.
#[utoipa::path(
    operation_id = "createPreview", tag = "articles", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    request_body(content = PreviewCreate, description = "Optional: the body may be left out."),
    responses(
        (status = 201, description = "The link, with its token (shown this once).", body = PreviewLink),
        (status = 400, response = problems::MalformedBody), (status = 404, response = problems::ArticleNotFound),
        (status = 409, description = "The article is public, or has 50 live links already.", body = Problem),
        (status = 413, response = problems::TooLarge), (status = 415, response = problems::NotJson),
        (status = 422, description = "`expires_in` is out of range; `errors` names it.", body = Problem),
        problems::AdminOnly,
    )
)]
#[post("/articles/{slug_or_id}/preview")]
pub async fn create_preview(
    state: State,
    _admin: Admin,
    req: HttpRequest,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input = if has_body(&req) {
        body.parse::<PreviewCreate>().await?
    } else {
        PreviewCreate::default()
    };
    let lifetime = lifetime(&input)?;
    let key = ArticleKey::parse(&key);
    let (row, token) = db::run_write(&state.pool, move |conn| {
        store::mint(conn, &key, lifetime, db::now())
    })
    .await?;
    let url = format!(
        "{}/preview/{token}",
        state.settings.site_url.trim_end_matches('/')
    );
    Ok(HttpResponse::Created().json(PreviewLink {
        id: row.id,
        token,
        url,
        created_at: utc(row.created_at),
        expires_at: utc(row.expires_at),
    }))
}

/// List an article's preview links.
///
/// The live links (neither expired nor revoked), newest first, without their tokens.
#[utoipa::path(
    operation_id = "listPreviews", tag = "articles", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), documented::Conditional),
    responses(
        (status = 200, description = "The live links.", body = PreviewList),
        (status = 404, response = problems::ArticleNotFound), problems::AdminRead,
    )
)]
#[get("/articles/{slug_or_id}/previews")]
pub async fn list_previews(
    state: State,
    _admin: Admin,
    key: web::Path<String>,
) -> Result<web::Json<PreviewList>, ApiError> {
    let key = ArticleKey::parse(&key);
    let rows = db::run(&state.pool, move |conn| store::list(conn, &key, db::now())).await?;
    Ok(web::Json(PreviewList {
        data: rows
            .into_iter()
            .map(|row| PreviewSummary {
                id: row.id,
                created_at: utc(row.created_at),
                expires_at: utc(row.expires_at),
            })
            .collect(),
    }))
}

/// Revoke a preview link.
///
/// Its token answers 404 from the next request on.
#[utoipa::path(
    operation_id = "deletePreview",
    tag = "articles",
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ("id" = i64, Path, description = "The link's id, as minted or listed."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The link was revoked."),
        (status = 404, description = "No article has this slug or id, or it has no live link with this id.", body = Problem),
        problems::AdminOnly,
    )
)]
#[delete("/articles/{slug_or_id}/previews/{id}")]
pub async fn delete_preview(
    state: State,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, id) = path.into_inner();
    let id = id.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::not_found(format!(
            "The article has no live preview link with the id '{id}'."
        ))
    })?;
    let key = ArticleKey::parse(&key);
    db::run_write(&state.pool, move |conn| {
        store::revoke(conn, &key, id, db::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read an article by preview link.
///
/// The unpublished article a preview link shows, exactly as an admin reads it (body, tags,
/// related links, canonical URL and share links), with no key: the token is the credential.
/// Every answer is `Cache-Control: private, no-store` and `X-Robots-Tag: noindex`, with no
/// validator. An unknown, expired or revoked token, and one whose article is deleted or
/// public, all get the same 404.
#[utoipa::path(
    operation_id = "getPreview", tag = "articles", security(()),
    params(("token" = String, Path, description = "The link's token, as minted.")),
    responses(
        (status = 200, description = "The article as it will read once published.", body = Article,
            headers(
                ("Cache-Control" = String, description = "Always `private, no-store`: no cache keeps a preview."),
                ("X-Robots-Tag" = String, description = "Always `noindex`."),
            )),
        (status = 404, description = "The link shows nothing (unknown, expired, revoked, or its article deleted or public).", body = Problem,
            headers(
                ("Cache-Control" = String, description = "Always `private, no-store`."),
                ("X-Robots-Tag" = String, description = "Always `noindex`."),
            )),
    )
)]
#[get("/preview/{token}")]
pub async fn get_preview(state: State, token: web::Path<String>) -> HttpResponse {
    let token = token.into_inner();
    let site = state.settings.clone();
    let read = db::run(&state.pool, move |conn| {
        let Some(article) = store::open(conn, &token, db::now())? else {
            return Ok(None);
        };
        let body: Article = article_out(article, &site);
        serde_json::to_vec(&body)
            .map(|bytes| Some(web::Bytes::from(bytes)))
            .map_err(|e| StoreError::Internal(e.to_string()))
    })
    .await;
    let mut response = match read {
        Ok(Some(body)) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
        Ok(None) => ApiError::not_found(DEAD_LINK).error_response(),
        Err(err) => ApiError::from(err).error_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static(NOINDEX),
    );
    response
}
