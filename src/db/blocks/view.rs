//! What a read of a live article shows of its blocks: the blocks a selector asks for and the
//! summary beside them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    BlockRow, BlockVisibility, KeyEvent, LiveView, MAX_KEY_EVENTS, MAX_SINCE, Selector, Settled,
    Summary, before, changed, find, newest_first, of_article,
};
use crate::db::{Conn, StoreResult};
use crate::schema::article_blocks;

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
pub(super) fn newest_change(
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
