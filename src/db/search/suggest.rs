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

/// The tsquery of `words` against titles alone (weight A): each word a quoted lexeme (words
/// hold only letters and digits), the last a prefix.
fn title_query(words: &[String]) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match i == last {
            true => format!("'{w}':*A"),
            false => format!("'{w}':A"),
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Up to `limit` public articles, newest first, whose titles hold `words`.
fn titles(
    conn: &mut Conn,
    words: &[String],
    now: NaiveDateTime,
    limit: usize,
) -> QueryResult<Vec<TitleHit>> {
    let postgres = matches!(conn, AnyConnection::Postgres(_));
    let mut st = Statement::new(postgres);
    if postgres {
        let query = st.bind(Bind::Text(title_query(words)));
        st.push(&format!(
            "SELECT a.slug, a.title, a.published_at FROM articles_search s \
             JOIN articles a ON a.id = s.article_id \
             WHERE s.document @@ to_tsquery('gazette', {query})"
        ));
    } else {
        // The index of live articles, the match in the title column only.
        let expr = st.bind(Bind::Text(format!(
            "title : ({})",
            Terms::plain(words.to_vec()).fts5()
        )));
        st.push(&format!(
            "SELECT a.slug, a.title, a.published_at FROM articles_fts_public \
             CROSS JOIN articles a ON a.id = articles_fts_public.rowid & 2147483647 \
             WHERE articles_fts_public MATCH {expr}"
        ));
    }
    let now = st.bind(Bind::Time(now));
    let limit = st.bind(Bind::Int(limit as i64));
    st.push(&format!(
        " AND a.status = '{}' AND a.published_at <= {now} \
         ORDER BY a.published_at DESC, a.id DESC LIMIT {limit}",
        ArticleStatus::Published
    ));
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

#[cfg(test)]
mod tests {
    use super::title_query;

    #[test]
    fn a_title_query_matches_the_title_weight_and_the_last_word_as_a_prefix() {
        let words = ["tram".to_owned(), "vo".to_owned()];
        assert_eq!(title_query(&words), "'tram':A & 'vo':*A");
    }
}
