//! The parts of an imported article beside its row: its tags and its former slugs.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::TransferError;
use crate::db::Conn;
use crate::db::articles::read::holder;
use crate::db::articles::write::retire_slug;
use crate::schema::{article_slugs, article_tags, tags as tags_t};

/// The ids of the article's tags (given by slug), in order and without repeats; each must
/// exist. `known` holds the tags found so far (an import neither deletes tags nor changes
/// their slugs), so that the database is asked only about new ones.
pub(super) fn tag_ids(
    conn: &mut Conn,
    line: u64,
    given: &[String],
    known: &mut HashMap<String, i64>,
) -> Result<Vec<(i64, String)>, TransferError> {
    let unknown: Vec<&String> = given.iter().filter(|s| !known.contains_key(*s)).collect();
    if !unknown.is_empty() {
        let found = tags_t::table
            .filter(tags_t::slug.eq_any(unknown))
            .select((tags_t::slug, tags_t::id))
            .load::<(String, i64)>(conn)?;
        known.extend(found);
    }
    let mut errors = Vec::new();
    let mut ids: Vec<(i64, String)> = Vec::with_capacity(given.len());
    for (i, slug) in given.iter().enumerate() {
        match known.get(slug) {
            None => errors.push((
                format!("tags[{i}]"),
                format!("no tag has the slug '{slug}' (a tag's record must come before the articles that use it)"),
            )),
            Some(id) if !ids.iter().any(|(seen, _)| seen == id) => ids.push((*id, slug.clone())),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(TransferError::Invalid { line, errors })
    }
}

/// Sets the tags of article `id`, in order, replacing any it has (unless `new`).
pub(super) fn set_tags(
    conn: &mut Conn,
    id: i64,
    tags: &[(i64, String)],
    new: bool,
) -> QueryResult<()> {
    if !new {
        diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id)))
            .execute(conn)?;
    }
    let ids: Vec<i64> = tags.iter().map(|(id, _)| *id).collect();
    crate::db::tags::link(conn, id, &ids)?;
    Ok(())
}

/// Replaces the former slugs of article `id` (whose slug is `slug`) with `former`.
pub(super) fn set_former(
    conn: &mut Conn,
    line: u64,
    id: i64,
    slug: &str,
    former: &[String],
    now: NaiveDateTime,
) -> Result<(), TransferError> {
    let mut errors = Vec::new();
    for (i, old) in former.iter().enumerate() {
        if old == slug {
            errors.push((
                format!("former_slugs[{i}]"),
                "is the article's current slug".to_owned(),
            ));
        } else if let Some(other) = holder(conn, old, id)? {
            errors.push((
                format!("former_slugs[{i}]"),
                format!("'{old}' belongs to the article '{other}' (as its slug or a former one)"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(TransferError::Invalid { line, errors });
    }
    diesel::delete(article_slugs::table.filter(article_slugs::article_id.eq(id))).execute(conn)?;
    for old in former {
        retire_slug(conn, old, id, now)?;
    }
    Ok(())
}

pub(super) fn sorted(mut slugs: Vec<String>) -> Vec<String> {
    slugs.sort();
    slugs.dedup();
    slugs
}
