//! Live articles: published with their time come. An article goes live in the transaction of
//! the write that makes it public, or, when it was scheduled for later, in the go-live step
//! ([`go_live`]) once its time has come; either way exactly once per publication, with its
//! `article.published` event. On SQLite the public search index (`articles_fts_public`)
//! holds exactly the live articles, so that public ranks depend on public content alone.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};

use super::articles::{ArticleRow, emit};
use super::{AnyConnection, Conn, StoreResult};
use crate::schema::articles;

/// The public index row of each live article among those `ids` names (`?` a placeholder for
/// each), copied from the full index, which has them current by then: its triggers and
/// [`super::search::refresh_tags`] run as the article's fields and tags are written.
fn replace_sql(ids: &str) -> String {
    format!(
        "INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags) \
         SELECT f.rowid, f.title, f.summary, f.body, f.tags \
         FROM articles_fts f JOIN articles a ON a.id = f.rowid \
         WHERE a.live = 1 AND {ids} ORDER BY f.rowid"
    )
}

/// Brings the public index rows of articles `ids` up to date: those live get theirs anew.
pub(super) fn reindex(conn: &mut Conn, ids: &[i64]) -> QueryResult<()> {
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    for chunk in ids.chunks(500) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let mut query = diesel::sql_query(replace_sql(&format!("a.id IN ({placeholders})")))
            .into_boxed::<super::Backend>();
        for id in chunk {
            query = query.bind::<BigInt, _>(*id);
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// Indexes, in one statement, every live article with an id above `last_id`: the new
/// articles of an import, whose rows were left out one by one ([`settle`] with `index`
/// false). One statement makes one segment of the index, where one per article made as
/// many, merged again and again.
pub(super) fn index_new(conn: &mut Conn, last_id: i64) -> QueryResult<()> {
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    diesel::sql_query(replace_sql("a.id > ?"))
        .bind::<BigInt, _>(last_id)
        .execute(conn)?;
    Ok(())
}

/// Records whether article `row` (as stored, its `live` as it was) is live now, and keeps
/// the public index in step: a live article's row is written anew (its text or tags may
/// have changed), one that stops being live loses it. `index` false leaves the index to
/// [`index_new`].
pub(super) fn settle(
    conn: &mut Conn,
    row: &ArticleRow,
    live: bool,
    index: bool,
) -> QueryResult<()> {
    if row.live != live {
        diesel::update(articles::table.filter(articles::id.eq(row.id)))
            .set(articles::live.eq(live))
            .execute(conn)?;
    }
    if !index || !matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(());
    }
    if live {
        reindex(conn, &[row.id])
    } else if row.live {
        diesel::sql_query("DELETE FROM articles_fts_public WHERE rowid = ?")
            .bind::<BigInt, _>(row.id)
            .execute(conn)
            .map(drop)
    } else {
        Ok(())
    }
}

/// The published articles not live yet whose time has come by `now`, at most `limit`, in
/// order of publication. Written for the partial index `articles_due` (its condition
/// literally, no bound value), so that the lookup reads only scheduled articles.
fn due_sql(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT id FROM articles WHERE status = 'published' AND live = 0 \
             AND published_at <= ? ORDER BY published_at, id LIMIT ?"
        }
        AnyConnection::Postgres(_) => {
            "SELECT id FROM articles WHERE status = 'published' AND NOT live \
             AND published_at <= $1 ORDER BY published_at, id LIMIT $2"
        }
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = Nullable<Timestamp>)]
    at: Option<NaiveDateTime>,
}

/// When the next published article not live yet comes due (possibly already), if any.
pub fn next_due(conn: &mut Conn) -> QueryResult<Option<NaiveDateTime>> {
    let sql = match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT MIN(published_at) AS at FROM articles WHERE status = 'published' AND live = 0"
        }
        AnyConnection::Postgres(_) => {
            "SELECT MIN(published_at) AS at FROM articles WHERE status = 'published' AND NOT live"
        }
    };
    Ok(diesel::sql_query(sql).get_result::<Due>(conn)?.at)
}

/// What a go-live step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoLive {
    /// Articles that went live in this step.
    pub published: usize,
    /// When the next article not live yet comes due (possibly already: more than `limit`
    /// were due).
    pub next_due: Option<NaiveDateTime>,
}

/// The go-live step: every published article whose time has come by `now` and is not live
/// yet (at most `limit` of them) goes live, each with its `article.published` event and its
/// public index row, in one write transaction. Each is claimed by a conditional update (live
/// only where it was not), inside the write lock every writer takes: however many replicas
/// run the step at once, an article goes live, and is announced, once.
pub fn go_live(conn: &mut Conn, now: NaiveDateTime, limit: i64) -> StoreResult<GoLive> {
    // Most steps find nothing: asked without taking the write lock.
    let due = next_due(conn)?;
    if due.is_none_or(|at| at > now) {
        return Ok(GoLive {
            published: 0,
            next_due: due,
        });
    }
    let published = super::write(conn, |conn| -> StoreResult<usize> {
        let ids: Vec<Id> = diesel::sql_query(due_sql(conn))
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(conn)?;
        let mut published = 0;
        for Id { id } in ids {
            let claimed = diesel::update(
                articles::table
                    .filter(articles::id.eq(id))
                    .filter(articles::live.eq(false))
                    .filter(articles::status.eq("published"))
                    .filter(articles::published_at.le(now)),
            )
            .set(articles::live.eq(true))
            .execute(conn)?;
            if claimed != 1 {
                continue;
            }
            let mut row: ArticleRow = articles::table
                .filter(articles::id.eq(id))
                .select(ArticleRow::as_select())
                .first(conn)?;
            let before = ArticleRow {
                live: false,
                ..row.clone()
            };
            row.live = true;
            emit(conn, Some(&before), Some(&row), now)?;
            published += 1;
        }
        Ok(published)
    })?;
    Ok(GoLive {
        published,
        next_due: next_due(conn)?,
    })
}
