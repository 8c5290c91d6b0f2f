//! What a search is: what the reader typed ([`Terms`]), its order and filters
//! ([`SearchQuery`]), and which index ranked it ([`RankedBy`]). Searches are answered by the
//! search indexes (crate::search_index); this module reads what they index and the rows of
//! their hits ([`index_rows`]), makes the hits' snippets, and answers a search box's
//! suggestions from the titles' own index ([`suggest`]).

pub mod facets;
pub mod index_rows;
mod snippet;
mod statement;
pub mod suggest;
mod terms;

use super::articles::model::{Filters, Sort, Visibility};

pub use snippet::{HIT_END, HIT_START, snippet};
pub use terms::{Terms, words};

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

/// The teaser columns of a hit, from its article.
const TEASER_COLUMNS: &str = "a.id, a.slug, a.title, a.summary, a.word_count, a.status, \
    a.published_at, a.byline, a.feature_image, a.created_at, a.updated_at, a.format, \
    a.coverage_open, a.latest_block_at";
