//! A live article's blocks as stored and read: its timestamped updates. Writes go through
//! the article's write path ([`crate::db::articles::blocks`]); this module reads them and
//! keeps what the article row holds of them ([`settle`]).
//!
//! A block is visible to the public once `announced` (its time has come: at its write, or
//! in the go-live step) and not deleted. A deleted block that was announced stays as an
//! empty tombstone, so that a reader asking what changed since its last look learns it went;
//! one never announced goes without a trace. `changed_at`, the time of a block's last write
//! or announcement, orders what changed: taken inside the write lock, it only grows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Conn, Page, StoreError, StoreResult};
use crate::content::Rendered;
use crate::schema::{article_blocks, articles};

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

/// What a read of live article `article` shows of its blocks: the summary and the blocks
/// `selector` asks for.
pub fn view(
    conn: &mut Conn,
    settled: &Settled,
    selector: &Selector,
    vis: BlockVisibility,
) -> StoreResult<LiveView> {
    let article = settled.article;
    let summary = summary(conn, settled, vis)?;
    let mut removed = None;
    let blocks = match selector {
        Selector::Latest(n) => newest_first(of_article(article, vis))
            .limit(*n)
            .select(BlockRow::as_select())
            .load(conn)?,
        Selector::KeyEvents => newest_first(of_article(article, vis))
            .filter(article_blocks::key_event.eq(true))
            .limit(MAX_KEY_EVENTS)
            .select(BlockRow::as_select())
            .load(conn)?,
        Selector::Around(id, n) => around(conn, article, *id, *n, vis)?,
        Selector::Since((at, id)) => {
            let rows: Vec<BlockRow> = article_blocks::table
                .filter(article_blocks::article_id.eq(article))
                .filter(changed(vis))
                .filter(
                    // `>=` first: a range of the index, which the `OR` alone is not.
                    article_blocks::changed_at.ge(*at).and(
                        article_blocks::changed_at
                            .gt(*at)
                            .or(article_blocks::id.gt(*id)),
                    ),
                )
                .order((article_blocks::changed_at, article_blocks::id))
                .limit(MAX_SINCE)
                .select(BlockRow::as_select())
                .load(conn)?;
            let (gone, kept): (Vec<_>, Vec<_>) = rows.into_iter().partition(|b| b.deleted);
            removed = Some(gone.iter().map(|b| b.id).collect());
            let mut summary = summary;
            // A reader that asks again after this answer continues after its last change.
            let last = kept.iter().chain(&gone).map(BlockRow::position).max();
            if let Some(last) = last.filter(|_| rows_were_capped(kept.len() + gone.len())) {
                summary.cursor = Some(last);
            }
            return Ok(LiveView {
                summary,
                blocks: kept,
                removed,
            });
        }
    };
    Ok(LiveView {
        summary,
        blocks,
        removed,
    })
}

/// Whether a `since:` answer of `n` changes may have left some out (then its cursor is its
/// last change's, not the newest).
fn rows_were_capped(n: usize) -> bool {
    n as i64 >= MAX_SINCE
}

/// Block `id` and up to `n` blocks on either side of it, newest first.
fn around(
    conn: &mut Conn,
    article: i64,
    id: i64,
    n: i64,
    vis: BlockVisibility,
) -> StoreResult<Vec<BlockRow>> {
    let centre = find(conn, article, id, vis)?;
    let (at, id) = (centre.published_at, centre.id);
    let mut newer: Vec<BlockRow> = of_article(article, vis)
        .filter(
            article_blocks::published_at.ge(at).and(
                article_blocks::published_at
                    .gt(at)
                    .or(article_blocks::id.gt(id)),
            ),
        )
        .order((article_blocks::published_at.asc(), article_blocks::id.asc()))
        .limit(n)
        .select(BlockRow::as_select())
        .load(conn)?;
    newer.reverse();
    let older: Vec<BlockRow> = newest_first(of_article(article, vis))
        .filter(before((at, id)))
        .limit(n)
        .select(BlockRow::as_select())
        .load(conn)?;
    newer.push(centre);
    newer.extend(older);
    Ok(newer)
}

/// The summary `vis` sees: the public's count and cursor as [`settle`] kept them, an
/// editor's counted.
fn summary(conn: &mut Conn, settled: &Settled, vis: BlockVisibility) -> StoreResult<Summary> {
    let article = settled.article;
    let (block_count, cursor) = match vis {
        BlockVisibility::Public => (settled.block_count, settled.cursor),
        BlockVisibility::All => (
            of_article(article, vis).count().get_result(conn)?,
            newest_change(conn, article, vis)?,
        ),
    };
    let key_events = newest_first(of_article(article, vis))
        .filter(article_blocks::key_event.eq(true))
        .limit(MAX_KEY_EVENTS)
        .select((
            article_blocks::id,
            article_blocks::title,
            article_blocks::published_at,
        ))
        .load::<(i64, Option<String>, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, title, published_at)| KeyEvent {
            id,
            title,
            published_at,
        })
        .collect();
    let pinned = newest_first(of_article(article, vis))
        .filter(article_blocks::pinned.eq(true))
        .select(BlockRow::as_select())
        .first(conn)
        .optional()?;
    Ok(Summary {
        block_count,
        key_events,
        pinned,
        cursor,
    })
}

/// The position of the newest change `vis` can see.
fn newest_change(
    conn: &mut Conn,
    article: i64,
    vis: BlockVisibility,
) -> QueryResult<Option<(NaiveDateTime, i64)>> {
    article_blocks::table
        .filter(article_blocks::article_id.eq(article))
        .filter(changed(vis))
        .order((article_blocks::changed_at.desc(), article_blocks::id.desc()))
        .select((article_blocks::changed_at, article_blocks::id))
        .first(conn)
        .optional()
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

/// Brings what article `article`'s row holds of its public blocks up to date: when the newest
/// was published, their text for search (newest first, up to [`SEARCH_CHARS`]; its search
/// entry follows by trigger), how many there are and the newest change's position.
pub(in crate::db) fn settle(conn: &mut Conn, article: i64) -> QueryResult<()> {
    let mut text = String::new();
    let mut latest = None;
    let mut offset = 0;
    'pages: loop {
        let page: Vec<(Option<String>, String, NaiveDateTime)> =
            newest_first(of_article(article, BlockVisibility::Public))
                .select((
                    article_blocks::title,
                    article_blocks::body_text,
                    article_blocks::published_at,
                ))
                .offset(offset)
                .limit(50)
                .load(conn)?;
        for (title, body, at) in &page {
            latest = latest.max(Some(*at));
            for part in title.iter().chain([body]) {
                if text.len() + part.len() + 2 > SEARCH_CHARS {
                    break 'pages;
                }
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(part);
            }
        }
        if page.len() < 50 {
            break;
        }
        offset += 50;
    }
    let public = BlockVisibility::Public;
    let count: i64 = of_article(article, public).count().get_result(conn)?;
    let cursor = newest_change(conn, article, public)?;
    diesel::update(articles::table.filter(articles::id.eq(article)))
        .set((
            articles::blocks_text.eq(text),
            articles::latest_block_at.eq(latest),
            articles::block_count.eq(count),
            articles::blocks_changed_at.eq(cursor.map(|c| c.0)),
            articles::blocks_changed_id.eq(cursor.map(|c| c.1)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces every block of article `article` with `new` (an import, the demo), each
/// announced if its time has come by `now`, inside the caller's write; then [`settle`]s.
/// The article's own write records the change that shows them.
pub(in crate::db) fn insert_all(
    conn: &mut Conn,
    article: i64,
    new: &[NewBlock],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(article_blocks::table.filter(article_blocks::article_id.eq(article)))
        .execute(conn)?;
    let mut pinned = false;
    for block in new {
        let published_at = block.published_at.unwrap_or(now);
        let announced = published_at <= now;
        // One pinned block: the first the public sees.
        let pin = block.pinned && !(pinned && announced);
        pinned |= pin && announced;
        diesel::insert_into(article_blocks::table)
            .values((
                article_blocks::article_id.eq(article),
                article_blocks::title.eq(&block.title),
                article_blocks::body.eq(&block.body),
                article_blocks::body_html.eq(&block.rendered.html),
                article_blocks::body_text.eq(&block.rendered.text),
                article_blocks::key_event.eq(block.key_event),
                article_blocks::pinned.eq(pin),
                article_blocks::published_at.eq(published_at),
                article_blocks::created_at.eq(published_at.min(now)),
                article_blocks::updated_at.eq(published_at.min(now)),
                article_blocks::changed_at.eq(now),
                article_blocks::announced.eq(announced),
            ))
            .execute(conn)?;
    }
    settle(conn, article)
}
