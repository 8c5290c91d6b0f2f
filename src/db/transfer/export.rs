//! Export: every tag and article as records, a page of rows at a time.

use std::io::Write;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    ArticleRecord, AuthorRecord, BlockRecord, CollectionRecord, CorrectionRecord, Record, Stored,
    TagRecord, TransferError, VERSION, extras,
};
use crate::db::Conn;
use crate::db::articles::ArticleFormat;
use crate::db::authors::AuthorRow;
use crate::db::collections::CollectionRow;
use crate::db::tags::TagRow;
use crate::schema::{
    articles as articles_t, authors as authors_t, collection_items, collections as collections_t,
    tags as tags_t,
};

/// Rows read per query while exporting.
const PAGE: i64 = 500;

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    pub tags: u64,
    pub articles: u64,
    pub authors: u64,
    pub collections: u64,
}

pub(super) fn write_line(out: &mut impl Write, record: &Record) -> Result<(), TransferError> {
    let io = |e: std::io::Error| TransferError::Io(format!("cannot write the export: {e}"));
    serde_json::to_writer(&mut *out, record).map_err(|e| io(e.into()))?;
    out.write_all(b"\n").map_err(io)
}

/// Writes every tag and article to `out`, one record per line, from one consistent snapshot
/// of the database.
pub fn export(conn: &mut Conn, out: &mut impl Write) -> Result<ExportCounts, TransferError> {
    // A read transaction: every page sees the same snapshot, whatever is written meanwhile.
    conn.transaction(|conn| {
        let mut counts = ExportCounts::default();
        write_line(out, &Record::GazetteExport { version: VERSION })?;
        let mut after: Option<String> = None;
        loop {
            let mut query = tags_t::table
                .select(TagRow::as_select())
                .order(tags_t::slug)
                .limit(PAGE)
                .into_boxed();
            if let Some(slug) = after.take() {
                query = query.filter(tags_t::slug.gt(slug));
            }
            let rows: Vec<TagRow> = query.load(conn)?;
            let full = rows.len() as i64 == PAGE;
            for row in rows {
                write_line(
                    out,
                    &Record::Tag(TagRecord {
                        slug: row.slug.clone(),
                        name: row.name,
                        description: row.description,
                        created_at: row.created_at.and_utc(),
                        updated_at: row.updated_at.and_utc(),
                    }),
                )?;
                counts.tags += 1;
                after = Some(row.slug);
            }
            if !full {
                break;
            }
        }
        // The newsroom's authors and collections are few: read whole.
        for author in authors_t::table
            .select(AuthorRow::as_select())
            .order(authors_t::slug)
            .load::<AuthorRow>(conn)?
        {
            write_line(
                out,
                &Record::Author(AuthorRecord {
                    slug: author.slug,
                    name: author.name,
                    role: author.role,
                    bio: author.bio,
                    image: author.image.0,
                    links: author.links.0,
                    created_at: author.created_at.and_utc(),
                    updated_at: author.updated_at.and_utc(),
                }),
            )?;
            counts.authors += 1;
        }
        let mut after: Option<(NaiveDateTime, String)> = None;
        loop {
            let mut query = articles_t::table
                .select(Stored::as_select())
                .order((articles_t::created_at, articles_t::slug))
                .limit(PAGE)
                .into_boxed();
            if let Some((created, slug)) = after.take() {
                query = query.filter(
                    articles_t::created_at.ge(created).and(
                        articles_t::created_at
                            .gt(created)
                            .or(articles_t::slug.gt(slug)),
                    ),
                );
            }
            let rows: Vec<Stored> = query.load(conn)?;
            let full = rows.len() as i64 == PAGE;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut extra = extras(conn, &ids)?;
            for row in rows {
                after = Some((row.created_at, row.slug.clone()));
                let blocks = match row.format {
                    ArticleFormat::Live => crate::db::blocks::all(conn, row.id)?,
                    ArticleFormat::Standard => Vec::new(),
                };
                write_line(
                    out,
                    &Record::Article(Box::new(ArticleRecord {
                        tags: extra.tags.remove(&row.id).unwrap_or_default(),
                        authors: crate::db::authors::credits::slugs_of(conn, row.id)?,
                        related: extra.related.remove(&row.id).unwrap_or_default(),
                        former_slugs: extra.former.remove(&row.id).unwrap_or_default(),
                        slug: row.slug,
                        title: row.title,
                        summary: row.summary,
                        body: row.body,
                        status: row.status,
                        published_at: row.published_at.map(|t| t.and_utc()),
                        byline: row.byline,
                        feature_image_url: row.feature_image.0.as_ref().map(|i| i.url.clone()),
                        // An image given by its URL alone travels as that URL.
                        feature_image: row.feature_image.0.filter(|i| !i.alt.is_empty()),
                        created_at: row.created_at.and_utc(),
                        updated_at: row.updated_at.and_utc(),
                        format: row.format,
                        live: row.coverage_open,
                        blocks: blocks.into_iter().map(BlockRecord::from).collect(),
                        corrections: crate::db::corrections::of_article(conn, row.id)?
                            .into_iter()
                            .map(|c| CorrectionRecord {
                                body: c.body,
                                created_at: c.created_at.and_utc(),
                            })
                            .collect(),
                    })),
                )?;
                counts.articles += 1;
            }
            if !full {
                break;
            }
        }
        for row in collections_t::table
            .select(CollectionRow::as_select())
            .order(collections_t::slug)
            .load::<CollectionRow>(conn)?
        {
            let articles = collection_items::table
                .inner_join(articles_t::table)
                .filter(collection_items::collection_id.eq(row.id))
                .order(collection_items::position)
                .select(articles_t::slug)
                .load::<String>(conn)?;
            write_line(
                out,
                &Record::Collection(CollectionRecord {
                    slug: row.slug,
                    name: row.name,
                    description: row.description,
                    articles,
                    created_at: row.created_at.and_utc(),
                    updated_at: row.updated_at.and_utc(),
                }),
            )?;
            counts.collections += 1;
        }
        out.flush()
            .map_err(|e| TransferError::Io(format!("cannot write the export: {e}")))?;
        Ok(counts)
    })
}
