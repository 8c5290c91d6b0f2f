//! `/api/v1/articles/{slug_or_id}/blocks`: a live article's updates, read page by page or
//! one by one, and written by editors. Updates and deletes honour `If-Match` against the
//! block's own ETag, checked inside the write's transaction.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::input::naive;
use super::live::{Block, BlockList, block_out, decode_list_cursor, list_cursor};
use super::visibility;
use super::write::{matches, written};
use crate::api::extract::{Admin, ApiQuery, IfMatch, JsonBody, Reader, Shape};
use crate::api::pagination::{self, ListMeta};
use crate::api::validate::{self, Checker};
use crate::api::{State, documented, problems, showing};
use crate::config::Limits;
use crate::db::articles::{ArticleKey, block_visibility, blocks as write};
use crate::db::blocks::{self as store, BlockChanges, BlockRow, NewBlock};
use crate::db::{self, StoreResult};
use crate::error::{ApiError, Problem};

/// The longest block body, in characters.
pub const MAX_BLOCK_CHARS: usize = 20_000;

/// A new block of a live article. Only `body` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Harbour wall breached at Quay Street",
    "body": "Water is coming over the **harbour wall** near the fish market.",
    "key_event": true
}))]
pub struct BlockCreate {
    /// Markdown, rendered and sanitized like an article's body.
    #[schema(min_length = 1, max_length = 20000, pattern = "required-text")]
    pub body: String,
    /// A headline for the update.
    #[schema(max_length = 300, pattern = "text")]
    pub title: Option<String>,
    /// Default `false`.
    pub key_event: Option<bool>,
    /// Default `false`; pinning a block unpins the one pinned before.
    pub pinned: Option<bool>,
    /// Default now; a time to come keeps the block hidden from the public until then.
    pub published_at: Option<DateTime<Utc>>,
}

/// Changes to a block: omitted fields stay as they are; `null` clears `title`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Water is coming over the harbour wall near the fish market. **Quay Street is closed.**"}))]
pub struct BlockPatch {
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, min_length = 1, max_length = 20000, pattern = "required-text")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<String>, max_length = 300, pattern = "text")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = bool)]
    pub key_event: Option<bool>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = bool)]
    pub pinned: Option<bool>,
    /// A block readers have already seen cannot be moved to a time still to come (422).
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = DateTime<Utc>)]
    pub published_at: Option<DateTime<Utc>>,
}

fn check_title(c: &mut Checker, limits: &Limits, title: Option<&String>) -> Option<String> {
    let title = title?;
    c.text("title", title, limits.title_chars, false);
    Some(title.trim().to_owned()).filter(|t| !t.is_empty())
}

impl BlockCreate {
    /// Validates and renders the block. Slow work: call it off the async workers.
    pub fn into_new(self, limits: &Limits) -> Result<NewBlock, ApiError> {
        let mut c = Checker::default();
        c.text("body", &self.body, MAX_BLOCK_CHARS, true);
        let title = check_title(&mut c, limits, self.title.as_ref());
        if let Some(at) = &self.published_at {
            c.timestamp("published_at", at);
        }
        c.finish()?;
        Ok(NewBlock {
            title,
            rendered: super::input::render_body(&self.body)?,
            body: self.body,
            key_event: self.key_event.unwrap_or(false),
            pinned: self.pinned.unwrap_or(false),
            published_at: self.published_at.map(naive),
        })
    }
}

impl BlockPatch {
    /// Validates the changes and renders a new body.
    fn into_changes(self, limits: &Limits) -> Result<BlockChanges, ApiError> {
        let mut c = Checker::default();
        if let Some(body) = &self.body {
            c.text("body", body, MAX_BLOCK_CHARS, true);
        }
        let title = self.title.map(|t| check_title(&mut c, limits, t.as_ref()));
        if let Some(at) = &self.published_at {
            c.timestamp("published_at", at);
        }
        c.finish()?;
        let body = match self.body {
            Some(body) => Some((super::input::render_body(&body)?, body)),
            None => None,
        };
        Ok(BlockChanges {
            title,
            body: body.map(|(rendered, body)| (body, rendered)),
            key_event: self.key_event,
            pinned: self.pinned,
            published_at: self.published_at.map(naive),
        })
    }
}

/// The check a block write makes against the block as it stands: its current ETag must
/// match `If-Match`, when one was sent.
fn precondition(if_match: Option<String>) -> impl Fn(&BlockRow) -> StoreResult<()> {
    move |current| matches(if_match.as_deref(), &block_out(current.clone()))
}

/// Query parameters of a block list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListBlocksParams {
    /// Page size, 1 to the configured page size (`MAX_PAGE_SIZE`).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "validate::present")]
    cursor: Option<String>,
}

/// The id of the live article `key` names, as `vis` sees it.
fn live_article(
    conn: &mut db::Conn,
    key: &ArticleKey,
    vis: db::articles::Visibility,
) -> StoreResult<i64> {
    Ok(db::articles::find_live(conn, key, vis)?.id)
}

/// List a live article's blocks.
///
/// Every block the reader can see, newest first, page by page. A standard article, or one
/// the reader cannot see, is 404.
#[utoipa::path(
    operation_id = "listBlocks", tag = "live",
    security(()),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id."), ListBlocksParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of blocks, newest first.", body = BlockList),
        (status = 400, response = problems::InvalidQuery), (status = 404, response = problems::LiveArticleNotFound), problems::PublicRead,
    )
)]
#[get("/articles/{slug_or_id}/blocks")]
pub async fn list_blocks(
    state: State,
    reader: Reader,
    key: web::Path<String>,
    ApiQuery(params): ApiQuery<ListBlocksParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = pagination::request(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        state.settings.limits.page_size,
        decode_list_cursor,
    )?;
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let (id, page) = db::run(&state.pool, move |conn| {
        let id = live_article(conn, &key, vis)?;
        let page = store::list(conn, id, block_visibility(vis), after, limit)?;
        Ok((id, page))
    })
    .await?;
    let meta = ListMeta::of(&page, limit, |b| Some(list_cursor(b)));
    let list = BlockList {
        data: page.items.into_iter().map(block_out).collect(),
        meta,
    };
    let keys = db::changes::Keys::from([db::changes::article(id)]);
    Ok(showing(HttpResponse::Ok().json(list), keys))
}

/// Get one block of a live article.
///
/// A permalink's data: the block alone, with its own ETag.
#[utoipa::path(
    operation_id = "getBlock", tag = "live",
    security(()),
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ("id" = i64, Path, description = "The block's id."),
        documented::Conditional
    ),
    responses(
        (status = 200, description = "The block.", body = Block),
        (status = 404, response = problems::BlockNotFound), problems::PublicRead,
    )
)]
#[get("/articles/{slug_or_id}/blocks/{id}")]
pub async fn get_block(
    state: State,
    reader: Reader,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (key, block) = path.into_inner();
    let key = ArticleKey::parse(&key);
    let vis = visibility(&reader);
    let (id, row) = db::run(&state.pool, move |conn| {
        let id = live_article(conn, &key, vis)?;
        Ok((id, store::find(conn, id, block, block_visibility(vis))?))
    })
    .await?;
    let keys = db::changes::Keys::from([db::changes::article(id)]);
    Ok(showing(HttpResponse::Ok().json(block_out(row)), keys))
}

/// Add a block to a live article.
///
/// Renders the Markdown body like an article's, and answers 201 with the block, its
/// `Location` and ETag. The block is public at once unless `published_at` is still to come;
/// a standard article is 409.
#[utoipa::path(
    operation_id = "createBlock", tag = "live", security(("bearer" = [])),
    params(("slug_or_id" = String, Path, description = "The article's slug or numeric id.")),
    request_body = BlockCreate,
    responses(
        (status = 201, description = "The block was added.", body = Block,
            headers(
                ("Location" = String, description = "The new block's URL."),
                ("ETag" = String, description = "The block's entity tag, for `If-Match` on the next write."),
            )),
        (status = 404, response = problems::ArticleNotFound),
        (status = 409, description = "The article is not a live article, or has as many blocks as one may.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[post("/articles/{slug_or_id}/blocks")]
pub async fn create_block(
    state: State,
    _admin: Admin,
    key: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let limits = state.settings.limits;
    let new = body
        .parse_then(Shape::Object, move |input: BlockCreate| {
            input.into_new(&limits)
        })
        .await?;
    let asked = key.into_inner();
    let key = ArticleKey::parse(&asked);
    let row = db::run_write(&state.pool, move |conn| write::create(conn, &key, &new)).await?;
    let location = format!("/api/v1/articles/{asked}/blocks/{}", row.id);
    let mut response = written(StatusCode::CREATED, &block_out(row))?;
    let location =
        header::HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.to_string()))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Update a block.
///
/// Changes only the fields given. Pinning a block unpins the one pinned before.
#[utoipa::path(
    operation_id = "updateBlock", tag = "live", security(("bearer" = [])),
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ("id" = i64, Path, description = "The block's id."),
        documented::IfMatch
    ),
    request_body = BlockPatch,
    responses(
        (status = 200, description = "The updated block.", body = Block,
            headers(("ETag" = String, description = "The block's entity tag, for `If-Match` on the next write."))),
        (status = 404, response = problems::BlockNotFound),
        (status = 409, description = "The article is not a live article.", body = Problem),
        problems::AdminJsonWrite, problems::BlockPreconditions,
    )
)]
#[patch("/articles/{slug_or_id}/blocks/{id}")]
pub async fn update_block(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    path: web::Path<(String, i64)>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let check = precondition(if_match.value()?);
    let (key, id) = path.into_inner();
    let key = ArticleKey::parse(&key);
    let limits = state.settings.limits;
    let changes = body
        .parse_then(Shape::Object, move |patch: BlockPatch| {
            patch.into_changes(&limits)
        })
        .await?;
    let row = db::run_write(&state.pool, move |conn| {
        write::update(conn, &key, id, &changes, &check)
    })
    .await?;
    written(StatusCode::OK, &block_out(row))
}

/// Delete a block.
///
/// Readers polling with `blocks=since:` learn of it in `removed_blocks`.
#[utoipa::path(
    operation_id = "deleteBlock", tag = "live", security(("bearer" = [])),
    params(
        ("slug_or_id" = String, Path, description = "The article's slug or numeric id."),
        ("id" = i64, Path, description = "The block's id."),
        documented::IfMatch
    ),
    responses(
        (status = 204, description = "The block was deleted."),
        (status = 404, response = problems::BlockNotFound),
        (status = 409, description = "The article is not a live article.", body = Problem),
        problems::AdminOnly, problems::BlockPreconditions,
    )
)]
#[delete("/articles/{slug_or_id}/blocks/{id}")]
pub async fn delete_block(
    state: State,
    _admin: Admin,
    if_match: IfMatch,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let check = precondition(if_match.value()?);
    let (key, id) = path.into_inner();
    let key = ArticleKey::parse(&key);
    db::run_write(&state.pool, move |conn| {
        write::delete(conn, &key, id, &check)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
