//! Related links: the editor's ordered list, resolved at read time, and suggestions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::articles::model::{ArticleStatus, public_at};
pub use super::articles::model::{Related, RelatedSpec};
use super::{AnyConnection, Conn, StoreError, StoreResult};
use crate::images::{Image, ImageColumn};
use crate::schema::{article_tags, articles, related_links};

/// A related link's row, as [`set_related`] inserts it.
struct LinkInsert<'a> {
    article_id: i64,
    position: i64,
    target_article_id: Option<i64>,
    url: Option<&'a str>,
    title: Option<&'a str>,
    summary: Option<&'a str>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = related_links, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct LinkRow {
    target_article_id: Option<i64>,
    url: Option<String>,
    title: Option<String>,
    summary: Option<String>,
}

/// An article's curated links as read, with what else reading them tells.
pub(in crate::db) struct Curated {
    pub links: Vec<Related>,
    /// Every article an internal link points at, shown or not.
    pub target_ids: Vec<i64>,
    /// The latest change among the targets the public can read (edits, and publications
    /// that have come); the others are not shown, so their changes change nothing here.
    pub targets_changed: Option<NaiveDateTime>,
}

/// What a link shows of the article it points to.
#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Target {
    id: i64,
    slug: String,
    title: String,
    summary: String,
    #[diesel(deserialize_as = String)]
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    #[diesel(deserialize_as = Option<String>)]
    feature_image: ImageColumn,
}

pub(in crate::db) fn related_of(conn: &mut Conn, id: i64) -> QueryResult<Curated> {
    let links: Vec<LinkRow> = related_links::table
        .filter(related_links::article_id.eq(id))
        .order(related_links::position)
        .select(LinkRow::as_select())
        .load(conn)?;
    let target_ids: Vec<i64> = links.iter().filter_map(|l| l.target_article_id).collect();
    let now = crate::db::now();
    let targets: HashMap<i64, Target> = match conn {
        // The index holds what a link shows, which in the row sits past the body.
        AnyConnection::Sqlite(_) => diesel::sql_query(
            "SELECT a.id, a.slug, a.title, a.summary, a.status, a.published_at, a.updated_at, \
             a.feature_image \
             FROM related_links r JOIN articles a INDEXED BY articles_link \
             ON a.id = r.target_article_id WHERE r.article_id = ?",
        )
        .bind::<BigInt, _>(id)
        .load::<Target>(conn)?,
        AnyConnection::Postgres(_) => articles::table
            .filter(articles::id.eq_any(&target_ids))
            .select(Target::as_select())
            .load::<Target>(conn)?,
    }
    .into_iter()
    .map(|t| (t.id, t))
    .collect();
    let is_public = |t: &Target| public_at(t.status, t.published_at, now);
    let targets_changed = targets
        .values()
        .filter(|t| is_public(t))
        .map(|t| {
            t.updated_at
                .max(t.published_at.filter(|p| *p <= now).unwrap_or(t.updated_at))
        })
        .max();
    // Internal links show only targets the public can read, whoever is asking.
    let links = links
        .into_iter()
        .filter_map(|link| match link.target_article_id {
            Some(target) => {
                targets
                    .get(&target)
                    .filter(|t| is_public(t))
                    .map(|t| Related::Internal {
                        slug: t.slug.clone(),
                        title: t.title.clone(),
                        summary: t.summary.clone(),
                        image: t.feature_image.0.clone(),
                    })
            }
            None => Some(Related::External {
                url: link.url.unwrap_or_default(),
                title: link.title,
                summary: link.summary.unwrap_or_default(),
            }),
        })
        .collect();
    Ok(Curated {
        links,
        target_ids,
        targets_changed,
    })
}

/// A suggested article: one sharing tags with another.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub image: Option<Image>,
}

/// Up to `limit` published articles sharing the most tags with article `id`, newest first
/// among equals, leaving out `id` itself and `exclude`.
pub(in crate::db) fn suggestions(
    conn: &mut Conn,
    id: i64,
    exclude: &[i64],
    limit: i64,
) -> QueryResult<Vec<Suggestion>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let own_tags: Vec<i64> = article_tags::table
        .filter(article_tags::article_id.eq(id))
        .select(article_tags::tag_id)
        .load(conn)?;
    let rows: Vec<(String, String, String, Option<String>, i64)> = article_tags::table
        .inner_join(articles::table)
        .filter(article_tags::tag_id.eq_any(&own_tags))
        .filter(articles::id.ne(id))
        .filter(articles::id.ne_all(exclude))
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(crate::db::now()))
        .group_by((
            articles::id,
            articles::slug,
            articles::title,
            articles::summary,
            articles::feature_image,
            articles::published_at,
        ))
        .select((
            articles::slug,
            articles::title,
            articles::summary,
            articles::feature_image,
            count_star(),
        ))
        .order((
            count_star().desc(),
            articles::published_at.desc(),
            articles::id.desc(),
        ))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, summary, image, _)| Suggestion {
            slug,
            title,
            summary,
            image: Image::from_stored(image.as_deref()),
        })
        .collect())
}

/// Replaces the related links of `article_id`; `field` names the list in error messages.
pub(in crate::db) fn set_related(
    conn: &mut Conn,
    article_id: i64,
    links: &[RelatedSpec],
    field: &str,
) -> StoreResult<()> {
    diesel::delete(related_links::table.filter(related_links::article_id.eq(article_id)))
        .execute(conn)?;
    set_new_related(conn, article_id, links, field, &HashMap::new())
}

/// Gives the new article `article_id`, which has no links yet, its related links, as
/// [`set_related`] does. `known` maps slugs to the ids of articles the caller has just
/// written, whose slugs it need not look up.
pub(in crate::db) fn set_new_related(
    conn: &mut Conn,
    article_id: i64,
    links: &[RelatedSpec],
    field: &str,
    known: &HashMap<String, i64>,
) -> StoreResult<()> {
    set_new_related_all(conn, &[(article_id, links)], field, known).map_err(|(_, e)| e)
}

/// [`set_new_related`] for several new articles (an import's second pass), with every target
/// not `known` looked up in one query and every link inserted in one statement: on PostgreSQL
/// each statement is a round trip. On an error, the index in `articles` of the article whose
/// links are invalid (0 for a database error); nothing is inserted then.
pub(in crate::db) fn set_new_related_all(
    conn: &mut Conn,
    articles: &[(i64, &[RelatedSpec])],
    field: &str,
    known: &HashMap<String, i64>,
) -> Result<(), (usize, StoreError)> {
    let slugs: Vec<&str> = articles
        .iter()
        .flat_map(|(_, links)| links.iter())
        .filter_map(|link| match link {
            RelatedSpec::Internal { slug } if !known.contains_key(slug) => Some(slug.as_str()),
            _ => None,
        })
        .collect();
    let looked_up: HashMap<String, i64> = match slugs.is_empty() {
        true => HashMap::new(),
        false => articles::table
            .filter(articles::slug.eq_any(&slugs))
            .select((articles::slug, articles::id))
            .load::<(String, i64)>(conn)
            .map_err(|e| (0, e.into()))?
            .into_iter()
            .collect(),
    };
    let target_of = |slug: &str| known.get(slug).or_else(|| looked_up.get(slug)).copied();
    let mut rows = Vec::new();
    for (n, (article_id, links)) in articles.iter().enumerate() {
        let mut errors = Vec::new();
        for (i, link) in links.iter().enumerate() {
            let row = match link {
                RelatedSpec::Internal { slug } => match target_of(slug) {
                    Some(target) if target == *article_id => {
                        errors.push((
                            format!("{field}[{i}].slug"),
                            "an article cannot be related to itself".to_owned(),
                        ));
                        continue;
                    }
                    Some(target) => LinkInsert {
                        article_id: *article_id,
                        position: i as i64,
                        target_article_id: Some(target),
                        url: None,
                        title: None,
                        summary: None,
                    },
                    None => {
                        errors.push((
                            format!("{field}[{i}].slug"),
                            format!("no article has the slug '{slug}'"),
                        ));
                        continue;
                    }
                },
                RelatedSpec::External {
                    url,
                    title,
                    summary,
                } => LinkInsert {
                    article_id: *article_id,
                    position: i as i64,
                    target_article_id: None,
                    url: Some(url),
                    title: title.as_deref(),
                    summary: Some(summary),
                },
            };
            rows.push(row);
        }
        if !errors.is_empty() {
            return Err((n, StoreError::Invalid(errors)));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    // One article's statement is kept, and so returns a column ([`super::kept`]): there is
    // one text per number of links, which the article limits allow only a few of. Several
    // articles' has one text per total, not worth keeping.
    let one = articles.len() == 1;
    let sql = format!(
        "INSERT INTO related_links (article_id, position, target_article_id, url, title, \
         summary) VALUES {}{}",
        super::values_list(conn, rows.len(), 6),
        if one { " RETURNING position" } else { "" }
    );
    let mut query = diesel::sql_query(sql).into_boxed::<super::Backend>();
    for row in rows {
        query = query
            .bind::<BigInt, _>(row.article_id)
            .bind::<BigInt, _>(row.position)
            .bind::<Nullable<BigInt>, _>(row.target_article_id)
            .bind::<Nullable<Text>, _>(row.url)
            .bind::<Nullable<Text>, _>(row.title)
            .bind::<Nullable<Text>, _>(row.summary);
    }
    match one {
        true => super::kept(query).run(conn),
        false => query.execute(conn),
    }
    .map_err(|e| (0, e.into()))?;
    Ok(())
}
