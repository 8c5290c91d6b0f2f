//! Import and export of all content as records, one JSON object per line (NDJSON).
//!
//! An export is a `gazette-export` header, then every tag and every author in slug order,
//! then every article in creation order (ties by slug), then every collection (its articles
//! by slug), each with its tags, related links and former slugs by
//! slug: no database ids, which differ between databases. Rows are read a page at a time, so
//! memory does not grow with the number of articles.
//!
//! An import runs in one immediate transaction: all or nothing. Tags and articles are
//! matched by slug and created or updated to what the record says. A new one keeps the
//! record's timestamps. A record whose content (every field but `updated_at`) equals what is
//! stored writes nothing (no new `updated_at`, revision or webhook event), so importing the
//! same file twice changes nothing. A changed one takes the record's `updated_at` when that is
//! later than the stored one (a newer copy from another database), else the import's time:
//! `updated_at` never goes back. Related links are set in a second pass, once every article
//! of the file is in, so they may point forward; that pass keeps only each changed article's
//! id and links, never bodies.

mod article_parts;
mod counters;
mod export;
mod first_pass;
mod import;
mod statistics;

pub use export::{ExportCounts, export};
pub use import::{ArticleImport, CollectionImport, ImportCounts, ImportRecord, TagImport, import};

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::articles::model::{ArticleFormat, ArticleStatus};
use crate::db::articles::read::tags_of;
use crate::db::related::RelatedSpec;
use crate::db::{Conn, StoreError};
use crate::schema::{article_slugs, articles as articles_t, related_links};

/// The `type` of the header line.
pub const FORMAT: &str = "gazette-export";
/// The version of the record format this build writes and reads.
pub const VERSION: u32 = 1;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Record {
    /// The first line: what the file is.
    GazetteExport {
        version: u32,
    },
    Tag(TagRecord),
    Author(AuthorRecord),
    Article(Box<ArticleRecord>),
    Collection(CollectionRecord),
}

/// An author as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorRecord {
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub bio: Option<String>,
    pub image: Option<crate::images::Image>,
    pub links: Vec<crate::db::authors::ProfileLink>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A collection as exported: its articles by slug, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionRecord {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub articles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tag as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagRecord {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An article as exported: its own fields, then its tags (slugs, in display order), related
/// links (in order; internal ones by the target's slug) and former slugs (sorted), which
/// redirect to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleRecord {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub byline: Option<String>,
    /// The feature image's URL (the image's `url`; kept for readers of older exports).
    pub feature_image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_image: Option<crate::images::Image>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Vec<String>,
    /// Author slugs, in byline order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    pub related: Vec<RelatedSpec>,
    pub former_slugs: Vec<String>,
    pub format: ArticleFormat,
    /// Whether a live article's coverage is open.
    pub live: bool,
    /// A live article's blocks (deleted ones left out), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockRecord>,
    /// Its corrections, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<CorrectionRecord>,
}

/// A correction as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrectionRecord {
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A block of a live article as exported: what `POST …/blocks` takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockRecord {
    pub title: Option<String>,
    pub body: String,
    pub key_event: bool,
    pub pinned: bool,
    pub published_at: DateTime<Utc>,
}

impl From<crate::db::blocks::BlockRow> for BlockRecord {
    fn from(b: crate::db::blocks::BlockRow) -> Self {
        Self {
            title: b.title,
            body: b.body,
            key_event: b.key_event,
            pinned: b.pinned,
            published_at: b.published_at.and_utc(),
        }
    }
}

/// Why an import or export failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A record is invalid: the line it is on (from 1) and each `(field, message)`; an empty
    /// field means the whole line.
    #[error("{}", describe(*.line, .errors))]
    Invalid {
        line: u64,
        errors: Vec<(String, String)>,
    },
    /// The input could not be read or the output written.
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for TransferError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Store(err.into())
    }
}

impl TransferError {
    /// An invalid record with one error.
    pub fn at(line: u64, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            line,
            errors: vec![(field.into(), message.into())],
        }
    }
}

/// `line N: field`, or `line N` for the whole line.
pub fn line_field(line: u64, field: &str) -> String {
    if field.is_empty() {
        format!("line {line}")
    } else {
        format!("line {line}: {field}")
    }
}

pub(super) fn describe(line: u64, errors: &[(String, String)]) -> String {
    errors
        .iter()
        .map(|(field, message)| format!("{}: {message}", line_field(line, field)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The article columns a record holds.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles_t, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub(super) struct Stored {
    id: i64,
    slug: String,
    title: String,
    summary: String,
    body: String,
    #[diesel(deserialize_as = String)]
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
    byline: Option<String>,
    #[diesel(deserialize_as = Option<String>)]
    feature_image: crate::images::ImageColumn,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    live: bool,
    #[diesel(deserialize_as = String)]
    format: ArticleFormat,
    coverage_open: bool,
}

/// The tags, related links and former slugs of some articles, by article id.
#[derive(Default)]
pub(super) struct Extras {
    tags: HashMap<i64, Vec<String>>,
    related: HashMap<i64, Vec<RelatedSpec>>,
    former: HashMap<i64, Vec<String>>,
}

pub(super) fn extras(conn: &mut Conn, ids: &[i64]) -> QueryResult<Extras> {
    let tags = tags_of(conn, ids)?
        .into_iter()
        .map(|(id, refs)| (id, refs.into_iter().map(|t| t.slug).collect()))
        .collect();
    type LinkRow = (
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let links: Vec<LinkRow> = related_links::table
        .filter(related_links::article_id.eq_any(ids))
        .order((related_links::article_id, related_links::position))
        .select((
            related_links::article_id,
            related_links::target_article_id,
            related_links::url,
            related_links::title,
            related_links::summary,
        ))
        .load(conn)?;
    let target_ids: Vec<i64> = links.iter().filter_map(|l| l.1).collect();
    let targets: HashMap<i64, String> = articles_t::table
        .filter(articles_t::id.eq_any(&target_ids))
        .select((articles_t::id, articles_t::slug))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut related: HashMap<i64, Vec<RelatedSpec>> = HashMap::new();
    for (id, target, url, title, summary) in links {
        let link = match target {
            // The foreign key cascades, so a target always exists.
            Some(target) => RelatedSpec::Internal {
                slug: targets.get(&target).cloned().unwrap_or_default(),
            },
            None => RelatedSpec::External {
                url: url.unwrap_or_default(),
                title,
                summary: summary.unwrap_or_default(),
            },
        };
        related.entry(id).or_default().push(link);
    }
    let mut former: HashMap<i64, Vec<String>> = HashMap::new();
    let rows: Vec<(i64, String)> = article_slugs::table
        .filter(article_slugs::article_id.eq_any(ids))
        .order((article_slugs::article_id, article_slugs::slug))
        .select((article_slugs::article_id, article_slugs::slug))
        .load(conn)?;
    for (id, slug) in rows {
        former.entry(id).or_default().push(slug);
    }
    Ok(Extras {
        tags,
        related,
        former,
    })
}
