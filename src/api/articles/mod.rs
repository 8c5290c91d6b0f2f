//! `/api/v1/articles`: reading and writing articles and their related links.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue, HttpDate, LastModified};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

mod input;
mod model;
mod previews;
mod revisions;
mod write;

pub use input::{ArticleCreate, ArticlePatch, RelatedInput, RelatedLinkSchema, related_specs};
pub use model::{
    Article, ArticleList, ArticleStatus, ArticleTeaser, RelatedKind, RelatedLink, RelatedList,
    RelatedSource, Share, ShareLinks,
};
use model::{article_out, related_out, suggestion_out, teaser_out};
pub use previews::{
    PreviewCreate, PreviewLink, PreviewList, PreviewSummary, create_preview, delete_preview,
    get_preview, list_previews,
};
pub use revisions::{get_revision, list_revisions, restore_revision};
pub use write::{create_article, delete_article, replace_related, update_article};

use crate::api::extract::{ApiQuery, Reader};
use crate::api::pagination::{self, ListMeta};
use crate::api::problems;
use crate::api::{SPARSE_JSON, State, field_names, keep_fields, parse_fields, validate};
use crate::db::articles::{ArticleKey, EditorialStatus, Filters, Visibility};
use crate::db::{self, StoreError, StoreResult, articles as store, search};
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
    /// Only articles with this tag (slug); repeat for articles having all of them (at most
    /// 50 times).
    #[serde(default)]
    #[param(style = Form, explode, max_items = 50)]
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
    /// Admin key only: list articles in this editorial state instead of the published ones
    /// (`scheduled` is published with a `published_at` still to come).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<EditorialStatus>)]
    status: Option<String>,
}

/// Who may see what a list shows: the public, or an admin asking for one editorial state.
fn list_visibility(reader: &Reader, status: Option<&str>) -> Result<Visibility, ApiError> {
    let now = db::now();
    let Some(status) = status else {
        return Ok(Visibility::Public { now });
    };
    let Some(state) = EditorialStatus::parse(status) else {
        let names: Vec<&str> = EditorialStatus::ALL.iter().map(|s| s.as_str()).collect();
        return Err(pagination::query_error(
            "status",
            format!("must be one of {}, got '{status}'", names.join(", ")),
        ));
    };
    match reader.scope {
        _ if reader.is_admin() => Ok(Visibility::State(state, now)),
        Some(_) => Err(ApiError::Forbidden(
            "Listing by `status` needs an admin key; the key sent may only read.".to_owned(),
        )),
        None => Err(ApiError::Unauthorized {
            detail: "Listing by `status` needs an admin key: send `Authorization: Bearer <key>`."
                .to_owned(),
            invalid_token: false,
        }),
    }
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

/// The most `tag` filters a list takes: each is a condition of the query.
const MAX_TAG_FILTERS: usize = 50;

fn time_param(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>, ApiError> {
    raw.map(|raw| match DateTime::parse_from_rfc3339(raw) {
        Ok(t) if validate::is_leap_second(&t) => Err(pagination::query_error(
            name,
            format!("{}, got '{raw}'", validate::LEAP_SECOND),
        )),
        Ok(t) => Ok(t.naive_utc()),
        Err(_) => Err(pagination::query_error(
            name,
            format!("must be an RFC 3339 date-time like 2026-11-01T00:00:00Z, got '{raw}'"),
        )),
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
                ("Link" = String, description = "`<…>; rel=\"next\"` while there is a next page."),
            )),
        (status = 400, response = problems::InvalidQuery),
        (status = 403, description = "`status` was asked for with a key that may only read.", body = Problem, content_type = "application/problem+json"),
        problems::PublicRead,
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: State,
    req: HttpRequest,
    reader: Reader,
    ApiQuery(params): ApiQuery<ListArticlesParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(params.limit.as_deref(), state.settings.limits.page_size)?;
    let fields = parse_fields(params.fields.as_deref(), &TEASER_FIELDS)?;
    let cursor = params.cursor.as_deref();
    let filters = list_filters(&params, &reader)?;
    let (page, next_cursor) = match params.q.as_deref().filter(|q| !q.trim().is_empty()) {
        Some(text) => {
            let query = search_query(text, params.sort.as_deref(), cursor, filters, limit)?;
            search_page(&state.pool, query).await?
        }
        None => {
            let sort = parse_sort(params.sort.as_deref())?;
            let after =
                pagination::after(cursor, |c| pagination::decode_keyset(sort_code(sort), c))?;
            let query = store::ListQuery {
                filters,
                sort,
                after,
                limit,
            };
            let page = db::run(&state.pool, move |conn| store::list(conn, &query)).await?;
            let next = pagination::next_cursor(&page, |last| {
                Some(pagination::encode_keyset(
                    sort_code(sort),
                    sort.key(&last.row),
                ))
            });
            (page, next)
        }
    };
    let site = &state.settings.site_url;
    let link = next_cursor
        .as_deref()
        .map(|cursor| pagination::next_link(req.path(), req.query_string(), cursor));
    let list = ArticleList {
        meta: ListMeta::new(limit, page.total, next_cursor),
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
                ("Last-Modified" = String, description = "When the article, its tags or its related articles last changed."),
            )),
        (status = 301, description = "The article's slug changed: `Location` gives its current address.",
            headers(("Location" = String, description = "The article's current URL."))),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches, or nothing changed since `If-Modified-Since`."),
        (status = 400, response = problems::InvalidQuery),
        (status = 401, response = problems::ReadUnauthorized),
        (status = 404, description = "No published article has this slug or id.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{slug_or_id}")]
pub async fn get_article(
    state: State,
    req: HttpRequest,
    reader: Reader,
    key: web::Path<String>,
    ApiQuery(params): ApiQuery<GetArticleParams>,
) -> Result<HttpResponse, ApiError> {
    let fields = parse_fields(params.fields.as_deref(), &ARTICLE_FIELDS)?;
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let found = db::run(&state.pool, move |conn| {
        found_or_moved(conn, key, vis, store::find)
    })
    .await?;
    let article = match found {
        Found::Here(article) => article,
        Found::Moved(slug) => {
            return Ok(moved(
                &format!("/api/v1/articles/{slug}"),
                req.query_string(),
            ));
        }
    };
    // An HTTP date has whole seconds: a change within the current second could follow
    // unseen, so no Last-Modified until the second has passed (RFC 9110, 8.8.2.2).
    let last_modified = (db::now() - article.last_modified >= chrono::Duration::seconds(1))
        .then(|| {
            let modified =
                HttpDate::from(std::time::SystemTime::from(article.last_modified.and_utc()));
            HeaderValue::from_str(&LastModified(modified).to_string())
                .map_err(|e| ApiError::Internal(e.to_string()))
        })
        .transpose()?;
    let article = article_out(article, &state.settings.site_url);
    let mut response = json_response(&article, fields.as_deref(), false)?;
    if let Some(modified) = last_modified {
        response
            .headers_mut()
            .insert(header::LAST_MODIFIED, modified);
    }
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
        (status = 200, description = "The related links, curated then suggested.", body = RelatedList),
        (status = 301, description = "The article's slug changed: `Location` gives the current address.",
            headers(("Location" = String, description = "The related list at the article's current URL."))),
        (status = 400, response = problems::InvalidQuery),
        (status = 404, description = "No published article has this slug or id.", body = Problem, content_type = "application/problem+json"),
        problems::PublicRead,
    )
)]
#[get("/articles/{slug_or_id}/related")]
pub async fn list_related(
    state: State,
    req: HttpRequest,
    reader: Reader,
    key: web::Path<String>,
    ApiQuery(params): ApiQuery<ListRelatedParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit_in(params.limit.as_deref(), 8, 50)?;
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let read =
        move |conn: &mut db::Conn, key: &ArticleKey, vis| store::related(conn, key, vis, limit);
    let (curated, suggested) = match db::run(&state.pool, move |conn| {
        found_or_moved(conn, key, vis, read)
    })
    .await?
    {
        Found::Here(links) => links,
        Found::Moved(slug) => {
            return Ok(moved(
                &format!("/api/v1/articles/{slug}/related"),
                req.query_string(),
            ));
        }
    };
    let site = &state.settings.site_url;
    Ok(HttpResponse::Ok().json(RelatedList {
        data: curated
            .into_iter()
            .map(|l| related_out(l, site))
            .chain(suggested.into_iter().map(|s| suggestion_out(s, site)))
            .collect(),
    }))
}

/// What a read by slug found: the thing, or the slug the article has moved to.
enum Found<T> {
    Here(T),
    Moved(String),
}

/// Runs `read`; when no article has the slug now but one had it before, says where it went.
fn found_or_moved<T>(
    conn: &mut db::Conn,
    key: ArticleKey,
    vis: Visibility,
    read: impl FnOnce(&mut db::Conn, &ArticleKey, Visibility) -> StoreResult<T>,
) -> StoreResult<Found<T>> {
    match read(conn, &key, vis) {
        Ok(found) => Ok(Found::Here(found)),
        Err(StoreError::NotFound(detail)) => match &key {
            ArticleKey::Slug(slug) => store::moved(conn, slug, vis)?
                .map(Found::Moved)
                .ok_or(StoreError::NotFound(detail)),
            ArticleKey::Id(_) => Err(StoreError::NotFound(detail)),
        },
        Err(other) => Err(other),
    }
}

/// A permanent redirect to `path`, keeping the query.
fn moved(path: &str, query: &str) -> HttpResponse {
    let location = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The filters a list's parameters ask for, as the reader may see.
fn list_filters(params: &ListArticlesParams, reader: &Reader) -> Result<Filters, ApiError> {
    if params.tag.len() > MAX_TAG_FILTERS {
        return Err(pagination::query_error(
            "tag",
            format!(
                "may be given at most {MAX_TAG_FILTERS} times, got {}",
                params.tag.len()
            ),
        ));
    }
    let mut tags = params.tag.clone();
    tags.sort();
    tags.dedup();
    Ok(Filters {
        tags,
        published_after: time_param("published_after", params.published_after.as_deref())?,
        published_before: time_param("published_before", params.published_before.as_deref())?,
        visibility: list_visibility(reader, params.status.as_deref())?,
    })
}

/// A search for `text`: by relevance unless a sort is asked for, after `cursor`.
fn search_query(
    text: &str,
    sort: Option<&str>,
    cursor: Option<&str>,
    filters: Filters,
    limit: i64,
) -> Result<search::SearchQuery, ApiError> {
    if text.chars().count() > 200 {
        return Err(pagination::query_error(
            "q",
            "must be at most 200 characters".to_owned(),
        ));
    }
    let order = match sort {
        None => search::SearchOrder::Relevance(pagination::after(cursor, |c| {
            pagination::decode_rank("s", c)
        })?),
        Some(raw) => {
            let sort = parse_sort(Some(raw))?;
            let after =
                pagination::after(cursor, |c| pagination::decode_keyset(sort_code(sort), c))?;
            search::SearchOrder::Sorted(sort, after)
        }
    };
    Ok(search::SearchQuery {
        filters,
        words: search::words(text),
        order,
        limit,
    })
}

/// A page of search results and the cursor of the next.
async fn search_page(
    pool: &db::Pool,
    query: search::SearchQuery,
) -> Result<(db::Page<store::Teaser>, Option<String>), ApiError> {
    let sorted = match &query.order {
        search::SearchOrder::Relevance(_) => None,
        search::SearchOrder::Sorted(sort, _) => Some(*sort),
    };
    let page = if query.words.is_empty() {
        db::Page::empty()
    } else {
        db::run(pool, move |conn| search::search(conn, &query)).await?
    };
    let next = pagination::next_cursor(&page, |last| match sorted {
        None => last
            .hit
            .as_ref()
            .map(|hit| pagination::encode_rank("s", (hit.rank, last.row.id))),
        Some(sort) => Some(pagination::encode_keyset(
            sort_code(sort),
            sort.key(&last.row),
        )),
    });
    Ok((page, next))
}
