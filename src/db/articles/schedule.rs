//! Scheduled articles coming due: the go-live step, which makes each live exactly once,
//! through the write path's [`super::write::finish`].

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};

use super::model::{ArticleRow, ArticleState, ArticleStatus};
use super::write::emit;
use crate::db::{AnyConnection, Conn, StoreResult};
use crate::schema::articles;

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

/// When the next published article not live yet, or the next block not announced yet,
/// comes due (possibly already), if any.
pub fn next_due(conn: &mut Conn) -> QueryResult<Option<NaiveDateTime>> {
    let articles = next_article_due(conn)?;
    let blocks = super::blocks::next_due(conn)?;
    Ok(articles.into_iter().chain(blocks).min())
}

fn next_article_due(conn: &mut Conn) -> QueryResult<Option<NaiveDateTime>> {
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
    /// Articles that went live and blocks announced in this step.
    pub published: usize,
    /// When the next article not live yet comes due (possibly already: more than `limit`
    /// were due).
    pub next_due: Option<NaiveDateTime>,
}

/// The go-live step: every published article whose time has come by `now` and is not live
/// yet (at most `limit` of them) goes live, and then scheduled blocks come due likewise, each with its `article.published` event and its
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
    let published = crate::db::write(conn, |conn| -> StoreResult<usize> {
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
                    .filter(articles::status.eq(ArticleStatus::Published.as_str()))
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
            let before = ArticleState {
                live: false,
                ..super::read::state_of(conn, &row)?
            };
            row.live = true;
            emit(conn, Some(&before), Some(&row), now)?;
            published += 1;
        }
        let left = limit - published as i64;
        Ok(published + super::blocks::announce_due(conn, now, left)?)
    })?;
    Ok(GoLive {
        published,
        next_due: next_due(conn)?,
    })
}
