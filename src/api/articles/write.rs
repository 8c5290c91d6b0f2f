//! Article writes: create, update, replace related links, delete. Updates and deletes honour
//! `If-Match` against the article's current ETag, checked inside the write's transaction.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, patch, post, put, web};

use super::model::{Article, RelatedList, article_out, related_out};
use super::{ArticleCreate, ArticlePatch, RelatedInput, RelatedLinkSchema, related_specs};
use crate::api::State;
use crate::api::documented;
use crate::api::extract::{Admin, IfMatch, JsonBody, Shape};
use crate::api::problems;
use crate::api::validate::Checker;
use crate::db::articles::ArticleKey;
use crate::db::{self, StoreError, StoreResult, articles as store, corrections};
use crate::error::{ApiError, Problem};
use crate::representation::{self, Coding};

/// The check a write makes against the article as it stands: its current ETag (as an admin
/// GET would send it) must match `If-Match`, when one was sent.
pub(super) fn precondition(
    if_match: Option<String>,
    settings: crate::config::Settings,
) -> impl Fn(&store::Article) -> StoreResult<()> {
    move |current| {
        matches(
            if_match.as_deref(),
            &article_out(current.clone(), &settings),
        )
    }
}

/// Whether `current`, as a GET answers it, has the ETag `expected` (when one was sent).
pub(crate) fn matches(expected: Option<&str>, current: &impl serde::Serialize) -> StoreResult<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let body = serde_json::to_vec(current).map_err(|e| StoreError::Internal(e.to_string()))?;
    let etag = representation::entity_tag(&body, Coding::Identity);
    if representation::if_match(expected, &etag) {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed(etag))
    }
}

/// A resource as a write answers it, with the ETag a GET of it sends: what `If-Match` takes
/// for the next write, without a read in between.
pub(crate) fn written(
    status: actix_web::http::StatusCode,
    resource: &impl serde::Serialize,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(resource).map_err(|e| ApiError::Internal(e.to_string()))?;
    let etag = representation::entity_tag(&body, Coding::Identity);
    Ok(HttpResponse::build(status)
        .insert_header((header::ETAG, etag))
        .content_type("application/json")
        .body(body))
}

/// Create an article.
///
/// Renders the Markdown body to sanitized HTML and plain text, creates unknown tags, and
/// answers 201 with the article and its `Location`.
#[utoipa::path(
    operation_id = "createArticle", tag = "articles", security(("bearer" = [])),
    request_body = ArticleCreate,
    responses(
        (status = 201, description = "The article was created.", body = Article,
            headers(
                ("Location" = String, description = "The new article's URL."),
                ("ETag" = String, description = "The article's entity tag, for `If-Match` on the next write."),
            )),
        (status = 409, description = "The slug is already in use.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[post("/articles")]
pub async fn create_article(
    state: State,
    _admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let limits = state.settings.limits;
    let new = body
        .parse_then(Shape::Object, move |input: ArticleCreate| {
            input.into_new(&limits)
        })
        .await?;
    let article = db::run_write(&state.pool, move |conn| {
        store::create(conn, &new, db::now())
    })
    .await?;
    let location = format!("/api/v1/articles/{}", article.row.teaser.slug);
    let mut response = written(
        actix_web::http::StatusCode::CREATED,
        &article_out(article, &state.settings),
    )?;
    let location =
        header::HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.to_string()))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Update an article.
///
/// Changes only the fields given (JSON merge patch semantics); `tags` and `related`, when
/// given, replace the whole list. Setting `status` to `published` without a `published_at`
/// stamps the current time.
#[utoipa::path(
    operation_id = "updateArticle", tag = "articles", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), documented::IfMatch),
    request_body = ArticlePatch,
    responses(
        (status = 200, description = "The updated article.", body = Article,
            headers(("ETag" = String, description = "The article's entity tag, for `If-Match` on the next write."))),
        (status = 404, response = problems::ArticleNotFound),
        (status = 409, description = "The new slug is already in use.", body = Problem),
        problems::AdminJsonWrite, problems::ArticlePreconditions,
    )
)]
#[patch("/articles/{slug_or_id}")]
pub async fn update_article(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let check = precondition(if_match.value()?, state.settings.clone());
    let key = ArticleKey::parse(&key);
    let limits = state.settings.limits;
    let changes = body
        .parse_then(Shape::Object, move |patch: ArticlePatch| {
            patch.into_changes(&limits)
        })
        .await?;
    let article = db::run_write(&state.pool, move |conn| {
        store::update(conn, &key, &changes, db::now(), &check)
    })
    .await?;
    written(
        actix_web::http::StatusCode::OK,
        &article_out(article, &state.settings),
    )
}

/// A correction as written.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "An earlier version of this article gave the vote as nine to three. It was nine to four."}))]
pub struct CorrectionCreate {
    /// Markdown, rendered and sanitized like a body.
    #[schema(min_length = 1, max_length = 5000, pattern = "required-text")]
    pub body: String,
}

/// The longest correction, in characters.
const MAX_CORRECTION_CHARS: usize = 5000;

impl CorrectionCreate {
    fn into_new(self) -> Result<corrections::NewCorrection, ApiError> {
        let mut c = Checker::default();
        c.text("body", &self.body, MAX_CORRECTION_CHARS, true);
        c.finish()?;
        let rendered = super::input::render_body(&self.body)?;
        Ok(corrections::NewCorrection {
            body: self.body,
            body_html: rendered.html,
            created_at: None,
        })
    }
}

/// Correct an article.
///
/// Appends a dated correction (Markdown) to the article: reads show its corrections in order
/// at its foot, its `updated_at` (and its feed entry's) moves, and subscriptions get
/// `article.corrected`. Answers 201 with the article as it is now.
#[utoipa::path(
    operation_id = "correctArticle", tag = "articles", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), documented::IfMatch),
    request_body = CorrectionCreate,
    responses(
        (status = 201, description = "The correction was appended; the article as it is now.", body = Article,
            headers(("ETag" = String, description = "The article's entity tag, for `If-Match` on the next write."))),
        (status = 404, response = problems::ArticleNotFound),
        problems::AdminJsonWrite, problems::ArticlePreconditions,
    )
)]
#[post("/articles/{slug_or_id}/corrections")]
pub async fn correct_article(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let check = precondition(if_match.value()?, state.settings.clone());
    let key = ArticleKey::parse(&key);
    let new = body
        .parse_then(Shape::Object, |input: CorrectionCreate| input.into_new())
        .await?;
    let article = db::run_write(&state.pool, move |conn| {
        store::correct(conn, &key, &new, db::now(), &check)
    })
    .await?;
    written(
        actix_web::http::StatusCode::CREATED,
        &article_out(article, &state.settings),
    )
}

/// Replace an article's related links.
///
/// The body is the complete ordered list; an empty array removes every link.
#[utoipa::path(
    operation_id = "replaceRelated",
    tag = "articles",
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), documented::IfMatch),
    request_body(content = Vec<RelatedLinkSchema>, description = "The related links, in order.",
        example = json!([{"slug": "ferry-timetable-winter-changes"}, {"url": "https://example.org/report", "summary": "The full report."}])),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The related links as read, in order.", body = RelatedList),
        (status = 400, response = problems::MalformedBody), (status = 404, response = problems::ArticleNotFound), (status = 413, response = problems::TooLarge), (status = 415, response = problems::NotJson),
        (status = 422, description = "A link is invalid; `errors` names each.", body = Problem),
        problems::AdminOnly, problems::ArticlePreconditions,
    )
)]
#[put("/articles/{slug_or_id}/related")]
pub async fn replace_related(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<web::Json<RelatedList>, ApiError> {
    let check = precondition(if_match.value()?, state.settings.clone());
    let key = ArticleKey::parse(&key);
    let limits = state.settings.limits;
    let specs = body
        .parse_then(Shape::Array, move |links: Vec<RelatedInput>| {
            related_specs(&links, &limits)
        })
        .await?;
    let links = db::run_write(&state.pool, move |conn| {
        db::articles::replace_related(conn, &key, &specs, db::now(), &check)
    })
    .await?;
    let site = &state.settings;
    Ok(web::Json(RelatedList {
        data: links.into_iter().map(|l| related_out(l, site)).collect(),
    }))
}

/// Delete an article.
///
/// Related links to it from other articles are removed too.
#[utoipa::path(
    operation_id = "deleteArticle", tag = "articles", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), documented::IfMatch),
    responses(
        (status = 204, description = "The article was deleted."),
        (status = 404, response = problems::ArticleNotFound), problems::AdminOnly, problems::ArticlePreconditions,
    )
)]
#[delete("/articles/{slug_or_id}")]
pub async fn delete_article(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let check = precondition(if_match.value()?, state.settings.clone());
    let key = ArticleKey::parse(&key);
    db::run_write(&state.pool, move |conn| {
        store::delete(conn, &key, db::now(), &check)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
