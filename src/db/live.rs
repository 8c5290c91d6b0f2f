//! Live articles: published with their time come. An article goes live in the transaction of
//! the write that makes it public, or, when it was scheduled for later, in the go-live step
//! ([`go_live`]) once its time has come; either way exactly once per publication, with its
//! `article.published` event. On SQLite the index of titles suggestions read
//! (`article_titles_public`) holds exactly the live articles, so that nothing unpublished is
//! suggested. (Public searches read the public index, crate::search_index, which follows the
//! change log.)

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::articles::model::ArticleRow;
use super::{AnyConnection, Conn};

/// The key of article `a`'s row in the titles index: its publication minute (offset by 2^31,
/// so that dates before 1970 stay positive) in the high bits, its id in the low 31, so that
/// FTS5 holds the live articles in order of publication (suggestions read them newest
/// first). The same expression is in the migration's triggers.
pub(in crate::db) fn public_key(a: &str) -> String {
    format!(
        "((((CAST(strftime('%s', {a}.published_at) AS INTEGER) / 60) + 2147483648) << 31) | {a}.id)"
    )
}

/// The article id of a titles index key.
pub(in crate::db) const PUBLIC_ID_MASK: i64 = 0x7fff_ffff;

/// The row of the titles index suggestions read (`article_titles_public`) of each live article
/// among those `ids` names (`?` a placeholder for each).
fn replace_titles_sql(ids: &str) -> String {
    format!(
        "INSERT OR REPLACE INTO article_titles_public (rowid, title) \
         SELECT {}, a.title FROM articles a WHERE a.live = 1 AND {ids} ORDER BY 1",
        public_key("a")
    )
}

/// Brings the titles index rows of articles `ids` up to date: those live get theirs anew.
pub(in crate::db) fn reindex(conn: &mut Conn, ids: &[i64]) -> QueryResult<()> {
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    for chunk in ids.chunks(500) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let mut query = diesel::sql_query(replace_titles_sql(&format!("a.id IN ({placeholders})")))
            .into_boxed::<super::Backend>();
        for id in chunk {
            query = query.bind::<BigInt, _>(*id);
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// Indexes the title of every live article with an id above `last_id`, in one statement:
/// the new articles of an import, whose rows were left out one by one ([`settle`] with
/// `index` false). One statement makes one segment of the index, where one per article made
/// as many, merged again and again.
pub(in crate::db) fn index_new(conn: &mut Conn, last_id: i64) -> QueryResult<()> {
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    diesel::sql_query(replace_titles_sql("a.id > ?"))
        .bind::<BigInt, _>(last_id)
        .execute(conn)?;
    Ok(())
}

/// Records whether article `row` (as stored, its `live` as it was) is live now, and keeps
/// the titles index in step: a live article's row is written anew (its title may have
/// changed), one that stops being live loses it. `index` false leaves the index to
/// [`index_new`].
pub(in crate::db) fn settle(
    conn: &mut Conn,
    row: &ArticleRow,
    live: bool,
    index: bool,
) -> QueryResult<()> {
    if row.live != live {
        // Diesel prepares every update anew; this one's text never changes.
        super::kept(
            diesel::sql_query("UPDATE articles SET live = $1 WHERE id = $2 RETURNING id")
                .bind::<diesel::sql_types::Bool, _>(live)
                .bind::<BigInt, _>(row.teaser.id),
        )
        .run(conn)?;
    }
    if !index || !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    if live {
        reindex(conn, &[row.teaser.id])
    } else if row.live {
        // Under its key as it is now: a change of its publication time took out the row of
        // the old one (trigger article_titles_public_moved).
        diesel::sql_query(format!(
            "DELETE FROM article_titles_public \
             WHERE rowid = (SELECT {} FROM articles a WHERE a.id = ?)",
            public_key("a")
        ))
        .bind::<BigInt, _>(row.teaser.id)
        .execute(conn)?;
        Ok(())
    } else {
        Ok(())
    }
}
