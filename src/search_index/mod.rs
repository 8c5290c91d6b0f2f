//! The search indexes: the searched text of articles in an embedded search library (tantivy),
//! in temporary folders of this process, so that a search takes its top matches by block-max
//! WAND and counts its facets over columns, on either database (BENCHMARKS.md, "Search at
//! 100,000 articles"). Two of them, never mixed:
//! - the public index holds live articles alone: nothing unpublished is in it, and no draft
//!   moves a public rank (its word statistics) nor the time a public search takes;
//! - the editors' index holds every article, whatever its status, for searches by status.
//!
//! Each is a copy, kept in step with the change log like the response cache: made and filled
//! from the database as the server starts, on a thread of its own ([`SearchIndex::fill`]: the
//! public one first; `/readyz` answers 503 until it is done), then brought up to every change
//! that names what it holds before that change reaches the cache ([`SearchIndex::catch_up`],
//! called by crate::follower), and committed at most every [`COMMIT_EVERY`] unless a search
//! asks. A search that comes before its index is filled waits for it ([`READY_WAIT`]), then
//! answers 503.

mod collect;
mod query;
mod schema;
mod sync;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, OnceLock};

use tantivy::collector::Count;
use tantivy::directory::MmapDirectory;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::db::articles::model::Teaser;
use crate::db::search::facets::{Asked, Facets, MAX_MONTH_FACETS, MAX_TAG_FACETS, MonthCount};
use crate::db::search::index_rows::{self, Scope};
use crate::db::search::{RankedBy, SearchOrder, SearchQuery};
use crate::db::{self, Conn, Page, StoreError, StoreResult};
use collect::{Facets as FacetCollector, Ranking};
use schema::Fields;

/// Articles read from the database at once, filling or catching up.
const CHUNK: i64 = 500;

/// Changes read at once.
const BATCH: i64 = 1000;

/// The most changes a search applies itself before reading ([`Core::take_in`]).
const INLINE_CHANGES: i64 = 100;

/// How long changes applied to the index may wait for their commit when no search asks for
/// them ([`SearchIndex::commit_due`]). A commit writes a segment (and later merges it): one
/// per write made the writes' answers wait for it, and a mixed load of reads and writes
/// spend a third of its time there (BENCHMARKS.md). A search commits what is pending before
/// it reads ([`Core::take_in`]), so no search sees less than the database holds.
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a public search waits for the index to be filled, as the server starts, before
/// it is answered 503 (`/readyz` keeps a load balancer's traffic away meanwhile).
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The indexing memory, shared by the indexing threads (at least 15 MB each): a segment is
/// written out when its thread's share is used up.
const WRITER_BYTES: usize = 32 << 20;

/// The search indexes: the public one and the editors'.
pub struct SearchIndex {
    public: Scoped,
    editorial: Scoped,
}

impl Default for SearchIndex {
    fn default() -> Self {
        Self {
            public: Scoped::new(Scope::Live),
            editorial: Scoped::new(Scope::All),
        }
    }
}

/// One index, of the articles in `scope`. Its folder and files are made by the fill
/// ([`Self::fill`]), on the fill's thread, not as the server starts: making them syncs a
/// folder, and on a filesystem with much just written (after an import) that one sync waited
/// most of a second before the server's first answer (BENCHMARKS.md).
struct Scoped {
    scope: Scope,
    core: OnceLock<Core>,
}

/// The index itself, once made.
struct Core {
    scope: Scope,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Whether the index is filled and following the log: until then it answers nothing.
    ready: AtomicBool,
    /// The last change of the log the index holds, as of its last commit: what searches see.
    committed: AtomicI64,
    /// The last change of the log applied to the writer, committed or not.
    applied: AtomicI64,
    writer: Mutex<Writer>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("ready", &self.is_ready())
            .finish_non_exhaustive()
    }
}

struct Writer {
    writer: IndexWriter<TantivyDocument>,
    /// The last change of the log the index holds.
    seq: i64,
    /// Whether documents were added or deleted since the last commit.
    pending: bool,
    /// When the index last committed.
    committed_at: std::time::Instant,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("search index: {e}"))
}

impl SearchIndex {
    /// Indexes not yet made nor filled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether public searches are answered here.
    pub fn is_ready(&self) -> bool {
        self.public.is_ready()
    }

    /// Whether both indexes are filled: editors' searches are answered too.
    pub fn is_filled(&self) -> bool {
        self.public.is_ready() && self.editorial.is_ready()
    }

    /// Makes and fills the public index, then the editors', each unless it is filled already
    /// ([`Core::fill`]); returns how many articles each holds.
    pub fn fill(&self, pool: &db::Pool) -> StoreResult<(u64, u64)> {
        Ok((self.public.fill(pool)?, self.editorial.fill(pool)?))
    }

    /// Brings both indexes up to the log, once they are answering ([`Core::catch_up`]).
    pub fn catch_up(&self, conn: &mut Conn) -> StoreResult<()> {
        self.public.catch_up(conn)?;
        self.editorial.catch_up(conn)
    }

    /// Commits what was applied and has waited long enough ([`Core::commit_due`]).
    pub fn commit_due(&self) -> StoreResult<()> {
        self.public.commit_due()?;
        self.editorial.commit_due()
    }
}

impl Scoped {
    fn new(scope: Scope) -> Self {
        Self {
            scope,
            core: OnceLock::new(),
        }
    }

    fn is_ready(&self) -> bool {
        self.core.get().is_some_and(Core::is_ready)
    }

    fn fill(&self, pool: &db::Pool) -> StoreResult<u64> {
        let core = self.core.get_or_init(|| Core::new(self.scope));
        match core.is_ready() {
            true => Ok(core.reader.searcher().num_docs()),
            false => core.fill(pool),
        }
    }

    fn catch_up(&self, conn: &mut Conn) -> StoreResult<()> {
        match self.core.get() {
            Some(core) => core.catch_up(conn),
            None => Ok(()),
        }
    }

    fn commit_due(&self) -> StoreResult<()> {
        match self.core.get() {
            Some(core) => core.commit_due(),
            None => Ok(()),
        }
    }

    /// Waits until the index is filled, up to [`READY_WAIT`]; then `Busy` (503).
    fn wait_ready(&self) -> StoreResult<&Core> {
        let start = std::time::Instant::now();
        loop {
            if let Some(core) = self.core.get().filter(|core| core.is_ready()) {
                return Ok(core);
            }
            if start.elapsed() >= READY_WAIT {
                return Err(StoreError::Busy(
                    "The search index is being built as the server starts; retry shortly."
                        .to_owned(),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// A page of the search `q` and its facets `asked`, once the index is filled.
    fn search(
        &self,
        conn: &mut Conn,
        q: &SearchQuery,
        asked: Option<Asked>,
    ) -> StoreResult<(Page<Teaser>, Option<Facets>)> {
        self.wait_ready()?.search(conn, q, asked)
    }
}

impl Core {
    /// An empty index of `scope`, not yet filled, in files of a temporary folder (under
    /// `TMPDIR`), read through the page cache as the database's files are; in memory if no
    /// folder can be made.
    fn new(scope: Scope) -> Self {
        let (schema, fields) = schema::schema();
        let index = match MmapDirectory::create_from_tempdir() {
            Ok(dir) => Index::create(dir, schema.clone(), IndexSettings::default()),
            Err(e) => Err(tantivy::TantivyError::SystemError(e.to_string())),
        }
        .unwrap_or_else(|e| {
            log::warn!("a search index is kept in memory: no folder for it: {e}");
            Index::create_in_ram(schema)
        });
        index
            .tokenizers()
            .register(schema::ANALYZER, schema::analyzer());
        // A fresh index with a writer of its own: no lock another process could hold.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .expect("a reader of a fresh index");
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        let writer = index
            .writer_with_num_threads(threads, WRITER_BYTES)
            .expect("the only writer of a fresh index");
        Self {
            scope,
            index,
            reader,
            fields,
            ready: AtomicBool::new(false),
            committed: AtomicI64::new(0),
            applied: AtomicI64::new(0),
            writer: Mutex::new(Writer {
                writer,
                seq: 0,
                pending: false,
                committed_at: std::time::Instant::now(),
            }),
        }
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    fn analyzer(&self) -> TextAnalyzer {
        self.index
            .tokenizers()
            .get(schema::ANALYZER)
            .unwrap_or_else(schema::analyzer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while indexing leaves an index that a refill puts right; keep going.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A page of the public search `q` and its facets `asked`.
    fn search(
        &self,
        conn: &mut Conn,
        q: &SearchQuery,
        asked: Option<Asked>,
    ) -> StoreResult<(Page<Teaser>, Option<Facets>)> {
        let nothing = || {
            let facets = asked.map(|asked| Facets {
                tag: asked.tag.then(Vec::new),
                month: asked.month.then(Vec::new),
            });
            Ok((Page::empty(), facets))
        };
        if q.terms.is_empty() || q.filters.matches_nothing() {
            return nothing();
        }
        let tags = index_rows::ids_of(conn, false, &q.filters.tags)?;
        let authors = index_rows::ids_of(conn, true, &q.filters.authors)?;
        let (Some(tags), Some(authors)) = (tags, authors) else {
            return nothing();
        };
        self.take_in(conn)?;
        let searcher = self.reader.searcher();
        let text =
            query::of(&searcher, &mut self.analyzer(), &self.fields, &q.terms).map_err(internal)?;
        let query = query::filtered(&self.fields, text, &tags, &authors, &q.filters);
        let n = db::overfetch(q.limit) as usize;
        let counting = asked.is_some();
        let (ranked, total, counts) = match q.order {
            SearchOrder::Sorted(sort, after) => {
                let after = after.map(|(t, id)| (schema::micros(t), id));
                let top = collect::top_sorted(n, sort, after);
                let (top, (total, counts)) = searcher
                    .search(&query, &(top, (Count, counting.then_some(FacetCollector))))
                    .map_err(internal)?;
                let ranked = collect::sorted_places(sort, top)
                    .into_iter()
                    .map(|(_, id)| (id, 0.0))
                    .collect::<Vec<_>>();
                (ranked, total, counts)
            }
            SearchOrder::Relevance(after) | SearchOrder::Fresh { after, .. } => {
                let ranking = match q.order {
                    SearchOrder::Fresh { half_life_days, .. } => Ranking::Fresh { half_life_days },
                    _ => Ranking::Relevance,
                };
                let top = collect::top(n, ranking, after);
                let (top, (total, counts)) = searcher
                    .search(&query, &(top, (Count, counting.then_some(FacetCollector))))
                    .map_err(internal)?;
                let ranked = collect::places(top)
                    .into_iter()
                    .map(|(rank, id)| (id, rank))
                    .collect::<Vec<_>>();
                (ranked, total, counts)
            }
        };
        let page = index_rows::page_of(conn, self.scope, q, &ranked, total as i64)?;
        let facets = match (asked, counts) {
            (Some(asked), Some(counts)) => Some(facets_of(conn, asked, counts)?),
            _ => None,
        };
        Ok((page, facets))
    }
}

/// A page of a search, its facets if asked, and which index ranked it.
pub type Found = (Page<Teaser>, Option<Facets>, RankedBy);

/// A page of `q`, and its facets `asked`: a public search from the public index, an editor's
/// (by status) from the editors'.
pub fn search(
    index: &SearchIndex,
    conn: &mut Conn,
    q: &SearchQuery,
    asked: Option<Asked>,
) -> StoreResult<Found> {
    let by = RankedBy::of(&q.filters.visibility);
    let scoped = match by {
        RankedBy::PublicIndex => &index.public,
        RankedBy::EditorialIndex => &index.editorial,
    };
    let (page, facets) = scoped.search(conn, q, asked)?;
    Ok((page, facets, by))
}

/// The facets `asked` from the counts of every match.
fn facets_of(conn: &mut Conn, asked: Asked, counts: collect::Counts) -> StoreResult<Facets> {
    let mut out = Facets::default();
    if asked.tag {
        let tags: HashMap<i64, i64> = counts
            .tags
            .into_iter()
            .map(|(tag, n)| (tag as i64, n))
            .collect();
        out.tag = Some(index_rows::tag_counts(
            conn,
            &tags,
            MAX_TAG_FACETS as usize,
        )?);
    }
    if asked.month {
        let mut months: Vec<(u64, i64)> = counts.months.into_iter().collect();
        months.sort_by_key(|m| std::cmp::Reverse(m.0));
        months.truncate(MAX_MONTH_FACETS as usize);
        out.month = Some(
            months
                .into_iter()
                .map(|(m, count)| MonthCount {
                    month: format!("{:04}-{:02}", m / 100, m % 100),
                    count,
                })
                .collect(),
        );
    }
    Ok(out)
}
