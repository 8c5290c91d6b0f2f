//! Which authors an article credits, in byline order (`article_authors`): what articles
//! read and write of their authors. It names no other store, so that the article stores may
//! use it and the author store may use them.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::{Conn, StoreError, StoreResult};
use crate::images::Image;
use crate::schema::{article_authors, authors};

/// An author as an article shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub image: Option<Image>,
}

/// The authors of each of the articles `ids`, in byline order, in one query.
pub(in crate::db) fn refs_of(
    conn: &mut Conn,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<AuthorRef>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Cells = (i64, i64, String, String, Option<String>, Option<String>);
    let rows: Vec<Cells> = article_authors::table
        .inner_join(authors::table)
        .filter(article_authors::article_id.eq_any(ids))
        .order((article_authors::article_id, article_authors::position))
        .select((
            article_authors::article_id,
            authors::id,
            authors::slug,
            authors::name,
            authors::role,
            authors::image,
        ))
        .load(conn)?;
    let mut map: HashMap<i64, Vec<AuthorRef>> = HashMap::new();
    for (article, id, slug, name, role, image) in rows {
        map.entry(article).or_default().push(AuthorRef {
            id,
            slug,
            name,
            role,
            image: Image::from_stored(image.as_deref()),
        });
    }
    Ok(map)
}

/// The slugs of article `id`'s authors, in order.
pub(in crate::db) fn slugs_of(conn: &mut Conn, id: i64) -> QueryResult<Vec<String>> {
    article_authors::table
        .inner_join(authors::table)
        .filter(article_authors::article_id.eq(id))
        .order(article_authors::position)
        .select(authors::slug)
        .load(conn)
}

/// Makes `slugs` (repeats ignored) the authors of article `id`, in order; an unknown slug
/// is a 422 naming `field`.
pub(in crate::db) fn set_authors(
    conn: &mut Conn,
    id: i64,
    slugs: &[String],
    field: &str,
) -> StoreResult<()> {
    let found: HashMap<String, i64> = authors::table
        .filter(authors::slug.eq_any(slugs))
        .select((authors::slug, authors::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let mut errors = Vec::new();
    let mut ids: Vec<i64> = Vec::with_capacity(slugs.len());
    for (i, slug) in slugs.iter().enumerate() {
        match found.get(slug) {
            Some(author) if !ids.contains(author) => ids.push(*author),
            Some(_) => {}
            None => errors.push((
                format!("{field}[{i}]"),
                format!("no author has the slug '{slug}': create the author first"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(id)))
        .execute(conn)?;
    // One row at a time: the connection serves both backends, which share no batch insert.
    for (position, author) in ids.iter().enumerate() {
        diesel::insert_into(article_authors::table)
            .values((
                article_authors::article_id.eq(id),
                article_authors::author_id.eq(*author),
                article_authors::position.eq(position as i64),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Those of `slugs` that name an author, in order.
pub(in crate::db) fn existing(conn: &mut Conn, slugs: &[String]) -> QueryResult<Vec<String>> {
    let found: Vec<String> = authors::table
        .filter(authors::slug.eq_any(slugs))
        .select(authors::slug)
        .load(conn)?;
    Ok(slugs
        .iter()
        .filter(|s| found.contains(s))
        .cloned()
        .collect())
}
