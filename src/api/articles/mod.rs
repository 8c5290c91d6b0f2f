//! `/api/v1/articles`: reading and writing articles and their related links.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue, HttpDate, LastModified};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

mod blocks;
mod input;
mod list;
pub(crate) mod live;
pub(crate) mod model;
mod previews;
mod revisions;
mod teaser;
mod write;

pub use blocks::{
    BlockCreate, BlockPatch, create_block, delete_block, get_block, list_blocks, update_block,
};
pub use input::{
    ArticleCreate, ArticlePatch, AuthorSlug, RelatedInput, RelatedLinkSchema, related_specs,
};
pub use list::{ArticleSort, list_articles};
pub use live::{Block, BlockList, KeyEvent, LiveSummary};
pub use model::{
    Article, ArticleFormat, ArticleStatus, Correction, RelatedKind, RelatedLink, RelatedList,
    RelatedSource, Share, ShareLinks,
};
use model::{article_out, related_out, suggestion_out};
pub use previews::{
    PreviewCreate, PreviewLink, PreviewList, PreviewSummary, create_preview, delete_preview,
    get_preview, list_previews,
};
pub use revisions::{get_revision, list_revisions, restore_revision};
pub(crate) use teaser::teaser_out;
pub use teaser::{ArticleList, ArticleTeaser};
pub use write::{
    CorrectionCreate, correct_article, create_article, delete_article, replace_related,
    update_article,
};
pub(crate) use write::{matches, written};

use crate::api::documented;
use crate::api::extract::{ApiQuery, Reader};
use crate::api::pagination::{self};
use crate::api::problems;
use crate::api::{SPARSE_JSON, State, field_names, keep_fields, parse_fields, showing, validate};
use crate::db::articles::{ArticleKey, Visibility};
use crate::db::{self, StoreError, StoreResult, articles as store};
use crate::error::ApiError;

/// Query parameters of a single article.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GetArticleParams {
    /// Comma-separated article members to return, e.g. `title,body_html`; the others are
    /// left out and the response is `application/vnd.gazette.sparse+json`.
    #[serde(default, deserialize_with = "validate::present")]
    fields: Option<String>,
    /// A live article's blocks to show: `latest:N` (the newest N, 1–100; default
    /// `latest:20`), `since:<cursor>` (what changed after `live_summary.cursor` was given:
    /// new and edited blocks, oldest change first, at most 100, and `removed_blocks`),
    /// `around:<block id>` (that block and up to ten on either side) or `key-events`. A
    /// standard article ignores it.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(
        example = "latest:10",
        max_length = 200,
        pattern = "^(latest:[0-9]{1,3}|since:[A-Za-z0-9_-]+|around:[0-9]{1,19}|key-events)$"
    )]
    blocks: Option<String>,
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

fn visibility(reader: &Reader) -> Visibility {
    if reader.is_admin() {
        Visibility::All
    } else {
        Visibility::Public { now: db::now() }
    }
}

/// Get one article by slug or id.
///
/// Everything the article's page needs in one response: the body as Markdown, sanitized
/// HTML and plain text, tags, related links resolved to their targets' current values,
/// the canonical URL and share links. Unpublished articles are 404 except with an admin key
/// (preview).
#[utoipa::path(
    operation_id = "getArticle", tag = "articles", security(()),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), GetArticleParams, documented::Conditional),
    responses(
        (status = 200, description = "The article.", body = Article,
            headers(
                ("Last-Modified" = String, description = "When the article, its tags or its related articles last changed."),
            )),
        (status = 301, description = "The article's slug changed: `Location` gives its current address.",
            headers(("Location" = String, description = "The article's current URL."))),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches, or nothing changed since `If-Modified-Since`."),
        (status = 400, response = problems::InvalidQuery), (status = 401, response = problems::ReadUnauthorized), (status = 404, response = problems::PublishedArticleNotFound),
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
    let selector = match params.blocks.as_deref() {
        Some(raw) => live::selector(raw)?,
        None => db::blocks::Selector::Latest(db::blocks::DEFAULT_LATEST),
    };
    let asked = key.into_inner();
    let key = ArticleKey::parse(&asked);
    let vis = visibility(&reader);
    let found = db::run(&state.pool, move |conn| {
        found_or_moved(conn, key, vis, |conn, key, vis| {
            store::find_showing(conn, key, vis, &selector)
        })
    })
    .await?;
    let article = match found {
        Found::Here(article) => article,
        Found::Moved(slug) => {
            let path = format!("/api/v1/articles/{slug}");
            return Ok(moved(&path, req.query_string(), &asked, &slug));
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
    let keys = db::changes::shown_by_article(&article);
    let article = article_out(article, &state.settings);
    let mut response = showing(json_response(&article, fields.as_deref(), false)?, keys);
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
    operation_id = "listRelated", tag = "articles", security(()),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), ListRelatedParams, documented::Conditional),
    responses(
        (status = 200, description = "The related links, curated then suggested.", body = RelatedList),
        (status = 301, description = "The article's slug changed: `Location` gives the current address.",
            headers(("Location" = String, description = "The related list at the article's current URL."))),
        (status = 400, response = problems::InvalidQuery), (status = 404, response = problems::PublishedArticleNotFound), problems::PublicRead,
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
    let asked = key.into_inner();
    let key = ArticleKey::parse(&asked);
    let vis = visibility(&reader);
    let read =
        move |conn: &mut db::Conn, key: &ArticleKey, vis| store::related(conn, key, vis, limit);
    let (curated, suggested, keys) = match db::run(&state.pool, move |conn| {
        found_or_moved(conn, key, vis, read)
    })
    .await?
    {
        Found::Here(links) => links,
        Found::Moved(slug) => {
            let path = format!("/api/v1/articles/{slug}/related");
            return Ok(moved(&path, req.query_string(), &asked, &slug));
        }
    };
    let site = &state.settings;
    let list = RelatedList {
        data: curated
            .into_iter()
            .map(|l| related_out(l, site))
            .chain(suggested.into_iter().map(|s| suggestion_out(s, site)))
            .collect(),
    };
    Ok(showing(HttpResponse::Ok().json(list), keys))
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

/// A permanent redirect from the address `asked` to `path` (of the article now at `slug`),
/// keeping the query. It shows both addresses: it changes when either does.
fn moved(path: &str, query: &str, asked: &str, slug: &str) -> HttpResponse {
    let keys = db::changes::Keys::from([db::changes::address(asked), db::changes::address(slug)]);
    showing(redirect(path, query), keys)
}

/// A permanent redirect to `path`, keeping the query.
fn redirect(path: &str, query: &str) -> HttpResponse {
    let location = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location))
        .finish()
}
