//! Corrections: dated notes an editor appends to an article in public, shown in order at its
//! foot. Appended through the article's write path ([`crate::db::articles::correct`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use crate::schema::article_corrections;

/// A correction as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = article_corrections, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Correction {
    pub id: i64,
    pub body: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
}

/// A new correction, validated and rendered; `created_at` absent means now (an import gives
/// it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewCorrection {
    pub body: String,
    pub body_html: String,
    pub created_at: Option<NaiveDateTime>,
}

/// Article `article`'s corrections, oldest first.
pub fn of_article(conn: &mut Conn, article: i64) -> QueryResult<Vec<Correction>> {
    article_corrections::table
        .filter(article_corrections::article_id.eq(article))
        .order((article_corrections::created_at, article_corrections::id))
        .select(Correction::as_select())
        .load(conn)
}

/// Appends `new` to article `article`'s corrections, inside the caller's write.
pub(in crate::db) fn append(
    conn: &mut Conn,
    article: i64,
    new: &NewCorrection,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(article_corrections::table)
        .values((
            article_corrections::article_id.eq(article),
            article_corrections::body.eq(&new.body),
            article_corrections::body_html.eq(&new.body_html),
            article_corrections::created_at.eq(new.created_at.unwrap_or(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces article `article`'s corrections with `new` (an import), inside the caller's write.
pub(in crate::db) fn replace(
    conn: &mut Conn,
    article: i64,
    new: &[NewCorrection],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(article_corrections::table.filter(article_corrections::article_id.eq(article)))
        .execute(conn)?;
    for correction in new {
        append(conn, article, correction, now)?;
    }
    Ok(())
}
