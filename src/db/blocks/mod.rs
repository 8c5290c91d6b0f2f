//! A live article's blocks as stored and read: its timestamped updates. Writes go through
//! the article's write path ([`crate::db::articles::blocks`]); this module reads them and
//! keeps what the article row holds of them ([`settle`]).
//!
//! A block is visible to the public once `announced` (its time has come: at its write, or
//! in the go-live step) and not deleted. A deleted block that was announced stays as an
//! empty tombstone, so that a reader asking what changed since its last look learns it went;
//! one never announced goes without a trace. `changed_at`, the time of a block's last write
//! or announcement, orders what changed: taken inside the write lock, it only grows.

mod settle;
mod view;

pub(in crate::db) use settle::{insert_all, settle};
pub use view::view;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Conn, Page, StoreError, StoreResult};
use crate::content::Rendered;
use crate::schema::article_blocks;

/// How many blocks a live article may have, deleted ones included: past it a new block is
/// refused (a live blog of a very long day has a few thousand).
pub const MAX_BLOCKS: i64 = 10_000;

/// How much of its blocks' text a live article's search entry holds, newest blocks first:
/// a block's words find the article while the article's entry stays bounded.
pub const SEARCH_CHARS: usize = 100_000;

/// How many blocks a live article's read shows unless it asks for others.
pub const DEFAULT_LATEST: i64 = 20;

/// How many key events a summary lists (the newest).
pub const MAX_KEY_EVENTS: i64 = 50;

/// How many changed blocks one `since:` answer gives at most.
pub const MAX_SINCE: i64 = 100;

/// A stored block.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = article_blocks, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct BlockRow {
    pub id: i64,
    pub article_id: i64,
    pub title: Option<String>,
    pub body: String,
    pub body_html: String,
    pub body_text: String,
    pub key_event: bool,
    pub pinned: bool,
    pub published_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub changed_at: NaiveDateTime,
    pub announced: bool,
    pub deleted: bool,
}

impl BlockRow {
    /// Where the block stands in the order of changes (`since:`).
    pub fn position(&self) -> (NaiveDateTime, i64) {
        (self.changed_at, self.id)
    }
}

/// A new block, validated and rendered.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewBlock {
    pub title: Option<String>,
    pub body: String,
    pub rendered: Rendered,
    pub key_event: bool,
    pub pinned: bool,
    /// `None`: now.
    pub published_at: Option<NaiveDateTime>,
}

/// Changes to a block: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct BlockChanges {
    pub title: Option<Option<String>>,
    pub body: Option<(String, Rendered)>,
    pub key_event: Option<bool>,
    pub pinned: Option<bool>,
    pub published_at: Option<NaiveDateTime>,
}

/// Which blocks a read may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockVisibility {
    /// Announced and not deleted.
    Public,
    /// Every block not deleted, scheduled ones included (an editor's view).
    All,
}

/// Which of a live article's blocks a read asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The newest `n`.
    Latest(i64),
    /// What changed after this position, oldest change first, at most [`MAX_SINCE`].
    Since((NaiveDateTime, i64)),
    /// This block and up to `n` newer and `n` older around it.
    Around(i64, i64),
    /// The key events, newest first.
    KeyEvents,
}

/// A key event as a summary lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub id: i64,
    pub title: Option<String>,
    pub published_at: NaiveDateTime,
}

/// What a live article's page shows of its blocks beside the blocks asked for.
#[derive(Debug, Clone)]
pub struct Summary {
    pub block_count: i64,
    pub key_events: Vec<KeyEvent>,
    pub pinned: Option<BlockRow>,
    /// The position of the newest change the reader can see; `None` before any.
    pub cursor: Option<(NaiveDateTime, i64)>,
}

/// What a live article's row holds of its public blocks, kept by [`settle`]: the public
/// summary's count and cursor without counting.
#[derive(Debug, Clone, Copy)]
pub struct Settled {
    pub article: i64,
    pub block_count: i64,
    pub cursor: Option<(NaiveDateTime, i64)>,
}

/// A live article's blocks as one read shows them.
#[derive(Debug, Clone)]
pub struct LiveView {
    pub summary: Summary,
    /// The blocks asked for (newest first, or in order of change for `since:`).
    pub blocks: Vec<BlockRow>,
    /// For `since:`, the ids of blocks deleted since.
    pub removed: Option<Vec<i64>>,
}

type BlockFilter = Box<
    dyn BoxableExpression<article_blocks::table, super::Backend, SqlType = diesel::sql_types::Bool>,
>;

fn shown(vis: BlockVisibility) -> BlockFilter {
    match vis {
        BlockVisibility::Public => Box::new(
            article_blocks::announced
                .eq(true)
                .and(article_blocks::deleted.eq(false)),
        ),
        BlockVisibility::All => Box::new(article_blocks::deleted.eq(false)),
    }
}

/// Which rows tell a reader of changes: the public's are the announced ones (tombstones
/// included); an editor's, all.
fn changed(vis: BlockVisibility) -> BlockFilter {
    match vis {
        BlockVisibility::Public => Box::new(article_blocks::announced.eq(true)),
        BlockVisibility::All => Box::new(article_blocks::id.is_not_null()),
    }
}

/// Newest first: the order of a live page.
fn newest_first(
    query: article_blocks::BoxedQuery<'static, super::Backend>,
) -> article_blocks::BoxedQuery<'static, super::Backend> {
    query.order((
        article_blocks::published_at.desc(),
        article_blocks::id.desc(),
    ))
}

fn of_article(
    article: i64,
    vis: BlockVisibility,
) -> article_blocks::BoxedQuery<'static, super::Backend> {
    article_blocks::table
        .filter(article_blocks::article_id.eq(article))
        .filter(shown(vis))
        .into_boxed()
}

/// The blocks before position `(at, id)` in the order of a live page (`<=` first: a range
/// of the index, which the `OR` alone is not).
fn before((at, id): (NaiveDateTime, i64)) -> BlockFilter {
    Box::new(
        article_blocks::published_at.le(at).and(
            article_blocks::published_at
                .lt(at)
                .or(article_blocks::id.lt(id)),
        ),
    )
}

/// How many blocks article `article` has, deleted ones included (the bound of
/// [`MAX_BLOCKS`], and whether it may stop being live).
pub fn count_all(conn: &mut Conn, article: i64) -> QueryResult<i64> {
    article_blocks::table
        .filter(article_blocks::article_id.eq(article))
        .count()
        .get_result(conn)
}

/// Block `id` of article `article`, as `vis` may see it.
pub fn find(conn: &mut Conn, article: i64, id: i64, vis: BlockVisibility) -> StoreResult<BlockRow> {
    of_article(article, vis)
        .filter(article_blocks::id.eq(id))
        .select(BlockRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("The article has no block {id}.")))
}

/// A page of article `article`'s blocks, newest first, after `after` (a published_at, id
/// position).
pub fn list(
    conn: &mut Conn,
    article: i64,
    vis: BlockVisibility,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> StoreResult<Page<BlockRow>> {
    let total = of_article(article, vis).count().get_result(conn)?;
    let mut query = newest_first(of_article(article, vis));
    if let Some((at, id)) = after {
        query = query.filter(before((at, id)));
    }
    let rows = query
        .limit(super::overfetch(limit))
        .select(BlockRow::as_select())
        .load(conn)?;
    Ok(Page::overfetched(rows, limit, total))
}

/// The blocks of article `article` the public can see, newest first: export, the feed.
pub fn latest(conn: &mut Conn, article: i64, limit: i64) -> QueryResult<Vec<BlockRow>> {
    newest_first(of_article(article, BlockVisibility::Public))
        .limit(limit)
        .select(BlockRow::as_select())
        .load(conn)
}

/// Every block of article `article` not deleted, oldest first (export, revisions).
pub fn all(conn: &mut Conn, article: i64) -> QueryResult<Vec<BlockRow>> {
    of_article(article, BlockVisibility::All)
        .order((article_blocks::published_at, article_blocks::id))
        .select(BlockRow::as_select())
        .load(conn)
}
