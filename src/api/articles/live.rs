//! Live articles as read: their blocks, the summary a live page shows, and the `blocks`
//! parameter that says which blocks a read shows.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::pagination::{self, ListMeta};
use crate::api::utc;
use crate::db::blocks::{BlockRow, LiveView, Selector};
use crate::error::ApiError;

/// One update of a live article.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7,
    "title": "Harbour wall breached at Quay Street",
    "body": "Water is coming over the **harbour wall** near the fish market.",
    "body_html": "<p>Water is coming over the <strong>harbour wall</strong> near the fish market.</p>\n",
    "body_text": "Water is coming over the harbour wall near the fish market.",
    "key_event": true,
    "pinned": false,
    "published_at": "2026-11-28T21:42:00Z",
    "updated_at": "2026-11-28T21:44:10Z",
    "created_at": "2026-11-28T21:42:05Z"
}))]
pub struct Block {
    #[schema(example = 7)]
    pub id: i64,
    /// A headline for the update, if it has one.
    #[schema(required = true)]
    pub title: Option<String>,
    /// The update as Markdown source.
    pub body: String,
    /// The update rendered from Markdown and sanitized: safe to insert into a page.
    pub body_html: String,
    /// The update as plain text.
    pub body_text: String,
    /// Whether the update is a key event: listed in the summary, for a timeline.
    pub key_event: bool,
    /// Whether the update is pinned: a live page shows it first. One block at most.
    pub pinned: bool,
    /// When the update was (or, for an editor's scheduled block, will be) published.
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A key event as a live page's timeline lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyEvent {
    /// The block's id: `blocks=around:<id>` reads it in place.
    #[schema(example = 7)]
    pub id: i64,
    #[schema(required = true, example = "Harbour wall breached at Quay Street")]
    pub title: Option<String>,
    pub published_at: DateTime<Utc>,
}

/// What a live page shows beside its blocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveSummary {
    /// Whether coverage is open (the article's `live`).
    pub open: bool,
    /// How many blocks the reader can see.
    #[schema(example = 15)]
    pub block_count: i64,
    /// When the newest block the public can see was published.
    #[schema(required = true)]
    pub latest_block_at: Option<DateTime<Utc>>,
    /// The key events, newest first (at most 50).
    pub key_events: Vec<KeyEvent>,
    /// The pinned block, shown first.
    #[schema(required = true)]
    pub pinned: Option<Block>,
    /// Pass as `blocks=since:<cursor>` to get only what changed after this answer.
    #[schema(example = "YnN8MTc5NjI0MDUyMDAwMDAwMHw3")]
    pub cursor: String,
}

/// A page of a live article's blocks, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockList {
    pub data: Vec<Block>,
    pub meta: ListMeta,
}

/// The `order` a `since:` cursor names.
const SINCE: &str = "bs";
/// The `order` of a block list's cursor.
const LIST: &str = "bl";

pub fn block_out(b: BlockRow) -> Block {
    Block {
        id: b.id,
        title: b.title,
        body: b.body,
        body_html: b.body_html,
        body_text: b.body_text,
        key_event: b.key_event,
        pinned: b.pinned,
        published_at: utc(b.published_at),
        updated_at: utc(b.updated_at),
        created_at: utc(b.created_at),
    }
}

/// A live article's summary, blocks and (for `since:`) removed blocks as sent.
pub(super) fn live_out(
    view: LiveView,
    open: bool,
    latest_block_at: Option<NaiveDateTime>,
) -> (LiveSummary, Vec<Block>, Option<Vec<i64>>) {
    let s = view.summary;
    let cursor = s.cursor.unwrap_or((DateTime::UNIX_EPOCH.naive_utc(), 0));
    let summary = LiveSummary {
        open,
        block_count: s.block_count,
        latest_block_at: latest_block_at.map(utc),
        key_events: s
            .key_events
            .into_iter()
            .map(|k| KeyEvent {
                id: k.id,
                title: k.title,
                published_at: utc(k.published_at),
            })
            .collect(),
        pinned: s.pinned.map(block_out),
        cursor: pagination::encode_keyset(SINCE, cursor),
    };
    let blocks = view.blocks.into_iter().map(block_out).collect();
    (summary, blocks, view.removed)
}

/// The longest `blocks` parameter read.
const MAX_SELECTOR_LEN: usize = 200;

/// How many blocks `around:` shows on either side of the one asked for.
const AROUND: i64 = 10;

/// The `blocks` parameter: `latest:N` (1–100), `since:<cursor>`, `around:<id>` or
/// `key-events`.
pub fn selector(raw: &str) -> Result<Selector, ApiError> {
    let invalid = |why: &str| {
        pagination::query_error(
            "blocks",
            format!(
                "{why}; give latest:N (N from 1 to 100), since:<cursor>, around:<block id> or key-events"
            ),
        )
    };
    if raw.len() > MAX_SELECTOR_LEN {
        return Err(invalid("is too long"));
    }
    if raw == "key-events" {
        return Ok(Selector::KeyEvents);
    }
    match raw.split_once(':') {
        Some(("latest", n)) => match n.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => Ok(Selector::Latest(n)),
            _ => Err(invalid(&format!("'{n}' is not a count from 1 to 100"))),
        },
        Some(("since", cursor)) => pagination::decode_keyset(SINCE, cursor)
            .map(Selector::Since)
            .map_err(|_| invalid("the cursor is not one a live summary gave")),
        Some(("around", id)) => match id.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Selector::Around(id, AROUND)),
            _ => Err(invalid(&format!("'{id}' is not a block id"))),
        },
        _ => Err(invalid(&format!("'{raw}' is not a selector"))),
    }
}

/// The `cursor` of a block list page.
pub fn decode_list_cursor(cursor: &str) -> Result<(NaiveDateTime, i64), ApiError> {
    pagination::decode_keyset(LIST, cursor)
}

/// The cursor after `block` in a block list.
pub fn list_cursor(block: &BlockRow) -> String {
    pagination::encode_keyset(LIST, (block.published_at, block.id))
}
