//! Suggestions for a search box as the reader types: the titles of public articles whose
//! words the typed ones begin (the last as a prefix), newest first, and the public tags
//! whose names begin with the typed text.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};

use super::statement::{Bind, Statement};
use super::{Terms, words};
use crate::db::articles::model::ArticleStatus;
use crate::db::{AnyConnection, Conn};

/// The most suggestions an answer holds, tags and titles together.
pub const MAX_SUGGESTIONS: usize = 8;
/// The most tags among them.
pub const MAX_TAG_SUGGESTIONS: usize = 3;
/// The most words a search box's text is read for.
pub const MAX_WORDS: usize = 10;

/// An article whose title the typed words begin.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TitleHit {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub published_at: Option<NaiveDateTime>,
}

/// What a search box offers for its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suggestions {
    /// Public tags whose names begin with the text: `(slug, name)`.
    pub tags: Vec<(String, String)>,
    pub articles: Vec<TitleHit>,
}

/// Up to `limit` public articles, newest first, whose titles hold `words` (the last as the
/// beginning of a word), matched as typed: without stemming, from the titles of live articles
/// on SQLite (`article_titles_public`, newest first at no cost), and from `title_words` on
/// PostgreSQL.
fn titles(
    conn: &mut Conn,
    words: &[String],
    now: NaiveDateTime,
    limit: usize,
) -> QueryResult<Vec<TitleHit>> {
    let terms = Terms::plain(words.to_vec());
    let postgres = matches!(conn, AnyConnection::Postgres(_));
    let mut st = Statement::new(postgres);
    if postgres {
        let query = st.bind(Bind::Text(terms.tsquery()));
        let now = st.bind(Bind::Time(now));
        let limit = st.bind(Bind::Int(limit as i64));
        st.push(&format!(
            "SELECT a.slug, a.title, a.published_at FROM articles_search s \
             JOIN articles a ON a.id = s.article_id \
             WHERE s.title_words @@ to_tsquery('gazette_words', {query}) \
             AND s.published <= {now} AND a.status = '{}' \
             ORDER BY s.published DESC, s.article_id DESC LIMIT {limit}",
            ArticleStatus::Published
        ));
    } else {
        let expr = st.bind(Bind::Text(terms.fts5()));
        let limit = st.bind(Bind::Int(limit as i64));
        st.push(&format!(
            "SELECT a.slug, a.title, a.published_at FROM (\
             SELECT rowid AS key FROM article_titles_public \
             WHERE article_titles_public MATCH {expr} ORDER BY rowid DESC LIMIT {limit}) m \
             CROSS JOIN articles a ON a.id = m.key & {} ORDER BY m.key DESC",
            crate::db::live::PUBLIC_ID_MASK
        ));
    }
    st.query().load(conn)
}

/// The suggestions for `text` at `now`: up to [`MAX_TAG_SUGGESTIONS`] tags, then titles, at
/// most [`MAX_SUGGESTIONS`] in all. Text with no word suggests nothing.
pub fn suggest(conn: &mut Conn, text: &str, now: NaiveDateTime) -> QueryResult<Suggestions> {
    let mut typed = words(text);
    if typed.is_empty() {
        return Ok(Suggestions::default());
    }
    typed.truncate(MAX_WORDS);
    let tags = crate::db::tags::beginning(conn, &typed.join(" "), now, MAX_TAG_SUGGESTIONS)?;
    let articles = titles(conn, &typed, now, MAX_SUGGESTIONS - tags.len())?;
    Ok(Suggestions { tags, articles })
}
