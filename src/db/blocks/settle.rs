//! What a live article's row holds of its public blocks, kept in step by every write the
//! public can see; and an import's blocks, written whole.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::view::newest_change;
use super::{BlockVisibility, NewBlock, SEARCH_CHARS, newest_first, of_article};
use crate::db::Conn;
use crate::schema::{article_blocks, articles};

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
