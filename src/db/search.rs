//! Full-text search over articles with SQLite FTS5: bm25 ranking, title weighted highest.

use super::Backend;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text, Timestamp};

use super::articles::{
    EditorialState, Filters, SearchHit, Sort, Teaser, TeaserRow, Visibility, with_tags,
};
use super::{Conn, Page, StoreResult};

/// Marks the start of a matched word in a snippet: a control character, which no stored
/// text can contain (input with control characters is refused), so that the caller can
/// escape the text and then turn the marks into markup.
pub const HIT_START: char = '\u{2}';
/// Marks the end of a matched word in a snippet.
pub const HIT_END: char = '\u{3}';

/// bm25 weights of the columns title, summary, body and tags.
const WEIGHTS: &str = "10.0, 4.0, 1.0, 6.0";

/// The order of search results, and where a page starts.
#[derive(Debug, Clone)]
pub enum SearchOrder {
    /// Most relevant first; after this (rank, id) position.
    Relevance(Option<(f64, i64)>),
    /// A list order; after this (time, id) keyset position.
    Sorted(Sort, Option<(chrono::NaiveDateTime, i64)>),
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub filters: Filters,
    /// Words the user typed; each must match, the last one as a prefix.
    pub words: Vec<String>,
    pub order: SearchOrder,
    pub limit: i64,
}

/// The FTS5 expression for `words`: each word a quoted string (so no user text is ever
/// read as FTS syntax), all required, the last one matched as a prefix.
pub fn match_expression(words: &[String]) -> String {
    let mut expr = words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ");
    if !expr.is_empty() {
        expr.push('*');
    }
    expr
}

/// The words of a search box's text, as FTS5's unicode61 tokenizer splits it.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

enum Bind {
    Text(String),
    Time(chrono::NaiveDateTime),
    Int(i64),
    Float(f64),
}

/// The WHERE clause shared by the count and the page, with its bind values in order.
fn conditions(q: &SearchQuery) -> (String, Vec<Bind>) {
    let mut sql = String::from("articles_fts MATCH ?");
    let mut binds = vec![Bind::Text(match_expression(&q.words))];
    match q.filters.visibility {
        Visibility::Public { now } | Visibility::State(EditorialState::Published, now) => {
            sql.push_str(" AND a.status = 'published' AND a.published_at <= ?");
            binds.push(Bind::Time(now));
        }
        Visibility::State(EditorialState::Scheduled, now) => {
            sql.push_str(" AND a.status = 'published' AND a.published_at > ?");
            binds.push(Bind::Time(now));
        }
        Visibility::State(EditorialState::Draft, _) => sql.push_str(" AND a.status = 'draft'"),
        Visibility::State(EditorialState::Archived, _) => {
            sql.push_str(" AND a.status = 'archived'")
        }
        Visibility::All => {}
    }
    for slug in &q.filters.tags {
        sql.push_str(
            " AND a.id IN (SELECT at.article_id FROM article_tags at \
             JOIN tags t ON t.id = at.tag_id WHERE t.slug = ?)",
        );
        binds.push(Bind::Text(slug.clone()));
    }
    if let Some(after) = q.filters.published_after {
        sql.push_str(" AND a.published_at > ?");
        binds.push(Bind::Time(after));
    }
    if let Some(before) = q.filters.published_before {
        sql.push_str(" AND a.published_at < ?");
        binds.push(Bind::Time(before));
    }
    (sql, binds)
}

fn bind_all<'a>(
    mut query: diesel::query_builder::BoxedSqlQuery<'a, Backend, diesel::query_builder::SqlQuery>,
    binds: Vec<Bind>,
) -> diesel::query_builder::BoxedSqlQuery<'a, Backend, diesel::query_builder::SqlQuery> {
    for bind in binds {
        query = match bind {
            Bind::Text(v) => query.bind::<Text, _>(v),
            Bind::Time(v) => query.bind::<Timestamp, _>(v),
            Bind::Int(v) => query.bind::<BigInt, _>(v),
            Bind::Float(v) => query.bind::<Double, _>(v),
        };
    }
    query
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
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// One page of matching teasers, most relevant first, each with a snippet.
pub fn search(conn: &mut Conn, q: &SearchQuery) -> StoreResult<Page<Teaser>> {
    let (filter, binds) = conditions(q);
    let count_sql = format!(
        "SELECT COUNT(*) AS n FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid WHERE {filter}"
    );
    let total = bind_all(diesel::sql_query(count_sql).into_boxed(), binds)
        .get_result::<Count>(conn)?
        .n;

    let (filter, mut binds) = conditions(q);
    // bm25() may only be called in the query that runs the MATCH: rank in an inner query,
    // page in the outer one.
    let mut page_sql = format!(
        "SELECT * FROM (SELECT a.id, a.slug, a.title, a.summary, a.word_count, a.status, a.published_at, \
         a.byline, a.feature_image_url, a.created_at, a.updated_at, \
         bm25(articles_fts, {WEIGHTS}) AS rank, \
         snippet(articles_fts, -1, '{HIT_START}', '{HIT_END}', '…', 16) AS snippet \
         FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid WHERE {filter})"
    );
    let order = match &q.order {
        SearchOrder::Relevance(after) => {
            if let Some((rank, id)) = after {
                page_sql.push_str(" WHERE rank > ? OR (rank = ? AND id > ?)");
                binds.extend([Bind::Float(*rank), Bind::Float(*rank), Bind::Int(*id)]);
            }
            "rank, id"
        }
        SearchOrder::Sorted(sort, after) => {
            let (column, cmp, order) = match sort {
                Sort::PublishedDesc => ("published_at", "<", "published_at DESC, id DESC"),
                Sort::PublishedAsc => ("published_at", ">", "published_at, id"),
                Sort::UpdatedDesc => ("updated_at", "<", "updated_at DESC, id DESC"),
            };
            if let Some((ts, id)) = after {
                page_sql.push_str(&format!(
                    " WHERE {column} {cmp} ? OR ({column} = ? AND id {cmp} ?)"
                ));
                binds.extend([Bind::Time(*ts), Bind::Time(*ts), Bind::Int(*id)]);
            }
            order
        }
    };
    page_sql.push_str(&format!(" ORDER BY {order} LIMIT ?"));
    binds.push(Bind::Int(q.limit + 1));
    let mut hits: Vec<Hit> =
        bind_all(diesel::sql_query(page_sql).into_boxed(), binds).load(conn)?;
    let has_more = hits.len() as i64 > q.limit;
    hits.truncate(q.limit as usize);
    let rows = hits
        .into_iter()
        .map(|h| {
            (
                h.teaser,
                Some(SearchHit {
                    rank: h.rank,
                    snippet: h.snippet,
                }),
            )
        })
        .collect();
    Ok(Page {
        items: with_tags(conn, rows)?,
        total,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_never_becomes_fts_syntax() {
        assert_eq!(
            words("tram OR \"harbour\" NEAR(a b) -x*"),
            ["tram", "OR", "harbour", "NEAR", "a", "b", "x"]
        );
        assert_eq!(match_expression(&words("Tram ext")), "\"Tram\" \"ext\"*");
        assert_eq!(match_expression(&["a\"b".to_owned()]), "\"a\"\"b\"*");
        assert!(words("*** ---").is_empty());
    }
}
