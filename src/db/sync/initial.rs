//! The initial sync: every article the reader sees by id, then every tag by slug, page by
//! page, and then the log from where the sync began.

use diesel::prelude::*;

use super::{Entry, FeedPage, Item, Position, Request, tag_scope, visibility};
use crate::db::articles::model::visible;
use crate::db::articles::{self, ArticleKey};
use crate::db::tags;
use crate::db::{Conn, StoreError, StoreResult};
use crate::schema::{article_tags, articles as articles_t, tags as tags_t};

fn synced(entry: Entry) -> Item {
    Item {
        kind: "sync".to_owned(),
        entry,
    }
}

/// A page of the initial sync's articles the reader sees, by id after `after`; then its
/// tags, or the log from `base`.
pub(super) fn articles(
    conn: &mut Conn,
    req: &Request,
    base: i64,
    after: i64,
) -> StoreResult<FeedPage> {
    let vis = visibility(req.scope, req.now);
    let mut ids = articles_t::table
        .filter(visible(vis))
        .filter(articles_t::id.gt(after))
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
        (true, Some(last)) => (Position::Articles { base, after: *last }, true),
        _ if req.tags => (
            Position::Tags {
                base,
                after: String::new(),
            },
            true,
        ),
        _ => (Position::Log(base), false),
    };
    Ok(FeedPage {
        items,
        next,
        has_more,
    })
}

/// A page of the initial sync's tags, by slug after `after` ("" for none yet); then the log
/// from `base`.
pub(super) fn tags(
    conn: &mut Conn,
    req: &Request,
    base: i64,
    after: &str,
) -> StoreResult<FeedPage> {
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
            let after = Some(after).filter(|a| !a.is_empty());
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
            Some(after) => Position::Tags { base, after },
            None => Position::Log(base),
        },
    })
}
