//! Import: records applied in one transaction, all or nothing.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::articles::model::NewArticle;
use crate::db::articles::write;
use crate::db::authors;
use crate::db::events::Subscriptions;
use crate::db::related::{set_new_related_all, set_related};
use crate::db::tags::{self, TagRow};
use crate::db::{Conn, StoreError};
use crate::schema::tags as tags_t;

use super::TransferError;
use super::counters::Counters;
use super::first_pass::{FirstPass, Pending, QUEUE_BYTES};
use super::statistics::Statistics;

/// A tag record, validated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagImport {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// When absent: now for a new tag, else kept.
    pub created_at: Option<NaiveDateTime>,
    /// For a new tag, its `updated_at` (now when absent); for a changed one, used when later
    /// than the stored one.
    pub updated_at: Option<NaiveDateTime>,
}

/// An article record, validated and rendered; `article.slug` is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArticleImport {
    pub article: NewArticle,
    /// When absent: now for a new article, else kept.
    pub created_at: Option<NaiveDateTime>,
    /// For a new article, its `updated_at` (now when absent); for a changed one, used when
    /// later than the stored one.
    pub updated_at: Option<NaiveDateTime>,
    pub former_slugs: Vec<String>,
}

/// One line of an import, validated (and kept as JSON in a temporary file between its
/// preparation and its write).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ImportRecord {
    Header,
    Tag(TagImport),
    Author(crate::db::authors::NewAuthor),
    Article(Box<ArticleImport>),
    Collection(CollectionImport),
}

/// A collection as an import brings it: its articles by slug, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CollectionImport {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub articles: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub tags_created: u64,
    pub tags_updated: u64,
    pub articles_created: u64,
    pub articles_updated: u64,
    /// Tags and articles already as their records say.
    pub unchanged: u64,
    /// Authors created or changed.
    pub authors_written: u64,
    /// Collections created or changed.
    pub collections_written: u64,
}

impl fmt::Display for ImportCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tags created, {} updated; {} articles created, {} updated; {} unchanged",
            self.tags_created,
            self.tags_updated,
            self.articles_created,
            self.articles_updated,
            self.unchanged
        )?;
        if self.authors_written + self.collections_written > 0 {
            write!(
                f,
                "; {} authors and {} collections written",
                self.authors_written, self.collections_written
            )?;
        }
        Ok(())
    }
}

/// Applies `records` (each with its line number) in one transaction: nothing is written
/// unless every record is valid and applies.
pub fn import<I>(
    conn: &mut Conn,
    records: I,
    now: NaiveDateTime,
) -> Result<ImportCounts, TransferError>
where
    I: IntoIterator<Item = Result<(u64, ImportRecord), TransferError>>,
{
    crate::db::write(conn, |conn| {
        let mut counts = ImportCounts::default();
        // The webhook subscriptions, read once for every event the import queues.
        let mut subscriptions = Subscriptions::default();
        let mut counters = Counters::default();
        let mut first = FirstPass::new(now);
        let mut rows = Statistics::of("articles, article_tags");
        let mut phases = Phases::start();
        for record in records {
            let (line, record) = record?;
            if !matches!(record, ImportRecord::Article(_)) {
                // The queued articles first: a collection's record may name them.
                first.write(conn)?;
            }
            match record {
                ImportRecord::Header => {}
                ImportRecord::Tag(tag) => import_tag(conn, line, &tag, now, &mut counts)?,
                ImportRecord::Author(author) => {
                    if authors::upsert(conn, &author, now).map_err(|e| at_line(line, e))? {
                        counts.authors_written += 1;
                    }
                }
                ImportRecord::Collection(c) => {
                    if import_collection(conn, line, c, now)? {
                        counts.collections_written += 1;
                    }
                }
                ImportRecord::Article(article) => {
                    counters.set_aside(conn)?;
                    first.add(conn, line, article)?;
                    rows.grown(conn, first.pending.len())?;
                }
            }
        }
        first.write(conn)?;
        phases.done("the first pass");
        let FirstPass {
            created_after,
            written,
            pending,
            unchanged,
            ..
        } = first;
        counts.unchanged += unchanged;
        for p in &pending {
            if p.before.is_some() {
                counts.articles_updated += 1;
            } else {
                counts.articles_created += 1;
            }
        }
        let mut finished = Statistics::of("related_links, article_revisions, changes");
        let mut done = 0;
        for chunk in runs(&pending) {
            finished.grown(conn, done)?;
            done += chunk.len();
            finish(
                conn,
                chunk,
                now,
                created_after,
                &written,
                &mut subscriptions,
            )?;
        }
        phases.done("the second pass");
        // The public title index, once the second pass has settled which are live.
        if let Some(last_id) = created_after {
            crate::db::live::index_new(conn, last_id)?;
        }
        counters.recount(conn)?;
        phases.done("the live titles and the counts");
        Ok(counts)
    })
}

/// The import's phases as they end, in the log: where an import's time goes.
struct Phases(std::time::Instant);

impl Phases {
    fn start() -> Self {
        Self(std::time::Instant::now())
    }

    fn done(&mut self, phase: &str) {
        let now = std::time::Instant::now();
        log::info!("import: {phase} took {:.1} s", (now - self.0).as_secs_f64());
        self.0 = now;
    }
}

fn import_tag(
    conn: &mut Conn,
    line: u64,
    tag: &TagImport,
    now: NaiveDateTime,
    counts: &mut ImportCounts,
) -> Result<(), TransferError> {
    let current: Option<TagRow> = tags_t::table
        .filter(tags_t::slug.eq(&tag.slug))
        .select(TagRow::as_select())
        .first(conn)
        .optional()?;
    let (event, id) = match current {
        None => {
            let id = diesel::insert_into(tags_t::table)
                .values((
                    tags_t::slug.eq(&tag.slug),
                    tags_t::name.eq(&tag.name),
                    tags_t::description.eq(&tag.description),
                    tags_t::created_at.eq(tag.created_at.unwrap_or(now)),
                    tags_t::updated_at.eq(tag.updated_at.unwrap_or(now)),
                ))
                .returning(tags_t::id)
                .get_result::<i64>(conn)
                .map_err(|e| at_line(line, e.into()))?;
            counts.tags_created += 1;
            ("tag.created", id)
        }
        Some(current) => {
            let created_at = tag.created_at.unwrap_or(current.created_at);
            let same = current.name == tag.name
                && current.description == tag.description
                && current.created_at == created_at;
            if same {
                counts.unchanged += 1;
                return Ok(());
            }
            diesel::update(tags_t::table.filter(tags_t::id.eq(current.id)))
                .set((
                    tags_t::name.eq(&tag.name),
                    tags_t::description.eq(&tag.description),
                    tags_t::created_at.eq(created_at),
                    tags_t::updated_at.eq(changed_at(tag.updated_at, current.updated_at, now)),
                ))
                .execute(conn)?;
            counts.tags_updated += 1;
            ("tag.updated", current.id)
        }
    };
    let row: TagRow = tags_t::table
        .filter(tags_t::id.eq(id))
        .select(TagRow::as_select())
        .first(conn)?;
    let public = tags::is_public(conn, id, now)?;
    tags::emit(conn, event, &row, None, public, now)?;
    Ok(())
}

/// Creates or updates a collection as its record says; whether it wrote anything.
fn import_collection(
    conn: &mut Conn,
    line: u64,
    c: CollectionImport,
    now: NaiveDateTime,
) -> Result<bool, TransferError> {
    let new = crate::db::collections::NewCollection {
        slug: c.slug,
        name: c.name,
        description: c.description,
        articles: c
            .articles
            .into_iter()
            .map(crate::db::articles::ArticleKey::Slug)
            .collect(),
    };
    crate::db::collections::upsert(conn, &new, now).map_err(|e| at_line(line, e))
}

/// The `updated_at` of a changed tag or article: the record's when it is later than the
/// stored one (the file comes from a database where the change was made then), else now,
/// so that it never goes back and caches keyed on it see the change.
pub(super) fn changed_at(
    recorded: Option<NaiveDateTime>,
    stored: NaiveDateTime,
    now: NaiveDateTime,
) -> NaiveDateTime {
    recorded.filter(|r| *r > stored).unwrap_or(now)
}

/// A storage error as the fault of the record on `line`, when it is one.
pub(super) fn at_line(line: u64, err: StoreError) -> TransferError {
    match err {
        StoreError::Invalid(errors) => TransferError::Invalid { line, errors },
        StoreError::Conflict(message) => TransferError::at(line, "", message),
        other => TransferError::Store(other),
    }
}

/// How many articles the second pass finishes together ([`write::finish_all`]): their rows
/// and what their revisions read are read in one statement each. At most about
/// [`QUEUE_BYTES`] of their text too: each is read back whole, with its renderings.
const FINISH_CHUNK: usize = 100;

/// `pending` cut into the runs the second pass finishes together: [`FINISH_CHUNK`] articles,
/// or fewer when their text reaches [`QUEUE_BYTES`] (one article past it).
fn runs(pending: &[Pending]) -> Vec<&[Pending]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, p) in pending.iter().enumerate() {
        bytes += p.bytes;
        if i + 1 - start >= FINISH_CHUNK || bytes >= QUEUE_BYTES {
            runs.push(&pending[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < pending.len() {
        runs.push(&pending[start..]);
    }
    runs
}

/// Sets the changed articles' related links, then records their revisions and queues their
/// events. The articles created after `created_after` are this import's
/// ([`write::Batch::Import`]): their public index rows are left to
/// [`crate::db::live::index_new`], and none of them is touched as linking to another.
/// `written` maps the slugs of the articles the import wrote to their ids.
pub(super) fn finish(
    conn: &mut Conn,
    chunk: &[Pending],
    now: NaiveDateTime,
    created_after: Option<i64>,
    written: &HashMap<String, i64>,
    subscriptions: &mut Subscriptions,
) -> Result<(), TransferError> {
    let mut new = Vec::new();
    for p in chunk {
        match (&p.related, &p.before) {
            (None, _) => {}
            (Some(links), None) => new.push((p, links.as_slice())),
            (Some(links), Some(_)) => {
                set_related(conn, p.id, links, "related").map_err(|e| at_line(p.line, e))?
            }
        }
    }
    let links: Vec<_> = new.iter().map(|(p, links)| (p.id, *links)).collect();
    set_new_related_all(conn, &links, "related", written)
        .map_err(|(n, e)| at_line(new[n].0.line, e))?;
    let batch = match created_after {
        Some(created_after) => write::Batch::Import { created_after },
        None => write::Batch::One,
    };
    let articles: Vec<_> = chunk.iter().map(|p| (p.id, p.before.as_ref())).collect();
    write::finish_all(conn, &articles, now, batch, subscriptions)?;
    Ok(())
}
