//! Editors' full-text search over articles (every status): FTS5 with bm25 on SQLite, a
//! weighted tsvector with ts_rank on PostgreSQL; the title weighs most on both, and ranks
//! sort ascending (best first) on both, so that paging is the same. Public searches are the
//! public index's (crate::search_index), which holds live articles alone; this module also
//! reads the rows, texts and tags of its hits ([`index_rows`]).

pub mod facets;
pub mod index_rows;
mod snippet;
mod statement;
pub mod suggest;
mod terms;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use super::articles::model::{
    ArticleStatus, EditorialStatus, Filters, SearchHit, Sort, Teaser, TeaserRow, Visibility,
};
use super::articles::read::with_tags;
use super::{Conn, Page, StoreResult};

pub use snippet::{HIT_END, HIT_START, snippet};
use statement::{Bind, Statement};
pub use terms::{Terms, words};

/// bm25 weights of the columns title, summary, body and tags.
const WEIGHTS: &str = "10.0, 4.0, 1.0, 6.0";

/// The same weights for ts_rank, in its order (D body, C summary, B tags, A title) and
/// scaled into 0–1.
const PG_WEIGHTS: &str = "'{0.1, 0.4, 0.6, 1.0}'";

/// The order of search results, and where a page starts.
#[derive(Debug, Clone)]
pub enum SearchOrder {
    /// Most relevant first, by the text alone; after this (rank, id) position.
    Relevance(Option<(f64, i64)>),
    /// By text relevance weighed with freshness: an article's relevance halves for every
    /// `half_life_days` by which it is older than another (see [`rank`]); after this
    /// (rank, id) position.
    Fresh {
        half_life_days: f64,
        after: Option<(f64, i64)>,
    },
    /// A list order; after this (time, id) keyset position.
    Sorted(Sort, Option<(chrono::NaiveDateTime, i64)>),
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub filters: Filters,
    /// What the reader typed.
    pub terms: Terms,
    pub order: SearchOrder,
    pub limit: i64,
    /// Which index ranked the page whose cursor this query continues, if it continues one
    /// in a rank order: ranks of one index mean nothing to another, so the same one
    /// continues it.
    pub ranked_by: Option<RankedBy>,
}

/// The index that ranks a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankedBy {
    /// The public search index (crate::search_index): public searches.
    PublicIndex,
    /// The editors' search index (crate::search_index): searches by status.
    EditorialIndex,
}

impl RankedBy {
    /// The index that ranks searches of `visibility`.
    pub fn of(visibility: &Visibility) -> Self {
        match visibility {
            Visibility::Public { .. } => Self::PublicIndex,
            _ => Self::EditorialIndex,
        }
    }
}

/// Brings the search index's copy of article `id`'s tag names up to date. Called once an
/// article's tags are set: a trigger per inserted tag row would re-index the whole article
/// once per tag (deleted tag rows still update it by trigger).
pub(super) fn refresh_tags(conn: &mut Conn, id: i64) -> QueryResult<()> {
    let sql = match conn {
        super::AnyConnection::Postgres(_) => {
            "UPDATE articles_search SET tags = article_tag_names($1) WHERE article_id = $1"
        }
        super::AnyConnection::Sqlite(_) => {
            // The index keeps no copy of the texts: a changed row is given all of them.
            "UPDATE articles_fts SET (title, summary, body, tags) = \
             (SELECT title, summary, body, tags FROM article_search_texts WHERE id = ?1) \
             WHERE rowid = ?1"
        }
    };
    diesel::sql_query(sql).bind::<BigInt, _>(id).execute(conn)?;
    Ok(())
}

/// The text match of `q` on either backend.
fn text_match(st: &mut Statement, q: &SearchQuery) {
    if st.postgres {
        let query = st.bind(Bind::Text(q.terms.tsquery()));
        st.push(&format!("s.document @@ to_tsquery('gazette', {query})"));
    } else {
        let expr = st.bind(Bind::Text(q.terms.fts5()));
        st.push(&format!("articles_fts MATCH {expr}"));
    }
}

/// The searched rows joined to their articles. On SQLite the full-text index must drive the
/// join (`CROSS JOIN` fixes the order): driven from the articles instead, the planner runs the
/// full-text match once per published article. And the visibility of each match is read from
/// an index that holds it (`articles_visibility`): read from the article's row, it sits past
/// the body in the row's overflow pages.
fn source(postgres: bool) -> &'static str {
    if postgres {
        "articles_search s JOIN articles a ON a.id = s.article_id"
    } else {
        "articles_fts CROSS JOIN articles a INDEXED BY articles_visibility \
         ON a.id = articles_fts.rowid"
    }
}

/// The searched texts of a page's hits, for their snippets: PostgreSQL's search table keeps
/// them; SQLite's full-text index keeps none, and they are read from the article.
fn texts(postgres: bool) -> &'static str {
    if postgres {
        "articles_search t ON t.article_id = hits.id"
    } else {
        "article_search_texts t ON t.id = hits.id"
    }
}

/// The teaser columns of a hit, from its article.
const TEASER_COLUMNS: &str = "a.id, a.slug, a.title, a.summary, a.word_count, a.status, \
    a.published_at, a.byline, a.feature_image, a.created_at, a.updated_at, a.format, \
    a.coverage_open, a.latest_block_at";

/// The WHERE clause shared by the count and the page.
fn conditions(st: &mut Statement, q: &SearchQuery) {
    text_match(st, q);
    match q.filters.visibility {
        Visibility::Public { now } | Visibility::State(EditorialStatus::Published, now) => {
            let now = st.bind(Bind::Time(now));
            st.push(&format!(
                " AND a.status = '{}' AND a.published_at <= {now}",
                ArticleStatus::Published
            ));
        }
        Visibility::State(EditorialStatus::Scheduled, now) => {
            let now = st.bind(Bind::Time(now));
            st.push(&format!(
                " AND a.status = '{}' AND a.published_at > {now}",
                ArticleStatus::Published
            ));
        }
        Visibility::State(EditorialStatus::Draft, _) => {
            st.push(&format!(" AND a.status = '{}'", ArticleStatus::Draft));
        }
        Visibility::State(EditorialStatus::Archived, _) => {
            st.push(&format!(" AND a.status = '{}'", ArticleStatus::Archived));
        }
        Visibility::All => {}
    }
    for slug in &q.filters.tags {
        let slug = st.bind(Bind::Text(slug.clone()));
        st.push(&format!(
            " AND a.id IN (SELECT at.article_id FROM article_tags at \
             JOIN tags t ON t.id = at.tag_id WHERE t.slug = {slug})"
        ));
    }
    for slug in &q.filters.authors {
        let slug = st.bind(Bind::Text(slug.clone()));
        st.push(&format!(
            " AND a.id IN (SELECT aa.article_id FROM article_authors aa \
             JOIN authors au ON au.id = aa.author_id WHERE au.slug = {slug})"
        ));
    }
    if let Some(after) = q.filters.published_after {
        let after = st.bind(Bind::Time(after));
        st.push(&format!(" AND a.published_at > {after}"));
    }
    if let Some(before) = q.filters.published_before {
        let before = st.bind(Bind::Time(before));
        st.push(&format!(" AND a.published_at < {before}"));
    }
}

/// The most relevance a match has in the fresh order on PostgreSQL: ts_rank saturated at
/// about what one word can reach (a word's every occurrence gives at most
/// `(1 + π²/6) / (π²/6)` of the title's weight), once per required word or phrase. A word
/// typed as a prefix can match several words of one article, and each adds to ts_rank; so
/// can pairs of words near each other: past the cap, more of them weigh no more, as bm25's
/// weight of a word saturates.
fn pg_relevance_cap(q: &SearchQuery) -> f64 {
    1.61 * q.terms.required.len().max(1) as f64
}

/// The rank column of a hit: lower is better on both backends. By relevance, the text's
/// relevance negated (bm25 is that already). Fresh, the logarithm of the relevance plus
/// `ln 2 / half-life` per day of publication (drafts: of their last update) since 1970, negated:
/// the same order as the relevance times `0.5^(age / half-life)`, but fixed over time, so
/// that a cursor holds as the clock moves. SQLite's `ln` is registered by db::Manager.
fn rank(st: &mut Statement, q: &SearchQuery) -> String {
    let relevance = if st.postgres {
        let query = st.bind(Bind::Text(q.terms.tsquery()));
        let rank = format!("ts_rank({PG_WEIGHTS}, s.document, to_tsquery('gazette', {query}))");
        match q.order {
            SearchOrder::Fresh { .. } => {
                let cap = st.bind(Bind::Float(pg_relevance_cap(q)));
                format!("LEAST({rank}, {cap})")
            }
            _ => rank,
        }
    } else {
        format!("(-bm25(articles_fts, {WEIGHTS}))")
    };
    let cast = if st.postgres { "::float8" } else { "" };
    let SearchOrder::Fresh { half_life_days, .. } = q.order else {
        return format!("(-{relevance}){cast} AS rank");
    };
    let per_day = st.bind(Bind::Float(std::f64::consts::LN_2 / half_life_days));
    let (days, greatest) = match st.postgres {
        true => (
            "(extract(epoch FROM COALESCE(a.published_at, a.updated_at)) / 86400.0)",
            "GREATEST",
        ),
        false => (
            "(julianday(COALESCE(a.published_at, a.updated_at)) - 2440587.5)",
            "MAX",
        ),
    };
    format!("(-(ln({greatest}({relevance}, 1e-12)) + {days} * {per_day})){cast} AS rank")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(embed)]
    teaser: TeaserRow,
    #[diesel(sql_type = Double)]
    rank: f64,
    /// How many articles match, on all pages.
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Text)]
    search_title: String,
    #[diesel(sql_type = Text)]
    search_summary: String,
    #[diesel(sql_type = Text)]
    search_body: String,
    #[diesel(sql_type = Text)]
    search_tags: String,
}

/// Whether a search has no filter but its visibility.
fn unfiltered(q: &SearchQuery) -> bool {
    q.filters.tags.is_empty()
        && q.filters.authors.is_empty()
        && q.filters.published_after.is_none()
        && q.filters.published_before.is_none()
}

/// Whether a search by relevance has no filter but its visibility.
fn index_alone(q: &SearchQuery) -> bool {
    // A fresh order reads each match's publication time from its article.
    matches!(q.order, SearchOrder::Relevance(_)) && unfiltered(q)
}

/// How many hidden articles (drafts and archived ones) a public search by relevance may
/// leave out by their ids: see [`public_matches`].
const HIDDEN_BY_ID: i64 = 5_000;

/// Whether a search may take its matches from the full-text index alone, leaving out the
/// hidden articles by id ([`public_matches`]): for the published view by relevance without
/// tag or date filters, while few articles are hidden. Asks the per-status
/// counts (`article_counts`) how many drafts and archived articles there are.
fn by_exclusion(conn: &mut Conn, q: &SearchQuery) -> QueryResult<bool> {
    let public = matches!(
        q.filters.visibility,
        Visibility::Public { .. } | Visibility::State(EditorialStatus::Published, _)
    );
    if !public || !index_alone(q) {
        return Ok(false);
    }
    few_hidden(conn)
}

/// Whether few enough articles are drafts or archived to leave them out by id
/// ([`HIDDEN_BY_ID`]).
fn few_hidden(conn: &mut Conn) -> QueryResult<bool> {
    let hidden = diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM article_counts \
         WHERE status IN ('draft', 'archived')",
    )
    .get_result::<Count>(conn)?
    .n;
    Ok(hidden <= HIDDEN_BY_ID)
}

/// The matches of a search of published articles by relevance, each with its id and rank, from the
/// full-text index alone: every match but the hidden articles (drafts, archived, scheduled),
/// which an index finds by status and are few ([`by_exclusion`]); the database looks each
/// match up in that short list in memory. Checking each match's visibility in `articles`
/// instead means a B-tree search per match (10,000 of them for a common word). On SQLite the
/// `+` keeps the id list from being handed to FTS5 as rowid constraints (one full-text query
/// per id).
fn public_matches(st: &mut Statement, q: &SearchQuery, ranked: &str) {
    let (Visibility::Public { now } | Visibility::State(_, now)) = q.filters.visibility else {
        unreachable!("by_exclusion admits only the published view");
    };
    let (id, source) = if st.postgres {
        ("s.article_id", "articles_search s")
    } else {
        ("+articles_fts.rowid", "articles_fts")
    };
    st.push(&format!(
        "SELECT {} AS id, {ranked} FROM {source} WHERE ",
        id.trim_start_matches('+')
    ));
    text_match(st, q);
    let now = st.bind(Bind::Time(now));
    st.push(&format!(
        " AND {id} NOT IN (\
         SELECT id FROM articles WHERE status IN ('draft', 'archived') \
         UNION ALL SELECT id FROM articles WHERE status = 'published' AND published_at > {now} \
         UNION ALL SELECT id FROM articles WHERE status = 'published' AND published_at IS NULL)"
    ));
}

/// How PostgreSQL plans a search, for the statements of one transaction. Every search is a
/// prefix query (the last word), and for those the planner prefers reading every document
/// (sequentially, or in id order) and testing each to the GIN index: it counts neither the
/// documents' decompression (BENCHMARKS.md) nor the index's precision. JIT
/// compilation is off too: what remains of the plan costs the penalty of a disabled scan
/// (when a small table has no other way), far above jit_above_cost, and compiling would
/// take longer than the search.
const PG_SEARCH_PLAN: &str =
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL jit = off";

/// One page of matching teasers, most relevant first, each with a snippet.
pub fn search(conn: &mut Conn, q: &SearchQuery) -> StoreResult<Page<Teaser>> {
    if q.filters.matches_nothing() {
        return Ok(Page::empty());
    }
    if let super::AnyConnection::Postgres(_) = conn {
        return conn.transaction(|conn| {
            conn.batch_execute(PG_SEARCH_PLAN)?;
            search_page(conn, q)
        });
    }
    search_page(conn, q)
}

fn search_page(conn: &mut Conn, q: &SearchQuery) -> StoreResult<Page<Teaser>> {
    let postgres = matches!(conn, super::AnyConnection::Postgres(_));
    let exclusion = by_exclusion(conn, q)?;

    // bm25() may only be called in the query that runs the MATCH: rank every match in an
    // inner query (with only what ordering and paging need), count them all beside it (the
    // window sees every match: the page's condition comes after it), cut the page in the one
    // around it, then join the page's hits to their teasers and searched texts.
    let mut page = Statement::new(postgres);
    let ranked = rank(&mut page, q);
    page.push(&format!(
        "SELECT {TEASER_COLUMNS}, hits.rank AS rank, hits.total AS total, \
         t.title AS search_title, t.summary AS search_summary, t.body AS search_body, \
         t.tags AS search_tags FROM (\
         SELECT * FROM (SELECT ranked.*, COUNT(*) OVER () AS total FROM ("
    ));
    if exclusion {
        public_matches(&mut page, q, &ranked);
    } else {
        page.push(&format!(
            "SELECT a.id, a.published_at, a.updated_at, {ranked} FROM {} WHERE ",
            source(postgres)
        ));
        conditions(&mut page, q);
    }
    page.push(") AS ranked) AS counted");
    let order = match &q.order {
        SearchOrder::Relevance(after) | SearchOrder::Fresh { after, .. } => {
            if let Some((rank, id)) = after {
                page.after("rank", ">", || Bind::Float(*rank), *id);
            }
            ["rank", "id"]
        }
        SearchOrder::Sorted(sort, after) => {
            let (column, cmp, order) = match sort {
                Sort::PublishedDesc => ("published_at", "<", ["published_at DESC", "id DESC"]),
                Sort::PublishedAsc => ("published_at", ">", ["published_at", "id"]),
                Sort::UpdatedDesc => ("updated_at", "<", ["updated_at DESC", "id DESC"]),
            };
            if let Some((ts, id)) = after {
                page.after(column, cmp, || Bind::Time(*ts), *id);
            }
            order
        }
    };
    let limit = page.bind(Bind::Int(super::overfetch(q.limit)));
    page.push(&format!(
        " ORDER BY {} LIMIT {limit}) AS hits JOIN articles a ON a.id = hits.id JOIN {} \
         ORDER BY hits.{}, hits.{}",
        order.join(", "),
        texts(postgres),
        order[0],
        order[1]
    ));
    let hits: Vec<Hit> = page.query().load(conn)?;
    let total = match hits.first() {
        Some(hit) => hit.total,
        // Past the last match: count them on their own.
        None if has_cursor(q) => count(conn, q)?,
        None => 0,
    };
    finish(conn, q, hits, total)
}

/// The page of `hits` (fetched one past the page, in order), each with its snippet and tags.
fn finish(
    conn: &mut Conn,
    q: &SearchQuery,
    hits: Vec<Hit>,
    total: i64,
) -> StoreResult<Page<Teaser>> {
    Ok(Page::overfetched(hits, q.limit, total).try_map(|hits| {
        let rows = hits
            .into_iter()
            .map(|h| {
                let snippet = snippet(
                    &[
                        &h.search_title,
                        &h.search_summary,
                        &h.search_body,
                        &h.search_tags,
                    ],
                    &q.terms,
                );
                (
                    h.teaser,
                    Some(SearchHit {
                        rank: h.rank,
                        snippet,
                    }),
                )
            })
            .collect();
        with_tags(conn, rows)
    })?)
}

fn has_cursor(q: &SearchQuery) -> bool {
    match &q.order {
        SearchOrder::Relevance(after) | SearchOrder::Fresh { after, .. } => after.is_some(),
        SearchOrder::Sorted(_, after) => after.is_some(),
    }
}

/// How many articles match, for a page past the last one.
fn count(conn: &mut Conn, q: &SearchQuery) -> QueryResult<i64> {
    let postgres = matches!(conn, super::AnyConnection::Postgres(_));
    let mut count = Statement::new(postgres);
    count.push(&format!(
        "SELECT COUNT(*) AS n FROM {} WHERE ",
        source(postgres)
    ));
    conditions(&mut count, q);
    Ok(count.query().get_result::<Count>(conn)?.n)
}
