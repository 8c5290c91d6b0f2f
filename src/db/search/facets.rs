//! Facets of a search: counts over its whole result set, per tag and per month of
//! publication, for a search page's filters ("Transport (12)", "November 2026 (4)").

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::statement::Statement;
use super::{SearchQuery, conditions, source};
use crate::db::{AnyConnection, Conn};

/// The most tags a facet lists, the most counted first.
pub const MAX_TAG_FACETS: i64 = 20;
/// The most months a facet lists, the newest first.
pub const MAX_MONTH_FACETS: i64 = 24;

/// Which facets a search asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    pub tag: bool,
    pub month: bool,
}

/// How many results carry a tag.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TagCount {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// How many results were published in a month (`YYYY-MM`, UTC).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct MonthCount {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The facets asked for; `None` for those not asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub tag: Option<Vec<TagCount>>,
    pub month: Option<Vec<MonthCount>>,
}

/// The matches of `q` (every page's), as the statement's inner query of ids.
fn matches(st: &mut Statement, q: &SearchQuery, columns: &str) {
    st.push(&format!(
        "SELECT {columns} FROM {} WHERE ",
        source(st.postgres)
    ));
    conditions(st, q);
}

/// The facets `asked` of the whole result set of `q`, as the reader of `q` sees it (its
/// filters and visibility), whatever page is asked for.
pub fn facets(conn: &mut Conn, q: &SearchQuery, asked: Asked) -> QueryResult<Facets> {
    let postgres = matches!(conn, AnyConnection::Postgres(_));
    let mut out = Facets::default();
    if q.terms.is_empty() || q.filters.matches_nothing() {
        out.tag = asked.tag.then(Vec::new);
        out.month = asked.month.then(Vec::new);
        return Ok(out);
    }
    if asked.tag {
        let mut st = Statement::new(postgres);
        // Counted by tag id, and only the tags counted are read: grouping by slug and name
        // compared strings for every match (19.5 ms against 11.5 ms for 10,313 matches).
        st.push(
            "SELECT t.slug AS slug, t.name AS name, c.count AS count FROM \
             (SELECT at.tag_id AS tag_id, COUNT(*) AS count FROM (",
        );
        matches(&mut st, q, "a.id AS id");
        st.push(&format!(
            ") m JOIN article_tags at ON at.article_id = m.id GROUP BY at.tag_id) c \
             JOIN tags t ON t.id = c.tag_id ORDER BY c.count DESC, t.slug LIMIT {MAX_TAG_FACETS}"
        ));
        out.tag = Some(st.query().load(conn)?);
    }
    if asked.month {
        let month = match postgres {
            true => "to_char(a.published_at, 'YYYY-MM')",
            false => "strftime('%Y-%m', a.published_at)",
        };
        let mut st = Statement::new(postgres);
        st.push("SELECT m.month AS month, COUNT(*) AS count FROM (");
        matches(&mut st, q, &format!("{month} AS month"));
        st.push(" AND a.published_at IS NOT NULL");
        st.push(&format!(
            ") m GROUP BY m.month ORDER BY m.month DESC LIMIT {MAX_MONTH_FACETS}"
        ));
        out.month = Some(st.query().load(conn)?);
    }
    Ok(out)
}
