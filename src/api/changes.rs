//! `/api/v1/changes`: the sync feed. An initial sync gives every article and tag the reader
//! sees; a token then gives what changed after it, deletions included, in order.

use actix_web::{HttpResponse, get};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::model::{Article, article_out};
use super::extract::{ApiQuery, Reader};
use super::pagination::{self, query_error};
use super::tags::{Tag, tag_out};
use super::{State, showing, validate};
use crate::api::documented;
use crate::api::problems;
use crate::db::sync::{self, Entry, Position, Scope};
use crate::db::{self, changes};
use crate::error::{ApiError, Problem};

/// What a feed item or stream event is about. The sync feed carries articles and tags; the
/// event stream also authors and collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResourceType {
    Article,
    Tag,
    Author,
    Collection,
}

/// What the sync feed holds: articles or tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedType {
    Article,
    Tag,
}

/// Whether the reader should now hold the resource (`upsert`) or drop it (`delete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// Why a resource left the reader's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeleteReason {
    /// It was deleted.
    Deleted,
    /// It was unpublished (back to draft, or rescheduled).
    Unpublished,
    /// It was archived.
    Archived,
    /// It no longer carries the tag the feed is filtered by.
    Untagged,
    /// A tag's former slug, after a rename (the new slug comes as an upsert).
    Renamed,
}

impl DeleteReason {
    pub fn of(reason: &str) -> Self {
        match reason {
            "unpublished" => Self::Unpublished,
            "archived" => Self::Archived,
            "untagged" => Self::Untagged,
            "renamed" => Self::Renamed,
            _ => Self::Deleted,
        }
    }
}

/// One change as the reader applies it: upsert the resource (given whole, as its GET shows
/// it) or delete it by `id` (articles) or `slug`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "article", "change": "delete", "id": 12, "slug": "tram-vote-delayed",
    "reason": "unpublished", "kind": "article.unpublished", "article": null, "tag": null
}))]
pub struct ChangeItem {
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    pub change: ChangeOp,
    /// The article's id; `null` for a tag.
    #[schema(required = true, example = 12)]
    pub id: Option<i64>,
    #[schema(example = "tram-vote-delayed")]
    pub slug: String,
    /// Why it left the reader's view; `null` for an upsert.
    #[schema(required = true)]
    pub reason: Option<DeleteReason>,
    /// What happened: the webhook event name of the change (`article.published`,
    /// `article.updated`, `article.unpublished`, `article.deleted`, `block.created`,
    /// `block.updated`, `block.deleted`, `tag.updated`, `tag.deleted`, …), or `sync` for an
    /// item of the initial sync. A block's change comes as an upsert of its live article.
    #[schema(example = "article.unpublished")]
    pub kind: String,
    /// The article as `GET /api/v1/articles/{id}` shows it (to this reader), for an article
    /// upsert; else `null`.
    #[schema(required = true)]
    pub article: Option<Box<Article>>,
    /// The tag as `GET /api/v1/tags/{slug}` shows it, for a tag upsert; else `null`.
    #[schema(required = true)]
    pub tag: Option<Tag>,
    /// On the stream, for a live article's `block.created`, `block.updated` or
    /// `block.deleted`: the block's id (read it at `/api/v1/articles/{id}/blocks/{block_id}`,
    /// or everything new with `blocks=since:`). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 7)]
    pub block_id: Option<i64>,
}

/// Where a page of the feed leaves the reader.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeMeta {
    /// The page size used.
    #[schema(example = 100, minimum = 1, maximum = 100)]
    pub limit: i64,
    /// Whether more follows now: ask again at once with `since=next_token`.
    pub has_more: bool,
    /// Pass as `since` for the next page; when `has_more` is false, store it and pass it
    /// later for what changed meanwhile. Never `null`.
    #[schema(example = "ZzF8cHxsfDQy")]
    pub next_token: String,
}

/// A page of the sync feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeed {
    pub data: Vec<ChangeItem>,
    pub meta: ChangeMeta,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// `meta.next_token` of an earlier page; absent for an initial sync.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(max_length = 200)]
    since: Option<String>,
    /// Only articles or only tags.
    #[serde(default, rename = "type", deserialize_with = "validate::present")]
    #[param(rename = "type", value_type = Option<FeedType>)]
    resource_type: Option<FeedType>,
    /// Only articles carrying this tag (one leaving it comes as a deletion, reason
    /// `untagged`), and only this tag.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(min_length = 1, max_length = 80)]
    tag: Option<String>,
    /// Page size, 1–100.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 100)]
    limit: Option<String>,
}

/// The longest `tag` filter taken (a tag slug's longest).
pub const MAX_TAG_LEN: usize = 80;

/// The filter `value` of the query parameter `field`, if not empty and at most `max` bytes.
pub fn bounded(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.is_empty() || v.len() > max => Err(query_error(
            field,
            format!("must be 1 to {max} characters long"),
        )),
        v => Ok(v),
    }
}

/// The most items of one page.
pub const MAX_LIMIT: i64 = 100;
/// The longest token accepted (tokens issued are far shorter).
const MAX_TOKEN_LEN: usize = 200;

/// A reader's token for `position` in `scope`: opaque to clients, holding across restarts
/// and replicas (positions are the database's).
pub fn encode_token(scope: Scope, position: &Position) -> String {
    let scope = match scope {
        Scope::Public => "p",
        Scope::All => "a",
    };
    let text = match position {
        Position::Log(at) => format!("g1|{scope}|l|{at}"),
        Position::Articles { base, after } => format!("g1|{scope}|a|{base}|{after}"),
        Position::Tags { base, after } => format!("g1|{scope}|t|{base}|{after}"),
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// The position in `token`, which must have been issued for `scope`; `field` names where
/// it came from in the error.
pub fn decode_token(scope: Scope, token: &str, field: &str) -> Result<Position, ApiError> {
    let invalid = || {
        query_error(
            field,
            "is not a token this server issued to this kind of reader; pass `meta.next_token` (or an event id) unchanged, or sync from scratch".to_owned(),
        )
    };
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<&str> = text.split('|').collect();
    let wanted = match scope {
        Scope::Public => "p",
        Scope::All => "a",
    };
    let number = |s: &str| s.parse::<i64>().ok().filter(|n| *n >= 0);
    match parts.as_slice() {
        ["g1", s, "l", at] if *s == wanted => number(at).map(Position::Log),
        ["g1", s, "a", base, after] if *s == wanted => Some(Position::Articles {
            base: number(base).ok_or_else(invalid)?,
            after: number(after).ok_or_else(invalid)?,
        }),
        ["g1", s, "t", base, after] if *s == wanted => Some(Position::Tags {
            base: number(base).ok_or_else(invalid)?,
            after: (*after).to_owned(),
        }),
        _ => None,
    }
    .ok_or_else(invalid)
}

/// The log a reader follows: an admin key's, with drafts and scheduled articles.
pub fn scope_of(reader: &Reader) -> Scope {
    match reader.is_admin() {
        true => Scope::All,
        false => Scope::Public,
    }
}

/// A feed item from a stored entry, shaped by `settings` (canonical URLs, images).
pub fn item_out(kind: String, entry: Entry, settings: &crate::config::Settings) -> ChangeItem {
    let (resource_type, change, id, slug, reason, article, tag) = match entry {
        Entry::Article(article) => {
            let out = article_out(*article, settings);
            (
                ResourceType::Article,
                ChangeOp::Upsert,
                Some(out.id),
                out.slug.clone(),
                None,
                Some(Box::new(out)),
                None,
            )
        }
        Entry::Tag(stored) => {
            let out = tag_out(stored);
            let slug = out.slug.clone();
            let tag = Some(out);
            (
                ResourceType::Tag,
                ChangeOp::Upsert,
                None,
                slug,
                None,
                None,
                tag,
            )
        }
        Entry::Gone {
            article,
            id,
            slug,
            reason,
        } => (
            match article {
                true => ResourceType::Article,
                false => ResourceType::Tag,
            },
            ChangeOp::Delete,
            id,
            slug,
            Some(DeleteReason::of(&reason)),
            None,
            None,
        ),
    };
    ChangeItem {
        resource_type,
        change,
        id,
        slug,
        reason,
        kind,
        article,
        tag,
        block_id: None,
    }
}

/// Sync: everything, then what changed.
///
/// Without `since`, an initial sync: every article the reader sees (by id), then every tag
/// (by slug), as upserts, page by page. With `since=<next_token>`, what changed after that
/// token, oldest first: each resource once, as its GET shows it now (`upsert`), or its
/// `delete` with a reason when it left the reader's view (for a public reader an
/// unpublished or archived article is a deletion; a scheduled one coming due is an
/// upsert at its time). Keep asking while `meta.has_more`; when it is false, store
/// `meta.next_token` and ask with it later. A token older than the change log keeps
/// (`CHANGE_LOG_RETENTION_DAYS`) answers 410: sync from scratch. With an admin key the
/// feed includes drafts and scheduled articles, and its tokens are an admin's.
#[utoipa::path(
    operation_id = "listChanges", tag = "changes", security(()),
    params(ChangesParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of changes.", body = ChangeFeed),
        (status = 400, response = problems::InvalidQuery),
        (status = 410, description = "The token is older than the change log keeps: sync from scratch, without `since`.", body = Problem),
        problems::PublicRead,
    )
)]
#[get("/changes")]
pub async fn list_changes(
    state: State,
    reader: Reader,
    ApiQuery(params): ApiQuery<ChangesParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_of(&reader);
    let limit = pagination::limit_in(params.limit.as_deref(), MAX_LIMIT, MAX_LIMIT)?;
    let position = params
        .since
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|token| decode_token(scope, token, "since"))
        .transpose()?;
    let tag = bounded("tag", params.tag, MAX_TAG_LEN)?;
    let req = sync::Request {
        scope,
        position,
        articles: params.resource_type != Some(FeedType::Tag),
        tags: params.resource_type != Some(FeedType::Article),
        tag,
        limit,
        now: db::now(),
    };
    let page = db::run(&state.pool, move |conn| sync::page(conn, &req)).await?;
    // A page shows its items, and (for the last page) whatever changes next: every public
    // change names `a:all` or `tags`, and membership `l:articles`.
    let mut keys = changes::Keys::from([
        changes::ALL_ARTICLES.to_owned(),
        changes::TAGS.to_owned(),
        changes::ARTICLE_LIST.to_owned(),
    ]);
    for item in &page.items {
        if let Entry::Article(article) = &item.entry {
            keys.extend(changes::shown_by_article(article));
        }
    }
    let feed = ChangeFeed {
        meta: ChangeMeta {
            limit,
            has_more: page.has_more,
            next_token: encode_token(scope, &page.next),
        },
        data: page
            .items
            .into_iter()
            .map(|item| item_out(item.kind, item.entry, &state.settings))
            .collect(),
    };
    Ok(showing(HttpResponse::Ok().json(feed), keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_and_only_for_their_scope() {
        for position in [
            Position::Log(42),
            Position::Articles { base: 7, after: 3 },
            Position::Tags {
                base: 7,
                after: "transport".to_owned(),
            },
        ] {
            let token = encode_token(Scope::Public, &position);
            assert_eq!(
                decode_token(Scope::Public, &token, "since").ok(),
                Some(position)
            );
            assert!(decode_token(Scope::All, &token, "since").is_err());
        }
        for bad in ["", "!!", "ZzF8cHxsfC0x", &"a".repeat(300)] {
            assert!(decode_token(Scope::Public, bad, "since").is_err(), "{bad}");
        }
    }
}
