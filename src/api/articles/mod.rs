//! `/api/v1/articles`: reading and writing articles and their related links.

use std::sync::LazyLock;

use actix_web::http::header::{self, HttpDate, LastModified};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

mod input;
mod model;

pub use input::{ArticleCreate, ArticlePatch, RelatedInput, RelatedLinkSchema, related_specs};
pub use model::{
    Article, ArticleList, ArticleStatus, ArticleTeaser, RelatedKind, RelatedLink, RelatedList,
    RelatedSource, Share, ShareLinks,
};
use model::{article_out, related_out, suggestion_out, teaser_out};

use crate::api::extract::{Admin, ApiQuery, JsonBody, Reader};
use crate::api::pagination::{self, ListMeta};
use crate::api::{SPARSE_JSON, State, field_names, keep_fields, parse_fields, validate};
use crate::db::articles::{ArticleKey, Filters, Visibility};
use crate::db::{self, articles as store, related as links, search};
use crate::error::{ApiError, Problem};

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
    /// Full-text search over title, summary, body and tag names: every word must match, the
    /// last one as a prefix (`harb` finds "harbour"). Results come most relevant first (or in
    /// `sort` order when given), each with a `highlight`. Blank means no search.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(max_length = 200)]
    q: Option<String>,
    /// Only articles with this tag (slug); repeat for articles having all of them.
    #[serde(default)]
    #[param(style = Form, explode)]
    tag: Vec<String>,
    /// Only articles published strictly after this time (RFC 3339).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<String>, format = DateTime)]
    published_after: Option<String>,
    /// Only articles published strictly before this time (RFC 3339).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<String>, format = DateTime)]
    published_before: Option<String>,
    /// The order: newest published first (the default of lists), oldest first, or last
    /// updated first. Searches come by relevance unless this is given.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<ArticleSort>)]
    sort: Option<String>,
    /// Comma-separated teaser members to return, e.g. `slug,title`; the others are left out
    /// and the response is `application/vnd.gazette.sparse+json`.
    #[serde(default, deserialize_with = "validate::present")]
    fields: Option<String>,
}

/// Query parameters of a single article.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GetArticleParams {
    /// Comma-separated article members to return, e.g. `title,body_html`; the others are
    /// left out and the response is `application/vnd.gazette.sparse+json`.
    #[serde(default, deserialize_with = "validate::present")]
    fields: Option<String>,
}

/// Query parameters of an article's related reading.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRelatedParams {
    /// How many links at most, curated ones first, 1–50.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 50, default = 8)]
    limit: Option<String>,
}

static TEASER_FIELDS: LazyLock<Vec<String>> = LazyLock::new(field_names::<ArticleTeaser>);
static ARTICLE_FIELDS: LazyLock<Vec<String>> = LazyLock::new(field_names::<Article>);

/// A JSON response, or its sparse form keeping only `fields` of `item` (or of each of
/// `value.data`).
fn json_response(
    value: &impl serde::Serialize,
    fields: Option<&[String]>,
    list: bool,
) -> Result<HttpResponse, ApiError> {
    let Some(fields) = fields else {
        return Ok(HttpResponse::Ok().json(value));
    };
    let mut value = serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    if list {
        if let Some(items) = value["data"].as_array_mut() {
            items.iter_mut().for_each(|item| keep_fields(item, fields));
        }
    } else {
        keep_fields(&mut value, fields);
    }
    Ok(HttpResponse::Ok().content_type(SPARSE_JSON).json(value))
}

fn time_param(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>, ApiError> {
    raw.map(|raw| {
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.naive_utc())
            .map_err(|_| {
                pagination::query_error(
                    name,
                    format!("must be an RFC 3339 date-time like 2026-11-01T00:00:00Z, got '{raw}'"),
                )
            })
    })
    .transpose()
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
/// page (or follow the `Link: <…>; rel="next"` header); the last page has `has_more: false`
/// and `next_cursor: null`. With `q`, a full-text search ranked by relevance. Drafts,
/// archived and scheduled articles are never listed.
#[utoipa::path(
    operation_id = "listArticles",
    tag = "articles",
    params(ListArticlesParams, crate::api::conditional::Conditional),
    security(()),
    responses(
        (status = 200, description = "A page of article teasers.", body = ArticleList,
            headers(
                ("ETag" = String, description = "A strong validator of this response's content."),
                ("Cache-Control" = String, description = "How long caches may reuse the response."),
                ("Link" = String, description = "`<…>; rel=\"next\"` while there is a next page."),
            )),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches."),
        (status = 400, description = "A query parameter is invalid.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A key was sent but is not valid, or reads need a key.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: State,
    req: HttpRequest,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ListArticlesParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(params.limit.as_deref())?;
    let fields = parse_fields(params.fields.as_deref(), &TEASER_FIELDS)?;
    let mut tags = params.tag;
    tags.sort();
    tags.dedup();
    let filters = Filters {
        tags,
        published_after: time_param("published_after", params.published_after.as_deref())?,
        published_before: time_param("published_before", params.published_before.as_deref())?,
        visibility: Visibility::Public { now: db::now() },
    };
    let search_text = params.q.filter(|q| !q.trim().is_empty());
    let (page, next_cursor) = match search_text {
        Some(text) => {
            if text.chars().count() > 200 {
                return Err(pagination::query_error(
                    "q",
                    "must be at most 200 characters".to_owned(),
                ));
            }
            // By relevance unless a sort is asked for.
            let order = match params.sort.as_deref() {
                None => search::SearchOrder::Relevance(
                    params
                        .cursor
                        .as_deref()
                        .map(|c| pagination::decode_rank("s", c))
                        .transpose()?,
                ),
                Some(raw) => {
                    let sort = parse_sort(Some(raw))?;
                    let after = params
                        .cursor
                        .as_deref()
                        .map(|c| pagination::decode_keyset(sort_code(sort), c))
                        .transpose()?;
                    search::SearchOrder::Sorted(sort, after)
                }
            };
            let query = search::SearchQuery {
                filters,
                words: search::words(&text),
                order,
                limit,
            };
            let query_order = match &query.order {
                search::SearchOrder::Relevance(_) => None,
                search::SearchOrder::Sorted(sort, _) => Some(*sort),
            };
            let page = if query.words.is_empty() {
                db::Page {
                    items: Vec::new(),
                    total: 0,
                    has_more: false,
                }
            } else {
                db::run(&state.pool, move |conn| search::search(conn, &query)).await?
            };
            let next = match (page.has_more, page.items.last(), &query_order) {
                (true, Some(last), None) => last
                    .hit
                    .as_ref()
                    .map(|hit| pagination::encode_rank("s", (hit.rank, last.row.id))),
                (true, Some(last), Some(sort)) => Some(pagination::encode_keyset(
                    sort_code(*sort),
                    sort.key(&last.row),
                )),
                _ => None,
            };
            (page, next)
        }
        None => {
            let sort = parse_sort(params.sort.as_deref())?;
            let order = sort_code(sort);
            let after = params
                .cursor
                .as_deref()
                .map(|c| pagination::decode_keyset(order, c))
                .transpose()?;
            let query = store::ListQuery {
                filters,
                sort,
                after,
                limit,
            };
            let page = db::run(&state.pool, move |conn| store::list(conn, &query)).await?;
            let next = match (page.has_more, page.items.last()) {
                (true, Some(last)) => Some(pagination::encode_keyset(order, sort.key(&last.row))),
                _ => None,
            };
            (page, next)
        }
    };
    let site = &state.settings.site_url;
    let link = next_cursor
        .as_deref()
        .map(|cursor| pagination::next_link(req.path(), req.query_string(), cursor));
    let list = ArticleList {
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
    };
    let mut response = json_response(&list, fields.as_deref(), true)?;
    if let Some(link) = link {
        response.headers_mut().insert(
            header::LINK,
            header::HeaderValue::from_str(&link).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    Ok(response)
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
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        GetArticleParams,
        crate::api::conditional::Conditional,
    ),
    security(()),
    responses(
        (status = 200, description = "The article.", body = Article,
            headers(
                ("ETag" = String, description = "A strong validator of this response's content."),
                ("Last-Modified" = String, description = "When the article, its tags or its related articles last changed."),
                ("Cache-Control" = String, description = "How long caches may reuse the response."),
            )),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches, or nothing changed since `If-Modified-Since`."),
        (status = 400, description = "A query parameter is invalid.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A key was sent but is not valid, or reads need a key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published article has this slug or id.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug_or_id}")]
pub async fn get_article(
    state: State,
    reader: Reader,
    key: web::Path<String>,
    ApiQuery(params): ApiQuery<GetArticleParams>,
) -> Result<HttpResponse, ApiError> {
    let fields = parse_fields(params.fields.as_deref(), &ARTICLE_FIELDS)?;
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let article = db::run(&state.pool, move |conn| store::find(conn, &key, vis)).await?;
    let modified = HttpDate::from(std::time::SystemTime::from(article.last_modified.and_utc()));
    let mut response = json_response(
        &article_out(article, &state.settings.site_url),
        fields.as_deref(),
        false,
    )?;
    let value = LastModified(modified).to_string();
    response.headers_mut().insert(
        header::LAST_MODIFIED,
        header::HeaderValue::from_str(&value).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// List an article's related reading.
///
/// The editor's related links of a published article first, in their order (internal links
/// whose target is not published are left out), then, up to `limit`, suggestions: published
/// articles sharing the most tags with this one, newest first among equals, never the article
/// itself nor one already linked.
#[utoipa::path(
    operation_id = "listRelated",
    tag = "articles",
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ListRelatedParams,
        crate::api::conditional::Conditional,
    ),
    security(()),
    responses(
        (status = 200, description = "The related links, curated then suggested.", body = RelatedList,
            headers(
                ("ETag" = String, description = "A strong validator of this response's content."),
                ("Cache-Control" = String, description = "How long caches may reuse the response."),
            )),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches."),
        (status = 400, description = "A query parameter is invalid.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A key was sent but is not valid, or reads need a key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published article has this slug or id.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug_or_id}/related")]
pub async fn list_related(
    state: State,
    reader: Reader,
    key: web::Path<String>,
    ApiQuery(params): ApiQuery<ListRelatedParams>,
) -> Result<web::Json<RelatedList>, ApiError> {
    let limit = pagination::limit_in(params.limit.as_deref(), 8, 50)?;
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let (curated, suggested) = db::run(&state.pool, move |conn| {
        links::related(conn, &key, vis, limit)
    })
    .await?;
    let site = &state.settings.site_url;
    Ok(web::Json(RelatedList {
        data: curated
            .into_iter()
            .map(|l| related_out(l, site))
            .chain(suggested.into_iter().map(|s| suggestion_out(s, site)))
            .collect(),
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
        links::replace_related(conn, &key, &specs, db::now())
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
    db::run(&state.pool, move |conn| {
        store::delete(conn, &key, db::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
