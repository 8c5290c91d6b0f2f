//! The sync feed's storage: where a reader is in the change log, and the changes after it,
//! each resolved to the resource as it is now or to its removal from the reader's view.
//!
//! A public reader's positions count only the changes the public may see (`public_seq`,
//! which has no gaps), so a position says nothing about unpublished work between two public
//! changes; an admin reader's count every change (`seq`). The log keeps changes for the
//! configured retention ([`prune`]); a position older than what it keeps, or newer than its
//! newest change, is [`StoreError::Gone`]: the reader must sync from scratch.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::articles::model::visible;
use super::articles::{self, Article, ArticleKey, Visibility};
use super::changes::Recorded;
use super::tags::{self, Tag, TagScope};
use super::{Conn, StoreError, StoreResult};
use crate::schema::{
    article_tags, articles as articles_t, change_horizon, changes, tags as tags_t,
};

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

/// Refuses a position the log no longer (or never) answers for.
pub fn check(conn: &mut Conn, scope: Scope, at: i64) -> StoreResult<()> {
    let (horizon, newest) = bounds(conn, scope)?;
    if at < horizon || at > newest {
        return Err(StoreError::Gone(
            "This sync token is older than the change log keeps (or was not issued here): sync from scratch, without `since`.".to_owned(),
        ));
    }
    Ok(())
}

/// The changes in `scope` after position `at`, oldest first, at most `limit`; with `tags`
/// false, none of a tag. (Articles' changes are always read: they bring tags into view and
/// out of it.)
pub fn changes_after(
    conn: &mut Conn,
    scope: Scope,
    at: i64,
    tags: bool,
    limit: i64,
) -> QueryResult<Vec<Recorded>> {
    let mut query = changes::table.select(Recorded::as_select()).into_boxed();
    query = match scope {
        Scope::Public => query
            .filter(changes::public_seq.gt(at))
            .order(changes::public_seq),
        Scope::All => query.filter(changes::seq.gt(at)).order(changes::seq),
    };
    if !tags {
        query = query.filter(changes::resource.like("article:%"));
    }
    query.limit(limit).load(conn)
}

/// One page of the feed, read in one transaction.
pub fn page(conn: &mut Conn, req: &Request) -> StoreResult<FeedPage> {
    conn.transaction(|conn| match &req.position {
        None => {
            let (_, base) = bounds(conn, req.scope)?;
            initial(conn, req, &start(req, base))
        }
        Some(Position::Log(at)) => {
            check(conn, req.scope, *at)?;
            delta(conn, req, *at)
        }
        Some(initial_position) => {
            let (Position::Articles { base, .. } | Position::Tags { base, .. }) = initial_position
            else {
                unreachable!("a log position is matched above")
            };
            check(conn, req.scope, *base)?;
            initial(conn, req, initial_position)
        }
    })
}

fn start(req: &Request, base: i64) -> Position {
    match req.articles {
        true => Position::Articles { base, after: 0 },
        false => Position::Tags {
            base,
            after: String::new(),
        },
    }
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

/// A page of the initial sync: every article the reader sees by id, then every tag by slug.
fn initial(conn: &mut Conn, req: &Request, at: &Position) -> StoreResult<FeedPage> {
    let synced = |entry| Item {
        kind: "sync".to_owned(),
        entry,
    };
    let vis = visibility(req.scope, req.now);
    match at {
        Position::Articles { base, after } => {
            let mut ids = articles_t::table
                .filter(visible(vis))
                .filter(articles_t::id.gt(*after))
                .order(articles_t::id)
                .select(articles_t::id)
                .limit(req.limit + 1)
                .into_boxed();
            if let Some(tag) = &req.tag {
                ids = ids.filter(
                    articles_t::id.eq_any(
                        article_tags::table
                            .inner_join(tags_t::table)
                            .filter(tags_t::slug.eq(tag.clone()))
                            .select(article_tags::article_id),
                    ),
                );
            }
            let mut ids: Vec<i64> = ids.load(conn)?;
            let more = ids.len() as i64 > req.limit;
            ids.truncate(req.limit as usize);
            let mut items = Vec::with_capacity(ids.len());
            for id in &ids {
                let article = articles::find(conn, &ArticleKey::Id(*id), vis)?;
                items.push(synced(Entry::Article(Box::new(article))));
            }
            let (next, has_more) = match (more, ids.last()) {
                (true, Some(last)) => (
                    Position::Articles {
                        base: *base,
                        after: *last,
                    },
                    true,
                ),
                _ if req.tags => (
                    Position::Tags {
                        base: *base,
                        after: String::new(),
                    },
                    true,
                ),
                _ => (Position::Log(*base), false),
            };
            Ok(FeedPage {
                items,
                next,
                has_more,
            })
        }
        Position::Tags { base, after } => {
            let scope = tag_scope(req.scope);
            let (items, next) = match &req.tag {
                Some(slug) => {
                    let found = match tags::find(conn, slug, req.now, scope) {
                        Ok(tag) => vec![synced(Entry::Tag(tag))],
                        Err(StoreError::NotFound(_)) => Vec::new(),
                        Err(e) => return Err(e),
                    };
                    (found, None)
                }
                None => {
                    let after = Some(after.as_str()).filter(|a| !a.is_empty());
                    let page = tags::list(conn, after, req.limit, req.now, scope)?;
                    let next = page
                        .items
                        .last()
                        .filter(|_| page.has_more)
                        .map(|t| t.row.slug.clone());
                    let items = page.items.into_iter().map(Entry::Tag).map(synced);
                    (items.collect(), next)
                }
            };
            Ok(FeedPage {
                items,
                has_more: next.is_some(),
                next: match next {
                    Some(after) => Position::Tags { base: *base, after },
                    None => Position::Log(*base),
                },
            })
        }
        Position::Log(at) => delta(conn, req, *at),
    }
}

/// A page of changes after log position `at`: each resource once, as it is now (or gone),
/// in the order of its last change in the page.
fn delta(conn: &mut Conn, req: &Request, at: i64) -> StoreResult<FeedPage> {
    let (_, newest) = bounds(conn, req.scope)?;
    let mut read = changes_after(conn, req.scope, at, req.tags, req.limit + 1)?;
    let has_more = read.len() as i64 > req.limit;
    read.truncate(req.limit as usize);
    let next = match (has_more, read.last()) {
        (true, Some(last)) => position_of(last, req.scope).unwrap_or(at),
        // Nothing of the asked types up to `newest` (read before the changes were): the
        // next page starts there, not at the last match, so that it skips what was passed.
        _ => newest.max(at),
    };
    // The last change of each resource, with every tag its changes in the page named. An
    // article joining or leaving a tag's public lists may bring the tag into view or take it
    // out (its count changes too): the tag is resolved as well, as of that change.
    let mut last: HashMap<String, (usize, Vec<&str>)> = HashMap::new();
    for (i, change) in read.iter().enumerate() {
        let entry = last.entry(change.resource.clone()).or_default();
        entry.0 = i;
        entry.1.extend(change.tags.0.iter().map(String::as_str));
        if change.resource.starts_with("article:") {
            for tag in &change.tags.0 {
                if change.keys.0.contains(&super::changes::tag_list(tag)) {
                    last.insert(format!("tag:{tag}"), (i, Vec::new()));
                }
            }
        }
    }
    let mut order: Vec<(String, usize, Vec<&str>)> = last
        .into_iter()
        .map(|(r, (i, tags))| (r, i, tags))
        .collect();
    order.sort_unstable_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    let mut items = Vec::with_capacity(order.len());
    for (resource, i, tags_named) in order {
        let change = &read[i];
        if let Some(entry) = resolve(conn, req, change, &resource, &tags_named)? {
            items.extend(entry.into_iter().map(|entry| Item {
                kind: change.kind.clone(),
                entry,
            }));
        }
    }
    Ok(FeedPage {
        items,
        next: Position::Log(next),
        has_more,
    })
}

/// The entries `change` (the last of `resource` in a page, whose changes named
/// `tags_named`) gives the reader: none when the resource is out of the reader's view for
/// a reason a later change will tell. `resource` is the change's own, or a tag an article's
/// change moved it in or out of.
fn resolve(
    conn: &mut Conn,
    req: &Request,
    change: &Recorded,
    resource: &str,
    tags_named: &[&str],
) -> StoreResult<Option<Vec<Entry>>> {
    let gone = |article: bool, id: Option<i64>, slug: &str, reason: &str| Entry::Gone {
        article,
        id,
        slug: slug.to_owned(),
        reason: reason.to_owned(),
    };
    if let Some(id) = resource.strip_prefix("article:") {
        if !req.articles {
            return Ok(None);
        }
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let filtered = req.tag.as_deref();
        let had_tag = filtered.is_none_or(|t| tags_named.contains(&t));
        if let Some(reason) = &change.reason {
            return Ok(had_tag.then(|| vec![gone(true, Some(id), &change.slug, reason)]));
        }
        let vis = visibility(req.scope, req.now);
        let article = match articles::find(conn, &ArticleKey::Id(id), vis) {
            Ok(article) => article,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let has_tag = filtered.is_none_or(|t| article.tags.iter().any(|tag| tag.slug == t));
        return Ok(match (has_tag, had_tag) {
            (true, _) => Some(vec![Entry::Article(Box::new(article))]),
            (false, true) => Some(vec![gone(true, Some(id), &change.slug, "untagged")]),
            (false, false) => None,
        });
    }
    let Some(slug) = resource.strip_prefix("tag:") else {
        return Ok(None);
    };
    if !req.tags {
        return Ok(None);
    }
    let wanted = |s: &str| req.tag.as_deref().is_none_or(|t| t == s);
    // Of a tag's own change: its former slug when renamed, and why it went when it did.
    let (renamed, reason) = match change.resource == resource {
        true => (change.tags.0.as_slice(), change.reason.as_deref()),
        false => (&[][..], None),
    };
    let mut entries: Vec<Entry> = renamed
        .iter()
        .filter(|former| wanted(former))
        .map(|former| gone(false, None, former, "renamed"))
        .collect();
    if wanted(slug) {
        match reason {
            Some(reason) => entries.push(gone(false, None, slug, reason)),
            None => match tags::find(conn, slug, req.now, tag_scope(req.scope)) {
                Ok(tag) => entries.push(Entry::Tag(tag)),
                // Seen on an article the public could read, and no longer carried by one.
                Err(StoreError::NotFound(_)) if change.resource != resource => {
                    entries.push(gone(false, None, slug, "unpublished"));
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            },
        }
    }
    Ok(Some(entries).filter(|e| !e.is_empty()))
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
