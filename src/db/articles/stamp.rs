//! An article's freshness stamp: what its public representation depends on, read cheaply.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ArticleKey, ArticleStatus, public_at};
use crate::db::{AnyConnection, Conn};
use crate::schema::{article_tags, articles, related_links, tags as tags_t};

/// Everything the public representation of an article depends on: two equal stamps mean
/// the same representation, so a response rendered for one may be served for the other. An
/// edit of the article (its fields, tags or links) or the deletion of a public link target
/// moves its `updated_at`; a renamed tag moves `tags_changed`; an edited public link target
/// moves that target's `updated_at`, and one published or withdrawn, or coming due, flips
/// its `public`. A target the public cannot read is not shown: its edits leave the stamp as
/// it is (and so the rendered response, its timing included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    id: i64,
    updated_at: NaiveDateTime,
    tags_changed: Option<NaiveDateTime>,
    /// Each internal link's target, in link order: (id, updated_at when public, public now).
    targets: Vec<(i64, Option<NaiveDateTime>, bool)>,
}

/// The stamp of the article `key` names as the public sees it at `now`; `None` when the
/// public cannot see it (or no article has the key). Three small queries, each prepared once
/// per connection; on SQLite in one read transaction, which takes the WAL's read lock (a few
/// system calls) once instead of three times.
pub fn stamp(conn: &mut Conn, key: &ArticleKey, now: NaiveDateTime) -> QueryResult<Option<Stamp>> {
    match conn {
        AnyConnection::Sqlite(_) => conn.transaction(|conn| read_stamp(conn, key, now)),
        AnyConnection::Postgres(_) => read_stamp(conn, key, now),
    }
}

/// An article's identity and dates, as [`read_stamp`] reads them.
#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct StampRow {
    id: i64,
    updated_at: NaiveDateTime,
    #[diesel(deserialize_as = String)]
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
}

// On SQLite an article's status and dates sit past its body, in the row's overflow pages: a
// stamp read from the rows walked the text of the article and of each related one, most of
// an uncached read's time (BENCHMARKS.md). These read them from indexes that hold them
// (`INDEXED BY`: the planner prefers the slug's unique index and the rowid).
const SQLITE_STAMP_BY_SLUG: &str = "SELECT id, updated_at, status, published_at \
     FROM articles INDEXED BY articles_slug_visibility WHERE slug = ?";
const SQLITE_STAMP_BY_ID: &str = "SELECT id, updated_at, status, published_at \
     FROM articles INDEXED BY articles_visibility WHERE id = ?";
const SQLITE_STAMP_TARGETS: &str = "SELECT a.id, a.updated_at, a.status, a.published_at \
     FROM related_links r JOIN articles a INDEXED BY articles_visibility \
     ON a.id = r.target_article_id WHERE r.article_id = ? ORDER BY r.position";

fn read_stamp(conn: &mut Conn, key: &ArticleKey, now: NaiveDateTime) -> QueryResult<Option<Stamp>> {
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let found: Vec<StampRow> = match (key, sqlite) {
        (ArticleKey::Id(id), true) => diesel::sql_query(SQLITE_STAMP_BY_ID)
            .bind::<diesel::sql_types::BigInt, _>(*id)
            .load(conn)?,
        (ArticleKey::Slug(slug), true) => diesel::sql_query(SQLITE_STAMP_BY_SLUG)
            .bind::<diesel::sql_types::Text, _>(slug)
            .load(conn)?,
        (ArticleKey::Id(id), false) => articles::table
            .filter(articles::id.eq(*id))
            .select(StampRow::as_select())
            .load(conn)?,
        (ArticleKey::Slug(slug), false) => articles::table
            .filter(articles::slug.eq(slug))
            .select(StampRow::as_select())
            .load(conn)?,
    };
    let visible = |row: &StampRow| public_at(row.status, row.published_at, now);
    let Some(&StampRow { id, updated_at, .. }) = found.iter().find(|row| visible(row)) else {
        return Ok(None);
    };
    let tags_changed: Option<NaiveDateTime> = article_tags::table
        .inner_join(tags_t::table)
        .filter(article_tags::article_id.eq(id))
        .select(diesel::dsl::max(tags_t::updated_at))
        .get_result(conn)?;
    let targets: Vec<StampRow> = if sqlite {
        diesel::sql_query(SQLITE_STAMP_TARGETS)
            .bind::<diesel::sql_types::BigInt, _>(id)
            .load(conn)?
    } else {
        related_links::table
            .inner_join(
                articles::table.on(related_links::target_article_id.eq(articles::id.nullable())),
            )
            .filter(related_links::article_id.eq(id))
            .order(related_links::position)
            .select(StampRow::as_select())
            .load(conn)?
    };
    Ok(Some(Stamp {
        id,
        updated_at,
        tags_changed,
        targets: targets
            .into_iter()
            .map(|row| {
                let public = visible(&row);
                (row.id, public.then_some(row.updated_at), public)
            })
            .collect(),
    }))
}
