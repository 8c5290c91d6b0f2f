//! The fresh order of a public search on SQLite without scoring every match. The public index
//! holds the live articles in order of publication (db::live::public_key), so its matches come
//! newest first at no cost. A match's rank is `-(ln relevance + days × ln 2 / half-life)`, and
//! bm25 can never exceed `(k1 + 1) × Σ idf` (its term-frequency part saturates below
//! `k1 + 1`): so once a page is full, a match whose best possible rank at its age is worse
//! than the page's worst cannot enter it, nor can any older one. Reading stops there: for a
//! word in 10,000 articles, a few hundred are scored, not all of them. The page is the same
//! as scoring every match would give.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};

use super::statement::{Bind, Statement};
use super::{Count, Hit, PG_WEIGHTS, SearchQuery, TEASER_COLUMNS, WEIGHTS, finish};
use crate::db::articles::model::Teaser;
use crate::db::live::{PUBLIC_ID_MASK, public_minute};
use crate::db::{AnyConnection, Conn, Page, StoreResult, overfetch};
use chrono::NaiveDateTime;

/// bm25's `k1` in FTS5: its term-frequency part stays below `k1 + 1`.
const BM25_K1: f64 = 1.2;

#[derive(QueryableByName)]
struct Match {
    #[diesel(sql_type = BigInt)]
    key: i64,
    /// bm25: the relevance, negated.
    #[diesel(sql_type = Double)]
    score: f64,
}

/// A match ranked: lower is better, ties by id.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    rank: f64,
    id: i64,
}

impl Ranked {
    fn before(&self, other: &Ranked) -> bool {
        self.rank < other.rank || (self.rank == other.rank && self.id < other.id)
    }
}

/// The rank of a match of relevance `relevance` published `days` after 1970.
fn rank(relevance: f64, days: f64, per_day: f64) -> f64 {
    -(relevance.max(1e-12).ln() + days * per_day)
}

/// Days from 1970 to `t`.
fn days(t: NaiveDateTime) -> f64 {
    t.and_utc().timestamp_micros() as f64 / 86_400_000_000.0
}

/// The `wanted` best of ranked matches, best first.
struct Top {
    wanted: usize,
    after: Option<Ranked>,
    best: Vec<Ranked>,
}

impl Top {
    fn new(wanted: usize, after: Option<(f64, i64)>) -> Self {
        Self {
            wanted,
            after: after.map(|(rank, id)| Ranked { rank, id }),
            best: Vec::with_capacity(wanted + 1),
        }
    }

    /// Whether nothing ranked `bound` or worse can enter any more.
    fn closed_to(&self, bound: f64) -> bool {
        self.best.len() == self.wanted && bound > self.best[self.wanted - 1].rank
    }

    /// Takes `hit` in if it comes after the cursor and among the best.
    fn offer(&mut self, hit: Ranked) {
        if self.after.is_some_and(|a| !a.before(&hit)) {
            return;
        }
        let at = self.best.partition_point(|r| r.before(&hit));
        if at < self.wanted {
            self.best.insert(at, hit);
            self.best.truncate(self.wanted);
        }
    }
}

/// The most relevance bm25 can give a match of `q` that `matching` articles of at most
/// `articles` match: `(k1 + 1) × idf` per required word or phrase, each of which is in at
/// least every match (fewer holders only raise an idf, so the bound stands).
fn best_relevance(q: &SearchQuery, matching: i64, articles: i64) -> f64 {
    let (n, hits) = (articles.max(matching) as f64, matching as f64);
    let idf = ((n - hits + 0.5) / (hits + 0.5)).ln().max(1e-6);
    (BM25_K1 + 1.0) * idf * q.terms.required.len() as f64
}

/// One page of a public search in the fresh order (see the module's documentation), its
/// count and its matches read in one transaction: from one state of the index.
pub(super) fn page(
    conn: &mut Conn,
    q: &SearchQuery,
    half_life_days: f64,
    after: Option<(f64, i64)>,
) -> StoreResult<Page<Teaser>> {
    conn.transaction(|conn| page_in(conn, q, half_life_days, after))
}

fn page_in(
    conn: &mut Conn,
    q: &SearchQuery,
    half_life_days: f64,
    after: Option<(f64, i64)>,
) -> StoreResult<Page<Teaser>> {
    let expr = q.terms.fts5();
    let total = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM articles_fts_public WHERE articles_fts_public MATCH ?",
    )
    .bind::<Text, _>(&expr)
    .get_result::<Count>(conn)?
    .n;
    if total == 0 {
        return Ok(Page::overfetched(Vec::new(), q.limit, 0));
    }
    // Every article, a bound of how many the public index holds.
    let articles =
        diesel::sql_query("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM article_counts")
            .get_result::<Count>(conn)?
            .n;
    let per_day = std::f64::consts::LN_2 / half_life_days;
    let best = best_relevance(q, total, articles);
    let mut top = Top::new(
        usize::try_from(overfetch(q.limit)).unwrap_or(usize::MAX),
        after,
    );
    let matches = diesel::sql_query(format!(
        "SELECT rowid AS key, bm25(articles_fts_public, {WEIGHTS}) AS score \
         FROM articles_fts_public WHERE articles_fts_public MATCH ? ORDER BY rowid DESC"
    ))
    .bind::<Text, _>(&expr)
    .load_iter::<Match, diesel::connection::DefaultLoadingMode>(conn)?;
    for m in matches {
        let m = m?;
        let days = public_minute(m.key) as f64 / 1440.0;
        // The best this match (and any older one) could rank: its minute's end, the most
        // relevance there is.
        if top.closed_to(rank(best, days + 1.0 / 1440.0, per_day)) {
            break;
        }
        top.offer(Ranked {
            rank: rank(-m.score, days, per_day),
            id: m.key & PUBLIC_ID_MASK,
        });
    }
    teasers(
        conn,
        q,
        &top.best,
        total,
        "articles_fts t ON t.rowid = a.id",
    )
}

#[derive(QueryableByName)]
struct Dated {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamp)]
    published: NaiveDateTime,
    #[diesel(sql_type = Double)]
    relevance: f64,
}

#[derive(QueryableByName)]
struct Oldest {
    #[diesel(sql_type = Nullable<Timestamp>)]
    at: Option<NaiveDateTime>,
}

/// The first span of time a PostgreSQL search reads, before `now`; each next one reaches
/// four times as far back.
const FIRST_SPAN_DAYS: i64 = 7;

/// One page of a public search in the fresh order on PostgreSQL, its hidden articles few
/// (db::search::few_hidden). There is no order of matches to read for free: the search reads
/// them a span of publication time at a time, newest first, each span's matches found by the
/// GIN index and the publication index together, and ranks only those. Once a page is full
/// and no article before the span could rank in it (its relevance is capped,
/// db::search::pg_relevance_cap), reading stops.
pub(super) fn pg_page(
    conn: &mut Conn,
    q: &SearchQuery,
    half_life_days: f64,
    after: Option<(f64, i64)>,
    now: NaiveDateTime,
) -> StoreResult<Page<Teaser>> {
    let tsquery = q.terms.tsquery();
    // Public matches: published by now, neither draft nor archived.
    let public = "s.document @@ to_tsquery('gazette', $1) AND s.published <= $2 \
         AND s.article_id NOT IN (SELECT id FROM articles WHERE status IN ('draft', 'archived'))";
    let total = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM articles_search s WHERE {public}"
    ))
    .bind::<Text, _>(&tsquery)
    .bind::<Timestamp, _>(now)
    .get_result::<Count>(conn)?
    .n;
    let oldest = diesel::sql_query("SELECT MIN(published) AS at FROM articles_search")
        .get_result::<Oldest>(conn)?
        .at;
    let (Some(oldest), true) = (oldest, total > 0) else {
        return Ok(Page::overfetched(Vec::new(), q.limit, total));
    };
    let cap = super::pg_relevance_cap(q);
    let per_day = std::f64::consts::LN_2 / half_life_days;
    let mut top = Top::new(
        usize::try_from(overfetch(q.limit)).unwrap_or(usize::MAX),
        after,
    );
    let span_sql = format!(
        "SELECT s.article_id AS id, s.published AS published, \
         LEAST(ts_rank({PG_WEIGHTS}, s.document, to_tsquery('gazette', $1)), $5)::float8 \
         AS relevance FROM articles_search s WHERE {public} AND s.published > $3 \
         AND s.published <= $4"
    );
    let (mut until, mut span) = (now, chrono::Duration::days(FIRST_SPAN_DAYS));
    loop {
        let from = until - span;
        let rows: Vec<Dated> = diesel::sql_query(&span_sql)
            .bind::<Text, _>(&tsquery)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(from)
            .bind::<Timestamp, _>(until)
            .bind::<Double, _>(cap)
            .load(conn)?;
        for r in rows {
            top.offer(Ranked {
                rank: rank(r.relevance, days(r.published), per_day),
                id: r.id,
            });
        }
        if from < oldest || top.closed_to(rank(cap, days(from), per_day)) {
            break;
        }
        until = from;
        span = span * 4;
    }
    teasers(
        conn,
        q,
        &top.best,
        total,
        "articles_search t ON t.article_id = a.id",
    )
}

/// The page of the ranked matches `top`: their teasers and searched texts (from `texts`,
/// joined to `a`), in order.
fn teasers(
    conn: &mut Conn,
    q: &SearchQuery,
    top: &[Ranked],
    total: i64,
    texts: &str,
) -> StoreResult<Page<Teaser>> {
    if top.is_empty() {
        return Ok(Page::overfetched(Vec::new(), q.limit, total));
    }

    let mut st = Statement::new(matches!(conn, AnyConnection::Postgres(_)));
    let ids: Vec<String> = top.iter().map(|r| st.bind(Bind::Int(r.id))).collect();
    st.push(&format!(
        "SELECT {TEASER_COLUMNS}, CAST(0 AS DOUBLE PRECISION) AS rank, CAST(0 AS BIGINT) AS total, \
         t.title AS search_title, t.summary AS search_summary, t.body AS search_body, \
         t.tags AS search_tags \
         FROM articles a JOIN {texts} WHERE a.id IN ({})",
        ids.join(", ")
    ));
    let mut rows: Vec<Hit> = st.query().load(conn)?;
    let mut hits = Vec::with_capacity(top.len());
    for r in top {
        if let Some(at) = rows.iter().position(|h| h.teaser.id == r.id) {
            let mut hit = rows.swap_remove(at);
            hit.rank = r.rank;
            hits.push(hit);
        }
    }
    finish(conn, q, hits, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_match_ranks_before_an_older_one_as_relevant() {
        assert!(rank(2.0, 100.0, 0.1) < rank(2.0, 99.0, 0.1));
        // One half-life older and twice as relevant: the same rank.
        let per_day = std::f64::consts::LN_2 / 30.0;
        let (new, old) = (rank(1.0, 60.0, per_day), rank(2.0, 30.0, per_day));
        assert!((new - old).abs() < 1e-9);
    }
}
