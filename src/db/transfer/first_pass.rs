//! An import's first pass over its article records: each article's row, tags, authors,
//! blocks, corrections and former slugs, but not its related links, which the second pass
//! sets once every article of the file has an id.
//!
//! Records are queued and written a queue at a time. The queue's stored articles are read in
//! one statement; each run of new articles among them is checked against former slugs in one
//! statement, inserted in one and given its tags in one more. On PostgreSQL every statement is
//! a round trip, and four per new article were most of its first pass (BENCHMARKS.md).
//! The records are still applied in file order: a stored article, or a new one with former
//! slugs, waits for the new ones before it, and a slug given again waits for the queue.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;
use crate::db::articles::model::{ArticleState, ArticleWrite, public_at};
use crate::db::articles::read::former_holders;
use crate::db::authors::credits;
use crate::db::blocks::{self, BlockRow, NewBlock};
use crate::db::corrections;
use crate::db::related::RelatedSpec;
use crate::schema::articles as articles_t;

use super::article_parts::{set_former, set_tags, sorted, tag_ids};
use super::import::{ArticleImport, at_line, changed_at};
use super::{Stored, TransferError, extras};

/// An article created or changed in the first pass, finished in the second.
pub(super) struct Pending {
    pub(super) line: u64,
    pub(super) id: i64,
    /// The article before the import; `None` for a new article.
    pub(super) before: Option<ArticleState>,
    /// The related links to set, when they differ from the stored ones.
    pub(super) related: Option<Vec<RelatedSpec>>,
    /// The bytes of text the record held ([`text_bytes`]): what finishing it reads again.
    pub(super) bytes: usize,
}

/// How many article records are queued before they are written, and how many bytes of
/// text at most (one record past it): the queue holds their bodies and renderings, so that a
/// file of the largest articles queues a few of them, not a hundred.
const QUEUE: usize = 100;
pub(super) const QUEUE_BYTES: usize = 4 << 20;

/// The bytes of text a record holds: its body and blocks, with their renderings.
fn text_bytes(record: &ArticleImport) -> usize {
    let a = &record.article;
    let blocks: usize = a
        .blocks
        .iter()
        .map(|b| b.body.len() + b.rendered.html.len() + b.rendered.text.len())
        .sum();
    a.body.len() + a.rendered.html.len() + a.rendered.text.len() + blocks
}

/// The first pass's state: the queued records, and what the second pass needs of the written
/// ones.
pub(super) struct FirstPass {
    now: NaiveDateTime,
    queued: Vec<(u64, Box<ArticleImport>)>,
    /// The queued records' slugs.
    queued_slugs: HashSet<String>,
    /// The queued records' [`text_bytes`].
    queued_bytes: usize,
    /// The tags found so far by slug (an import neither deletes tags nor changes their slugs).
    known_tags: HashMap<String, i64>,
    /// The last article's id before the import's first new one: those after it are new.
    pub(super) created_after: Option<i64>,
    /// The slugs of the articles written, for their related links in the second pass.
    pub(super) written: HashMap<String, i64>,
    /// The articles written, in file order.
    pub(super) pending: Vec<Pending>,
    /// The records that found their article already as they say.
    pub(super) unchanged: u64,
}

fn slug_of(record: &ArticleImport) -> &str {
    record.article.slug.as_deref().unwrap_or_default()
}

impl FirstPass {
    pub(super) fn new(now: NaiveDateTime) -> Self {
        Self {
            now,
            queued: Vec::new(),
            queued_slugs: HashSet::new(),
            queued_bytes: 0,
            known_tags: HashMap::new(),
            created_after: None,
            written: HashMap::new(),
            pending: Vec::new(),
            unchanged: 0,
        }
    }

    /// Queues the article record on `line`, writing the queue first when it holds the same
    /// slug, and after when it is full (by count or by bytes).
    pub(super) fn add(
        &mut self,
        conn: &mut Conn,
        line: u64,
        record: Box<ArticleImport>,
    ) -> Result<(), TransferError> {
        if self.queued_slugs.contains(slug_of(&record)) {
            self.write(conn)?;
        }
        self.queued_slugs.insert(slug_of(&record).to_owned());
        self.queued_bytes += text_bytes(&record);
        self.queued.push((line, record));
        if self.queued.len() >= QUEUE || self.queued_bytes >= QUEUE_BYTES {
            self.write(conn)?;
        }
        Ok(())
    }

    /// Writes the queued records, in order.
    pub(super) fn write(&mut self, conn: &mut Conn) -> Result<(), TransferError> {
        if self.queued.is_empty() {
            return Ok(());
        }
        self.queued_slugs.clear();
        self.queued_bytes = 0;
        let queued = std::mem::take(&mut self.queued);
        let slugs: Vec<&str> = queued.iter().map(|(_, r)| slug_of(r)).collect();
        let mut stored: HashMap<String, Stored> = articles_t::table
            .filter(articles_t::slug.eq_any(&slugs))
            .select(Stored::as_select())
            .load::<Stored>(conn)?
            .into_iter()
            .map(|s| (s.slug.clone(), s))
            .collect();
        let mut new = Vec::new();
        for (line, record) in queued {
            match stored.remove(slug_of(&record)) {
                None if record.former_slugs.is_empty() => new.push((line, record)),
                None => {
                    self.insert(conn, std::mem::take(&mut new))?;
                    self.insert(conn, vec![(line, record)])?;
                }
                Some(current) => {
                    self.insert(conn, std::mem::take(&mut new))?;
                    let tags = tag_ids(conn, line, &record.article.tags, &mut self.known_tags)?;
                    match update(conn, line, &record, current, tags, self.now)? {
                        Some(p) => self.note(slug_of(&record), p),
                        None => self.unchanged += 1,
                    }
                }
            }
        }
        self.insert(conn, new)
    }

    fn note(&mut self, slug: &str, pending: Pending) {
        self.written.insert(slug.to_owned(), pending.id);
        self.pending.push(pending);
    }

    /// Creates the articles of `records`, which no article has the slug of.
    fn insert(
        &mut self,
        conn: &mut Conn,
        records: Vec<(u64, Box<ArticleImport>)>,
    ) -> Result<(), TransferError> {
        if records.is_empty() {
            return Ok(());
        }
        let now = self.now;
        let slugs: Vec<&str> = records.iter().map(|(_, r)| slug_of(r)).collect();
        // No article has the slug now (it would have been found): one may have had it.
        let held = former_holders(conn, &slugs)?;
        let mut tags = Vec::with_capacity(records.len());
        for (line, record) in &records {
            tags.push(tag_ids(
                conn,
                *line,
                &record.article.tags,
                &mut self.known_tags,
            )?);
            let slug = slug_of(record);
            if let Some(other) = held.get(slug) {
                return Err(TransferError::at(
                    *line,
                    "slug",
                    format!(
                        "'{slug}' is a former slug of the article '{other}' (its old address, which redirects there)"
                    ),
                ));
            }
        }
        if self.created_after.is_none() {
            self.created_after = Some(last_article_id(conn)?);
        }
        let rows: Vec<(ArticleWrite, bool)> = records
            .iter()
            .map(|(_, record)| {
                let new = &record.article;
                let write = ArticleWrite::of(
                    new,
                    slug_of(record),
                    new.published_at,
                    record.created_at.unwrap_or(now),
                    record.updated_at.unwrap_or(now),
                );
                // Live from the start when public now: the second pass's write-path end
                // (`live::settle`) would otherwise set it there, one more rewrite of the row.
                (write, public_at(new.status, new.published_at, now))
            })
            .collect();
        let rows: Vec<(&ArticleWrite, bool)> =
            rows.iter().map(|(row, live)| (row, *live)).collect();
        let ids = ArticleWrite::insert_all(conn, &rows)?;
        let links: Vec<(i64, Vec<i64>)> = ids
            .iter()
            .zip(&tags)
            .map(|(id, tags)| (*id, tags.iter().map(|(tag, _)| *tag).collect()))
            .collect();
        crate::db::tags::link_all(conn, &links)?;
        for ((line, record), id) in records.iter().zip(ids) {
            let new = &record.article;
            if !new.authors.is_empty() {
                credits::set_authors(conn, id, &new.authors, "authors")
                    .map_err(|e| at_line(*line, e))?;
            }
            if !new.blocks.is_empty() {
                blocks::insert_all(conn, id, &new.blocks, now)?;
            }
            if !new.corrections.is_empty() {
                corrections::replace(conn, id, &new.corrections, now)?;
            }
            if !record.former_slugs.is_empty() {
                set_former(conn, *line, id, slug_of(record), &record.former_slugs, now)?;
            }
            let pending = Pending {
                line: *line,
                id,
                before: None,
                related: (!new.related.is_empty()).then(|| new.related.clone()),
                bytes: text_bytes(record),
            };
            self.note(slug_of(record), pending);
        }
        Ok(())
    }
}

/// Updates the stored article `current` to what the record on `line` says (its tags
/// `tags`), but for its related links; `None` when it is already as recorded.
fn update(
    conn: &mut Conn,
    line: u64,
    record: &ArticleImport,
    current: Stored,
    tags: Vec<(i64, String)>,
    now: NaiveDateTime,
) -> Result<Option<Pending>, TransferError> {
    let new = &record.article;
    let slug = slug_of(record);
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
    let write = ArticleWrite::of(
        new,
        slug,
        new.published_at,
        created_at,
        changed_at(record.updated_at, current.updated_at, now),
    );
    diesel::update(articles_t::table.filter(articles_t::id.eq(current.id)))
        .set(&write)
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
        bytes: text_bytes(record),
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
