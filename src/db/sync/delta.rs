//! A page of the log after a position, each resource resolved to what the reader should now
//! hold.

use std::collections::HashMap;

use super::{
    Entry, FeedPage, Item, Position, Request, changes_after, position_of, tag_scope, visibility,
};
use crate::db::articles::{self, ArticleKey};
use crate::db::changes::Recorded;
use crate::db::tags;
use crate::db::{Conn, StoreError, StoreResult};

/// A page of changes after log position `at`: each resource once, as it is now (or gone),
/// in the order of its last change in the page.
/// `newest` is the log's newest position, read before the changes are.
pub(super) fn delta(conn: &mut Conn, req: &Request, at: i64, newest: i64) -> StoreResult<FeedPage> {
    // Authors and collections are not in the feed (the event stream carries them).
    let following = match req.tags {
        true => super::Following::ArticlesAndTags,
        false => super::Following::Articles,
    };
    let mut read = changes_after(conn, req.scope, at, following, req.limit + 1)?;
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
                if change.keys.0.contains(&crate::db::changes::tag_list(tag)) {
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
