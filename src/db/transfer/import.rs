//! Import: records applied in one transaction, all or nothing.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::articles::model::{ArticleState, ArticleWrite, NewArticle, public_at};
use crate::db::articles::write;
use crate::db::related::{RelatedSpec, set_new_related, set_related};
use crate::db::tags::{self, TagRow};
use crate::db::{Conn, StoreError};
use crate::schema::{articles as articles_t, tags as tags_t};

use super::article_parts::{set_former, set_tags, sorted, tag_ids};
use super::counters::Counters;
use super::{Stored, TransferError, extras};
use crate::db::articles::read::former_holder;
use crate::db::authors::{self, credits};
use crate::db::blocks::{self, BlockRow, NewBlock};
use crate::db::corrections;
use crate::db::events::Subscriptions;

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

/// An article created or changed in the first pass, finished in the second.
pub(super) struct Pending {
    line: u64,
    id: i64,
    /// The article before the import; `None` for a new article.
    before: Option<ArticleState>,
    /// The related links to set, when they differ from the stored ones.
    related: Option<Vec<RelatedSpec>>,
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
        let mut pending = Vec::new();
        // The last article's id before the import's first new one: those after it are new.
        let mut created_after = None;
        // The webhook subscriptions, read once for every event the import queues.
        let mut subscriptions = Subscriptions::default();
        let mut counters = Counters::default();
        let mut known_tags = HashMap::new();
        // The slugs of the articles it writes, for their related links in the second pass.
        let mut written = HashMap::new();
        let mut phases = Phases::start();
        for record in records {
            let (line, record) = record?;
            match record {
                ImportRecord::Header => {}
                ImportRecord::Tag(tag) => import_tag(conn, line, &tag, now, &mut counts)?,
                ImportRecord::Author(author) => {
                    if authors::upsert(conn, &author, now).map_err(|e| at_line(line, e))? {
                        counts.authors_written += 1;
                    }
                }
                ImportRecord::Collection(c) => {
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
                    if crate::db::collections::upsert(conn, &new, now)
                        .map_err(|e| at_line(line, e))?
                    {
                        counts.collections_written += 1;
                    }
                }
                ImportRecord::Article(article) => {
                    counters.set_aside(conn)?;
                    match import_article(
                        conn,
                        line,
                        &article,
                        now,
                        &mut created_after,
                        &mut known_tags,
                    )? {
                        Some(p) => {
                            let slug = article.article.slug.clone().unwrap_or_default();
                            written.insert(slug, p.id);
                            pending.push(p);
                        }
                        None => counts.unchanged += 1,
                    }
                }
            }
        }
        phases.done("the first pass");
        for p in &pending {
            if p.before.is_some() {
                counts.articles_updated += 1;
            } else {
                counts.articles_created += 1;
            }
        }
        for chunk in pending.chunks(FINISH_CHUNK) {
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

pub(super) fn import_tag(
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

/// Creates or updates the article of one record, but for its related links; returns what
/// the second pass must finish, or `None` when the stored article is already as recorded.
pub(super) fn import_article(
    conn: &mut Conn,
    line: u64,
    record: &ArticleImport,
    now: NaiveDateTime,
    created_after: &mut Option<i64>,
    known_tags: &mut HashMap<String, i64>,
) -> Result<Option<Pending>, TransferError> {
    let new = &record.article;
    let slug = new.slug.as_deref().unwrap_or_default();
    let tags = tag_ids(conn, line, &new.tags, known_tags)?;
    let current: Option<Stored> = articles_t::table
        .filter(articles_t::slug.eq(slug))
        .select(Stored::as_select())
        .first(conn)
        .optional()?;
    let write = |created_at, updated_at| {
        ArticleWrite::of(new, slug, new.published_at, created_at, updated_at)
    };
    let Some(current) = current else {
        // No article has the slug now (it would have been found): one may have had it.
        if let Some(other) = former_holder(conn, slug, -1)? {
            return Err(TransferError::at(
                line,
                "slug",
                format!(
                    "'{slug}' is a former slug of the article '{other}' (its old address, which redirects there)"
                ),
            ));
        }
        let created_at = record.created_at.unwrap_or(now);
        if created_after.is_none() {
            *created_after = Some(last_article_id(conn)?);
        }
        // Live from the start when public now: the second pass's write-path end
        // (`live::settle`) would otherwise set it there, one more rewrite of the whole row.
        let live = public_at(new.status, new.published_at, now);
        let id = write(created_at, record.updated_at.unwrap_or(now)).insert(conn, live)?;
        set_tags(conn, id, &tags, true)?;
        if !new.authors.is_empty() {
            credits::set_authors(conn, id, &new.authors, "authors")
                .map_err(|e| at_line(line, e))?;
        }
        if !new.blocks.is_empty() {
            blocks::insert_all(conn, id, &new.blocks, now)?;
        }
        if !new.corrections.is_empty() {
            corrections::replace(conn, id, &new.corrections, now)?;
        }
        if !record.former_slugs.is_empty() {
            set_former(conn, line, id, slug, &record.former_slugs, now)?;
        }
        return Ok(Some(Pending {
            line,
            id,
            before: None,
            related: (!new.related.is_empty()).then(|| new.related.clone()),
        }));
    };
    let mut stored = extras(conn, &[current.id])?;
    let stored_tags = stored.tags.remove(&current.id).unwrap_or_default();
    let stored_related: Vec<RelatedSpec> = stored.related.remove(&current.id).unwrap_or_default();
    let stored_former = stored.former.remove(&current.id).unwrap_or_default();
    let former = sorted(record.former_slugs.clone());
    let created_at = record.created_at.unwrap_or(current.created_at);
    let fields_same = current.title == new.title
        && current.summary == new.summary
        && current.body == new.body
        && current.status == new.status
        && current.published_at == new.published_at
        && current.byline == new.byline
        && current.feature_image.0 == new.feature_image
        && current.format == new.format
        && current.coverage_open == new.live
        && current.created_at == created_at;
    let blocks_same = same_blocks(&blocks::all(conn, current.id)?, &new.blocks);
    let stored_corrections = corrections::of_article(conn, current.id)?;
    let corrections_same = stored_corrections.len() == new.corrections.len()
        && stored_corrections
            .iter()
            .zip(&new.corrections)
            .all(|(s, n)| s.body == n.body && Some(s.created_at) == n.created_at);
    let tags_same = stored_tags.iter().eq(tags.iter().map(|(_, slug)| slug));
    let stored_authors = credits::slugs_of(conn, current.id)?;
    let authors_same = stored_authors == new.authors;
    let related_same = stored_related == new.related;
    let former_same = stored_former == former;
    if fields_same
        && tags_same
        && authors_same
        && related_same
        && former_same
        && blocks_same
        && corrections_same
    {
        return Ok(None);
    }
    diesel::update(articles_t::table.filter(articles_t::id.eq(current.id)))
        .set(&write(
            created_at,
            changed_at(record.updated_at, current.updated_at, now),
        ))
        .execute(conn)?;
    if !tags_same {
        set_tags(conn, current.id, &tags, false)?;
    }
    if !authors_same {
        credits::set_authors(conn, current.id, &new.authors, "authors")
            .map_err(|e| at_line(line, e))?;
    }
    if !former_same {
        set_former(conn, line, current.id, slug, &record.former_slugs, now)?;
    }
    if !blocks_same {
        blocks::insert_all(conn, current.id, &new.blocks, now)?;
    }
    if !corrections_same {
        corrections::replace(conn, current.id, &new.corrections, now)?;
    }
    Ok(Some(Pending {
        line,
        id: current.id,
        before: Some(ArticleState {
            id: current.id,
            slug: current.slug,
            title: current.title,
            status: current.status,
            published_at: current.published_at,
            updated_at: current.updated_at,
            live: current.live,
            tags: stored_tags,
            authors: stored_authors,
        }),
        related: (!related_same).then(|| new.related.clone()),
    }))
}

/// Whether the stored blocks are those of the record, field for field and in order.
fn same_blocks(stored: &[BlockRow], new: &[NewBlock]) -> bool {
    stored.len() == new.len()
        && stored.iter().zip(new).all(|(s, n)| {
            s.title == n.title
                && s.body == n.body
                && s.key_event == n.key_event
                && s.pinned == n.pinned
                && Some(s.published_at) == n.published_at
        })
}

/// The id of the newest article, 0 when there is none.
fn last_article_id(conn: &mut Conn) -> QueryResult<i64> {
    articles_t::table
        .select(diesel::dsl::max(articles_t::id))
        .first::<Option<i64>>(conn)
        .map(|id| id.unwrap_or(0))
}

/// How many articles the second pass finishes together ([`write::finish_all`]): their rows
/// and what their revisions read are read in one statement each.
const FINISH_CHUNK: usize = 100;

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
    for p in chunk {
        if let Some(links) = &p.related {
            match p.before {
                None => set_new_related(conn, p.id, links, "related", written),
                Some(_) => set_related(conn, p.id, links, "related"),
            }
            .map_err(|e| at_line(p.line, e))?;
        }
    }
    let batch = match created_after {
        Some(created_after) => write::Batch::Import { created_after },
        None => write::Batch::One,
    };
    let articles: Vec<_> = chunk.iter().map(|p| (p.id, p.before.as_ref())).collect();
    write::finish_all(conn, &articles, now, batch, subscriptions)?;
    Ok(())
}
