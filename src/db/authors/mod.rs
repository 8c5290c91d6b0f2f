//! The newsroom's authors, and which articles each wrote (in byline order).
//!
//! Authors are public from their creation: a profile page tells nothing about unpublished
//! work, and `article_count` counts only articles the public can read. Which authors an
//! article credits is `credits`, which the article stores read and write.

pub mod credits;

pub use credits::AuthorRef;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::articles::model::ArticleStatus;
use super::{Conn, Page, StoreError, StoreResult, changes};
use crate::images::{Image, ImageColumn};
use crate::schema::{article_authors, articles, authors};

/// A link on an author's profile: their website, a social profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileLink {
    pub label: String,
    pub url: String,
}

/// An author's links as stored (a JSON array).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkList(pub Vec<ProfileLink>);

impl From<String> for LinkList {
    fn from(stored: String) -> Self {
        Self(serde_json::from_str(&stored).unwrap_or_default())
    }
}

fn stored_links(links: &[ProfileLink]) -> String {
    serde_json::to_string(links).unwrap_or_else(|_| "[]".to_owned())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = authors, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuthorRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub bio: Option<String>,
    pub bio_html: Option<String>,
    #[diesel(deserialize_as = Option<String>)]
    pub image: ImageColumn,
    #[diesel(deserialize_as = String)]
    pub links: LinkList,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An author with the number of articles the public can read that they wrote.
#[derive(Debug, Clone)]
pub struct Author {
    pub row: AuthorRow,
    pub article_count: i64,
}

/// A new author, validated, the bio rendered (Markdown, HTML).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewAuthor {
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub bio: Option<(String, String)>,
    pub image: Option<Image>,
    pub links: Vec<ProfileLink>,
}

/// Changes to an author: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AuthorChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub role: Option<Option<String>>,
    pub bio: Option<Option<(String, String)>>,
    pub image: Option<Option<Image>>,
    pub links: Option<Vec<ProfileLink>>,
}

#[derive(AsChangeset)]
#[diesel(table_name = authors)]
struct AuthorChangeset<'a> {
    slug: Option<&'a str>,
    name: Option<&'a str>,
    role: Option<Option<&'a str>>,
    bio: Option<Option<&'a str>>,
    bio_html: Option<Option<&'a str>>,
    image: Option<Option<String>>,
    links: Option<String>,
    updated_at: NaiveDateTime,
}

fn not_found(slug: &str) -> StoreError {
    StoreError::NotFound(format!("No author has the slug '{slug}'."))
}

/// How many articles the public can read each of the authors `ids` wrote.
fn public_counts(
    conn: &mut Conn,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<HashMap<i64, i64>> {
    Ok(article_authors::table
        .inner_join(articles::table)
        .filter(article_authors::author_id.eq_any(ids))
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(now))
        .group_by(article_authors::author_id)
        .select((article_authors::author_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

fn with_counts(
    conn: &mut Conn,
    rows: Vec<AuthorRow>,
    now: NaiveDateTime,
) -> QueryResult<Vec<Author>> {
    let counts = public_counts(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>(), now)?;
    Ok(rows
        .into_iter()
        .map(|row| Author {
            article_count: counts.get(&row.id).copied().unwrap_or(0),
            row,
        })
        .collect())
}

/// One page of authors in slug order, starting after the slug `after`.
pub fn list(
    conn: &mut Conn,
    after: Option<&str>,
    limit: i64,
    now: NaiveDateTime,
) -> StoreResult<Page<Author>> {
    let total = authors::table.select(count_star()).get_result(conn)?;
    let mut query = authors::table
        .select(AuthorRow::as_select())
        .order(authors::slug)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(authors::slug.gt(after.to_owned()));
    }
    let rows: Vec<AuthorRow> = query.limit(super::overfetch(limit)).load(conn)?;
    Ok(Page::overfetched(rows, limit, total).try_map(|rows| with_counts(conn, rows, now))?)
}

fn find_row(conn: &mut Conn, slug: &str) -> StoreResult<AuthorRow> {
    authors::table
        .filter(authors::slug.eq(slug))
        .select(AuthorRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(slug))
}

/// The author `slug` names.
pub fn find(conn: &mut Conn, slug: &str, now: NaiveDateTime) -> StoreResult<Author> {
    let row = find_row(conn, slug)?;
    Ok(with_counts(conn, vec![row], now)?.remove(0))
}

fn check_slug_free(conn: &mut Conn, slug: &str) -> StoreResult<()> {
    let taken = authors::table
        .filter(authors::slug.eq(slug))
        .select(authors::id)
        .first::<i64>(conn)
        .optional()?;
    match taken {
        Some(_) => Err(StoreError::Conflict(format!(
            "An author with the slug '{slug}' already exists."
        ))),
        None => Ok(()),
    }
}

/// What an author write changes: the author's data (their profile, their name, role and
/// portrait on every article and teaser showing them: `au:{id}`) and the author list
/// (`authors`, which also answers for a profile address that is not found). Authors are
/// public, so the change takes a public position.
fn change(event: &'static str, row: &AuthorRow, previous_slug: Option<&str>) -> changes::Change {
    let deleted = event == "author.deleted";
    let mut keys = changes::Keys::from([changes::author(row.id), changes::AUTHORS.to_owned()]);
    // Lists by their slug: gone with them, or now under another slug. (Their articles'
    // bylines change on deletion: each gets a change of its own too.)
    let renamed = previous_slug.filter(|p| *p != row.slug);
    if deleted || renamed.is_some() {
        keys.insert(changes::author_list(&row.slug));
        keys.extend(renamed.map(changes::author_list));
    }
    changes::Change {
        kind: event,
        resource: format!("author:{}", row.slug),
        keys,
        hard: deleted || previous_slug.is_some_and(|p| p != row.slug),
        public: true,
        slug: row.slug.clone(),
        tags: previous_slug
            .filter(|p| *p != row.slug)
            .map(str::to_owned)
            .into_iter()
            .collect(),
        reason: deleted.then_some("deleted"),
        block: None,
    }
}

fn emit(
    conn: &mut Conn,
    event: &'static str,
    row: &AuthorRow,
    previous_slug: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let data = serde_json::json!({
        "slug": row.slug,
        "previous_slug": previous_slug.filter(|p| *p != row.slug),
        "name": row.name,
        "role": row.role,
    });
    super::events::record(conn, event, &data, now)?;
    super::changes::record(conn, &change(event, row, previous_slug), now)
}

pub fn create(conn: &mut Conn, new: &NewAuthor, now: NaiveDateTime) -> StoreResult<Author> {
    super::write(conn, |conn| insert(conn, new, now))
}

/// [`create`] inside the caller's write.
fn insert(conn: &mut Conn, new: &NewAuthor, now: NaiveDateTime) -> StoreResult<Author> {
    {
        check_slug_free(conn, &new.slug)?;
        let (bio, bio_html) = match &new.bio {
            Some((md, html)) => (Some(md.as_str()), Some(html.as_str())),
            None => (None, None),
        };
        diesel::insert_into(authors::table)
            .values((
                authors::slug.eq(&new.slug),
                authors::name.eq(&new.name),
                authors::role.eq(&new.role),
                authors::bio.eq(bio),
                authors::bio_html.eq(bio_html),
                authors::image.eq(Image::stored(new.image.as_ref())),
                authors::links.eq(stored_links(&new.links)),
                authors::created_at.eq(now),
                authors::updated_at.eq(now),
            ))
            .execute(conn)?;
        let author = find(conn, &new.slug, now)?;
        emit(conn, "author.created", &author.row, None, now)?;
        Ok(author)
    }
}

pub fn update(
    conn: &mut Conn,
    slug: &str,
    changes: &AuthorChanges,
    now: NaiveDateTime,
) -> StoreResult<Author> {
    super::write(conn, |conn| change_in(conn, slug, changes, now))
}

/// [`update`] inside the caller's write.
fn change_in(
    conn: &mut Conn,
    slug: &str,
    changes: &AuthorChanges,
    now: NaiveDateTime,
) -> StoreResult<Author> {
    {
        let current = find_row(conn, slug)?;
        if let Some(new_slug) = changes.slug.as_deref().filter(|s| *s != current.slug) {
            check_slug_free(conn, new_slug)?;
        }
        let bio = changes.bio.as_ref();
        diesel::update(authors::table.filter(authors::id.eq(current.id)))
            .set(&AuthorChangeset {
                slug: changes.slug.as_deref(),
                name: changes.name.as_deref(),
                role: changes.role.as_ref().map(|r| r.as_deref()),
                bio: bio.map(|b| b.as_ref().map(|(md, _)| md.as_str())),
                bio_html: bio.map(|b| b.as_ref().map(|(_, html)| html.as_str())),
                image: changes.image.as_ref().map(|i| Image::stored(i.as_ref())),
                links: changes.links.as_deref().map(stored_links),
                updated_at: now,
            })
            .execute(conn)?;
        let author = find(conn, changes.slug.as_deref().unwrap_or(&current.slug), now)?;
        emit(
            conn,
            "author.updated",
            &author.row,
            Some(&current.slug),
            now,
        )?;
        Ok(author)
    }
}

/// Deletes an author and takes them off every article, which count as changed (their
/// bylines change).
pub fn delete(conn: &mut Conn, slug: &str, now: NaiveDateTime) -> StoreResult<()> {
    super::write(conn, |conn| {
        let row = find_row(conn, slug)?;
        let credited: Vec<i64> = article_authors::table
            .filter(article_authors::author_id.eq(row.id))
            .select(article_authors::article_id)
            .load(conn)?;
        diesel::update(articles::table.filter(articles::id.eq_any(&credited)))
            .set(articles::updated_at.eq(now))
            .execute(conn)?;
        diesel::delete(authors::table.filter(authors::id.eq(row.id))).execute(conn)?;
        emit(conn, "author.deleted", &row, None, now)?;
        super::articles::change::record_touched(conn, &credited, now)?;
        Ok(())
    })
}

/// Creates or replaces the author `new.slug` as an import or the demo brings them, inside
/// the caller's write; returns whether anything changed.
pub fn upsert(conn: &mut Conn, new: &NewAuthor, now: NaiveDateTime) -> StoreResult<bool> {
    match find_row(conn, &new.slug) {
        Err(StoreError::NotFound(_)) => {
            insert(conn, new, now)?;
            Ok(true)
        }
        Err(e) => Err(e),
        Ok(current) => {
            let same = current.name == new.name
                && current.role == new.role
                && current.bio == new.bio.as_ref().map(|(md, _)| md.clone())
                && current.image.0 == new.image
                && current.links.0 == new.links;
            if same {
                return Ok(false);
            }
            let changes = AuthorChanges {
                slug: None,
                name: Some(new.name.clone()),
                role: Some(new.role.clone()),
                bio: Some(new.bio.clone()),
                image: Some(new.image.clone()),
                links: Some(new.links.clone()),
            };
            change_in(conn, &new.slug, &changes, now)?;
            Ok(true)
        }
    }
}
