//! What a search index holds of an article, and how it reads text.

use chrono::Datelike;
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};

use crate::db::articles::model::ArticleStatus;
use crate::db::search::index_rows::IndexedText;

/// The name the analyzer is registered under.
pub const ANALYZER: &str = "gazette";

/// Words longer than this are not indexed (no language has them; a run of letters that long
/// is not something a reader searches for).
const LONGEST_WORD: usize = 64;

/// The fields of an indexed article.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The article's id: the key an update deletes by, and what a match answers with.
    pub id: Field,
    pub title: Field,
    pub summary: Field,
    pub body: Field,
    /// Its tags' names, searched as text.
    pub tags: Field,
    /// Its tags' ids: what a tag filter asks for, and what the tag facet counts.
    pub tag: Field,
    /// Its tags' slugs: where a change to a tag finds the articles that carried it.
    pub tag_slug: Field,
    /// The ids of the authors it credits: what an author filter asks for.
    pub author: Field,
    /// Its publication time (a draft's: its creation, as the lists order it), in
    /// microseconds since 1970: the date order and filters read it.
    pub published: Field,
    /// 1 when it has a publication time: a date filter finds no article without one.
    pub dated: Field,
    /// Its publication time (a draft's: its last update), in microseconds since 1970: the
    /// fresh order weighs it.
    pub aged: Field,
    /// Its status ([`status_code`]): what an editors' search by status asks for.
    pub status: Field,
    /// When it was last updated, in microseconds since 1970.
    pub updated: Field,
    /// Its month of publication, as `year × 100 + month`, counted by the month facet.
    pub month: Field,
}

/// The text fields and the weight of a match in each: the title weighs most, as in the
/// database's own ranking (db::search).
pub fn weighted(f: &Fields) -> [(Field, f32); 4] {
    [
        (f.title, 10.0),
        (f.tags, 6.0),
        (f.summary, 4.0),
        (f.body, 1.0),
    ]
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        title: b.add_text_field("title", text.clone()),
        summary: b.add_text_field("summary", text.clone()),
        body: b.add_text_field("body", text.clone()),
        tags: b.add_text_field("tags", text),
        tag: b.add_u64_field("tag", INDEXED | FAST),
        tag_slug: b.add_text_field("tag_slug", STRING),
        author: b.add_u64_field("author", INDEXED),
        published: b.add_i64_field("published", INDEXED | FAST),
        dated: b.add_u64_field("dated", INDEXED),
        aged: b.add_i64_field("aged", FAST),
        status: b.add_u64_field("status", INDEXED),
        updated: b.add_i64_field("updated", FAST),
        month: b.add_u64_field("month", FAST),
    };
    (b.build(), fields)
}

/// How text is read into words, for the index and for what a reader types alike: runs of
/// letters and digits (as db::search::words splits them), lowercased, without diacritics,
/// stemmed by Snowball's English stemmer.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// A status as the index holds it.
pub fn status_code(status: ArticleStatus) -> u64 {
    match status {
        ArticleStatus::Draft => 0,
        ArticleStatus::Published => 1,
        ArticleStatus::Archived => 2,
    }
}

/// The document of an article.
pub fn document(f: &Fields, a: &IndexedText) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.id, a.id as u64);
    doc.add_text(f.title, &a.title);
    doc.add_text(f.summary, &a.summary);
    doc.add_text(f.body, &a.body);
    let names: Vec<&str> = a.tags.iter().map(|t| t.name.as_str()).collect();
    doc.add_text(f.tags, names.join(" "));
    for tag in &a.tags {
        doc.add_u64(f.tag, tag.id as u64);
        doc.add_text(f.tag_slug, &tag.slug);
    }
    for author in &a.authors {
        doc.add_u64(f.author, *author as u64);
    }
    doc.add_i64(f.published, micros(a.published_at.unwrap_or(a.created_at)));
    doc.add_i64(f.aged, micros(a.published_at.unwrap_or(a.updated_at)));
    doc.add_i64(f.updated, micros(a.updated_at));
    doc.add_u64(f.status, status_code(a.status));
    if let Some(published) = a.published_at {
        doc.add_u64(f.dated, 1);
        let month = published.year().max(0) as u64 * 100 + u64::from(published.month());
        doc.add_u64(f.month, month);
    }
    doc
}

/// A time as the index holds it: microseconds since 1970.
pub fn micros(t: chrono::NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}
