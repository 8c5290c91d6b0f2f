//! Article revisions: every saved state of an article, numbered from 1; the newest is current.
//! A live article's revision records its blocks as they stood; a block's own writes make no
//! revision (a live blog gets hundreds of blocks: one revision each would copy every block
//! each time), and restoring a revision leaves the blocks as they are.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use serde::{Deserialize, Serialize};

use super::articles::model::{
    ArticleFormat, ArticleKey, ArticleRow, ArticleState, ArticleStatus, TagRef, Visibility,
};
use super::articles::read::{find_row, tags_of};
use super::related::RelatedSpec;
use super::{Conn, Page, StoreError, StoreResult, kept};
use crate::schema::{article_authors, article_corrections, article_revisions, authors};

/// An article's content at one point in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub byline: Option<String>,
    /// The image's URL, as revisions made before images had more than a URL keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_image_url: Option<String>,
    #[serde(default)]
    pub feature_image: Option<crate::images::Image>,
    /// Author slugs, in byline order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Tags in display order, as `(slug, name)`.
    pub tags: Vec<(String, String)>,
    pub related: Vec<RelatedSpec>,
    #[serde(default)]
    pub format: ArticleFormat,
    /// Whether a live article's coverage was open.
    #[serde(default)]
    pub live: bool,
    /// A live article's blocks (not deleted), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockSnapshot>,
    /// Its corrections as `(when, Markdown)`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<(NaiveDateTime, String)>,
}

/// A block as a revision records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockSnapshot {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    pub key_event: bool,
    pub pinned: bool,
    pub published_at: NaiveDateTime,
}

/// One stored revision.
#[derive(Debug, Clone)]
pub struct Revision {
    pub number: i64,
    pub created_at: NaiveDateTime,
    pub snapshot: Snapshot,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = article_revisions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct RevisionRow {
    number: i64,
    created_at: NaiveDateTime,
    snapshot: String,
}

impl TryFrom<RevisionRow> for Revision {
    type Error = StoreError;

    fn try_from(row: RevisionRow) -> StoreResult<Self> {
        let mut snapshot: Snapshot = serde_json::from_str(&row.snapshot).map_err(|e| {
            StoreError::Internal(format!("revision {} unreadable: {e}", row.number))
        })?;
        // A revision made before images had more than a URL.
        if let Some(url) = snapshot.feature_image_url.take() {
            snapshot.feature_image.get_or_insert(crate::images::Image {
                url,
                ..Default::default()
            });
        }
        Ok(Self {
            number: row.number,
            created_at: row.created_at,
            snapshot,
        })
    }
}

/// A related link of an article, with its target's slug.
#[derive(QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = BigInt)]
    article_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    target_article_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    slug: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    summary: Option<String>,
}

/// What the snapshots of some articles read besides their rows, by article id: read for all
/// of them at once, one statement each (an import finishes its articles in batches).
#[derive(Default)]
struct Parts {
    tags: HashMap<i64, Vec<TagRef>>,
    related: HashMap<i64, Vec<RelatedSpec>>,
    corrections: HashMap<i64, Vec<(NaiveDateTime, String)>>,
    authors: HashMap<i64, Vec<String>>,
}

fn parts(conn: &mut Conn, ids: &[i64]) -> QueryResult<Parts> {
    let mut parts = Parts {
        tags: tags_of(conn, ids)?,
        ..Parts::default()
    };
    // The targets' slugs by their primary key, one subquery per link: joined instead, over
    // tables an import filled in its own transaction (no statistics of them yet), PostgreSQL
    // scanned every article for each batch.
    let list = super::values_list(conn, ids.len(), 1);
    let mut query = diesel::sql_query(format!(
        "SELECT rl.article_id, rl.target_article_id, \
         (SELECT a.slug FROM articles a WHERE a.id = rl.target_article_id) AS slug, \
         rl.url, rl.title, rl.summary FROM related_links rl \
         WHERE rl.article_id IN ({list}) ORDER BY rl.article_id, rl.position"
    ))
    .into_boxed::<super::Backend>();
    for id in ids {
        query = query.bind::<BigInt, _>(*id);
    }
    let links = query.load::<LinkRow>(conn)?.into_iter().map(|l| {
        (
            l.article_id,
            l.target_article_id,
            l.slug,
            l.url,
            l.title,
            l.summary,
        )
    });
    for (id, target, slug, url, title, summary) in links {
        let spec = match target {
            Some(_) => slug.map(|slug| RelatedSpec::Internal { slug }),
            None => Some(RelatedSpec::External {
                url: url.unwrap_or_default(),
                title,
                summary: summary.unwrap_or_default(),
            }),
        };
        parts.related.entry(id).or_default().extend(spec);
    }
    let corrections: Vec<(i64, NaiveDateTime, String)> = article_corrections::table
        .filter(article_corrections::article_id.eq_any(ids))
        .order((
            article_corrections::article_id,
            article_corrections::created_at,
            article_corrections::id,
        ))
        .select((
            article_corrections::article_id,
            article_corrections::created_at,
            article_corrections::body,
        ))
        .load(conn)?;
    for (id, at, body) in corrections {
        parts.corrections.entry(id).or_default().push((at, body));
    }
    let authors: Vec<(i64, String)> = article_authors::table
        .inner_join(authors::table)
        .filter(article_authors::article_id.eq_any(ids))
        .order((article_authors::article_id, article_authors::position))
        .select((article_authors::article_id, authors::slug))
        .load(conn)?;
    for (id, slug) in authors {
        parts.authors.entry(id).or_default().push(slug);
    }
    Ok(parts)
}

/// The snapshot of article `row`, its other parts taken from `parts`.
fn snapshot(conn: &mut Conn, row: &ArticleRow, parts: &Parts) -> StoreResult<Snapshot> {
    let id = row.teaser.id;
    let blocks = match row.teaser.format {
        ArticleFormat::Live => super::blocks::all(conn, id)?
            .into_iter()
            .map(|b| BlockSnapshot {
                id: b.id,
                title: b.title,
                body: b.body,
                key_event: b.key_event,
                pinned: b.pinned,
                published_at: b.published_at,
            })
            .collect(),
        ArticleFormat::Standard => Vec::new(),
    };
    Ok(Snapshot {
        authors: parts.authors.get(&id).cloned().unwrap_or_default(),
        corrections: parts.corrections.get(&id).cloned().unwrap_or_default(),
        format: row.teaser.format,
        live: row.teaser.coverage_open,
        blocks,
        title: row.teaser.title.clone(),
        slug: row.teaser.slug.clone(),
        summary: row.teaser.summary.clone(),
        body: row.body.clone(),
        status: row.teaser.status,
        published_at: row.teaser.published_at,
        byline: row.teaser.byline.clone(),
        feature_image_url: None,
        feature_image: row.teaser.feature_image.0.clone(),
        tags: parts
            .tags
            .get(&id)
            .into_iter()
            .flatten()
            .map(|TagRef { slug, name }| (slug.clone(), name.clone()))
            .collect(),
        related: parts.related.get(&id).cloned().unwrap_or_default(),
    })
}

/// Records each article of `rows`, as stored now, as its next revision; returns each one's
/// state as the revision has it (its tags and authors read once for both). What the
/// snapshots read besides the rows is read for all of them at once, and several revisions
/// are written in one statement.
pub(in crate::db) fn record_all(
    conn: &mut Conn,
    rows: &[ArticleRow],
    now: NaiveDateTime,
) -> StoreResult<Vec<ArticleState>> {
    let ids: Vec<i64> = rows.iter().map(|row| row.teaser.id).collect();
    let parts = parts(conn, &ids)?;
    let mut texts = Vec::with_capacity(rows.len());
    let mut states = Vec::with_capacity(rows.len());
    for row in rows {
        let snapshot = snapshot(conn, row, &parts)?;
        let text =
            serde_json::to_string(&snapshot).map_err(|e| StoreError::Internal(e.to_string()))?;
        texts.push(text);
        let tags = snapshot.tags.into_iter().map(|(slug, _)| slug).collect();
        states.push(ArticleState::of(row, tags, snapshot.authors));
    }
    if let ([id], [text]) = (ids.as_slice(), texts.as_slice()) {
        // One write's: the number in the insert itself, one statement, one round trip to
        // PostgreSQL. (`$n` is a positional parameter on PostgreSQL and a named one,
        // numbered in order of first use, on SQLite: the same statement serves both.)
        let sql = "INSERT INTO article_revisions (article_id, number, snapshot, created_at) \
                   SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3 FROM article_revisions \
                   WHERE article_id = $1";
        kept(
            diesel::sql_query(sql)
                .bind::<BigInt, _>(*id)
                .bind::<Text, _>(text)
                .bind::<Timestamp, _>(now),
        )
        .execute(conn)?;
        return Ok(states);
    }
    // Several, in one insert: each numbered on from its article's newest, looked up by the
    // index on (article_id, number); an article that comes again (an import's slug given
    // twice) one further each time, as the insert does not see its own rows.
    let list = super::values_list(conn, ids.len(), 4);
    let mut insert = diesel::sql_query(format!(
        "INSERT INTO article_revisions (article_id, number, snapshot, created_at) \
         SELECT v.column1, COALESCE((SELECT MAX(r.number) FROM article_revisions r \
         WHERE r.article_id = v.column1), 0) + v.column2, v.column3, v.column4 \
         FROM (VALUES {list}) AS v"
    ))
    .into_boxed::<super::Backend>();
    let mut seen: HashMap<i64, i64> = HashMap::new();
    for (id, text) in ids.iter().zip(texts) {
        let nth = seen.entry(*id).or_insert(0);
        *nth += 1;
        insert = insert
            .bind::<BigInt, _>(*id)
            .bind::<BigInt, _>(*nth)
            .bind::<Text, _>(text)
            .bind::<Timestamp, _>(now);
    }
    insert.execute(conn)?;
    Ok(states)
}

/// One page of an article's revisions, newest first, starting below number `before`.
pub fn list(
    conn: &mut Conn,
    key: &ArticleKey,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Page<Revision>> {
    let id = find_row(conn, key, Visibility::All)?.teaser.id;
    let total = article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .count()
        .get_result(conn)?;
    let mut query = article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .select(RevisionRow::as_select())
        .order(article_revisions::number.desc())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(article_revisions::number.lt(before));
    }
    let rows: Vec<RevisionRow> = query.limit(super::overfetch(limit)).load(conn)?;
    Page::overfetched(rows, limit, total)
        .try_map(|rows| rows.into_iter().map(Revision::try_from).collect())
}

/// Revision `number` of an article.
pub fn find(conn: &mut Conn, key: &ArticleKey, number: i64) -> StoreResult<Revision> {
    let id = find_row(conn, key, Visibility::All)?.teaser.id;
    article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .filter(article_revisions::number.eq(number))
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("The article has no revision {number}.")))?
        .try_into()
}
