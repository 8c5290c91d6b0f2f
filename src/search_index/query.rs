//! What a reader typed (db::search::Terms) as a query of the public index: every required word
//! or phrase in some field, none of the excluded ones anywhere, the last word also as the
//! beginning of longer words when the reader may still be typing it.

use std::collections::HashMap;

use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use super::schema::{Fields, micros, status_code, weighted};
use crate::db::articles::model::{ArticleStatus, EditorialStatus, Filters, Visibility};
use crate::db::search::Terms;

/// The most words a prefix stands for: those most articles hold. A one-letter prefix would
/// otherwise be thousands of words, each a list of matches to merge.
pub const MOST_PREFIX_WORDS: usize = 32;

/// How many words of the index a prefix looks through for those, at most.
const PREFIX_SCAN: usize = 20_000;

/// The stems of `words`, as the index holds them; a word the analyzer drops (too long) is
/// left out.
fn stems(analyzer: &mut TextAnalyzer, words: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        let mut stream = analyzer.token_stream(word);
        while let Some(token) = stream.next() {
            out.push(token.text.clone());
        }
    }
    out
}

/// A word or phrase of stems in any field, each field weighted. A word is scored by its
/// frequencies alone; only a phrase reads positions.
fn anywhere(f: &Fields, stems: &[String]) -> Box<dyn Query> {
    let per_field = weighted(f)
        .into_iter()
        .map(|(field, weight)| {
            let q: Box<dyn Query> = match stems {
                [one] => Box::new(TermQuery::new(
                    Term::from_field_text(field, one),
                    IndexRecordOption::WithFreqs,
                )),
                _ => Box::new(PhraseQuery::new(
                    stems
                        .iter()
                        .map(|s| Term::from_field_text(field, s))
                        .collect(),
                )),
            };
            (
                Occur::Should,
                Box::new(BoostQuery::new(q, weight)) as Box<dyn Query>,
            )
        })
        .collect();
    Box::new(BooleanQuery::new(per_field))
}

/// The words of the index in `field` that begin with `prefix`, with how many articles hold
/// each, added to `found`.
fn words_beginning(
    searcher: &Searcher,
    field: Field,
    prefix: &str,
    found: &mut HashMap<String, u64>,
) -> tantivy::Result<()> {
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let mut stream = index.terms().range().ge(prefix.as_bytes()).into_stream()?;
        let mut seen = 0;
        while stream.advance() && seen < PREFIX_SCAN {
            seen += 1;
            let Ok(word) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if !word.starts_with(prefix) {
                break;
            }
            *found.entry(word.to_owned()).or_insert(0) += u64::from(stream.value().doc_freq);
        }
    }
    Ok(())
}

/// The last word as a prefix: the word itself or any of the [`MOST_PREFIX_WORDS`] commonest
/// words it begins, in any field.
fn beginning(searcher: &Searcher, f: &Fields, stem: &str) -> tantivy::Result<Box<dyn Query>> {
    let mut found = HashMap::new();
    for (field, _) in weighted(f) {
        words_beginning(searcher, field, stem, &mut found)?;
    }
    let mut words: Vec<(String, u64)> = found.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.truncate(MOST_PREFIX_WORDS);
    if !words.iter().any(|(w, _)| w == stem) {
        words.push((stem.to_owned(), 0));
    }
    let any: Vec<(Occur, Box<dyn Query>)> = words
        .into_iter()
        .map(|(w, _)| (Occur::Should, anywhere(f, &[w])))
        .collect();
    Ok(Box::new(BooleanQuery::new(any)))
}

/// The query of `terms`.
pub fn of(
    searcher: &Searcher,
    analyzer: &mut TextAnalyzer,
    f: &Fields,
    terms: &Terms,
) -> tantivy::Result<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let last = terms.required.len().saturating_sub(1);
    for (i, words) in terms.required.iter().enumerate() {
        let stems = stems(analyzer, words);
        if stems.is_empty() {
            // Nothing the index holds can match a word it does not index.
            return Ok(Box::new(EmptyQuery));
        }
        let q = match terms.prefix && i == last && stems.len() == 1 {
            true => beginning(searcher, f, &stems[0])?,
            false => anywhere(f, &stems),
        };
        clauses.push((Occur::Must, q));
    }
    for words in &terms.excluded {
        let stems = stems(analyzer, words);
        if !stems.is_empty() {
            clauses.push((Occur::MustNot, anywhere(f, &stems)));
        }
    }
    if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
        return Ok(Box::new(EmptyQuery));
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// `text` restricted to the articles carrying every tag of `tags` and crediting every author
/// of `authors` (ids), published within `filters`' bounds; the restrictions add nothing to a
/// match's relevance.
pub fn filtered(
    f: &Fields,
    text: Box<dyn Query>,
    tags: &[i64],
    authors: &[i64],
    filters: &Filters,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
    let mut only = |q: Box<dyn Query>| {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
    };
    for (field, ids) in [(f.tag, tags), (f.author, authors)] {
        for id in ids {
            only(Box::new(TermQuery::new(
                Term::from_field_u64(field, *id as u64),
                IndexRecordOption::Basic,
            )));
        }
    }
    let status = |status| {
        Box::new(TermQuery::new(
            Term::from_field_u64(f.status, status_code(status)),
            IndexRecordOption::Basic,
        ))
    };
    let published = |after: Option<i64>, before: Option<i64>| {
        let bound = |t: Option<i64>| match t {
            Some(t) => Bound::Excluded(Term::from_field_i64(f.published, t)),
            None => Bound::Unbounded,
        };
        Box::new(RangeQuery::new(bound(after), bound(before)))
    };
    // The public index holds live articles alone; the editors' index holds every article.
    match filters.visibility {
        Visibility::Public { .. } | Visibility::All => {}
        Visibility::State(EditorialStatus::Draft, _) => only(status(ArticleStatus::Draft)),
        Visibility::State(EditorialStatus::Archived, _) => only(status(ArticleStatus::Archived)),
        Visibility::State(EditorialStatus::Published, now) => {
            only(status(ArticleStatus::Published));
            only(published(None, Some(micros(now) + 1)));
        }
        Visibility::State(EditorialStatus::Scheduled, now) => {
            only(status(ArticleStatus::Published));
            only(published(Some(micros(now)), None));
        }
    }
    if filters.published_after.is_some() || filters.published_before.is_some() {
        only(Box::new(TermQuery::new(
            Term::from_field_u64(f.dated, 1),
            IndexRecordOption::Basic,
        )));
        only(published(
            filters.published_after.map(micros),
            filters.published_before.map(micros),
        ));
    }
    if clauses.len() == 1 {
        return clauses
            .pop()
            .map(|(_, q)| q)
            .unwrap_or_else(|| Box::new(EmptyQuery));
    }
    Box::new(BooleanQuery::new(clauses))
}
