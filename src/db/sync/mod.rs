//! The sync feed's storage: where a reader is in the change log, and the changes after it,
//! each resolved to the resource as it is now or to its removal from the reader's view.
//!
//! A public reader's positions count only the changes the public may see (`public_seq`,
//! which has no gaps), so a position says nothing about unpublished work between two public
//! changes; an admin reader's count every change (`seq`). The log keeps changes for the
//! configured retention ([`prune`]); a position older than what it keeps, or newer than its
//! newest change, is [`StoreError::Gone`]: the reader must sync from scratch.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::articles::{Article, Visibility};
use super::changes::Recorded;
use super::tags::{Tag, TagScope};
use super::{Conn, StoreError, StoreResult};
use crate::schema::{change_horizon, changes};

mod delta;
mod initial;

/// Whose view of the log: the public's, or an admin's (drafts and scheduled articles too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Public,
    All,
}

/// Where a reader is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// In the initial sync, past the article `after` (by id); the log follows from `base`.
    Articles { base: i64, after: i64 },
    /// In the initial sync, past the tag `after` (by slug, "" for none yet).
    Tags { base: i64, after: String },
    /// After the change at log position `at`.
    Log(i64),
}

/// What the feed is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub scope: Scope,
    /// `None`: an initial sync.
    pub position: Option<Position>,
    pub articles: bool,
    pub tags: bool,
    /// Only articles carrying this tag, and only this tag.
    pub tag: Option<String>,
    pub limit: i64,
    pub now: NaiveDateTime,
}

/// A resource as the reader should now hold it.
#[derive(Debug, Clone)]
pub enum Entry {
    Article(Box<Article>),
    Tag(Tag),
    /// No longer in the reader's view: `reason` is `deleted`, `unpublished`, `archived`,
    /// `untagged` (it left the tag the feed is filtered by) or `renamed` (a tag's old slug).
    Gone {
        article: bool,
        id: Option<i64>,
        slug: String,
        reason: String,
    },
}

/// One item of the feed: the change that caused it (`sync` in an initial sync) and the entry.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: String,
    pub entry: Entry,
}

/// One page of the feed.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub items: Vec<Item>,
    pub next: Position,
    pub has_more: bool,
}

/// The oldest position the log still answers for, and its newest, in `scope`.
pub fn bounds(conn: &mut Conn, scope: Scope) -> QueryResult<(i64, i64)> {
    let (seq, public_seq): (i64, i64) = change_horizon::table
        .select((change_horizon::seq, change_horizon::public_seq))
        .first(conn)?;
    let (horizon, newest) = match scope {
        Scope::Public => (
            public_seq,
            changes::table
                .select(diesel::dsl::max(changes::public_seq))
                .get_result::<Option<i64>>(conn)?,
        ),
        Scope::All => (
            seq,
            changes::table
                .select(diesel::dsl::max(changes::seq))
                .get_result::<Option<i64>>(conn)?,
        ),
    };
    Ok((horizon, newest.unwrap_or(horizon).max(horizon)))
}

/// The position of `change` in `scope` (public changes only, for the public).
pub fn position_of(change: &Recorded, scope: Scope) -> Option<i64> {
    match scope {
        Scope::Public => change.public_seq,
        Scope::All => Some(change.seq),
    }
}

/// Refuses a position the log no longer (or never) answers for; else the log's newest.
pub fn check(conn: &mut Conn, scope: Scope, at: i64) -> StoreResult<i64> {
    let (horizon, newest) = bounds(conn, scope)?;
    if at < horizon || at > newest {
        return Err(StoreError::Gone(
            "This sync token is older than the change log keeps (or was not issued here): sync from scratch, without `since`.".to_owned(),
        ));
    }
    Ok(newest)
}

/// Whose changes a reader of the log follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Following {
    /// Articles only (the sync feed's `type=article`).
    Articles,
    /// Articles and tags: the sync feed.
    ArticlesAndTags,
    /// Every resource: the event stream (authors and collections too).
    Everything,
}

/// The changes in `scope` after position `at`, oldest first, at most `limit`, of the
/// resources `following` names. (Articles' changes are always read: they bring tags into
/// view and out of it.)
pub fn changes_after(
    conn: &mut Conn,
    scope: Scope,
    at: i64,
    following: Following,
    limit: i64,
) -> QueryResult<Vec<Recorded>> {
    let mut query = changes::table.select(Recorded::as_select()).into_boxed();
    query = match scope {
        Scope::Public => query
            .filter(changes::public_seq.gt(at))
            .order(changes::public_seq),
        Scope::All => query.filter(changes::seq.gt(at)).order(changes::seq),
    };
    query = match following {
        Following::Everything => query,
        Following::ArticlesAndTags => query.filter(
            changes::resource
                .like("article:%")
                .or(changes::resource.like("tag:%")),
        ),
        Following::Articles => query.filter(changes::resource.like("article:%")),
    };
    query.limit(limit).load(conn)
}

/// One page of the feed, read in one transaction.
pub fn page(conn: &mut Conn, req: &Request) -> StoreResult<FeedPage> {
    conn.transaction(|conn| match &req.position {
        None => {
            let (_, base) = bounds(conn, req.scope)?;
            match req.articles {
                true => initial::articles(conn, req, base, 0),
                false => initial::tags(conn, req, base, ""),
            }
        }
        Some(Position::Log(at)) => {
            let newest = check(conn, req.scope, *at)?;
            delta::delta(conn, req, *at, newest)
        }
        Some(Position::Articles { base, after }) => {
            check(conn, req.scope, *base)?;
            initial::articles(conn, req, *base, *after)
        }
        Some(Position::Tags { base, after }) => {
            check(conn, req.scope, *base)?;
            initial::tags(conn, req, *base, after)
        }
    })
}

fn visibility(scope: Scope, now: NaiveDateTime) -> Visibility {
    match scope {
        Scope::Public => Visibility::Public { now },
        Scope::All => Visibility::All,
    }
}

fn tag_scope(scope: Scope) -> TagScope {
    match scope {
        Scope::Public => TagScope::Public,
        Scope::All => TagScope::All,
    }
}

/// Forgets the changes recorded before `cutoff`, keeping the newest change whatever its
/// age, and moves the horizon past them. Returns how many it forgot.
pub fn prune(conn: &mut Conn, cutoff: NaiveDateTime) -> StoreResult<usize> {
    super::write(conn, |conn| {
        let newest: Option<i64> = changes::table
            .select(diesel::dsl::max(changes::seq))
            .get_result(conn)?;
        let Some(newest) = newest else {
            return Ok(0);
        };
        let old = changes::table
            .filter(changes::created_at.lt(cutoff))
            .filter(changes::seq.lt(newest));
        let (seq, public_seq): (Option<i64>, Option<i64>) = old
            .select((
                diesel::dsl::max(changes::seq),
                diesel::dsl::max(changes::public_seq),
            ))
            .get_result(conn)?;
        let Some(seq) = seq else {
            return Ok(0);
        };
        let kept_public: i64 = change_horizon::table
            .select(change_horizon::public_seq)
            .first(conn)?;
        let forgotten =
            diesel::delete(changes::table.filter(changes::seq.le(seq))).execute(conn)?;
        diesel::update(change_horizon::table)
            .set((
                change_horizon::seq.eq(seq),
                change_horizon::public_seq.eq(public_seq.unwrap_or(kept_public).max(kept_public)),
            ))
            .execute(conn)?;
        Ok(forgotten)
    })
}
