//! Articles with their tags and ordered related links.

use std::collections::HashMap;
use std::fmt;

use super::Backend;
use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Timestamp};

use super::related::{Related, RelatedSpec, related_of, set_related};
use super::{Conn, Page, StoreError, StoreResult, live, revisions, tags};
use crate::content::{MAX_SLUG_LEN, Rendered, slugify};
use crate::schema::{article_slugs, article_tags, articles, related_links, tags as tags_t};

/// How an article is addressed in a path: its numeric id or its slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArticleKey {
    Id(i64),
    Slug(String),
}

impl ArticleKey {
    /// An all-digit key is an id (slugs always contain a letter); anything else a slug.
    pub fn parse(key: &str) -> Self {
        match key.parse::<i64>() {
            Ok(id) => Self::Id(id),
            Err(_) => Self::Slug(key.to_owned()),
        }
    }
}

impl fmt::Display for ArticleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "No article has the id {id}."),
            Self::Slug(slug) => write!(f, "No article has the slug '{slug}'."),
        }
    }
}

/// Which articles a read may see.
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    /// Published, with `published_at` at or before `now`.
    Public { now: NaiveDateTime },
    /// Every article, whatever its status (admin preview).
    All,
    /// Articles in one editorial state (admin lists).
    State(EditorialState, NaiveDateTime),
}

/// Where an article is in the editorial workflow; `Scheduled` is published with a
/// `published_at` still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorialState {
    Draft,
    Scheduled,
    Published,
    Archived,
}

pub(super) type ArticleFilter =
    Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>>;

pub(super) fn visible(vis: Visibility) -> ArticleFilter {
    match vis {
        Visibility::Public { now } => Box::new(
            articles::status
                .eq("published")
                .and(articles::published_at.assume_not_null().le(now)),
        ),
        Visibility::All => Box::new(articles::id.is_not_null()),
        Visibility::State(EditorialState::Draft, _) => Box::new(articles::status.eq("draft")),
        Visibility::State(EditorialState::Archived, _) => Box::new(articles::status.eq("archived")),
        Visibility::State(EditorialState::Published, now) => visible(Visibility::Public { now }),
        Visibility::State(EditorialState::Scheduled, now) => Box::new(
            articles::status
                .eq("published")
                .and(articles::published_at.assume_not_null().gt(now)),
        ),
    }
}

fn by_key(key: &ArticleKey) -> ArticleFilter {
    match key {
        ArticleKey::Id(id) => Box::new(articles::id.eq(*id)),
        ArticleKey::Slug(slug) => Box::new(articles::slug.eq(slug.clone())),
    }
}

/// A stored article.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub body_html: String,
    pub body_text: String,
    pub word_count: i64,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub byline: Option<String>,
    pub feature_image_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Whether the article is live: announced as published and, on SQLite, in the public
    /// search index (see [`super::live`]).
    pub live: bool,
}

/// The columns a list shows: everything but the body.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TeaserRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub word_count: i64,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub byline: Option<String>,
    pub feature_image_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Article {
    pub row: ArticleRow,
    pub tags: Vec<TagRef>,
    pub related: Vec<Related>,
    /// When anything shown with the article last changed: the article, its tags, the
    /// targets of its links, or its own or a target's publication coming due.
    pub last_modified: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Teaser {
    pub row: TeaserRow,
    pub tags: Vec<TagRef>,
    /// Set in search results.
    pub hit: Option<SearchHit>,
}

/// Where a search result ranks and what matched.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// bm25 rank: lower is more relevant.
    pub rank: f64,
    /// An excerpt with the matched words between `HIT_START` and `HIT_END`.
    pub snippet: String,
}

/// A new article, validated and rendered.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewArticle {
    pub title: String,
    pub slug: Option<String>,
    pub summary: String,
    pub body: String,
    pub rendered: Rendered,
    #[serde(deserialize_with = "known_status")]
    pub status: StatusName,
    pub published_at: Option<NaiveDateTime>,
    pub byline: Option<String>,
    pub feature_image_url: Option<String>,
    pub tags: Vec<String>,
    pub related: Vec<RelatedSpec>,
}

/// A stored status (named so, not written `&'static str`, so that serde does not take it to
/// be borrowed from the input).
pub type StatusName = &'static str;

/// One of the statuses an article is stored with.
fn known_status<'de, D: serde::Deserializer<'de>>(de: D) -> Result<&'static str, D::Error> {
    use serde::Deserialize;
    let status = String::deserialize(de)?;
    ["draft", "published", "archived"]
        .into_iter()
        .find(|known| *known == status)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown status '{status}'")))
}

/// Changes to an article: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub summary: Option<String>,
    pub body: Option<(String, Rendered)>,
    pub status: Option<&'static str>,
    pub published_at: Option<Option<NaiveDateTime>>,
    pub byline: Option<Option<String>>,
    pub feature_image_url: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub related: Option<Vec<RelatedSpec>>,
}

/// Every stored column of an article but its id: a new row, or (import) a whole replacement.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub(super) struct ArticleWrite<'a> {
    pub(super) slug: &'a str,
    pub(super) title: &'a str,
    pub(super) summary: &'a str,
    pub(super) body: &'a str,
    pub(super) body_html: &'a str,
    pub(super) body_text: &'a str,
    pub(super) word_count: i64,
    pub(super) status: &'a str,
    pub(super) published_at: Option<NaiveDateTime>,
    pub(super) byline: Option<&'a str>,
    pub(super) feature_image_url: Option<&'a str>,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(AsChangeset)]
#[diesel(table_name = articles)]
struct ArticleChangeset<'a> {
    slug: Option<&'a str>,
    title: Option<&'a str>,
    summary: Option<&'a str>,
    body: Option<&'a str>,
    body_html: Option<&'a str>,
    body_text: Option<&'a str>,
    word_count: Option<i64>,
    status: Option<&'a str>,
    published_at: Option<Option<NaiveDateTime>>,
    byline: Option<Option<&'a str>>,
    feature_image_url: Option<Option<&'a str>>,
    updated_at: NaiveDateTime,
}

/// List orders the API offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    PublishedDesc,
    PublishedAsc,
    UpdatedDesc,
}

impl Sort {
    /// The keyset position of a row in this order.
    pub fn key(self, row: &TeaserRow) -> (NaiveDateTime, i64) {
        match self {
            Self::PublishedDesc | Self::PublishedAsc => {
                (row.published_at.unwrap_or(row.created_at), row.id)
            }
            Self::UpdatedDesc => (row.updated_at, row.id),
        }
    }
}

/// What a list or search is restricted to.
#[derive(Debug, Clone)]
pub struct Filters {
    /// Only articles having every one of these tag slugs.
    pub tags: Vec<String>,
    /// Only articles published strictly after this time.
    pub published_after: Option<NaiveDateTime>,
    /// Only articles published strictly before this time.
    pub published_before: Option<NaiveDateTime>,
    pub visibility: Visibility,
}

impl Filters {
    /// Whether a tag filter names a slug no tag can have (one with a NUL, which PostgreSQL
    /// text cannot even hold): then no article matches.
    pub fn matches_nothing(&self) -> bool {
        self.tags.iter().any(|t| t.contains('\0'))
    }
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filters: Filters,
    pub sort: Sort,
    /// Start after this keyset position.
    pub after: Option<(NaiveDateTime, i64)>,
    pub limit: i64,
}

fn list_filter(f: &Filters) -> ArticleFilter {
    let mut filter = visible(f.visibility);
    for slug in &f.tags {
        let tagged = article_tags::table
            .inner_join(tags_t::table)
            .filter(tags_t::slug.eq(slug.clone()))
            .select(article_tags::article_id);
        filter = Box::new(filter.and(articles::id.eq_any(tagged)));
    }
    if let Some(after) = f.published_after {
        filter = Box::new(filter.and(articles::published_at.assume_not_null().gt(after)));
    }
    if let Some(before) = f.published_before {
        filter = Box::new(filter.and(articles::published_at.assume_not_null().lt(before)));
    }
    filter
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many articles a list holds on all its pages. Without tag or date filters, from the
/// per-status counts the database keeps (`article_counts`): the published ones less those not
/// yet due, which an index range finds (few, where counting the visible ones meant reading
/// an index entry per article: ~100,000 of them, most of a page's time at that size).
fn list_total(conn: &mut Conn, f: &Filters) -> QueryResult<i64> {
    let counted = |status: &str| -> String {
        format!("COALESCE((SELECT n FROM article_counts WHERE status = '{status}'), 0)")
    };
    let plain = f.tags.is_empty() && f.published_after.is_none() && f.published_before.is_none();
    let sql = match f.visibility {
        _ if !plain => None,
        Visibility::Public { now } | Visibility::State(EditorialState::Published, now) => {
            let placeholder = match conn {
                super::AnyConnection::Postgres(_) => "$1",
                super::AnyConnection::Sqlite(_) => "?",
            };
            // Two counts, not one with an OR, which SQLite would answer by reading every
            // published article's index entry.
            let sql = format!(
                "SELECT {} \
                 - (SELECT COUNT(*) FROM articles WHERE status = 'published' \
                 AND published_at > {placeholder}) \
                 - (SELECT COUNT(*) FROM articles WHERE status = 'published' \
                 AND published_at IS NULL) AS n",
                counted("published")
            );
            return Ok(diesel::sql_query(sql)
                .bind::<Timestamp, _>(now)
                .get_result::<Total>(conn)?
                .n);
        }
        Visibility::State(EditorialState::Draft, _) => Some(counted("draft")),
        Visibility::State(EditorialState::Archived, _) => Some(counted("archived")),
        Visibility::All => Some(format!(
            "{} + {} + {}",
            counted("draft"),
            counted("published"),
            counted("archived")
        )),
        Visibility::State(EditorialState::Scheduled, _) => None,
    };
    match sql {
        Some(sum) => Ok(diesel::sql_query(format!("SELECT {sum} AS n"))
            .get_result::<Total>(conn)?
            .n),
        None => articles::table
            .filter(list_filter(f))
            .select(count_star())
            .get_result(conn),
    }
}

/// One page of teasers in the requested order, and how many match in all.
pub fn list(conn: &mut Conn, q: &ListQuery) -> StoreResult<Page<Teaser>> {
    if q.filters.matches_nothing() {
        return Ok(Page::empty());
    }
    let total = list_total(conn, &q.filters)?;
    // Newest first after (ts, id), a row must be published at or before both `now` and `ts`:
    // say so with one bound, min(now, ts), which the index range can use. With two bounds on
    // the column SQLite ranges over one (it cannot tell which is tighter) and filters by the
    // other, walking the index from the newest article down to the page.
    let mut page_filters = q.filters.clone();
    if let (Sort::PublishedDesc, Some((ts, _))) = (q.sort, q.after) {
        page_filters.visibility = match page_filters.visibility {
            Visibility::Public { now } => Visibility::Public { now: now.min(ts) },
            Visibility::State(EditorialState::Published, now) => {
                Visibility::State(EditorialState::Published, now.min(ts))
            }
            other => other,
        };
    }
    let mut query = articles::table
        .filter(list_filter(&page_filters))
        .select(TeaserRow::as_select())
        .into_boxed();
    // Public lists hold only dated articles; editorial ones may hold undated drafts, which
    // sort by their creation (as `Sort::key` places them).
    let dated = matches!(q.filters.visibility, Visibility::Public { .. });
    let published =
        || -> Box<dyn BoxableExpression<articles::table, Backend, SqlType = Nullable<Timestamp>>> {
            if dated {
                Box::new(articles::published_at)
            } else {
                Box::new(diesel::dsl::sql::<Nullable<Timestamp>>(
                    "COALESCE(articles.published_at, articles.created_at)",
                ))
            }
        };
    // After the keyset position (ts, id): the first condition bounds the index range, so a
    // page deep in the list starts where it should instead of counting its way there.
    query = match (q.sort, q.after) {
        (Sort::PublishedDesc, Some((ts, id))) => query.filter(
            published()
                .le(ts)
                .and(published().lt(ts).or(articles::id.lt(id))),
        ),
        (Sort::PublishedAsc, Some((ts, id))) => query.filter(
            published()
                .ge(ts)
                .and(published().gt(ts).or(articles::id.gt(id))),
        ),
        (Sort::UpdatedDesc, Some((ts, id))) => query.filter(
            articles::updated_at
                .le(ts)
                .and(articles::updated_at.lt(ts).or(articles::id.lt(id))),
        ),
        (_, None) => query,
    };
    query = match q.sort {
        Sort::PublishedDesc => query.order((published().desc(), articles::id.desc())),
        Sort::PublishedAsc => query.order((published().asc(), articles::id.asc())),
        Sort::UpdatedDesc => query.order((articles::updated_at.desc(), articles::id.desc())),
    };
    let mut rows: Vec<TeaserRow> = query.limit(q.limit + 1).load(conn)?;
    let has_more = rows.len() as i64 > q.limit;
    rows.truncate(q.limit as usize);
    Ok(Page {
        items: with_tags(conn, rows.into_iter().map(|row| (row, None)).collect())?,
        total,
        has_more,
    })
}

/// Teasers for `rows`, with their tags in one query.
pub(super) fn with_tags(
    conn: &mut Conn,
    rows: Vec<(TeaserRow, Option<SearchHit>)>,
) -> QueryResult<Vec<Teaser>> {
    let mut tags = tags_of(conn, &rows.iter().map(|(r, _)| r.id).collect::<Vec<_>>())?;
    Ok(rows
        .into_iter()
        .map(|(row, hit)| Teaser {
            tags: tags.remove(&row.id).unwrap_or_default(),
            row,
            hit,
        })
        .collect())
}

pub(super) fn tags_of(conn: &mut Conn, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<TagRef>>> {
    let rows: Vec<(i64, String, String)> = article_tags::table
        .inner_join(tags_t::table)
        .filter(article_tags::article_id.eq_any(ids))
        .order((article_tags::article_id, article_tags::position))
        .select((article_tags::article_id, tags_t::slug, tags_t::name))
        .load(conn)?;
    let mut map: HashMap<i64, Vec<TagRef>> = HashMap::new();
    for (id, slug, name) in rows {
        map.entry(id).or_default().push(TagRef { slug, name });
    }
    Ok(map)
}

pub(super) fn find_row(
    conn: &mut Conn,
    key: &ArticleKey,
    vis: Visibility,
) -> StoreResult<ArticleRow> {
    articles::table
        .filter(by_key(key))
        .filter(visible(vis))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(key.to_string()))
}

/// One article with its tags and resolved related links.
pub fn find(conn: &mut Conn, key: &ArticleKey, vis: Visibility) -> StoreResult<Article> {
    let row = find_row(conn, key, vis)?;
    let tags = tags_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    let tags_changed: Option<NaiveDateTime> = article_tags::table
        .inner_join(tags_t::table)
        .filter(article_tags::article_id.eq(row.id))
        .select(diesel::dsl::max(tags_t::updated_at))
        .get_result(conn)?;
    let curated = related_of(conn, row.id)?;
    let now = super::now();
    let last_modified = [
        Some(row.updated_at),
        row.published_at.filter(|p| *p <= now),
        tags_changed,
        curated.targets_changed,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(row.updated_at);
    Ok(Article {
        row,
        tags,
        related: curated.links,
        last_modified,
    })
}

/// Everything the public representation of an article depends on: two equal stamps mean
/// the same representation, so a response rendered for one may be served for the other. An
/// edit of the article (its fields, tags or links) or the deletion of a public link target
/// moves its `updated_at`; a renamed tag moves `tags_changed`; an edited public link target
/// moves that target's `updated_at`, and one published or withdrawn, or coming due, flips
/// its `public`. A target the public cannot read is not shown: its edits leave the stamp as
/// it is (and so the rendered response, its timing included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    id: i64,
    updated_at: NaiveDateTime,
    tags_changed: Option<NaiveDateTime>,
    /// Each internal link's target, in link order: (id, updated_at when public, public now).
    targets: Vec<(i64, Option<NaiveDateTime>, bool)>,
}

#[cfg(test)]
impl Stamp {
    /// A stamp of nothing in particular.
    pub fn for_tests(id: i64) -> Self {
        Self {
            id,
            updated_at: NaiveDateTime::default(),
            tags_changed: None,
            targets: Vec::new(),
        }
    }
}

/// The stamp of the article `key` names as the public sees it at `now`; `None` when the
/// public cannot see it (or no article has the key). Three small queries, each prepared once
/// per connection; on SQLite in one read transaction, which takes the WAL's read lock (a few
/// system calls) once instead of three times.
pub fn stamp(conn: &mut Conn, key: &ArticleKey, now: NaiveDateTime) -> QueryResult<Option<Stamp>> {
    match conn {
        super::AnyConnection::Sqlite(_) => conn.transaction(|conn| read_stamp(conn, key, now)),
        super::AnyConnection::Postgres(_) => read_stamp(conn, key, now),
    }
}

/// An article's identity and dates, as [`read_stamp`] reads them.
#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct StampRow {
    id: i64,
    updated_at: NaiveDateTime,
    status: String,
    published_at: Option<NaiveDateTime>,
}

// On SQLite an article's status and dates sit past its body, in the row's overflow pages: a
// stamp read from the rows walked ~30 KB of text per article (its own and its four related
// ones), most of an uncached read's time. These read them from indexes that hold them
// (`INDEXED BY`: the planner prefers the slug's unique index and the rowid).
const SQLITE_STAMP_BY_SLUG: &str = "SELECT id, updated_at, status, published_at \
     FROM articles INDEXED BY articles_slug_visibility WHERE slug = ?";
const SQLITE_STAMP_BY_ID: &str = "SELECT id, updated_at, status, published_at \
     FROM articles INDEXED BY articles_visibility WHERE id = ?";
const SQLITE_STAMP_TARGETS: &str = "SELECT a.id, a.updated_at, a.status, a.published_at \
     FROM related_links r JOIN articles a INDEXED BY articles_visibility \
     ON a.id = r.target_article_id WHERE r.article_id = ? ORDER BY r.position";

fn read_stamp(conn: &mut Conn, key: &ArticleKey, now: NaiveDateTime) -> QueryResult<Option<Stamp>> {
    let sqlite = matches!(conn, super::AnyConnection::Sqlite(_));
    let found: Vec<StampRow> = match (key, sqlite) {
        (ArticleKey::Id(id), true) => diesel::sql_query(SQLITE_STAMP_BY_ID)
            .bind::<diesel::sql_types::BigInt, _>(*id)
            .load(conn)?,
        (ArticleKey::Slug(slug), true) => diesel::sql_query(SQLITE_STAMP_BY_SLUG)
            .bind::<diesel::sql_types::Text, _>(slug)
            .load(conn)?,
        (ArticleKey::Id(id), false) => articles::table
            .filter(articles::id.eq(*id))
            .select(StampRow::as_select())
            .load(conn)?,
        (ArticleKey::Slug(slug), false) => articles::table
            .filter(articles::slug.eq(slug))
            .select(StampRow::as_select())
            .load(conn)?,
    };
    let visible =
        |row: &StampRow| row.status == "published" && row.published_at.is_some_and(|p| p <= now);
    let Some(&StampRow { id, updated_at, .. }) = found.iter().find(|row| visible(row)) else {
        return Ok(None);
    };
    let tags_changed: Option<NaiveDateTime> = article_tags::table
        .inner_join(tags_t::table)
        .filter(article_tags::article_id.eq(id))
        .select(diesel::dsl::max(tags_t::updated_at))
        .get_result(conn)?;
    let targets: Vec<StampRow> = if sqlite {
        diesel::sql_query(SQLITE_STAMP_TARGETS)
            .bind::<diesel::sql_types::BigInt, _>(id)
            .load(conn)?
    } else {
        related_links::table
            .inner_join(
                articles::table.on(related_links::target_article_id.eq(articles::id.nullable())),
            )
            .filter(related_links::article_id.eq(id))
            .order(related_links::position)
            .select(StampRow::as_select())
            .load(conn)?
    };
    Ok(Some(Stamp {
        id,
        updated_at,
        tags_changed,
        targets: targets
            .into_iter()
            .map(|row| {
                let public = visible(&row);
                (row.id, public.then_some(row.updated_at), public)
            })
            .collect(),
    }))
}

/// Whether another article than `except` has `slug`, now or in its history.
pub(super) fn slug_taken(conn: &mut Conn, slug: &str, except: Option<i64>) -> QueryResult<bool> {
    let except = except.unwrap_or(-1);
    let current = articles::table
        .filter(articles::slug.eq(slug))
        .filter(articles::id.ne(except))
        .select(articles::id)
        .first::<i64>(conn)
        .optional()?;
    let former = article_slugs::table
        .filter(article_slugs::slug.eq(slug))
        .filter(article_slugs::article_id.ne(except))
        .select(article_slugs::article_id)
        .first::<i64>(conn)
        .optional()?;
    Ok(current.is_some() || former.is_some())
}

/// The slug now of the article that has or had `slug`, if it still exists.
fn current_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<String>> {
    let now: Option<String> = articles::table
        .filter(articles::slug.eq(slug))
        .select(articles::slug)
        .first(conn)
        .optional()?;
    if now.is_some() {
        return Ok(now);
    }
    let id: Option<i64> = article_slugs::table
        .filter(article_slugs::slug.eq(slug))
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => articles::table
            .filter(articles::id.eq(id))
            .select(articles::slug)
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// The current slug of the article that once had `slug`, if it is visible.
pub fn moved(conn: &mut Conn, slug: &str, vis: Visibility) -> QueryResult<Option<String>> {
    let id: Option<i64> = article_slugs::table
        .filter(article_slugs::slug.eq(slug))
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    let Some(id) = id else { return Ok(None) };
    articles::table
        .filter(articles::id.eq(id))
        .filter(visible(vis))
        .select(articles::slug)
        .first(conn)
        .optional()
}

/// A free slug derived from `title`: its slug form, then `-2`, `-3`, … until one is free.
fn derive_slug(conn: &mut Conn, title: &str) -> QueryResult<String> {
    let mut base = slugify(title);
    if base.is_empty() {
        base = "article".to_owned();
    } else if base.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        // An all-digit slug would read as an id.
        base = format!("article-{base}");
    }
    base.truncate(MAX_SLUG_LEN - 6);
    let base = base.trim_end_matches('-').to_owned();
    let mut candidate = base.clone();
    let mut n = 1;
    while slug_taken(conn, &candidate, None)? {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

fn check_slug_free(conn: &mut Conn, slug: &str, except: Option<i64>) -> StoreResult<()> {
    if slug_taken(conn, slug, except)? {
        return Err(StoreError::Conflict(format!(
            "The slug '{slug}' is used by another article, now or formerly; choose another or omit it to derive one from the title."
        )));
    }
    Ok(())
}

pub(super) fn set_tags(
    conn: &mut Conn,
    article_id: i64,
    names: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    let mut seen = Vec::with_capacity(names.len());
    for name in names {
        let tag_id = tags::ensure(conn, name, now)?;
        if seen.contains(&tag_id) {
            continue;
        }
        seen.push(tag_id);
        diesel::insert_into(article_tags::table)
            .values((
                article_tags::article_id.eq(article_id),
                article_tags::tag_id.eq(tag_id),
                article_tags::position.eq(seen.len() as i64),
            ))
            .execute(conn)?;
    }
    if !seen.is_empty() {
        super::search::refresh_tags(conn, article_id)?;
    }
    Ok(())
}

/// Stores a new article, deriving a unique slug when none is given.
pub fn create(conn: &mut Conn, new: &NewArticle, now: NaiveDateTime) -> StoreResult<Article> {
    super::write(conn, |conn| {
        let id = insert(conn, new, now)?;
        revisions::record(conn, id, now)?;
        let created = find(conn, &ArticleKey::Id(id), Visibility::All)?;
        emit(conn, None, Some(&created.row), now)?;
        Ok(created)
    })
}

fn insert(conn: &mut Conn, new: &NewArticle, now: NaiveDateTime) -> StoreResult<i64> {
    {
        let slug = match &new.slug {
            Some(slug) => {
                check_slug_free(conn, slug, None)?;
                slug.clone()
            }
            None => derive_slug(conn, &new.title)?,
        };
        let published_at = match (new.status, new.published_at) {
            ("published", None) => Some(now),
            (_, at) => at,
        };
        let id: i64 = diesel::insert_into(articles::table)
            .values(&ArticleWrite {
                slug: &slug,
                title: &new.title,
                summary: &new.summary,
                body: &new.body,
                body_html: &new.rendered.html,
                body_text: &new.rendered.text,
                word_count: new.rendered.word_count,
                status: new.status,
                published_at,
                byline: new.byline.as_deref(),
                feature_image_url: new.feature_image_url.as_deref(),
                created_at: now,
                updated_at: now,
            })
            .returning(articles::id)
            .get_result(conn)?;
        set_tags(conn, id, &new.tags, now)?;
        set_related(conn, id, &new.related, "related")?;
        Ok(id)
    }
}

/// Stores many articles, then their related links (which may point at any of them, given
/// as (article slug, links)). Call it inside the caller's [`super::write`], which makes
/// them one transaction.
pub fn import(
    conn: &mut Conn,
    new: &[NewArticle],
    links: &[(String, Vec<RelatedSpec>)],
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let mut ids = Vec::with_capacity(new.len());
    for article in new {
        ids.push(insert(conn, article, now)?);
    }
    for (slug, related) in links {
        let id = find_row(conn, &ArticleKey::Slug(slug.clone()), Visibility::All)?.id;
        set_related(conn, id, related, &format!("{slug}.related"))?;
    }
    for id in ids {
        revisions::record(conn, id, now)?;
        let row = find_row(conn, &ArticleKey::Id(id), Visibility::All)?;
        live::settle(conn, &row, is_public(&row, now), true)?;
    }
    Ok(new.len())
}

pub(super) fn is_public(row: &ArticleRow, now: NaiveDateTime) -> bool {
    row.status == "published" && row.published_at.is_some_and(|p| p <= now)
}

/// Queues the webhook event for a change from `before` to `after` (either absent for a
/// creation or deletion), and records whether the article is live now ([`live::settle`]):
/// published when it goes live, unpublished when a live article stops being public,
/// deleted, or updated. Removes the article's preview links when it is public before or
/// after the change.
pub(super) fn emit(
    conn: &mut Conn,
    before: Option<&ArticleRow>,
    after: Option<&ArticleRow>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    emit_indexed(conn, before, after, now, true)
}

/// [`emit`]; `index` false leaves a live article's public index row to [`live::index_new`].
pub(super) fn emit_indexed(
    conn: &mut Conn,
    before: Option<&ArticleRow>,
    after: Option<&ArticleRow>,
    now: NaiveDateTime,
    index: bool,
) -> QueryResult<()> {
    let was = before.is_some_and(|r| r.live);
    let is = after.is_some_and(|r| is_public(r, now));
    let event = match after {
        None => "article.deleted",
        Some(_) if is && !was => "article.published",
        Some(_) if was && !is => "article.unpublished",
        Some(_) => "article.updated",
    };
    if let Some(row) = after {
        if before.is_some_and(|b| shown(b, now)) && !is {
            touch_linking(conn, row.id, now)?;
        }
        live::settle(conn, row, is, index)?;
    }
    let Some(row) = after.or(before) else {
        return Ok(());
    };
    // A preview link never shows an article again once it has been public, whether or not
    // the go-live step has marked it live yet.
    if before.is_some_and(|b| shown(b, now)) || is {
        super::previews::forget(conn, row.id)?;
    }
    let data = serde_json::json!({
        "id": row.id,
        "slug": row.slug,
        "previous_slug": before.filter(|b| b.slug != row.slug).map(|b| b.slug.clone()),
        "title": row.title,
        "status": row.status,
        "published_at": row.published_at.map(|t| t.and_utc()),
        "updated_at": row.updated_at.and_utc(),
    });
    super::events::record(conn, event, &data, now)
}

/// Whether the public could see the article as stored: live, or published with its time
/// come and not marked live yet.
fn shown(row: &ArticleRow, now: NaiveDateTime) -> bool {
    row.live || is_public(row, now)
}

/// Marks the articles that link to article `id` as changed: what they show of it (a link
/// only to an article the public can read) changes when it stops being public. Only then:
/// edits of an article the public cannot see change nothing the public sees elsewhere.
fn touch_linking(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    let linking = related_links::table
        .filter(related_links::target_article_id.eq(id))
        .select(related_links::article_id);
    diesel::update(
        articles::table
            .filter(articles::id.eq_any(linking))
            .filter(articles::id.ne(id)),
    )
    .set(articles::updated_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// A condition a write checks against the article as it is, inside the write's transaction
/// (an `If-Match` precondition, say).
pub type Check<'a> = &'a dyn Fn(&Article) -> StoreResult<()>;

/// Applies `changes` to an article of any status, if `check` passes; records a revision.
pub fn update(
    conn: &mut Conn,
    key: &ArticleKey,
    changes: &ArticleChanges,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Article> {
    super::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        apply(conn, &current.row, changes, now)?;
        revisions::record(conn, current.row.id, now)?;
        let updated = find(conn, &ArticleKey::Id(current.row.id), Visibility::All)?;
        emit(conn, Some(&current.row), Some(&updated.row), now)?;
        Ok(updated)
    })
}

/// Makes revision `number` current again, as a new revision. Internal links whose target is
/// gone are left out; the slug stays as it is. `body` is the revision's body and its
/// rendering, made before the write (rendering is slow work, kept out of the write lock);
/// when the revision read now has another body (the key names another article since), the
/// restore is refused as a conflict.
pub fn restore(
    conn: &mut Conn,
    key: &ArticleKey,
    number: i64,
    body: (String, Rendered),
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Article> {
    super::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        let old = revisions::find(conn, key, number)?.snapshot;
        if old.body != body.0 {
            return Err(StoreError::Conflict(
                "The article changed while its revision was being restored; retry.".to_owned(),
            ));
        }
        let mut related = Vec::with_capacity(old.related.len());
        for link in &old.related {
            match RelatedSpec::from(link) {
                // The target may have been renamed since: follow it to its current slug.
                RelatedSpec::Internal { slug } => {
                    if let Some(slug) = current_slug(conn, &slug)? {
                        related.push(RelatedSpec::Internal { slug });
                    }
                }
                external => related.push(external),
            }
        }
        let status: &'static str = match old.status.as_str() {
            "published" => "published",
            "archived" => "archived",
            _ => "draft",
        };
        let changes = ArticleChanges {
            title: Some(old.title),
            slug: None,
            summary: Some(old.summary),
            body: Some(body),
            status: Some(status),
            published_at: Some(old.published_at),
            byline: Some(old.byline),
            feature_image_url: Some(old.feature_image_url),
            tags: Some(old.tags.into_iter().map(|(slug, _)| slug).collect()),
            related: Some(related),
        };
        apply(conn, &current.row, &changes, now)?;
        revisions::record(conn, current.row.id, now)?;
        let restored = find(conn, &ArticleKey::Id(current.row.id), Visibility::All)?;
        emit(conn, Some(&current.row), Some(&restored.row), now)?;
        Ok(restored)
    })
}

fn apply(
    conn: &mut Conn,
    current: &ArticleRow,
    changes: &ArticleChanges,
    now: NaiveDateTime,
) -> StoreResult<()> {
    if let Some(slug) = changes.slug.as_ref().filter(|s| **s != current.slug) {
        check_slug_free(conn, slug, Some(current.id))?;
        // A published article's old slug keeps working (it redirects) and stays reserved.
        if current.status == "published" {
            retire_slug(conn, &current.slug, current.id, now)?;
        }
        diesel::delete(article_slugs::table.filter(article_slugs::slug.eq(slug))).execute(conn)?;
    }
    let status = changes.status.unwrap_or(current.status.as_str());
    let mut published_at = changes.published_at.unwrap_or(current.published_at);
    // Publishing without a date means "now".
    if status == "published" && published_at.is_none() {
        published_at = Some(now);
    }
    let body = changes.body.as_ref();
    diesel::update(articles::table.filter(articles::id.eq(current.id)))
        .set(&ArticleChangeset {
            slug: changes.slug.as_deref(),
            title: changes.title.as_deref(),
            summary: changes.summary.as_deref(),
            body: body.map(|(md, _)| md.as_str()),
            body_html: body.map(|(_, r)| r.html.as_str()),
            body_text: body.map(|(_, r)| r.text.as_str()),
            word_count: body.map(|(_, r)| r.word_count),
            status: changes.status,
            published_at: Some(published_at),
            byline: changes.byline.as_ref().map(|b| b.as_deref()),
            feature_image_url: changes.feature_image_url.as_ref().map(|u| u.as_deref()),
            updated_at: now,
        })
        .execute(conn)?;
    if let Some(tags) = &changes.tags {
        set_tags(conn, current.id, tags, now)?;
    }
    if let Some(related) = &changes.related {
        set_related(conn, current.id, related, "related")?;
    }
    Ok(())
}

/// Deletes an article; links to it from other articles go with it, and those articles count
/// as changed when the public could see it (their related reading changed).
pub fn delete(
    conn: &mut Conn,
    key: &ArticleKey,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<()> {
    super::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        let id = current.row.id;
        if shown(&current.row, now) {
            touch_linking(conn, id, now)?;
        }
        diesel::delete(articles::table.filter(articles::id.eq(id))).execute(conn)?;
        emit(conn, Some(&current.row), None, now)?;
        Ok(())
    })
}

/// The `limit` latest published articles, whole, with their tags; only those tagged `tag`
/// when given.
pub fn recent(
    conn: &mut Conn,
    tag: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(ArticleRow, Vec<TagRef>)>> {
    let mut filter = visible(Visibility::Public { now: super::now() });
    if let Some(tag) = tag {
        let tagged = article_tags::table
            .inner_join(tags_t::table)
            .filter(tags_t::slug.eq(tag.to_owned()))
            .select(article_tags::article_id);
        filter = Box::new(filter.and(articles::id.eq_any(tagged)));
    }
    let rows: Vec<ArticleRow> = articles::table
        .filter(filter)
        .select(ArticleRow::as_select())
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .load(conn)?;
    let mut tags = tags_of(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let t = tags.remove(&row.id).unwrap_or_default();
            (row, t)
        })
        .collect())
}

/// Slug and last change (its update, or its publication when that came later) of every
/// published article, newest first, at most `limit`.
pub fn published_index(conn: &mut Conn, limit: i64) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = articles::table
        .filter(visible(Visibility::Public { now: super::now() }))
        .select((articles::slug, articles::updated_at, articles::published_at))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, updated, published)| (slug, published.map_or(updated, |p| p.max(updated))))
        .collect())
}

/// How many articles there are, of any status.
pub fn count_all(conn: &mut Conn) -> QueryResult<i64> {
    articles::table.select(count_star()).get_result(conn)
}

/// Keeps `slug` reserved for the article, redirecting to it; a no-op when it already is.
pub(super) fn retire_slug(
    conn: &mut Conn,
    slug: &str,
    article_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let held: i64 = article_slugs::table.find(slug).count().get_result(conn)?;
    if held == 0 {
        diesel::insert_into(article_slugs::table)
            .values((
                article_slugs::slug.eq(slug),
                article_slugs::article_id.eq(article_id),
                article_slugs::retired_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
