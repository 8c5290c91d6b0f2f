//! `/api/v1/articles`: reading and writing articles and their related links.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod input;

pub use input::{ArticleCreate, ArticlePatch, RelatedInput, RelatedLinkSchema, related_specs};

use crate::api::extract::{Admin, ApiQuery, JsonBody, Reader};
use crate::api::pagination::{self, ListMeta};
use crate::api::validate;
use crate::api::{State, Tagged, utc};
use crate::content;
use crate::db::articles::{ArticleKey, Visibility};
use crate::db::{self, articles as store};
use crate::error::{ApiError, Problem};

/// Where an article is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    fn from_stored(s: &str) -> Self {
        match s {
            "published" => Self::Published,
            "archived" => Self::Archived,
            _ => Self::Draft,
        }
    }
}

/// Whether a related link points into Gazette or elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelatedKind {
    Internal,
    External,
}

/// A related link as read. Internal links carry their target's current title, summary and
/// canonical URL, and are left out while the target is not published.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedLink {
    pub kind: RelatedKind,
    /// The target article's slug; `null` for external links.
    #[schema(required = true, example = "harbour-dredging-begins")]
    pub slug: Option<String>,
    /// The target's headline; optional for external links.
    #[schema(required = true, example = "Harbour Dredging Begins")]
    pub title: Option<String>,
    /// A one-sentence teaser.
    #[schema(example = "Work on the inner harbour starts in January.")]
    pub summary: String,
    /// Where the link goes: the target's canonical URL, or the external URL.
    #[schema(example = "https://example.org/report")]
    pub url: String,
}

/// Ready-made share links for the article's canonical URL and title.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareLinks {
    pub x: String,
    pub facebook: String,
    pub linkedin: String,
    pub whatsapp: String,
    pub telegram: String,
    pub reddit: String,
    /// A `mailto:` link with the title as subject and the URL as body.
    pub email: String,
}

/// What a frontend needs for "Share the Article".
#[derive(Debug, Serialize, ToSchema)]
pub struct Share {
    /// The canonical URL being shared.
    pub url: String,
    /// The headline, for "Sharing: <title>".
    pub title: String,
    pub links: ShareLinks,
}

/// An article with everything a page needs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "council-approves-tram-extension",
    "title": "Council Approves Harbourfront Tram Extension",
    "summary": "The line will reach the ferry terminal by 2028.",
    "body": "After a six-hour debate, the council voted *nine to four* in favour.\n\nWork starts in spring.",
    "body_html": "<p>After a six-hour debate, the council voted <em>nine to four</em> in favour.</p>\n<p>Work starts in spring.</p>\n",
    "body_text": "After a six-hour debate, the council voted nine to four in favour.\n\nWork starts in spring.",
    "status": "published",
    "published_at": "2026-11-24T07:30:00Z",
    "created_at": "2026-11-23T18:02:11Z",
    "updated_at": "2026-11-24T07:31:40Z",
    "tags": [{"slug": "city-hall", "name": "City Hall"}, {"slug": "transport", "name": "Transport"}],
    "related": [
        {"kind": "internal", "slug": "ferry-timetable-changes", "title": "Ferry Moves to Winter Timetable",
         "summary": "Two evening sailings are cut from 9 November.",
         "url": "https://news.example.com/articles/ferry-timetable-changes"},
        {"kind": "external", "slug": null, "title": null, "summary": "The full extension plan.",
         "url": "https://example.org/tram-plan"}
    ],
    "canonical_url": "https://news.example.com/articles/council-approves-tram-extension",
    "share": {
        "url": "https://news.example.com/articles/council-approves-tram-extension",
        "title": "Council Approves Harbourfront Tram Extension",
        "links": {
            "x": "https://x.com/intent/tweet?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension&text=Council%20Approves%20Harbourfront%20Tram%20Extension",
            "facebook": "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension",
            "linkedin": "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension",
            "whatsapp": "https://wa.me/?text=Council%20Approves%20Harbourfront%20Tram%20Extension%20https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension",
            "telegram": "https://t.me/share/url?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension&text=Council%20Approves%20Harbourfront%20Tram%20Extension",
            "reddit": "https://www.reddit.com/submit?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension&title=Council%20Approves%20Harbourfront%20Tram%20Extension",
            "email": "mailto:?subject=Council%20Approves%20Harbourfront%20Tram%20Extension&body=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension"
        }
    },
    "word_count": 17,
    "reading_time_minutes": 1,
    "byline": "Mara Okafor",
    "feature_image_url": null
}))]
pub struct Article {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "council-approves-tram-extension")]
    pub slug: String,
    /// The headline.
    pub title: String,
    /// A one-sentence teaser.
    pub summary: String,
    /// The body as Markdown source.
    pub body: String,
    /// The body rendered from Markdown and sanitized: safe to insert into a page.
    pub body_html: String,
    /// The body as plain text, paragraphs separated by blank lines.
    pub body_text: String,
    pub status: ArticleStatus,
    /// When the article was (or will be) published.
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Topics, in the order the editor gave them.
    pub tags: Vec<Tagged>,
    /// Related reading, in the order the editor gave it.
    pub related: Vec<RelatedLink>,
    /// The article's address on the public site (`SITE_URL`).
    pub canonical_url: String,
    pub share: Share,
    pub word_count: i64,
    pub reading_time_minutes: i64,
    #[schema(required = true)]
    pub byline: Option<String>,
    #[schema(required = true)]
    pub feature_image_url: Option<String>,
}

/// An article in a list: everything but the body fields and related links.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "council-approves-tram-extension",
    "title": "Council Approves Harbourfront Tram Extension",
    "summary": "The line will reach the ferry terminal by 2028.",
    "status": "published",
    "published_at": "2026-11-24T07:30:00Z",
    "created_at": "2026-11-23T18:02:11Z",
    "updated_at": "2026-11-24T07:31:40Z",
    "tags": [{"slug": "city-hall", "name": "City Hall"}, {"slug": "transport", "name": "Transport"}],
    "canonical_url": "https://news.example.com/articles/council-approves-tram-extension",
    "word_count": 17,
    "reading_time_minutes": 1,
    "byline": "Mara Okafor",
    "feature_image_url": null
}))]
pub struct ArticleTeaser {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub status: ArticleStatus,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Vec<Tagged>,
    pub canonical_url: String,
    pub word_count: i64,
    pub reading_time_minutes: i64,
    #[schema(required = true)]
    pub byline: Option<String>,
    #[schema(required = true)]
    pub feature_image_url: Option<String>,
}

/// A page of article teasers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub data: Vec<ArticleTeaser>,
    pub meta: ListMeta,
}

/// An article's related links, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedList {
    pub data: Vec<RelatedLink>,
}

/// Sort orders for the article list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum ArticleSort {
    #[serde(rename = "-published_at")]
    PublishedDesc,
    #[serde(rename = "published_at")]
    PublishedAsc,
    #[serde(rename = "-updated_at")]
    UpdatedDesc,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListArticlesParams {
    /// Page size, 1–100.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` from the previous page.
    #[serde(default, deserialize_with = "validate::present")]
    cursor: Option<String>,
    /// Only articles with this tag (slug); repeat for articles having all of them.
    #[serde(default)]
    #[param(style = Form, explode)]
    tag: Vec<String>,
    /// The order: newest published first (default), oldest first, or last updated first.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<ArticleSort>, default = "-published_at")]
    sort: Option<String>,
}

fn parse_sort(raw: Option<&str>) -> Result<store::Sort, ApiError> {
    match raw {
        None | Some("-published_at") => Ok(store::Sort::PublishedDesc),
        Some("published_at") => Ok(store::Sort::PublishedAsc),
        Some("-updated_at") => Ok(store::Sort::UpdatedDesc),
        Some(other) => Err(pagination::query_error(
            "sort",
            format!("must be one of -published_at, published_at, -updated_at, got '{other}'"),
        )),
    }
}

fn sort_code(sort: store::Sort) -> &'static str {
    match sort {
        store::Sort::PublishedDesc => "pd",
        store::Sort::PublishedAsc => "pa",
        store::Sort::UpdatedDesc => "ud",
    }
}

fn related_out(link: store::Related, site_url: &str) -> RelatedLink {
    match link {
        store::Related::Internal {
            slug,
            title,
            summary,
        } => RelatedLink {
            kind: RelatedKind::Internal,
            url: content::canonical_url(site_url, &slug),
            slug: Some(slug),
            title: Some(title),
            summary,
        },
        store::Related::External {
            url,
            title,
            summary,
        } => RelatedLink {
            kind: RelatedKind::External,
            slug: None,
            title,
            summary,
            url,
        },
    }
}

fn opt_utc(ts: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    ts.map(utc)
}

fn article_out(a: store::Article, site_url: &str) -> Article {
    let row = a.row;
    let canonical_url = content::canonical_url(site_url, &row.slug);
    let links = content::share_links(&canonical_url, &row.title);
    Article {
        id: row.id,
        share: Share {
            url: canonical_url.clone(),
            title: row.title.clone(),
            links: ShareLinks {
                x: links.x,
                facebook: links.facebook,
                linkedin: links.linkedin,
                whatsapp: links.whatsapp,
                telegram: links.telegram,
                reddit: links.reddit,
                email: links.email,
            },
        },
        canonical_url,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        body: row.body,
        body_html: row.body_html,
        body_text: row.body_text,
        status: ArticleStatus::from_stored(&row.status),
        published_at: opt_utc(row.published_at),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        tags: a.tags.into_iter().map(Tagged::from).collect(),
        related: a
            .related
            .into_iter()
            .map(|r| related_out(r, site_url))
            .collect(),
        word_count: row.word_count,
        reading_time_minutes: content::reading_time_minutes(row.word_count),
        byline: row.byline,
        feature_image_url: row.feature_image_url,
    }
}

fn teaser_out(t: store::Teaser, site_url: &str) -> ArticleTeaser {
    let row = t.row;
    ArticleTeaser {
        id: row.id,
        canonical_url: content::canonical_url(site_url, &row.slug),
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        status: ArticleStatus::from_stored(&row.status),
        published_at: opt_utc(row.published_at),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        tags: t.tags.into_iter().map(Tagged::from).collect(),
        word_count: row.word_count,
        reading_time_minutes: content::reading_time_minutes(row.word_count),
        byline: row.byline,
        feature_image_url: row.feature_image_url,
    }
}

fn visibility(reader: &Reader) -> Visibility {
    if reader.is_admin() {
        Visibility::All
    } else {
        Visibility::Public { now: db::now() }
    }
}

/// List published articles.
///
/// Teasers (no body fields, no related links) in the requested order, newest published
/// first by default, with cursor pagination: pass `meta.next_cursor` as `cursor` for the next
/// page; the last page has `has_more: false` and `next_cursor: null`. Drafts, archived and
/// scheduled articles are never listed.
#[utoipa::path(
    operation_id = "listArticles",
    tag = "articles",
    params(ListArticlesParams),
    security(()),
    responses(
        (status = 200, description = "A page of article teasers.", body = ArticleList),
        (status = 400, description = "A query parameter is invalid.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A key was sent but is not valid, or reads need a key.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: State,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ListArticlesParams>,
) -> Result<web::Json<ArticleList>, ApiError> {
    let limit = pagination::limit(params.limit.as_deref())?;
    let sort = parse_sort(params.sort.as_deref())?;
    let order = sort_code(sort);
    let after = params
        .cursor
        .as_deref()
        .map(|c| pagination::decode_keyset(order, c))
        .transpose()?;
    let mut tags = params.tag;
    tags.sort();
    tags.dedup();
    let query = store::ListQuery {
        tags,
        sort,
        after,
        limit,
        visibility: Visibility::Public { now: db::now() },
    };
    let page = db::run(&state.pool, move |conn| store::list(conn, &query)).await?;
    let next_cursor = match (page.has_more, page.items.last()) {
        (true, Some(last)) => Some(pagination::encode_keyset(order, sort.key(&last.row))),
        _ => None,
    };
    let site = &state.settings.site_url;
    Ok(web::Json(ArticleList {
        meta: ListMeta {
            limit,
            total: page.total,
            has_more: next_cursor.is_some(),
            next_cursor,
        },
        data: page
            .items
            .into_iter()
            .map(|t| teaser_out(t, site))
            .collect(),
    }))
}

/// Get one article by slug or id.
///
/// Everything the article's page needs in one response: the body as Markdown, sanitized
/// HTML and plain text, tags, related links resolved to their targets' current values,
/// the canonical URL and share links. Unpublished articles are 404 except with an admin key
/// (preview).
#[utoipa::path(
    operation_id = "getArticle",
    tag = "articles",
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    security(()),
    responses(
        (status = 200, description = "The article.", body = Article),
        (status = 401, description = "A key was sent but is not valid, or reads need a key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published article has this slug or id.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug_or_id}")]
pub async fn get_article(
    state: State,
    reader: Reader,
    key: web::Path<String>,
) -> Result<web::Json<Article>, ApiError> {
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let article = db::run(&state.pool, move |conn| store::find(conn, &key, vis)).await?;
    Ok(web::Json(article_out(article, &state.settings.site_url)))
}

/// List an article's related links.
///
/// The curated related reading of a published article, in the editor's order. Internal
/// links whose target is not published are left out.
#[utoipa::path(
    operation_id = "listRelated",
    tag = "articles",
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    security(()),
    responses(
        (status = 200, description = "The related links, in order.", body = RelatedList),
        (status = 401, description = "A key was sent but is not valid, or reads need a key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published article has this slug or id.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug_or_id}/related")]
pub async fn list_related(
    state: State,
    reader: Reader,
    key: web::Path<String>,
) -> Result<web::Json<RelatedList>, ApiError> {
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let links = db::run(&state.pool, move |conn| store::related(conn, &key, vis)).await?;
    let site = &state.settings.site_url;
    Ok(web::Json(RelatedList {
        data: links.into_iter().map(|l| related_out(l, site)).collect(),
    }))
}

/// Create an article.
///
/// Renders the Markdown body to sanitized HTML and plain text, creates unknown tags, and
/// answers 201 with the article and its `Location`.
#[utoipa::path(
    operation_id = "createArticle",
    tag = "articles",
    request_body = ArticleCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The article was created.", body = Article,
            headers(("Location" = String, description = "The new article's URL."))),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid key was sent.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is already in use.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid; `errors` names each.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles")]
pub async fn create_article(
    state: State,
    _admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let new = body.parse::<ArticleCreate>()?.into_new()?;
    let article = db::run(&state.pool, move |conn| {
        store::create(conn, &new, db::now())
    })
    .await?;
    let location = format!("/api/v1/articles/{}", article.row.slug);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(article_out(article, &state.settings.site_url)))
}

/// Update an article.
///
/// Changes only the fields given (JSON merge patch semantics); `tags` and `related`, when
/// given, replace the whole list. Setting `status` to `published` without a `published_at`
/// stamps the current time.
#[utoipa::path(
    operation_id = "updateArticle",
    tag = "articles",
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    request_body = ArticlePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated article.", body = Article),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid key was sent.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No article has this slug or id.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new slug is already in use.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid; `errors` names each.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/articles/{slug_or_id}")]
pub async fn update_article(
    state: State,
    _admin: Admin,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<web::Json<Article>, ApiError> {
    let key = ArticleKey::parse(&key);
    let changes = body.parse::<ArticlePatch>()?.into_changes()?;
    let article = db::run(&state.pool, move |conn| {
        store::update(conn, &key, &changes, db::now())
    })
    .await?;
    Ok(web::Json(article_out(article, &state.settings.site_url)))
}

/// Replace an article's related links.
///
/// The body is the complete ordered list; an empty array removes every link.
#[utoipa::path(
    operation_id = "replaceRelated",
    tag = "articles",
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    request_body(content = Vec<RelatedLinkSchema>, description = "The related links, in order.",
        example = json!([{"slug": "ferry-timetable-changes"}, {"url": "https://example.org/report", "summary": "The full report."}])),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The related links as read, in order.", body = RelatedList),
        (status = 400, description = "The body is not valid JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid key was sent.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No article has this slug or id.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A link is invalid; `errors` names each.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/articles/{slug_or_id}/related")]
pub async fn replace_related(
    state: State,
    _admin: Admin,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<web::Json<RelatedList>, ApiError> {
    let key = ArticleKey::parse(&key);
    let specs = related_specs(&body.parse_list::<Vec<RelatedInput>>()?)?;
    let links = db::run(&state.pool, move |conn| {
        store::replace_related(conn, &key, &specs, db::now())
    })
    .await?;
    let site = &state.settings.site_url;
    Ok(web::Json(RelatedList {
        data: links.into_iter().map(|l| related_out(l, site)).collect(),
    }))
}

/// Delete an article.
///
/// Related links to it from other articles are removed too.
#[utoipa::path(
    operation_id = "deleteArticle",
    tag = "articles",
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The article was deleted."),
        (status = 401, description = "No valid key was sent.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No article has this slug or id.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/articles/{slug_or_id}")]
pub async fn delete_article(
    state: State,
    _admin: Admin,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = ArticleKey::parse(&key);
    db::run(&state.pool, move |conn| store::delete(conn, &key)).await?;
    Ok(HttpResponse::NoContent().finish())
}
