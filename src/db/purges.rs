//! How far each purge URL (`CACHE_PURGE_URLS`) has been told of the change log
//! ([`super::changes`]): durable, so purges survive restarts, and leased, so that of several
//! replicas one at a time sends a URL's purges.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Conn, changes};
use crate::schema::purge_progress;

/// A URL's place in the log, claimed for a while by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Claimed {
    pub seq: i64,
    pub attempts: i64,
}

/// Makes sure `url` has a place in the log: a URL seen for the first time starts at the
/// end (a CDN is not told of what changed before it was configured).
pub fn ensure(conn: &mut Conn, url: &str) -> QueryResult<()> {
    let known: i64 = purge_progress::table
        .filter(purge_progress::url.eq(url))
        .count()
        .get_result(conn)?;
    if known == 0 {
        let seq = changes::last(conn)?;
        let inserted = diesel::insert_into(purge_progress::table)
            .values((
                purge_progress::url.eq(url),
                purge_progress::seq.eq(seq),
                purge_progress::attempts.eq(0_i64),
            ))
            .execute(conn);
        // Another replica registered it meanwhile: its place stands.
        match inserted {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// Claims `url` until `until`, when no one holds it and its next attempt is due by `now`.
pub fn claim(
    conn: &mut Conn,
    url: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    let claimed = diesel::update(
        purge_progress::table
            .filter(purge_progress::url.eq(url))
            .filter(
                purge_progress::leased_until
                    .is_null()
                    .or(purge_progress::leased_until.lt(now)),
            )
            .filter(
                purge_progress::next_attempt_at
                    .is_null()
                    .or(purge_progress::next_attempt_at.le(now)),
            ),
    )
    .set(purge_progress::leased_until.eq(until))
    .execute(conn)?;
    if claimed != 1 {
        return Ok(None);
    }
    purge_progress::table
        .filter(purge_progress::url.eq(url))
        .select((purge_progress::seq, purge_progress::attempts))
        .first(conn)
        .optional()
}

/// `url` was told of every change up to `seq`; its lease ends.
pub fn advance(conn: &mut Conn, url: &str, seq: i64) -> QueryResult<()> {
    diesel::update(purge_progress::table.filter(purge_progress::url.eq(url)))
        .set((
            purge_progress::seq.eq(seq),
            purge_progress::attempts.eq(0_i64),
            purge_progress::next_attempt_at.eq(None::<NaiveDateTime>),
            purge_progress::leased_until.eq(None::<NaiveDateTime>),
            purge_progress::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Telling `url` failed (`error`, its `attempts`-th failure in a row): try again at `next`.
pub fn failed(
    conn: &mut Conn,
    url: &str,
    attempts: i64,
    next: NaiveDateTime,
    error: &str,
) -> QueryResult<()> {
    diesel::update(purge_progress::table.filter(purge_progress::url.eq(url)))
        .set((
            purge_progress::attempts.eq(attempts),
            purge_progress::next_attempt_at.eq(Some(next)),
            purge_progress::leased_until.eq(None::<NaiveDateTime>),
            purge_progress::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(drop)
}

/// Lets `url` go without telling it anything (nothing new in the log).
pub fn release(conn: &mut Conn, url: &str) -> QueryResult<()> {
    diesel::update(purge_progress::table.filter(purge_progress::url.eq(url)))
        .set(purge_progress::leased_until.eq(None::<NaiveDateTime>))
        .execute(conn)
        .map(drop)
}
