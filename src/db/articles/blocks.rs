//! Writes to a live article's blocks: create, update, delete, and a scheduled block coming
//! due. Each is a write of the article: it ends in [`emit_block`], in the
//! write's transaction, and takes its time inside the write lock, so that the times blocks
//! change at only grow (`blocks=since:` reads after them).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::change;
use super::model::{Article, ArticleFormat, ArticleKey, Visibility};
use super::model::{ArticleState, shown};
use super::read::find;
use crate::db::blocks::{self, BlockChanges, BlockRow, BlockVisibility, MAX_BLOCKS, NewBlock};
use crate::db::{AnyConnection, Conn, StoreError, StoreResult, changes, events};
use crate::schema::{article_blocks, articles};

/// A condition a block write checks against the block as it is (an `If-Match`).
pub type BlockCheck<'a> = &'a dyn Fn(&BlockRow) -> StoreResult<()>;

/// The article `key` names, if it is a live article.
fn live_article(conn: &mut Conn, key: &ArticleKey) -> StoreResult<Article> {
    let article = find(conn, key, Visibility::All)?;
    if article.row.teaser.format != ArticleFormat::Live {
        return Err(StoreError::Conflict(
            "The article is not a live article; make it one with `format: live` first.".to_owned(),
        ));
    }
    Ok(article)
}

/// Takes the pin from every other block of the article: a live page has one pinned post.
/// (Only a block the public sees takes it: a scheduled one takes it when it comes due.)
fn unpin_others(conn: &mut Conn, article: i64, keep: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        article_blocks::table
            .filter(article_blocks::article_id.eq(article))
            .filter(article_blocks::pinned.eq(true))
            .filter(article_blocks::id.ne(keep)),
    )
    .set((
        article_blocks::pinned.eq(false),
        article_blocks::changed_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Adds a block to the live article `key`; it is announced at once unless its
/// `published_at` is still to come.
pub fn create(conn: &mut Conn, key: &ArticleKey, new: &NewBlock) -> StoreResult<BlockRow> {
    crate::db::write(conn, |conn| {
        let now = crate::db::now();
        let article = live_article(conn, key)?;
        let article_id = article.row.teaser.id;
        if blocks::count_all(conn, article_id)? >= MAX_BLOCKS {
            return Err(StoreError::Conflict(format!(
                "The live article has {MAX_BLOCKS} blocks, as many as one may have; start another."
            )));
        }
        let published_at = new.published_at.unwrap_or(now);
        let announced = published_at <= now;
        let (body, rendered) = (&new.body, &new.rendered);
        let id: i64 = diesel::insert_into(article_blocks::table)
            .values((
                article_blocks::article_id.eq(article_id),
                article_blocks::title.eq(&new.title),
                article_blocks::body.eq(body),
                article_blocks::body_html.eq(&rendered.html),
                article_blocks::body_text.eq(&rendered.text),
                article_blocks::key_event.eq(new.key_event),
                article_blocks::pinned.eq(new.pinned),
                article_blocks::published_at.eq(published_at),
                article_blocks::created_at.eq(now),
                article_blocks::updated_at.eq(now),
                article_blocks::changed_at.eq(now),
                article_blocks::announced.eq(announced),
            ))
            .returning(article_blocks::id)
            .get_result(conn)?;
        // A scheduled block takes the pin when it comes due: until then the public's
        // pinned block stays as it is.
        if new.pinned && announced {
            unpin_others(conn, article_id, id, now)?;
        }
        let row = blocks::find(conn, article_id, id, BlockVisibility::All)?;
        emit_block(
            conn,
            &article,
            &BlockWrite::new("block.created", &row, announced, true),
            now,
        )?;
        Ok(row)
    })
}

#[derive(AsChangeset)]
#[diesel(table_name = article_blocks)]
struct BlockChangeset<'a> {
    title: Option<Option<&'a str>>,
    body: Option<&'a str>,
    body_html: Option<&'a str>,
    body_text: Option<&'a str>,
    key_event: Option<bool>,
    pinned: Option<bool>,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    changed_at: NaiveDateTime,
    announced: bool,
}

/// Applies `changes` to block `id` of the live article `key`, if `check` passes. A block the
/// public has seen cannot be scheduled again (delete it instead).
pub fn update(
    conn: &mut Conn,
    key: &ArticleKey,
    id: i64,
    changes: &BlockChanges,
    check: BlockCheck<'_>,
) -> StoreResult<BlockRow> {
    crate::db::write(conn, |conn| {
        let now = crate::db::now();
        let article = live_article(conn, key)?;
        let article_id = article.row.teaser.id;
        let current = blocks::find(conn, article_id, id, BlockVisibility::All)?;
        check(&current)?;
        let published_at = changes.published_at.unwrap_or(current.published_at);
        if current.announced && published_at > now {
            return Err(StoreError::Invalid(vec![(
                "published_at".to_owned(),
                "a block readers have seen cannot be scheduled again; delete it instead".to_owned(),
            )]));
        }
        let announced = current.announced || published_at <= now;
        let body = changes.body.as_ref();
        diesel::update(article_blocks::table.filter(article_blocks::id.eq(id)))
            .set(&BlockChangeset {
                title: changes.title.as_ref().map(|t| t.as_deref()),
                body: body.map(|(md, _)| md.as_str()),
                body_html: body.map(|(_, r)| r.html.as_str()),
                body_text: body.map(|(_, r)| r.text.as_str()),
                key_event: changes.key_event,
                pinned: changes.pinned,
                published_at: changes.published_at,
                updated_at: now,
                changed_at: now,
                announced,
            })
            .execute(conn)?;
        if changes.pinned == Some(true) && announced {
            unpin_others(conn, article_id, id, now)?;
        }
        let row = blocks::find(conn, article_id, id, BlockVisibility::All)?;
        emit_block(
            conn,
            &article,
            &BlockWrite::new("block.updated", &row, announced, true),
            now,
        )?;
        Ok(row)
    })
}

/// Deletes block `id` of the live article `key`, if `check` passes. One the public has seen
/// stays as an empty tombstone, so that readers polling for changes learn it went.
pub fn delete(
    conn: &mut Conn,
    key: &ArticleKey,
    id: i64,
    check: BlockCheck<'_>,
) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let now = crate::db::now();
        let article = live_article(conn, key)?;
        let article_id = article.row.teaser.id;
        let current = blocks::find(conn, article_id, id, BlockVisibility::All)?;
        check(&current)?;
        let target = article_blocks::table.filter(article_blocks::id.eq(id));
        if current.announced {
            diesel::update(target)
                .set((
                    article_blocks::title.eq(None::<String>),
                    article_blocks::body.eq(""),
                    article_blocks::body_html.eq(""),
                    article_blocks::body_text.eq(""),
                    article_blocks::key_event.eq(false),
                    article_blocks::pinned.eq(false),
                    article_blocks::updated_at.eq(now),
                    article_blocks::changed_at.eq(now),
                    article_blocks::deleted.eq(true),
                ))
                .execute(conn)?;
        } else {
            diesel::delete(target).execute(conn)?;
        }
        emit_block(
            conn,
            &article,
            &BlockWrite::new("block.deleted", &current, current.announced, true),
            now,
        )?;
        Ok(())
    })
}

/// The blocks not announced yet whose time has come by `now`, at most `limit`, in order of
/// publication (the partial index `article_blocks_due`).
fn due_sql(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT id, article_id FROM article_blocks WHERE announced = 0 \
             AND published_at <= ? ORDER BY published_at, id LIMIT ?"
        }
        AnyConnection::Postgres(_) => {
            "SELECT id, article_id FROM article_blocks WHERE NOT announced \
             AND published_at <= $1 ORDER BY published_at, id LIMIT $2"
        }
    }
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    article_id: i64,
}

/// When the next block not announced yet comes due (possibly already), if any.
pub fn next_due(conn: &mut Conn) -> QueryResult<Option<NaiveDateTime>> {
    article_blocks::table
        .filter(article_blocks::announced.eq(false))
        .select(diesel::dsl::min(article_blocks::published_at))
        .get_result(conn)
}

/// Announces the scheduled blocks whose time has come by `now` (at most `limit`), each
/// once, as the go-live step does for articles; inside the caller's write. Returns how many.
pub(in crate::db) fn announce_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<usize> {
    let due: Vec<Due> = diesel::sql_query(due_sql(conn))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    let mut announced = 0;
    for Due { id, article_id } in due {
        let claimed = diesel::update(
            article_blocks::table
                .filter(article_blocks::id.eq(id))
                .filter(article_blocks::announced.eq(false)),
        )
        .set((
            article_blocks::announced.eq(true),
            article_blocks::changed_at.eq(now),
        ))
        .execute(conn)?;
        if claimed != 1 {
            continue;
        }
        let article = find(conn, &ArticleKey::Id(article_id), Visibility::All)?;
        let row = blocks::find(conn, article_id, id, BlockVisibility::All)?;
        if row.pinned {
            unpin_others(conn, article_id, id, now)?;
        }
        emit_block(
            conn,
            &article,
            &BlockWrite::new("block.created", &row, true, false),
            now,
        )?;
        announced += 1;
    }
    Ok(announced)
}

/// A write to a block of a live article, as [`emit_block`] reports it.
struct BlockWrite<'b> {
    /// `block.created`, `block.updated` or `block.deleted`.
    event: &'static str,
    /// The block as the write leaves it (as it was, for a deletion).
    block: &'b BlockRow,
    /// Whether the public could see the block before or can now (when the article is
    /// public): a scheduled block's writes change nothing the public sees.
    seen: bool,
    /// Whether subscriptions hear of it (not when a scheduled block merely comes due).
    notify: bool,
}

impl<'b> BlockWrite<'b> {
    fn new(event: &'static str, block: &'b BlockRow, seen: bool, notify: bool) -> Self {
        Self {
            event,
            block,
            seen,
            notify,
        }
    }
}

/// The end of every write to a block of live article `article` (its creation, update or
/// deletion, a scheduled one coming due), once the block's row is written. When the block
/// is seen, the article's row takes the time and what it holds of its public blocks
/// ([`blocks::settle`]: the time of the newest, their text, which its search entries
/// follow); then the change record (public only when the public can read the article) and
/// the webhook event.
fn emit_block(
    conn: &mut Conn,
    article: &Article,
    write: &BlockWrite<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let id = article.row.teaser.id;
    let state = ArticleState::from(article);
    if write.seen {
        blocks::settle(conn, id)?;
        diesel::update(articles::table.filter(articles::id.eq(id)))
            .set(articles::updated_at.eq(now))
            .execute(conn)?;
    }
    let public = write.seen && shown(&state, now);
    changes::record(
        conn,
        &change::block(write.event, &state, write.block.id, public),
        now,
    )?;
    if !write.notify {
        return Ok(());
    }
    let block = write.block;
    let data = serde_json::json!({
        "id": block.id,
        "article_id": id,
        "article_slug": state.slug,
        "title": block.title,
        "key_event": block.key_event,
        "pinned": block.pinned,
        "published_at": block.published_at.and_utc(),
        "updated_at": block.updated_at.and_utc(),
    });
    events::record(conn, write.event, &data, now)
}
