//! Tags and the number of published articles carrying each.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamp};

use super::articles::model::ArticleStatus;
use super::{Conn, Page, StoreError, StoreResult, changes};
use crate::content::tag_slug;
use crate::schema::{article_tags, articles, tag_counts, tags};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tags, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TagRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A tag with the number of articles the public can read that carry it.
#[derive(Debug, Clone)]
pub struct Tag {
    pub row: TagRow,
    pub article_count: i64,
}

#[derive(Debug, Clone)]
pub struct NewTag {
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
}

/// Changes to a tag: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TagChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
}

#[derive(AsChangeset)]
#[diesel(table_name = tags)]
struct TagChangeset<'a> {
    name: Option<&'a str>,
    slug: Option<&'a str>,
    description: Option<Option<&'a str>>,
    updated_at: NaiveDateTime,
}

fn not_found(slug: &str) -> StoreError {
    StoreError::NotFound(format!("No tag has the slug '{slug}'."))
}

diesel::define_sql_function! {
    /// SQLite's `lower()` (ASCII case folding).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The id of the tag `name_or_slug` names, created if none does: a tag with this slug, else
/// one with this name (ignoring ASCII case), else one whose slug is this name's slug form.
pub fn ensure(conn: &mut Conn, name_or_slug: &str, now: NaiveDateTime) -> QueryResult<i64> {
    let given = name_or_slug.trim();
    let slug = tag_slug(given);
    let found = tags::table
        .filter(
            tags::slug
                .eq(given)
                .or(lower(tags::name).eq(given.to_ascii_lowercase()))
                .or(tags::slug.eq(&slug)),
        )
        .select((tags::id, tags::slug, tags::name))
        .load::<(i64, String, String)>(conn)?;
    let best = found
        .iter()
        .find(|(_, s, _)| s == given)
        .or_else(|| found.iter().find(|(_, _, n)| n.eq_ignore_ascii_case(given)))
        .or_else(|| found.first());
    if let Some((id, _, _)) = best {
        return Ok(*id);
    }
    diesel::insert_into(tags::table)
        .values((
            tags::slug.eq(&slug),
            tags::name.eq(given),
            tags::created_at.eq(now),
            tags::updated_at.eq(now),
        ))
        .returning(tags::id)
        .get_result(conn)
}

/// Which tags a read sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagScope {
    /// Those carried by at least one article the public can read: a tag only unpublished
    /// articles carry (or none) is not public yet, so that nothing about it (its name,
    /// dates, existence) shows before its first article does.
    Public,
    /// Every tag (admin reads).
    All,
}

type TagFilter = Box<dyn BoxableExpression<tags::table, super::Backend, SqlType = Bool>>;

/// The tags `scope` sees at `now`. The public test stops at the first public article the
/// tag has; on SQLite it reads the article's status and date from an index that holds them
/// (in the row they sit past the body).
fn in_scope(conn: &Conn, scope: TagScope, now: NaiveDateTime) -> TagFilter {
    match scope {
        TagScope::All => Box::new(tags::id.is_not_null()),
        TagScope::Public => {
            let articles = match conn {
                super::AnyConnection::Sqlite(_) => "articles a INDEXED BY articles_visibility",
                super::AnyConnection::Postgres(_) => "articles a",
            };
            Box::new(
                diesel::dsl::sql::<Bool>(&format!(
                    "EXISTS (SELECT 1 FROM article_tags at JOIN {articles} \
                     ON a.id = at.article_id WHERE at.tag_id = tags.id \
                     AND a.status = '{}' AND a.published_at <= ",
                    ArticleStatus::Published
                ))
                .bind::<Timestamp, _>(now)
                .sql(")"),
            )
        }
    }
}

/// How many articles the public can read carry each of the tags `ids`: the count of published
/// articles the database keeps per tag (`tag_counts`), less those published but not yet due
/// (or undated), which the (status, published_at) index finds without reading the others. The
/// work is a lookup per tag and a look at each article not yet due, whatever page is asked
/// for, where counting meant reading every link of every tag on the page.
fn public_counts(
    conn: &mut Conn,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<HashMap<i64, i64>> {
    let mut counts: HashMap<i64, i64> = tag_counts::table
        .filter(tag_counts::tag_id.eq_any(ids))
        .select((tag_counts::tag_id, tag_counts::published))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    // Two queries, not one with an OR, which SQLite would answer by reading every published
    // article's index entry.
    let not_due: Vec<(i64, i64)> = articles::table
        .inner_join(article_tags::table)
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.gt(now))
        .group_by(article_tags::tag_id)
        .select((article_tags::tag_id, count_star()))
        .load(conn)?;
    let undated: Vec<(i64, i64)> = articles::table
        .inner_join(article_tags::table)
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.is_null())
        .group_by(article_tags::tag_id)
        .select((article_tags::tag_id, count_star()))
        .load(conn)?;
    for (tag, hidden) in not_due.into_iter().chain(undated) {
        if let Some(n) = counts.get_mut(&tag) {
            *n -= hidden;
        }
    }
    Ok(counts)
}

fn with_counts(conn: &mut Conn, rows: Vec<TagRow>, now: NaiveDateTime) -> QueryResult<Vec<Tag>> {
    let counts = public_counts(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>(), now)?;
    Ok(rows
        .into_iter()
        .map(|row| Tag {
            article_count: counts.get(&row.id).copied().unwrap_or(0),
            row,
        })
        .collect())
}

/// One page of the tags `scope` sees, in slug order, starting after the slug `after`.
pub fn list(
    conn: &mut Conn,
    after: Option<&str>,
    limit: i64,
    now: NaiveDateTime,
    scope: TagScope,
) -> StoreResult<Page<Tag>> {
    let total = tags::table
        .filter(in_scope(conn, scope, now))
        .select(count_star())
        .get_result(conn)?;
    let mut query = tags::table
        .filter(in_scope(conn, scope, now))
        .select(TagRow::as_select())
        .order(tags::slug)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tags::slug.gt(after.to_owned()));
    }
    let rows: Vec<TagRow> = query.limit(super::overfetch(limit)).load(conn)?;
    Ok(Page::overfetched(rows, limit, total).try_map(|rows| with_counts(conn, rows, now))?)
}

fn find_row(conn: &mut Conn, slug: &str) -> StoreResult<TagRow> {
    tags::table
        .filter(tags::slug.eq(slug))
        .select(TagRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(slug))
}

/// The tag `slug` names, if `scope` sees it; the same not-found for a tag out of scope as for
/// no tag at all.
pub fn find(conn: &mut Conn, slug: &str, now: NaiveDateTime, scope: TagScope) -> StoreResult<Tag> {
    let row = tags::table
        .filter(tags::slug.eq(slug))
        .filter(in_scope(conn, scope, now))
        .select(TagRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(slug))?;
    Ok(with_counts(conn, vec![row], now)?.remove(0))
}

fn check_slug_free(conn: &mut Conn, slug: &str) -> StoreResult<()> {
    let taken = tags::table
        .filter(tags::slug.eq(slug))
        .select(tags::id)
        .first::<i64>(conn)
        .optional()?;
    match taken {
        Some(_) => Err(StoreError::Conflict(format!(
            "A tag with the slug '{slug}' already exists."
        ))),
        None => Ok(()),
    }
}

/// Records the tag write `event` (webhook event and change); `public` says whether the public
/// can see the tag (for a deletion: could, before it).
pub(super) fn emit(
    conn: &mut Conn,
    event: &'static str,
    tag: &TagRow,
    previous_slug: Option<&str>,
    public: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let previous_slug = previous_slug.filter(|p| *p != tag.slug);
    let data = serde_json::json!({
        "slug": tag.slug,
        "previous_slug": previous_slug,
        "name": tag.name,
        "description": tag.description,
    });
    super::events::record(conn, event, &data, now)?;
    let mut change = change(event, &tag.slug, previous_slug);
    change.public = public;
    super::changes::record(conn, &change, now)
}

/// Up to `limit` tags the public sees at `now` whose names begin with `text` (ignoring
/// ASCII case), or whose slugs begin with its slug form, in name order: `(slug, name)`.
pub fn beginning(
    conn: &mut Conn,
    text: &str,
    now: NaiveDateTime,
    limit: usize,
) -> QueryResult<Vec<(String, String)>> {
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    };
    let name = format!("{}%", escape(&text.to_ascii_lowercase()));
    // A text with no slug form (no ASCII letter or digit) begins no slug.
    let slug = match tag_slug(text) {
        s if s.is_empty() => "\0".to_owned(),
        s => format!("{}%", escape(&s)),
    };
    tags::table
        .filter(
            lower(tags::name)
                .like(name)
                .escape('\\')
                .or(tags::slug.like(slug).escape('\\')),
        )
        .filter(in_scope(conn, TagScope::Public, now))
        .order((tags::name, tags::slug))
        .select((tags::slug, tags::name))
        .limit(limit as i64)
        .load(conn)
}

/// Whether the public can see the tag `id` at `now` (an article it can read carries it).
pub(super) fn is_public(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let found = tags::table
        .filter(tags::id.eq(id))
        .filter(in_scope(conn, TagScope::Public, now))
        .select(tags::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// What a tag write changes: the tag's data and lists under its slugs (old and new), the tag
/// list, and search (tag names are searched). A deletion also touched the updated time of
/// every article that carried the tag. A renamed tag's record keeps its former slug in
/// `tags`, so that a sync client can drop it. Not public until the caller says so.
fn change(event: &'static str, slug: &str, previous_slug: Option<&str>) -> changes::Change {
    let deleted = event == "tag.deleted";
    let mut keys = changes::Keys::new();
    for slug in std::iter::once(slug).chain(previous_slug) {
        keys.insert(changes::tag(slug));
        keys.insert(changes::tag_list(slug));
    }
    keys.extend([changes::TAGS, changes::SEARCH].map(str::to_owned));
    if deleted {
        keys.insert(changes::ALL_ARTICLES.to_owned());
    }
    changes::Change {
        kind: event,
        resource: format!("tag:{slug}"),
        keys,
        hard: deleted || previous_slug.is_some(),
        public: false,
        slug: slug.to_owned(),
        tags: previous_slug.map(str::to_owned).into_iter().collect(),
        reason: deleted.then_some("deleted"),
        block: None,
    }
}

pub fn create(conn: &mut Conn, new: &NewTag, now: NaiveDateTime) -> StoreResult<Tag> {
    super::write(conn, |conn| {
        check_slug_free(conn, &new.slug)?;
        diesel::insert_into(tags::table)
            .values((
                tags::slug.eq(&new.slug),
                tags::name.eq(&new.name),
                tags::description.eq(&new.description),
                tags::created_at.eq(now),
                tags::updated_at.eq(now),
            ))
            .execute(conn)?;
        let tag = find(conn, &new.slug, now, TagScope::All)?;
        emit(conn, "tag.created", &tag.row, None, false, now)?;
        Ok(tag)
    })
}

pub fn update(
    conn: &mut Conn,
    slug: &str,
    changes: &TagChanges,
    now: NaiveDateTime,
) -> StoreResult<Tag> {
    super::write(conn, |conn| {
        let current = find_row(conn, slug)?;
        if let Some(new_slug) = changes.slug.as_deref().filter(|s| *s != current.slug) {
            check_slug_free(conn, new_slug)?;
        }
        diesel::update(tags::table.filter(tags::id.eq(current.id)))
            .set(&TagChangeset {
                name: changes.name.as_deref(),
                slug: changes.slug.as_deref(),
                description: changes.description.as_ref().map(|d| d.as_deref()),
                updated_at: now,
            })
            .execute(conn)?;
        let tag = find(
            conn,
            changes.slug.as_deref().unwrap_or(&current.slug),
            now,
            TagScope::All,
        )?;
        let public = is_public(conn, tag.row.id, now)?;
        emit(
            conn,
            "tag.updated",
            &tag.row,
            Some(&current.slug),
            public,
            now,
        )?;
        Ok(tag)
    })
}

/// Deletes a tag and removes it from every article, which count as changed.
pub fn delete(conn: &mut Conn, slug: &str, now: NaiveDateTime) -> StoreResult<()> {
    super::write(conn, |conn| {
        let tag = find_row(conn, slug)?;
        let id = tag.id;
        let public = is_public(conn, id, now)?;
        let tagged: Vec<i64> = article_tags::table
            .filter(article_tags::tag_id.eq(id))
            .select(article_tags::article_id)
            .load(conn)?;
        diesel::update(articles::table.filter(articles::id.eq_any(&tagged)))
            .set(articles::updated_at.eq(now))
            .execute(conn)?;
        diesel::delete(tags::table.filter(tags::id.eq(id))).execute(conn)?;
        emit(conn, "tag.deleted", &tag, None, public, now)?;
        // Each article that carried it shows it no more: a sync client holding one must hear.
        super::articles::change::record_touched(conn, &tagged, now)?;
        Ok(())
    })
}

/// Sets the description of the tag `slug` (creating the tag if needed).
pub fn describe(
    conn: &mut Conn,
    name: &str,
    slug: &str,
    description: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let id = ensure(conn, slug, now)?;
    diesel::update(tags::table.filter(tags::id.eq(id)))
        .set((tags::name.eq(name), tags::description.eq(description)))
        .execute(conn)?;
    Ok(())
}

/// Gives article `article_id` the tags `ids`, in that order (positions from 1), in one
/// statement; it has none yet.
pub(in crate::db) fn link(conn: &mut Conn, article_id: i64, ids: &[i64]) -> QueryResult<()> {
    link_all(conn, &[(article_id, ids.to_vec())])
}

/// Gives each article its tags, in order (positions from 1), all in one statement; none of
/// them has any yet.
pub(in crate::db) fn link_all(conn: &mut Conn, links: &[(i64, Vec<i64>)]) -> QueryResult<()> {
    let rows: usize = links.iter().map(|(_, ids)| ids.len()).sum();
    if rows == 0 {
        return Ok(());
    }
    // One article's statement is kept, and so returns a column ([`super::kept`]): there is one
    // text per number of tags, which the article limits allow only a few of. An import's
    // several articles' has one text per total, not worth keeping.
    let one = links.len() == 1;
    let sql = format!(
        "INSERT INTO article_tags (article_id, tag_id, position) VALUES {}{}",
        super::values_list(conn, rows, 3),
        if one { " RETURNING tag_id" } else { "" }
    );
    let mut query = diesel::sql_query(sql).into_boxed::<super::Backend>();
    for (article_id, ids) in links {
        for (position, tag_id) in ids.iter().enumerate() {
            query = query
                .bind::<BigInt, _>(*article_id)
                .bind::<BigInt, _>(*tag_id)
                .bind::<BigInt, _>(position as i64 + 1);
        }
    }
    match one {
        true => super::kept(query).run(conn)?,
        false => query.execute(conn)?,
    };
    Ok(())
}
