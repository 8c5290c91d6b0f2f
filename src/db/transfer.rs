//! Import and export of all content as records, one JSON object per line (NDJSON).
//!
//! An export is a `gazette-export` header, then every tag in slug order, then every article
//! in creation order (ties by slug), each with its tags, related links and former slugs by
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

use std::collections::HashMap;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::articles::model::{ArticleState, ArticleStatus, ArticleWrite, NewArticle};
use super::articles::read::tags_of;
use super::articles::write::{self, retire_slug};
use super::related::{RelatedSpec, set_related};
use super::tags::{self, TagRow};
use super::{Conn, StoreError};
use crate::schema::{
    article_slugs, article_tags, articles as articles_t, related_links, tags as tags_t,
};

/// The `type` of the header line.
pub const FORMAT: &str = "gazette-export";
/// The version of the record format this build writes and reads.
pub const VERSION: u32 = 1;
/// Rows read per query while exporting.
const PAGE: i64 = 500;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Record {
    /// The first line: what the file is.
    GazetteExport {
        version: u32,
    },
    Tag(TagRecord),
    Article(ArticleRecord),
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
    pub feature_image_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Vec<String>,
    pub related: Vec<RelatedSpec>,
    pub former_slugs: Vec<String>,
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

fn describe(line: u64, errors: &[(String, String)]) -> String {
    errors
        .iter()
        .map(|(field, message)| format!("{}: {message}", line_field(line, field)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    pub tags: u64,
    pub articles: u64,
}

/// The article columns a record holds.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles_t, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Stored {
    id: i64,
    slug: String,
    title: String,
    summary: String,
    body: String,
    #[diesel(deserialize_as = String)]
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
    byline: Option<String>,
    feature_image_url: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    live: bool,
}

/// The tags, related links and former slugs of some articles, by article id.
#[derive(Default)]
struct Extras {
    tags: HashMap<i64, Vec<String>>,
    related: HashMap<i64, Vec<RelatedSpec>>,
    former: HashMap<i64, Vec<String>>,
}

fn extras(conn: &mut Conn, ids: &[i64]) -> QueryResult<Extras> {
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

fn write_line(out: &mut impl Write, record: &Record) -> Result<(), TransferError> {
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
                write_line(
                    out,
                    &Record::Article(ArticleRecord {
                        tags: extra.tags.remove(&row.id).unwrap_or_default(),
                        related: extra.related.remove(&row.id).unwrap_or_default(),
                        former_slugs: extra.former.remove(&row.id).unwrap_or_default(),
                        slug: row.slug,
                        title: row.title,
                        summary: row.summary,
                        body: row.body,
                        status: row.status,
                        published_at: row.published_at.map(|t| t.and_utc()),
                        byline: row.byline,
                        feature_image_url: row.feature_image_url,
                        created_at: row.created_at.and_utc(),
                        updated_at: row.updated_at.and_utc(),
                    }),
                )?;
                counts.articles += 1;
            }
            if !full {
                break;
            }
        }
        out.flush()
            .map_err(|e| TransferError::Io(format!("cannot write the export: {e}")))?;
        Ok(counts)
    })
}

// ---------------------------------------------------------------------------------------
// Import.

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
    Article(Box<ArticleImport>),
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
        )
    }
}

/// An article created or changed in the first pass, finished in the second.
struct Pending {
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
    super::write(conn, |conn| {
        let mut counts = ImportCounts::default();
        let mut pending = Vec::new();
        let mut index = Index::new();
        let mut known_tags = HashMap::new();
        for record in records {
            let (line, record) = record?;
            match record {
                ImportRecord::Header => {}
                ImportRecord::Tag(tag) => import_tag(conn, line, &tag, now, &mut counts)?,
                ImportRecord::Article(article) => {
                    match import_article(conn, line, &article, now, &mut index, &mut known_tags)? {
                        Some(p) => pending.push(p),
                        None => counts.unchanged += 1,
                    }
                }
            }
        }
        // New articles reach the public search index together too, after the second pass
        // has settled which of them are live.
        let deferred_from = index.deferred.as_ref().map(|d| d.last_id);
        if let Some(deferred) = index.deferred.take() {
            index_new_articles(conn, deferred)?;
        }
        for p in pending {
            if p.before.is_some() {
                counts.articles_updated += 1;
            } else {
                counts.articles_created += 1;
            }
            finish(conn, p, now, deferred_from)?;
        }
        if let Some(last_id) = deferred_from {
            super::live::index_new(conn, last_id)?;
        }
        Ok(counts)
    })
}

/// How new articles reach the search index: by trigger as each is inserted, or all at the
/// end of the first pass ([`index_new_articles`]).
struct Index {
    /// False once found that the trigger cannot be set aside.
    defer: bool,
    /// Set once the trigger is set aside.
    deferred: Option<Deferred>,
}

/// What [`index_new_articles`] needs: the articles created after `last_id` are this import's,
/// and `restore` is the statement that puts the insert trigger back.
struct Deferred {
    last_id: i64,
    restore: String,
}

#[derive(QueryableByName)]
struct SqlText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    sql: String,
}

#[derive(QueryableByName)]
struct MaxId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl Index {
    fn new() -> Self {
        Self {
            defer: true,
            deferred: None,
        }
    }

    /// Called before inserting an article; returns whether the search index gets its row
    /// now (by trigger), so that its tags must be brought up to date there.
    ///
    /// The first call sets aside, inside the import's transaction, the trigger that indexes
    /// each new article, to index them all at the end instead, each once with its tags:
    /// - On SQLite it drops the trigger (and creates it again before the commit; a rollback
    ///   restores it). FTS5 writes its pending terms to disk at every statement that may need
    ///   rolling back (each insert, through its trigger), so indexed one by one, every article
    ///   became a segment of its own that FTS5 then merged again and again; and each new
    ///   article was tokenized three times (inserted without tags, then updated with them,
    ///   which takes the old text out and puts the new in).
    /// - On PostgreSQL it disables the trigger for the transaction (`ALTER TABLE … DISABLE
    ///   TRIGGER` locks out other writers of `articles`, who wait for the import's advisory
    ///   lock anyway, but not readers; other sessions keep seeing it enabled). Each new
    ///   article's tsvector (about 3 ms for 10 KB of text) was computed twice, without tags
    ///   and with them.
    fn before_insert(&mut self, conn: &mut Conn) -> QueryResult<bool> {
        if !self.defer {
            return Ok(true);
        }
        if self.deferred.is_some() {
            return Ok(false);
        }
        let (find, set_aside) = match conn {
            super::AnyConnection::Sqlite(_) => (
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' \
                 AND name = 'articles_fts_insert'",
                "DROP TRIGGER articles_fts_insert",
            ),
            super::AnyConnection::Postgres(_) => (
                "SELECT 'ALTER TABLE articles ENABLE TRIGGER articles_search_insert' AS sql \
                 FROM pg_trigger WHERE tgrelid = 'articles'::regclass \
                 AND tgname = 'articles_search_insert' AND tgenabled <> 'D'",
                "ALTER TABLE articles DISABLE TRIGGER articles_search_insert",
            ),
        };
        let Some(restore) = diesel::sql_query(find)
            .get_result::<SqlText>(conn)
            .optional()?
        else {
            // Not there (a schema of another version): leave everything as it is.
            self.defer = false;
            return Ok(true);
        };
        conn.batch_execute(set_aside)?;
        let last_id = diesel::sql_query("SELECT COALESCE(MAX(id), 0) AS id FROM articles")
            .get_result::<MaxId>(conn)?
            .id;
        self.deferred = Some(Deferred {
            last_id,
            restore: restore.sql,
        });
        Ok(false)
    }
}

/// Indexes every article created since [`Index::before_insert`] set the trigger aside, in one
/// statement, as it is now and with its tags as the tag code indexes them
/// ([`super::search::refresh_tags`]); then puts the trigger back.
fn index_new_articles(conn: &mut Conn, deferred: Deferred) -> QueryResult<()> {
    let sql = match conn {
        super::AnyConnection::Sqlite(_) => {
            "INSERT INTO articles_fts (rowid, title, summary, body, tags) \
             SELECT a.id, a.title, a.summary, a.body_text, \
             COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at JOIN tags t \
             ON t.id = at.tag_id WHERE at.article_id = a.id), '') \
             FROM articles a WHERE a.id > ? ORDER BY a.id"
        }
        super::AnyConnection::Postgres(_) => {
            "INSERT INTO articles_search (article_id, title, summary, body, tags) \
             SELECT a.id, a.title, a.summary, a.body_text, article_tag_names(a.id) \
             FROM articles a WHERE a.id > $1 ORDER BY a.id"
        }
    };
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(deferred.last_id)
        .execute(conn)?;
    conn.batch_execute(&deferred.restore)
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
    tags::emit(conn, event, &row, None, now)?;
    Ok(())
}

/// The `updated_at` of a changed tag or article: the record's when it is later than the
/// stored one (the file comes from a database where the change was made then), else now,
/// so that it never goes back and caches keyed on it see the change.
fn changed_at(
    recorded: Option<NaiveDateTime>,
    stored: NaiveDateTime,
    now: NaiveDateTime,
) -> NaiveDateTime {
    recorded.filter(|r| *r > stored).unwrap_or(now)
}

/// A storage error as the fault of the record on `line`, when it is one.
fn at_line(line: u64, err: StoreError) -> TransferError {
    match err {
        StoreError::Invalid(errors) => TransferError::Invalid { line, errors },
        StoreError::Conflict(message) => TransferError::at(line, "", message),
        other => TransferError::Store(other),
    }
}

/// The ids of the article's tags (given by slug), in order and without repeats; each must
/// exist. `known` holds the tags found so far (an import neither deletes tags nor changes
/// their slugs), so that the database is asked only about new ones.
fn tag_ids(
    conn: &mut Conn,
    line: u64,
    given: &[String],
    known: &mut HashMap<String, i64>,
) -> Result<Vec<(i64, String)>, TransferError> {
    let unknown: Vec<&String> = given.iter().filter(|s| !known.contains_key(*s)).collect();
    if !unknown.is_empty() {
        let found = tags_t::table
            .filter(tags_t::slug.eq_any(unknown))
            .select((tags_t::slug, tags_t::id))
            .load::<(String, i64)>(conn)?;
        known.extend(found);
    }
    let mut errors = Vec::new();
    let mut ids: Vec<(i64, String)> = Vec::with_capacity(given.len());
    for (i, slug) in given.iter().enumerate() {
        match known.get(slug) {
            None => errors.push((
                format!("tags[{i}]"),
                format!("no tag has the slug '{slug}' (a tag's record must come before the articles that use it)"),
            )),
            Some(id) if !ids.iter().any(|(seen, _)| seen == id) => ids.push((*id, slug.clone())),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(TransferError::Invalid { line, errors })
    }
}

/// Sets the tags of article `id`, in order, replacing any it has (unless `new`); `index`
/// when its search row exists and must be brought up to date.
fn set_tags(
    conn: &mut Conn,
    id: i64,
    tags: &[(i64, String)],
    new: bool,
    index: bool,
) -> QueryResult<()> {
    if !new {
        diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id)))
            .execute(conn)?;
    }
    for (position, (tag_id, _)) in tags.iter().enumerate() {
        diesel::insert_into(article_tags::table)
            .values((
                article_tags::article_id.eq(id),
                article_tags::tag_id.eq(tag_id),
                article_tags::position.eq(position as i64 + 1),
            ))
            .execute(conn)?;
    }
    if index && !tags.is_empty() {
        super::search::refresh_tags(conn, id)?;
    }
    Ok(())
}

/// The article that has or had `slug`, other than `except`.
fn holder(conn: &mut Conn, slug: &str, except: i64) -> QueryResult<Option<String>> {
    let current = articles_t::table
        .filter(articles_t::slug.eq(slug))
        .filter(articles_t::id.ne(except))
        .select(articles_t::slug)
        .first::<String>(conn)
        .optional()?;
    match current {
        Some(current) => Ok(Some(current)),
        None => former_holder(conn, slug, except),
    }
}

/// The article that had `slug` before its current one, other than `except`.
fn former_holder(conn: &mut Conn, slug: &str, except: i64) -> QueryResult<Option<String>> {
    article_slugs::table
        .inner_join(articles_t::table.on(articles_t::id.eq(article_slugs::article_id)))
        .filter(article_slugs::slug.eq(slug))
        .filter(article_slugs::article_id.ne(except))
        .select(articles_t::slug)
        .first::<String>(conn)
        .optional()
}

/// Replaces the former slugs of article `id` (whose slug is `slug`) with `former`.
fn set_former(
    conn: &mut Conn,
    line: u64,
    id: i64,
    slug: &str,
    former: &[String],
    now: NaiveDateTime,
) -> Result<(), TransferError> {
    let mut errors = Vec::new();
    for (i, old) in former.iter().enumerate() {
        if old == slug {
            errors.push((
                format!("former_slugs[{i}]"),
                "is the article's current slug".to_owned(),
            ));
        } else if let Some(other) = holder(conn, old, id)? {
            errors.push((
                format!("former_slugs[{i}]"),
                format!("'{old}' belongs to the article '{other}' (as its slug or a former one)"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(TransferError::Invalid { line, errors });
    }
    diesel::delete(article_slugs::table.filter(article_slugs::article_id.eq(id))).execute(conn)?;
    for old in former {
        retire_slug(conn, old, id, now)?;
    }
    Ok(())
}

fn sorted(mut slugs: Vec<String>) -> Vec<String> {
    slugs.sort();
    slugs.dedup();
    slugs
}

/// Creates or updates the article of one record, but for its related links; returns what
/// the second pass must finish, or `None` when the stored article is already as recorded.
fn import_article(
    conn: &mut Conn,
    line: u64,
    record: &ArticleImport,
    now: NaiveDateTime,
    index: &mut Index,
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
    let write = |created_at, updated_at| ArticleWrite {
        slug,
        title: &new.title,
        summary: &new.summary,
        body: &new.body,
        body_html: &new.rendered.html,
        body_text: &new.rendered.text,
        word_count: new.rendered.word_count,
        status: new.status.as_str(),
        published_at: new.published_at,
        byline: new.byline.as_deref(),
        feature_image_url: new.feature_image_url.as_deref(),
        created_at,
        updated_at,
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
        let indexed = index.before_insert(conn)?;
        let id: i64 = diesel::insert_into(articles_t::table)
            .values(&write(created_at, record.updated_at.unwrap_or(now)))
            .returning(articles_t::id)
            .get_result(conn)?;
        set_tags(conn, id, &tags, true, indexed)?;
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
    let stored_related: Vec<RelatedSpec> = stored
        .related
        .remove(&current.id)
        .unwrap_or_default();
    let stored_former = stored.former.remove(&current.id).unwrap_or_default();
    let former = sorted(record.former_slugs.clone());
    let created_at = record.created_at.unwrap_or(current.created_at);
    let fields_same = current.title == new.title
        && current.summary == new.summary
        && current.body == new.body
        && current.status == new.status
        && current.published_at == new.published_at
        && current.byline == new.byline
        && current.feature_image_url == new.feature_image_url
        && current.created_at == created_at;
    let tags_same = stored_tags.iter().eq(tags.iter().map(|(_, slug)| slug));
    let related_same = stored_related == new.related;
    let former_same = stored_former == former;
    if fields_same && tags_same && related_same && former_same {
        return Ok(None);
    }
    diesel::update(articles_t::table.filter(articles_t::id.eq(current.id)))
        .set(&write(
            created_at,
            changed_at(record.updated_at, current.updated_at, now),
        ))
        .execute(conn)?;
    if !tags_same {
        set_tags(conn, current.id, &tags, false, true)?;
    }
    if !former_same {
        set_former(conn, line, current.id, slug, &record.former_slugs, now)?;
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
        }),
        related: (!related_same).then(|| new.related.clone()),
    }))
}

/// Sets a changed article's related links, records its revision and queues its event; the
/// public index row of an article created after `deferred_from` is left to
/// [`super::live::index_new`].
fn finish(
    conn: &mut Conn,
    p: Pending,
    now: NaiveDateTime,
    deferred_from: Option<i64>,
) -> Result<(), TransferError> {
    if let Some(links) = &p.related {
        set_related(conn, p.id, links, "related").map_err(|e| at_line(p.line, e))?;
    }
    let index = deferred_from.is_none_or(|last_id| p.id <= last_id);
    write::finish(conn, p.id, p.before.as_ref(), now, index)?;
    Ok(())
}
