//! What the search indexes (crate::search_index) read from the database: the searched texts of
//! the articles an index holds ([`Scope`]), to index; and, for a page of its matches, their
//! teasers and texts, to answer with.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::facets::TagCount;
use super::{SearchQuery, TEASER_COLUMNS, snippet};
use crate::db::articles::model::{ArticleStatus, TeaserRow};
use crate::db::articles::model::{SearchHit, Teaser};
use crate::db::articles::read::with_tags;
use crate::db::{Conn, Page, StoreResult, values_list};

/// Which articles a search index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Live articles alone: the public index, where nothing unpublished is.
    Live,
    /// Every article, whatever its status: the editors' index.
    All,
}

impl Scope {
    /// The condition on an article `a` that it is in the scope, with its `AND`.
    fn condition(self) -> &'static str {
        match self {
            Self::Live => "a.live AND",
            Self::All => "",
        }
    }
}

/// What the search reads of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedText {
    pub id: i64,
    pub title: String,
    pub summary: String,
    /// The body's text, then its live blocks' text.
    pub body: String,
    /// Its tags.
    pub tags: Vec<TagOf>,
    /// The ids of the authors it credits.
    pub authors: Vec<i64>,
    pub status: ArticleStatus,
    /// Always set for a live article.
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A tag of an article.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TagOf {
    #[diesel(sql_type = BigInt)]
    pub article_id: i64,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    published_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: NaiveDateTime,
}

/// The columns of a [`TextRow`] of article `a`.
const TEXT_COLUMNS: &str = "a.id, a.title, a.summary, {BODY} AS body, a.status, a.published_at, a.created_at, a.updated_at";

#[derive(QueryableByName)]
struct Credit {
    #[diesel(sql_type = BigInt)]
    article_id: i64,
    #[diesel(sql_type = BigInt)]
    author_id: i64,
}

/// The body and blocks as one text, as the database's own index joins them.
const BODY: &str =
    "a.body_text || CASE WHEN a.blocks_text = '' THEN '' ELSE '\n\n' || a.blocks_text END";

/// The articles among `ids` in `scope`; the others (out of it now, or gone) are not there.
pub fn texts(conn: &mut Conn, scope: Scope, ids: &[i64]) -> QueryResult<Vec<IndexedText>> {
    let mut out = Vec::with_capacity(ids.len());
    let (columns, condition) = (TEXT_COLUMNS.replace("{BODY}", BODY), scope.condition());
    for chunk in ids.chunks(500) {
        let list = values_list(conn, chunk.len(), 1);
        let mut query = diesel::sql_query(format!(
            "SELECT {columns} FROM articles a WHERE {condition} a.id IN ({list})"
        ))
        .into_boxed::<crate::db::Backend>();
        for id in chunk {
            query = query.bind::<BigInt, _>(*id);
        }
        let rows = query.load::<TextRow>(conn)?;
        with_tag_rows(conn, scope, rows, &mut out)?;
    }
    Ok(out)
}

/// Up to `limit` articles in `scope` with ids above `after`, in id order: an index's filling.
pub fn texts_after(
    conn: &mut Conn,
    scope: Scope,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<IndexedText>> {
    let (columns, condition) = (TEXT_COLUMNS.replace("{BODY}", BODY), scope.condition());
    let rows = diesel::sql_query(format!(
        "SELECT {columns} FROM articles a WHERE {condition} a.id > $1 ORDER BY a.id LIMIT $2"
    ))
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load::<TextRow>(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    with_tag_rows(conn, scope, rows, &mut out)?;
    Ok(out)
}

/// `rows` with their tags and authors, onto `out`.
fn with_tag_rows(
    conn: &mut Conn,
    scope: Scope,
    rows: Vec<TextRow>,
    out: &mut Vec<IndexedText>,
) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let in_rows = |conn: &Conn, sql: &str| {
        let list = values_list(conn, rows.len(), 1);
        let mut query =
            diesel::sql_query(sql.replace("{list}", &list)).into_boxed::<crate::db::Backend>();
        for row in &rows {
            query = query.bind::<BigInt, _>(row.id);
        }
        query
    };
    let mut tags: HashMap<i64, Vec<TagOf>> = HashMap::new();
    let query = in_rows(
        conn,
        "SELECT at.article_id, t.id, t.slug, t.name FROM article_tags at \
         JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN ({list}) \
         ORDER BY at.article_id, t.id",
    );
    for t in query.load::<TagOf>(conn)? {
        tags.entry(t.article_id).or_default().push(t);
    }
    let mut authors: HashMap<i64, Vec<i64>> = HashMap::new();
    let query = in_rows(
        conn,
        "SELECT article_id, author_id FROM article_authors WHERE article_id IN ({list})",
    );
    for c in query.load::<Credit>(conn)? {
        authors.entry(c.article_id).or_default().push(c.author_id);
    }
    for row in rows {
        // A live article has a publication time; one without is not public.
        if scope == Scope::Live && row.published_at.is_none() {
            continue;
        }
        out.push(IndexedText {
            tags: tags.remove(&row.id).unwrap_or_default(),
            authors: authors.remove(&row.id).unwrap_or_default(),
            id: row.id,
            title: row.title,
            summary: row.summary,
            body: row.body,
            status: ArticleStatus::from(row.status),
            published_at: row.published_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        });
    }
    Ok(())
}

/// The ids of the tags (`authors` false) or authors with `slugs`, in their order; `None`
/// when one of them does not exist (a filter by it finds nothing).
pub fn ids_of(conn: &mut Conn, authors: bool, slugs: &[String]) -> QueryResult<Option<Vec<i64>>> {
    let sql = match authors {
        true => "SELECT id FROM authors WHERE slug = $1",
        false => "SELECT id FROM tags WHERE slug = $1",
    };
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        match diesel::sql_query(sql)
            .bind::<Text, _>(slug)
            .get_result::<Id>(conn)
            .optional()?
        {
            Some(found) => ids.push(found.id),
            None => return Ok(None),
        }
    }
    Ok(Some(ids))
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The articles carrying any of the tags `slugs` (a tag's name is searched text).
pub fn tagged(conn: &mut Conn, slugs: &[String]) -> QueryResult<Vec<i64>> {
    let mut ids = Vec::new();
    for slug in slugs {
        let found = diesel::sql_query(
            "SELECT at.article_id AS id FROM article_tags at JOIN tags t ON t.id = at.tag_id \
             WHERE t.slug = $1",
        )
        .bind::<Text, _>(slug)
        .load::<Id>(conn)?;
        ids.extend(found.into_iter().map(|r| r.id));
    }
    Ok(ids)
}

/// The page of search hits `ranked` (ids and ranks, best first, one past the page when more
/// follow) of an index of `scope`, each with its teaser and a snippet of its text as the
/// index read it; a hit no longer in the scope is left out. Three statements: the rows with
/// their texts, then their tags and authors (whose names the snippet reads too).
pub fn page_of(
    conn: &mut Conn,
    scope: Scope,
    q: &SearchQuery,
    ranked: &[(i64, f64)],
    total: i64,
) -> StoreResult<Page<Teaser>> {
    if ranked.is_empty() {
        return Ok(Page::overfetched(Vec::new(), q.limit, total));
    }
    let list = values_list(conn, ranked.len(), 1);
    let condition = scope.condition();
    let mut query = diesel::sql_query(format!(
        "SELECT {TEASER_COLUMNS}, {BODY} AS body FROM articles a \
         WHERE {condition} a.id IN ({list})"
    ))
    .into_boxed::<crate::db::Backend>();
    for (id, _) in ranked {
        query = query.bind::<BigInt, _>(*id);
    }
    let mut found: HashMap<i64, WithBody> = query
        .load::<WithBody>(conn)?
        .into_iter()
        .map(|t| (t.teaser.id, t))
        .collect();
    let mut bodies = HashMap::with_capacity(found.len());
    let rows = ranked
        .iter()
        .filter_map(|(id, rank)| {
            let found = found.remove(id)?;
            bodies.insert(*id, found.body);
            let hit = SearchHit {
                rank: *rank,
                snippet: String::new(),
            };
            Some((found.teaser, Some(hit)))
        })
        .collect();
    let page = Page::overfetched(rows, q.limit, total);
    Ok(page.try_map(|rows| {
        let mut teasers = with_tags(conn, rows)?;
        for t in &mut teasers {
            let tags: Vec<&str> = t.tags.iter().map(|t| t.name.as_str()).collect();
            let body = bodies.remove(&t.row.id).unwrap_or_default();
            let texts = [t.row.title.as_str(), &t.row.summary, &body, &tags.join(" ")];
            if let Some(hit) = &mut t.hit {
                hit.snippet = snippet(&texts, &q.terms);
            }
        }
        Ok::<_, diesel::result::Error>(teasers)
    })?)
}

/// A teaser row and its searched body.
#[derive(QueryableByName)]
struct WithBody {
    #[diesel(embed)]
    teaser: TeaserRow,
    #[diesel(sql_type = Text)]
    body: String,
}

/// The slugs and names of the tags `counted` (id and count), most counted first, then by
/// slug, at most `limit`.
pub fn tag_counts(
    conn: &mut Conn,
    counted: &HashMap<i64, i64>,
    limit: usize,
) -> QueryResult<Vec<TagCount>> {
    if counted.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = counted.keys().copied().collect();
    let list = values_list(conn, ids.len(), 1);
    let mut query = diesel::sql_query(format!(
        "SELECT t.id, t.slug, t.name FROM tags t WHERE t.id IN ({list})"
    ))
    .into_boxed::<crate::db::Backend>();
    for id in &ids {
        query = query.bind::<BigInt, _>(*id);
    }
    let mut out: Vec<TagCount> = query
        .load::<TagName>(conn)?
        .into_iter()
        .map(|t| TagCount {
            count: counted.get(&t.id).copied().unwrap_or(0),
            slug: t.slug,
            name: t.name,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.slug.cmp(&b.slug)));
    out.truncate(limit);
    Ok(out)
}

#[derive(QueryableByName)]
struct TagName {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
}
