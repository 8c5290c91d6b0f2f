//! What a search takes from its matches: the top of the page in rank order, and the facets'
//! counts over all of them.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentReader};

use crate::db::articles::model::Sort;

/// The microseconds in a day.
const DAY: f64 = 86_400e6;

/// How a page is ranked; ranks sort ascending (best first), as db::search ranks.
#[derive(Debug, Clone, Copy)]
pub enum Ranking {
    /// By the text's relevance (BM25) alone: rank = −relevance.
    Relevance,
    /// Relevance weighed with freshness: rank = −(ln relevance + days since 1970 × ln 2 /
    /// half-life), the order of relevance × 0.5^(age / half-life), but fixed over time so
    /// that a cursor holds as the clock moves.
    Fresh { half_life_days: f64 },
}

/// A match's place: its rank and article id, ascending.
pub type Place = (f64, i64);

/// The sort key of a match: greater is better, so it is its place negated.
type Key = (f64, i64);

/// The best `n` matches after `after` (a page's last place), in place order. A match at or
/// before `after` gets the worst key and is dropped after collection.
pub fn top(
    n: usize,
    ranking: Ranking,
    after: Option<Place>,
) -> impl Collector<Fruit = Vec<(Key, DocAddress)>> {
    let per_day = match ranking {
        Ranking::Relevance => None,
        Ranking::Fresh { half_life_days } => Some(std::f64::consts::LN_2 / half_life_days),
    };
    TopDocs::with_limit(n).tweak_score(move |segment: &SegmentReader| {
        let fast = segment.fast_fields();
        let id = fast.u64("id").map(|c| c.first_or_default_col(0));
        let published = fast.i64("aged").map(|c| c.first_or_default_col(0));
        move |doc: DocId, score: Score| -> Key {
            let (Ok(id), Ok(published)) = (&id, &published) else {
                return (f64::NEG_INFINITY, i64::MIN);
            };
            let relevance = f64::from(score);
            let rank = match per_day {
                None => -relevance,
                Some(per_day) => {
                    let days = published.get_val(doc) as f64 / DAY;
                    -(relevance.max(1e-12).ln() + days * per_day)
                }
            };
            let article = id.get_val(doc) as i64;
            match after {
                Some(after) if (rank, article) <= after => (f64::NEG_INFINITY, i64::MIN),
                _ => (-rank, -article),
            }
        }
    })
}

/// The places of the collected `top`, best first, those before the cursor left out.
pub fn places(top: Vec<(Key, DocAddress)>) -> Vec<Place> {
    top.into_iter()
        .filter(|((key, _), _)| key.is_finite())
        .map(|((key, article), _)| (-key, -article))
        .collect()
}

/// The best `n` matches after `after` (a page's last time and id) in the list order `sort`:
/// their times (microseconds) and ids, in that order.
pub fn top_sorted(
    n: usize,
    sort: Sort,
    after: Option<(i64, i64)>,
) -> impl Collector<Fruit = Vec<((i64, i64), DocAddress)>> {
    TopDocs::with_limit(n).tweak_score(move |segment: &SegmentReader| {
        let fast = segment.fast_fields();
        let id = fast.u64("id").map(|c| c.first_or_default_col(0));
        let field = match sort {
            Sort::UpdatedDesc => "updated",
            Sort::PublishedDesc | Sort::PublishedAsc => "published",
        };
        let time = fast.i64(field).map(|c| c.first_or_default_col(0));
        move |doc: DocId, _: Score| -> (i64, i64) {
            let (Ok(id), Ok(time)) = (&id, &time) else {
                return (i64::MIN, i64::MIN);
            };
            let place = (time.get_val(doc), id.get_val(doc) as i64);
            let ascending = matches!(sort, Sort::PublishedAsc);
            let passed = match (after, ascending) {
                (None, _) => true,
                (Some(after), true) => place > after,
                (Some(after), false) => place < after,
            };
            match (passed, ascending) {
                (false, _) => (i64::MIN, i64::MIN),
                (true, true) => (-place.0, -place.1),
                (true, false) => place,
            }
        }
    })
}

/// The places of the collected `top_sorted`, first first, those before the cursor left out.
pub fn sorted_places(sort: Sort, top: Vec<((i64, i64), DocAddress)>) -> Vec<(i64, i64)> {
    top.into_iter()
        .filter(|(key, _)| *key != (i64::MIN, i64::MIN))
        .map(|(key, _)| match sort {
            Sort::PublishedAsc => (-key.0, -key.1),
            Sort::PublishedDesc | Sort::UpdatedDesc => key,
        })
        .collect()
}

/// Counts, over every match, per tag id and per month (`year × 100 + month`).
#[derive(Debug, Default)]
pub struct Counts {
    pub tags: HashMap<u64, i64>,
    pub months: HashMap<u64, i64>,
}

/// Counts the facets of every match.
pub struct Facets;

pub struct SegmentFacets {
    tag: Column<u64>,
    month: Column<u64>,
    counts: Counts,
}

impl Collector for Facets {
    type Fruit = Counts;
    type Child = SegmentFacets;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        Ok(SegmentFacets {
            tag: segment.fast_fields().u64("tag")?,
            month: segment.fast_fields().u64("month")?,
            counts: Counts::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut all = Counts::default();
        for counts in fruits {
            for (tag, n) in counts.tags {
                *all.tags.entry(tag).or_insert(0) += n;
            }
            for (month, n) in counts.months {
                *all.months.entry(month).or_insert(0) += n;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for tag in self.tag.values_for_doc(doc) {
            *self.counts.tags.entry(tag).or_insert(0) += 1;
        }
        if let Some(month) = self.month.first(doc) {
            *self.counts.months.entry(month).or_insert(0) += 1;
        }
    }

    fn harvest(self) -> Counts {
        self.counts
    }
}
