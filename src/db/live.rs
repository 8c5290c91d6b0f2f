//! Live articles: published with their time come. An article goes live in the transaction of
//! the write that makes it public, or, when it was scheduled for later, in the go-live step
//! ([`go_live`]) once its time has come; either way exactly once per publication, with its
//! `article.published` event. On SQLite the public search index (`articles_fts_public`)
//! holds exactly the live articles, so that public ranks depend on public content alone.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::articles::model::ArticleRow;
use super::{AnyConnection, Conn};
use crate::schema::articles;

/// The key of article `a`'s row in the public index: its publication minute (offset by 2^31,
/// so that dates before 1970 stay positive) in the high bits, its id in the low 31, so that
/// FTS5 holds the live articles in order of publication (the search's fresh order reads them
/// newest first, db::search::fresh). The same expression is in the migration's triggers.
pub(in crate::db) fn public_key(a: &str) -> String {
    format!(
        "((((CAST(strftime('%s', {a}.published_at) AS INTEGER) / 60) + 2147483648) << 31) | {a}.id)"
    )
}

/// The article id of a public index key.
pub(in crate::db) const PUBLIC_ID_MASK: i64 = 0x7fff_ffff;

/// The publication minute (from 1970) of a public index key.
pub(in crate::db) fn public_minute(key: i64) -> i64 {
    (key >> 31) - (1 << 31)
}

/// The public index row of each live article among those `ids` names (`?` a placeholder for
/// each), copied from the full index, which has them current by then: its triggers and
/// [`super::search::refresh_tags`] run as the article's fields and tags are written.
fn replace_sql(ids: &str) -> String {
    format!(
        "INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags) \
         SELECT {}, f.title, f.summary, f.body, f.tags \
         FROM articles_fts f JOIN articles a ON a.id = f.rowid \
         WHERE a.live = 1 AND {ids} ORDER BY 1",
        public_key("a")
    )
}

/// The same for the titles suggestions read (`article_titles_public`).
fn replace_titles_sql(ids: &str) -> String {
    format!(
        "INSERT OR REPLACE INTO article_titles_public (rowid, title) \
         SELECT {}, a.title FROM articles a WHERE a.live = 1 AND {ids} ORDER BY 1",
        public_key("a")
    )
}

/// Brings the public index rows of articles `ids` up to date: those live get theirs anew.
pub(in crate::db) fn reindex(conn: &mut Conn, ids: &[i64]) -> QueryResult<()> {
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    for chunk in ids.chunks(500) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        for sql in [replace_sql, replace_titles_sql] {
            let mut query = diesel::sql_query(sql(&format!("a.id IN ({placeholders})")))
                .into_boxed::<super::Backend>();
            for id in chunk {
                query = query.bind::<BigInt, _>(*id);
            }
            query.execute(conn)?;
        }
    }
    Ok(())
}

/// Indexes, in one statement, every live article with an id above `last_id`: the new
/// articles of an import, whose rows were left out one by one ([`settle`] with `index`
/// false). One statement makes one segment of the index, where one per article made as
/// many, merged again and again.
pub(in crate::db) fn index_new(conn: &mut Conn, last_id: i64) -> QueryResult<()> {
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    for sql in [replace_sql, replace_titles_sql] {
        diesel::sql_query(sql("a.id > ?"))
            .bind::<BigInt, _>(last_id)
            .execute(conn)?;
    }
    Ok(())
}

/// Records whether article `row` (as stored, its `live` as it was) is live now, and keeps
/// the public index in step: a live article's row is written anew (its text or tags may
/// have changed), one that stops being live loses it. `index` false leaves the index to
/// [`index_new`].
pub(in crate::db) fn settle(
    conn: &mut Conn,
    row: &ArticleRow,
    live: bool,
    index: bool,
) -> QueryResult<()> {
    if row.live != live {
        diesel::update(articles::table.filter(articles::id.eq(row.teaser.id)))
            .set(articles::live.eq(live))
            .execute(conn)?;
    }
    if !index || !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    if live {
        reindex(conn, &[row.teaser.id])
    } else if row.live {
        // Under its key as it is now: a change of its publication time took out the rows of
        // the old one (triggers articles_fts_public_moved, article_titles_public_moved).
        for index in ["articles_fts_public", "article_titles_public"] {
            diesel::sql_query(format!(
                "DELETE FROM {index} WHERE rowid = (SELECT {} FROM articles a WHERE a.id = ?)",
                public_key("a")
            ))
            .bind::<BigInt, _>(row.teaser.id)
            .execute(conn)?;
        }
        Ok(())
    } else {
        Ok(())
    }
}
