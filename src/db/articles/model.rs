//! What an article is, as stored and as read: its key, rows, filters and the vocabulary the
//! other stores share. Types only, and the conditions that say which articles a reader sees.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::content::Rendered;
use crate::db::authors::credits::AuthorRef;
use crate::db::{Backend, StoreResult};
use crate::images::{Image, ImageColumn};
use crate::schema::articles;

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
    State(EditorialStatus, NaiveDateTime),
}

// The status an article is stored with, in the `status` column as its lowercase name: the
// one type of it, and the one place that spells the names. (Its doc comment is the API's.)
/// Where an article is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Published, Self::Archived];

    /// The name stored in the `status` column (and sent in JSON).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }
}

impl From<String> for ArticleStatus {
    /// The status a `status` column holds. The schema admits only the three names; anything
    /// else reads as a draft, the status that shows the least.
    fn from(stored: String) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == stored)
            .unwrap_or(Self::Draft)
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// The article's form, in the `format` column as its lowercase name. (Its doc comment is the
// API's.)
/// How the article is told: `standard` (one body) or `live` (a live blog: a body on top,
/// then a stream of timestamped blocks).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ArticleFormat {
    #[default]
    Standard,
    Live,
}

impl ArticleFormat {
    /// The name stored in the `format` column (and sent in JSON).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Live => "live",
        }
    }
}

impl From<String> for ArticleFormat {
    /// The format a `format` column holds; the schema admits only the two names.
    fn from(stored: String) -> Self {
        match stored.as_str() {
            "live" => Self::Live,
            _ => Self::Standard,
        }
    }
}

// Where an article is in the editorial workflow, as an admin list asks for it: a status, or
// `scheduled` (published with a `published_at` still to come).
/// Editorial states an admin list can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EditorialStatus {
    Draft,
    Scheduled,
    Published,
    Archived,
}

impl EditorialStatus {
    pub const ALL: [Self; 4] = [
        Self::Draft,
        Self::Scheduled,
        Self::Published,
        Self::Archived,
    ];

    /// The name a list's `status` parameter gives.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Draft => ArticleStatus::Draft.as_str(),
            Self::Published => ArticleStatus::Published.as_str(),
            Self::Archived => ArticleStatus::Archived.as_str(),
        }
    }

    /// The state `name` names, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

pub(in crate::db) type ArticleFilter =
    Box<dyn BoxableExpression<articles::table, Backend, SqlType = Bool>>;

pub(in crate::db) fn visible(vis: Visibility) -> ArticleFilter {
    match vis {
        Visibility::Public { now } => Box::new(
            articles::status
                .eq(ArticleStatus::Published.as_str())
                .and(articles::published_at.assume_not_null().le(now)),
        ),
        Visibility::All => Box::new(articles::id.is_not_null()),
        Visibility::State(EditorialStatus::Draft, _) => {
            Box::new(articles::status.eq(ArticleStatus::Draft.as_str()))
        }
        Visibility::State(EditorialStatus::Archived, _) => {
            Box::new(articles::status.eq(ArticleStatus::Archived.as_str()))
        }
        Visibility::State(EditorialStatus::Published, now) => visible(Visibility::Public { now }),
        Visibility::State(EditorialStatus::Scheduled, now) => Box::new(
            articles::status
                .eq(ArticleStatus::Published.as_str())
                .and(articles::published_at.assume_not_null().gt(now)),
        ),
    }
}

pub(in crate::db) fn by_key(key: &ArticleKey) -> ArticleFilter {
    match key {
        ArticleKey::Id(id) => Box::new(articles::id.eq(*id)),
        ArticleKey::Slug(slug) => Box::new(articles::slug.eq(slug.clone())),
    }
}

/// A stored article: its teaser's columns, then the body and whether it is live.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ArticleRow {
    #[diesel(embed)]
    pub teaser: TeaserRow,
    pub body: String,
    pub body_html: String,
    pub body_text: String,
    /// Whether the article is live: announced as published and, on SQLite, in the public
    /// search index (see [`crate::db::live`]).
    pub live: bool,
    /// A live article's public blocks as counted when they last changed
    /// ([`crate::db::blocks::settle`]).
    pub block_count: i64,
    pub blocks_changed_at: Option<NaiveDateTime>,
    pub blocks_changed_id: Option<i64>,
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
    #[diesel(deserialize_as = String)]
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub byline: Option<String>,
    #[diesel(deserialize_as = Option<String>)]
    pub feature_image: ImageColumn,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    #[diesel(deserialize_as = String)]
    pub format: ArticleFormat,
    /// Whether a live article's coverage is open (the API's `live`).
    pub coverage_open: bool,
    /// When the newest block the public can see was published.
    pub latest_block_at: Option<NaiveDateTime>,
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
    /// A live article's blocks as read (by default the newest), and their summary.
    pub live: Option<crate::db::blocks::LiveView>,
    /// Corrections appended to it, oldest first.
    pub corrections: Vec<crate::db::corrections::Correction>,
    /// Its authors, in byline order.
    pub authors: Vec<AuthorRef>,
}

#[derive(Debug, Clone)]
pub struct Teaser {
    pub row: TeaserRow,
    pub tags: Vec<TagRef>,
    /// Its authors, in byline order.
    pub authors: Vec<AuthorRef>,
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
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub byline: Option<String>,
    #[serde(default)]
    pub feature_image: Option<Image>,
    pub tags: Vec<String>,
    /// Author slugs, in byline order.
    #[serde(default)]
    pub authors: Vec<String>,
    pub related: Vec<RelatedSpec>,
    #[serde(default)]
    pub format: ArticleFormat,
    /// Whether a live article's coverage is open.
    #[serde(default)]
    pub live: bool,
    /// A live article's blocks, as an import or the demo brings them (the API adds them
    /// one by one).
    #[serde(default)]
    pub blocks: Vec<crate::db::blocks::NewBlock>,
    /// Its corrections, as an import brings them.
    #[serde(default)]
    pub corrections: Vec<crate::db::corrections::NewCorrection>,
}

/// Changes to an article: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub summary: Option<String>,
    pub body: Option<(String, Rendered)>,
    pub status: Option<ArticleStatus>,
    pub published_at: Option<Option<NaiveDateTime>>,
    pub byline: Option<Option<String>>,
    pub feature_image: Option<ImageChange>,
    pub tags: Option<Vec<String>>,
    pub authors: Option<Vec<String>>,
    pub related: Option<Vec<RelatedSpec>>,
    pub format: Option<ArticleFormat>,
    pub live: Option<bool>,
}

/// A change to an article's feature image.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageChange {
    /// The whole image, or none.
    Set(Option<Image>),
    /// Only its URL (the `feature_image_url` alias): the rest of the image stays; an article
    /// without one gets an image with no text of its own.
    Url(Option<String>),
}

impl ImageChange {
    /// The image after the change, from the image before it.
    pub fn apply(&self, current: Option<&Image>) -> Option<Image> {
        match self {
            Self::Set(image) => image.clone(),
            Self::Url(None) => None,
            Self::Url(Some(url)) => Some(Image {
                url: url.clone(),
                ..current.cloned().unwrap_or_default()
            }),
        }
    }
}

/// Every stored column of an article but its id and `live`: a new row ([`Self::insert`]), or
/// (import) a whole replacement.
#[derive(AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub(in crate::db) struct ArticleWrite<'a> {
    pub(in crate::db) slug: &'a str,
    pub(in crate::db) title: &'a str,
    pub(in crate::db) summary: &'a str,
    pub(in crate::db) body: &'a str,
    pub(in crate::db) body_html: &'a str,
    pub(in crate::db) body_text: &'a str,
    pub(in crate::db) word_count: i64,
    pub(in crate::db) status: &'a str,
    pub(in crate::db) published_at: Option<NaiveDateTime>,
    pub(in crate::db) byline: Option<&'a str>,
    pub(in crate::db) feature_image_url: Option<&'a str>,
    pub(in crate::db) feature_image: Option<String>,
    pub(in crate::db) created_at: NaiveDateTime,
    pub(in crate::db) updated_at: NaiveDateTime,
    pub(in crate::db) format: &'a str,
    pub(in crate::db) coverage_open: bool,
}

impl<'a> ArticleWrite<'a> {
    /// The row of `new`, under `slug` and published at `published_at`, with these times.
    pub(in crate::db) fn of(
        new: &'a NewArticle,
        slug: &'a str,
        published_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    ) -> Self {
        Self {
            slug,
            title: &new.title,
            summary: &new.summary,
            body: &new.body,
            body_html: &new.rendered.html,
            body_text: &new.rendered.text,
            word_count: new.rendered.word_count,
            status: new.status.as_str(),
            published_at,
            byline: new.byline.as_deref(),
            feature_image_url: new.feature_image.as_ref().map(|i| i.url.as_str()),
            feature_image: Image::stored(new.feature_image.as_ref()),
            created_at,
            updated_at,
            format: new.format.as_str(),
            coverage_open: new.live,
        }
    }

    /// Inserts the row, `live` or not, and returns its id.
    pub(in crate::db) fn insert(&self, conn: &mut crate::db::Conn, live: bool) -> QueryResult<i64> {
        let ids = Self::insert_all(conn, &[(self, live)])?;
        ids.first().copied().ok_or(diesel::result::Error::NotFound)
    }

    /// Inserts the rows, each `live` or not, in one statement, and returns their ids in
    /// order. The slugs must differ. One row's statement is kept prepared
    /// ([`crate::db::kept`]): diesel builds an insert's text again at every run, column by
    /// column (3 s of a 100k import on SQLite, BENCHMARKS.md). Several rows' (an import's) is
    /// one text per number of rows.
    pub(in crate::db) fn insert_all(
        conn: &mut crate::db::Conn,
        rows: &[(&Self, bool)],
    ) -> QueryResult<Vec<i64>> {
        use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
        #[derive(QueryableByName)]
        struct Inserted {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Text)]
            slug: String,
        }
        let sql = format!(
            "INSERT INTO articles (slug, title, summary, body, body_html, body_text, \
             word_count, status, published_at, byline, feature_image_url, feature_image, \
             created_at, updated_at, format, coverage_open, live) VALUES {} RETURNING id, slug",
            crate::db::values_list(conn, rows.len(), 17)
        );
        let mut query = diesel::sql_query(sql).into_boxed::<Backend>();
        for (row, live) in rows {
            query = query
                .bind::<Text, _>(row.slug)
                .bind::<Text, _>(row.title)
                .bind::<Text, _>(row.summary)
                .bind::<Text, _>(row.body)
                .bind::<Text, _>(row.body_html)
                .bind::<Text, _>(row.body_text)
                .bind::<BigInt, _>(row.word_count)
                .bind::<Text, _>(row.status)
                .bind::<Nullable<Timestamp>, _>(row.published_at)
                .bind::<Nullable<Text>, _>(row.byline)
                .bind::<Nullable<Text>, _>(row.feature_image_url)
                .bind::<Nullable<Text>, _>(row.feature_image.as_deref())
                .bind::<Timestamp, _>(row.created_at)
                .bind::<Timestamp, _>(row.updated_at)
                .bind::<Text, _>(row.format)
                .bind::<Bool, _>(row.coverage_open)
                .bind::<Bool, _>(*live);
        }
        let inserted = match rows.len() {
            1 => crate::db::kept(query).load::<Inserted>(conn)?,
            _ => query.load::<Inserted>(conn)?,
        };
        // By slug: neither backend promises the order of the returned rows.
        let ids: HashMap<String, i64> = inserted.into_iter().map(|i| (i.slug, i.id)).collect();
        rows.iter()
            .map(|(row, _)| ids.get(row.slug).copied())
            .collect::<Option<Vec<i64>>>()
            .ok_or(diesel::result::Error::NotFound)
    }
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
    /// Only articles crediting every one of these author slugs.
    pub authors: Vec<String>,
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
        self.tags
            .iter()
            .chain(&self.authors)
            .any(|t| t.contains('\0'))
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

/// Whether an article stored with `status` and `published_at` is public at `now`: published,
/// with its time come. The one statement of the rule in Rust; [`visible`] states it in SQL.
pub fn public_at(
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    status == ArticleStatus::Published && published_at.is_some_and(|p| p <= now)
}

pub(in crate::db) fn is_public(row: &ArticleRow, now: NaiveDateTime) -> bool {
    public_at(row.teaser.status, row.teaser.published_at, now)
}

/// An article's identity and publication state at one moment: what a write computes its
/// event and the change in what the public sees from, before and after.
#[derive(Debug, Clone)]
pub(in crate::db) struct ArticleState {
    pub(in crate::db) id: i64,
    pub(in crate::db) slug: String,
    pub(in crate::db) title: String,
    pub(in crate::db) status: ArticleStatus,
    pub(in crate::db) published_at: Option<NaiveDateTime>,
    pub(in crate::db) updated_at: NaiveDateTime,
    pub(in crate::db) live: bool,
    /// The slugs of its tags, in order.
    pub(in crate::db) tags: Vec<String>,
    /// The slugs of its authors, in order.
    pub(in crate::db) authors: Vec<String>,
}

impl ArticleState {
    pub(in crate::db) fn of(row: &ArticleRow, tags: Vec<String>, authors: Vec<String>) -> Self {
        Self {
            id: row.teaser.id,
            slug: row.teaser.slug.clone(),
            title: row.teaser.title.clone(),
            status: row.teaser.status,
            published_at: row.teaser.published_at,
            updated_at: row.teaser.updated_at,
            live: row.live,
            tags,
            authors,
        }
    }
}

impl From<&Article> for ArticleState {
    fn from(article: &Article) -> Self {
        let tags = article.tags.iter().map(|t| t.slug.clone()).collect();
        let authors = article.authors.iter().map(|a| a.slug.clone()).collect();
        Self::of(&article.row, tags, authors)
    }
}

/// Whether the public could see the article as stored: live, or published with its time
/// come and not marked live yet.
pub(in crate::db) fn shown(state: &ArticleState, now: NaiveDateTime) -> bool {
    state.live || public_at(state.status, state.published_at, now)
}

/// A condition a write checks against the article as it is, inside the write's transaction
/// (an `If-Match` precondition, say).
pub type Check<'a> = &'a dyn Fn(&Article) -> StoreResult<()>;

/// A related link as read: internal ones carry their target's current values.
#[derive(Debug, Clone, PartialEq)]
pub enum Related {
    Internal {
        slug: String,
        title: String,
        summary: String,
        image: Option<Image>,
    },
    External {
        url: String,
        title: Option<String>,
        summary: String,
    },
}

/// A related link as written, and as a revision or an export keeps it: internal ones by
/// the target's slug (at the time).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum RelatedSpec {
    Internal {
        slug: String,
    },
    External {
        url: String,
        title: Option<String>,
        summary: String,
    },
}
