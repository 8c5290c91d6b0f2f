//! Collections: curated fronts, an editor's ordered selection of articles ("Top stories").
//!
//! The public sees a collection's public items, in order; hidden ones (drafts, scheduled,
//! unpublished) are left out and come back when published. A write that changes nothing the
//! public sees of it (reordering drafts, adding a scheduled story) is not public: it names no
//! key, takes no public position, and leaves the collection's `updated_at` as it is.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::articles::model::{ArticleKey, Teaser, TeaserRow, Visibility, by_key, visible};
use super::articles::read::with_tags;
use super::{Conn, Page, StoreError, StoreResult, changes};
use crate::schema::{articles, collection_items, collections};

/// The most articles a collection holds.
pub const MAX_ITEMS: usize = 100;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = collections, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CollectionRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A collection with the items a reader sees, in order.
#[derive(Debug, Clone)]
pub struct Collection {
    pub row: CollectionRow,
    pub items: Vec<Teaser>,
}

#[derive(Debug, Clone)]
pub struct NewCollection {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub articles: Vec<ArticleKey>,
}

/// Changes to a collection's own fields: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CollectionChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// A condition a write checks against the collection as an editor sees it (an `If-Match`).
pub type Check<'a> = &'a dyn Fn(&Collection) -> StoreResult<()>;

fn not_found(slug: &str) -> StoreError {
    StoreError::NotFound(format!("No collection has the slug '{slug}'."))
}

/// One page of collections in slug order, after the slug `after`.
pub fn list(conn: &mut Conn, after: Option<&str>, limit: i64) -> StoreResult<Page<CollectionRow>> {
    let total = collections::table.select(count_star()).get_result(conn)?;
    let mut query = collections::table
        .select(CollectionRow::as_select())
        .order(collections::slug)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(collections::slug.gt(after.to_owned()));
    }
    let rows = query.limit(super::overfetch(limit)).load(conn)?;
    Ok(Page::overfetched(rows, limit, total))
}

fn find_row(conn: &mut Conn, slug: &str) -> StoreResult<CollectionRow> {
    collections::table
        .filter(collections::slug.eq(slug))
        .select(CollectionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(slug))
}

/// The ids of collection `id`'s articles, in order.
fn item_ids(conn: &mut Conn, id: i64) -> QueryResult<Vec<i64>> {
    collection_items::table
        .filter(collection_items::collection_id.eq(id))
        .order(collection_items::position)
        .select(collection_items::article_id)
        .load(conn)
}

/// Those of the articles `ids` that `vis` sees, in the order of `ids`.
fn visible_rows(conn: &mut Conn, ids: &[i64], vis: Visibility) -> QueryResult<Vec<TeaserRow>> {
    let mut rows: Vec<TeaserRow> = articles::table
        .filter(articles::id.eq_any(ids))
        .filter(visible(vis))
        .select(TeaserRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// The items of collection `id` that `vis` sees, in order, as teasers.
fn items(conn: &mut Conn, id: i64, vis: Visibility) -> QueryResult<Vec<Teaser>> {
    let ids = item_ids(conn, id)?;
    let rows = visible_rows(conn, &ids, vis)?;
    with_tags(conn, rows.into_iter().map(|r| (r, None)).collect())
}

/// The collection `slug` names, with the items `vis` sees.
pub fn find(conn: &mut Conn, slug: &str, vis: Visibility) -> StoreResult<Collection> {
    let row = find_row(conn, slug)?;
    let items = items(conn, row.id, vis)?;
    Ok(Collection { row, items })
}

/// The ids of the articles `keys` name, in order, repeats dropped; an unknown one is a 422
/// naming `articles[i]`.
fn resolve(conn: &mut Conn, keys: &[ArticleKey]) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(keys.len());
    let mut errors = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let found: Option<i64> = articles::table
            .filter(by_key(key))
            .select(articles::id)
            .first(conn)
            .optional()?;
        match found {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => errors.push((format!("articles[{i}]"), key.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    Ok(ids)
}

fn set_items(conn: &mut Conn, collection: i64, ids: &[i64]) -> QueryResult<()> {
    diesel::delete(collection_items::table.filter(collection_items::collection_id.eq(collection)))
        .execute(conn)?;
    // One row at a time: the connection serves both backends, which share no batch insert.
    for (position, id) in ids.iter().enumerate() {
        diesel::insert_into(collection_items::table)
            .values((
                collection_items::collection_id.eq(collection),
                collection_items::article_id.eq(*id),
                collection_items::position.eq(position as i64),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids of the items the public sees, in order.
fn public_ids(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    let ids = item_ids(conn, id)?;
    let rows = visible_rows(conn, &ids, Visibility::Public { now })?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Records the write `event`: the webhook event always; the change, naming the
/// collection's key (and the collection list's, when its own fields changed: `listed`), only
/// when the public sees a difference (`public`).
fn emit(
    conn: &mut Conn,
    event: &'static str,
    row: &CollectionRow,
    previous_slug: Option<&str>,
    public: bool,
    listed: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let previous_slug = previous_slug.filter(|p| *p != row.slug);
    let data = serde_json::json!({
        "slug": row.slug,
        "previous_slug": previous_slug,
        "name": row.name,
    });
    super::events::record(conn, event, &data, now)?;
    let deleted = event == "collection.deleted";
    let mut keys = changes::Keys::new();
    if public {
        keys.insert(changes::collection(&row.slug));
        keys.extend(previous_slug.map(changes::collection));
        if listed {
            keys.insert(changes::COLLECTIONS.to_owned());
        }
    }
    let change = changes::Change {
        kind: event,
        resource: format!("collection:{}", row.slug),
        keys,
        hard: public && (deleted || previous_slug.is_some()),
        public,
        slug: row.slug.clone(),
        tags: previous_slug.map(str::to_owned).into_iter().collect(),
        reason: deleted.then_some("deleted"),
        block: None,
    };
    changes::record(conn, &change, now)
}

fn check_slug_free(conn: &mut Conn, slug: &str) -> StoreResult<()> {
    match find_row(conn, slug) {
        Ok(_) => Err(StoreError::Conflict(format!(
            "A collection with the slug '{slug}' already exists."
        ))),
        Err(StoreError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn create(conn: &mut Conn, new: &NewCollection, now: NaiveDateTime) -> StoreResult<Collection> {
    super::write(conn, |conn| insert(conn, new, now))
}

/// [`create`] inside the caller's write.
fn insert(conn: &mut Conn, new: &NewCollection, now: NaiveDateTime) -> StoreResult<Collection> {
    {
        check_slug_free(conn, &new.slug)?;
        let ids = resolve(conn, &new.articles)?;
        let id: i64 = diesel::insert_into(collections::table)
            .values((
                collections::slug.eq(&new.slug),
                collections::name.eq(&new.name),
                collections::description.eq(&new.description),
                collections::created_at.eq(now),
                collections::updated_at.eq(now),
            ))
            .returning(collections::id)
            .get_result(conn)?;
        set_items(conn, id, &ids)?;
        let made = find(conn, &new.slug, Visibility::All)?;
        emit(conn, "collection.created", &made.row, None, true, true, now)?;
        Ok(made)
    }
}

pub fn update(
    conn: &mut Conn,
    slug: &str,
    changes: &CollectionChanges,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Collection> {
    super::write(conn, |conn| change_in(conn, slug, changes, now, check))
}

/// [`update`] inside the caller's write.
fn change_in(
    conn: &mut Conn,
    slug: &str,
    changes: &CollectionChanges,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Collection> {
    {
        let current = find(conn, slug, Visibility::All)?;
        check(&current)?;
        if let Some(new_slug) = changes.slug.as_deref().filter(|s| *s != slug) {
            check_slug_free(conn, new_slug)?;
        }
        diesel::update(collections::table.filter(collections::id.eq(current.row.id)))
            .set((
                changes.slug.as_ref().map(|s| collections::slug.eq(s)),
                changes.name.as_ref().map(|n| collections::name.eq(n)),
                changes
                    .description
                    .as_ref()
                    .map(|d| collections::description.eq(d)),
                collections::updated_at.eq(now),
            ))
            .execute(conn)?;
        let slug = changes.slug.as_deref().unwrap_or(slug);
        let made = find(conn, slug, Visibility::All)?;
        let previous = Some(current.row.slug.as_str());
        emit(
            conn,
            "collection.updated",
            &made.row,
            previous,
            true,
            true,
            now,
        )?;
        Ok(made)
    }
}

/// Replaces the collection's articles, in order, in one write.
pub fn replace_items(
    conn: &mut Conn,
    slug: &str,
    keys: &[ArticleKey],
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Collection> {
    super::write(conn, |conn| reorder(conn, slug, keys, now, check))
}

/// [`replace_items`] inside the caller's write.
fn reorder(
    conn: &mut Conn,
    slug: &str,
    keys: &[ArticleKey],
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Collection> {
    {
        let current = find(conn, slug, Visibility::All)?;
        check(&current)?;
        let ids = resolve(conn, keys)?;
        let before = public_ids(conn, current.row.id, now)?;
        set_items(conn, current.row.id, &ids)?;
        let public = public_ids(conn, current.row.id, now)? != before;
        if public {
            diesel::update(collections::table.filter(collections::id.eq(current.row.id)))
                .set(collections::updated_at.eq(now))
                .execute(conn)?;
        }
        let made = find(conn, slug, Visibility::All)?;
        emit(
            conn,
            "collection.updated",
            &made.row,
            None,
            public,
            false,
            now,
        )?;
        Ok(made)
    }
}

pub fn delete(conn: &mut Conn, slug: &str, now: NaiveDateTime) -> StoreResult<()> {
    super::write(conn, |conn| {
        let row = find_row(conn, slug)?;
        diesel::delete(collections::table.filter(collections::id.eq(row.id))).execute(conn)?;
        emit(conn, "collection.deleted", &row, None, true, true, now)?;
        Ok(())
    })
}

/// Creates or replaces the collection `new.slug` as an import or the demo brings it, inside
/// the caller's write; returns whether anything changed.
pub fn upsert(conn: &mut Conn, new: &NewCollection, now: NaiveDateTime) -> StoreResult<bool> {
    let current = match find(conn, &new.slug, Visibility::All) {
        Err(StoreError::NotFound(_)) => {
            insert(conn, new, now)?;
            return Ok(true);
        }
        other => other?,
    };
    let ids = resolve(conn, &new.articles)?;
    let stored: Vec<i64> = current.items.iter().map(|t| t.row.id).collect();
    let fields_same = current.row.name == new.name && current.row.description == new.description;
    if !fields_same {
        let changes = CollectionChanges {
            slug: None,
            name: Some(new.name.clone()),
            description: Some(new.description.clone()),
        };
        change_in(conn, &new.slug, &changes, now, &|_| Ok(()))?;
    }
    if stored != ids {
        reorder(conn, &new.slug, &new.articles, now, &|_| Ok(()))?;
    }
    Ok(!fields_same || stored != ids)
}
