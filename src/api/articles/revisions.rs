//! `/api/v1/articles/{slug_or_id}/revisions`: every saved state of an article (admin).

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{Article, ArticleFormat, ArticleStatus, article_out};
use super::write::precondition;
use crate::api::documented;
use crate::api::extract::{Admin, ApiQuery, IfMatch};
use crate::api::images::{ImageOut, image_out};
use crate::api::pagination::{self, ListMeta};
use crate::api::problems;
use crate::api::{State, Tagged, utc, validate};
use crate::db::articles::ArticleKey;
use crate::db::related::RelatedSpec;
use crate::db::revisions as store;
use crate::db::{self, articles};
use crate::error::{ApiError, Problem};
use crate::images::ImageService;

/// A revision in a list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "number": 3,
    "created_at": "2026-11-24T07:31:40Z",
    "title": "Council Approves Harbourfront Tram Extension",
    "slug": "council-approves-tram-extension",
    "status": "published",
    "published_at": "2026-11-24T07:30:00Z"
}))]
pub struct RevisionSummary {
    /// Counts from 1; the highest is the current version.
    #[schema(example = 3)]
    pub number: i64,
    /// When this version was saved.
    pub created_at: DateTime<Utc>,
    pub title: String,
    pub slug: String,
    pub status: ArticleStatus,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
}

/// A page of revisions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    pub data: Vec<RevisionSummary>,
    pub meta: ListMeta,
}

/// A related link as a revision recorded it: `{slug}` or `{url, summary, title}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionLink {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// One version of an article, as it was saved.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "number": 2,
    "created_at": "2026-11-24T07:31:40Z",
    "title": "Council Approves Harbourfront Tram Extension",
    "slug": "council-approves-tram-extension",
    "summary": "The line will reach the ferry terminal by 2028.",
    "body": "After a six-hour debate, the council voted in favour.",
    "status": "published",
    "published_at": "2026-11-24T07:30:00Z",
    "byline": "Mara Okafor",
    "feature_image": null,
    "feature_image_url": null,
    "tags": [{"slug": "transport", "name": "Transport"}],
    "related": [{"slug": "ferry-timetable-winter-changes"}, {"url": "https://example.org/tram-plan", "summary": "The plan."}],
    "format": "standard",
    "live": false,
    "blocks": [],
    "corrections": []
}))]
pub struct Revision {
    pub number: i64,
    pub created_at: DateTime<Utc>,
    pub title: String,
    pub slug: String,
    pub summary: String,
    /// Markdown source.
    pub body: String,
    pub status: ArticleStatus,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub byline: Option<String>,
    #[schema(required = true)]
    pub feature_image: Option<ImageOut>,
    #[schema(required = true)]
    pub feature_image_url: Option<String>,
    pub tags: Vec<Tagged>,
    pub related: Vec<RevisionLink>,
    pub format: ArticleFormat,
    /// Whether a live article's coverage was open.
    pub live: bool,
    /// A live article's blocks as they stood, oldest first (empty for a standard article).
    pub blocks: Vec<RevisionBlock>,
    /// The corrections it had, oldest first.
    pub corrections: Vec<RevisionCorrection>,
}

/// A correction as a revision recorded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionCorrection {
    /// Markdown source.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A block as a revision recorded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionBlock {
    #[schema(example = 7)]
    pub id: i64,
    #[schema(required = true)]
    pub title: Option<String>,
    /// Markdown source.
    pub body: String,
    pub key_event: bool,
    pub pinned: bool,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRevisionsParams {
    /// Page size, 1–100.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` from the previous page.
    #[serde(default, deserialize_with = "validate::present")]
    cursor: Option<String>,
}

const ORDER: &str = "rev";

fn revision_out(r: store::Revision, images: &ImageService) -> Revision {
    let s = r.snapshot;
    Revision {
        corrections: s
            .corrections
            .into_iter()
            .map(|(at, body)| RevisionCorrection {
                body,
                created_at: utc(at),
            })
            .collect(),
        format: s.format,
        live: s.live,
        blocks: s
            .blocks
            .into_iter()
            .map(|b| RevisionBlock {
                id: b.id,
                title: b.title,
                body: b.body,
                key_event: b.key_event,
                pinned: b.pinned,
                published_at: utc(b.published_at),
            })
            .collect(),
        number: r.number,
        created_at: utc(r.created_at),
        title: s.title,
        slug: s.slug,
        summary: s.summary,
        body: s.body,
        status: s.status,
        published_at: s.published_at.map(utc),
        byline: s.byline,
        feature_image_url: s.feature_image.as_ref().map(|i| i.url.clone()),
        feature_image: s.feature_image.map(|i| image_out(i, images)),
        tags: s
            .tags
            .into_iter()
            .map(|(slug, name)| Tagged { slug, name })
            .collect(),
        related: s
            .related
            .into_iter()
            .map(|link| match link {
                RelatedSpec::Internal { slug } => RevisionLink {
                    slug: Some(slug),
                    url: None,
                    title: None,
                    summary: None,
                },
                RelatedSpec::External {
                    url,
                    title,
                    summary,
                } => RevisionLink {
                    slug: None,
                    url: Some(url),
                    title,
                    summary: Some(summary),
                },
            })
            .collect(),
    }
}

/// List an article's revisions.
///
/// Every saved state of the article, newest (the current one) first, with cursor
/// pagination. A revision is recorded by every change: create, update, related links,
/// restore.
#[utoipa::path(
    operation_id = "listRevisions", tag = "articles", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), ListRevisionsParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of revisions, newest first.", body = RevisionList),
        (status = 400, response = problems::InvalidQuery), (status = 404, response = problems::ArticleNotFound), problems::AdminRead,
    )
)]
#[get("/articles/{slug_or_id}/revisions")]
pub async fn list_revisions(
    state: State,
    _admin: Admin,
    key: web::Path<String>,
    ApiQuery(params): ApiQuery<ListRevisionsParams>,
) -> Result<web::Json<RevisionList>, ApiError> {
    let (limit, before) = pagination::request(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        state.settings.limits.page_size,
        |c| pagination::decode_id(ORDER, c),
    )?;
    let key = ArticleKey::parse(&key);
    let page = db::run(&state.pool, move |conn| {
        store::list(conn, &key, before, limit)
    })
    .await?;
    Ok(web::Json(RevisionList {
        meta: ListMeta::of(&page, limit, |last| {
            Some(pagination::encode_id(ORDER, last.number))
        }),
        data: page
            .items
            .into_iter()
            .map(|r| RevisionSummary {
                number: r.number,
                created_at: utc(r.created_at),
                title: r.snapshot.title,
                slug: r.snapshot.slug,
                status: r.snapshot.status,
                published_at: r.snapshot.published_at.map(utc),
            })
            .collect(),
    }))
}

/// Get one revision of an article.
///
/// The article as it was saved in that version: content, tags and related links.
#[utoipa::path(
    operation_id = "getRevision",
    tag = "articles",
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ("number" = i64, Path, description = "The revision number, from 1.", minimum = 1),
        documented::Conditional,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The revision.", body = Revision),
        (status = 404, response = problems::RevisionNotFound), problems::AdminRead,
    )
)]
#[get("/articles/{slug_or_id}/revisions/{number}")]
pub async fn get_revision(
    state: State,
    _admin: Admin,
    path: web::Path<(String, i64)>,
) -> Result<web::Json<Revision>, ApiError> {
    let (key, number) = path.into_inner();
    let key = ArticleKey::parse(&key);
    let revision = db::run(&state.pool, move |conn| store::find(conn, &key, number)).await?;
    Ok(web::Json(revision_out(revision, &state.settings.images)))
}

/// Restore a revision.
///
/// Makes that version's content, status, tags and related links current again, as a new
/// revision (the slug stays; internal links to articles since deleted are left out). Honours
/// `If-Match` like an update.
#[utoipa::path(
    operation_id = "restoreRevision",
    tag = "articles",
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ("number" = i64, Path, description = "The revision number, from 1.", minimum = 1),
        documented::IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The article, restored.", body = Article,
            headers(("ETag" = String, description = "The article's entity tag, for `If-Match` on the next write."))),
        (status = 404, response = problems::RevisionNotFound),
        (status = 409, description = "The article changed while the revision was being restored; retry.", body = Problem),
        (status = 412, description = "The article changed since the `If-Match` ETag was read.", body = Problem),
        (status = 422, description = "The revision's body nests deeper than the server renders now.", body = Problem),
        (status = 428, response = problems::IfMatchRequired), problems::AdminOnly,
    )
)]
#[post("/articles/{slug_or_id}/revisions/{number}/restore")]
pub async fn restore_revision(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    path: web::Path<(String, i64)>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let check = precondition(if_match.value()?, state.settings.clone());
    let (key, number) = path.into_inner();
    let key = ArticleKey::parse(&key);
    // The revision's body is rendered before the write, off the workers and out of the
    // write lock.
    let read_key = key.clone();
    let body = db::run(&state.pool, move |conn| {
        Ok(store::find(conn, &read_key, number)?.snapshot.body)
    })
    .await?;
    let body = crate::api::blocking(move || {
        let rendered = super::input::render_body(&body)?;
        Ok((body, rendered))
    })
    .await?;
    let article = db::run_write(&state.pool, move |conn| {
        articles::restore(conn, &key, number, body, db::now(), &check)
    })
    .await?;
    super::write::written(
        actix_web::http::StatusCode::OK,
        &article_out(article, &state.settings),
    )
}
