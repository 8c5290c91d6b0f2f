//! What a search takes from its matches: the top of the page in rank order, and the facets'
//! counts over all of them.

use rustc_hash::FxHashMap;

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

/// Counts, over every match, per tag id and per month (`year × 100 + month`). Keyed by a
/// cheap hash: each match adds to a count per tag and one per month, and with the default
/// hash (SipHash) hashing those keys was 15% of a broad faceted search's time (BENCHMARKS.md).
#[derive(Debug, Default)]
pub struct Counts {
    pub tags: FxHashMap<u64, i64>,
    pub months: FxHashMap<u64, i64>,
}

/// Counts the facets of every match.
pub struct Facets;

pub struct SegmentFacets {
    tag: Column<u64>,
    month: Column<u64>,
    /// The counts per tag id, by index, when the segment's largest tag id is below
    /// [`DENSE_TAG_IDS`]: no hashing per match and tag.
    by_tag_id: Vec<u32>,
    counts: Counts,
}

/// The tag ids below which a segment counts its matches' tags by index (a count of 4 bytes
/// per id, 256 KiB at most).
const DENSE_TAG_IDS: u64 = 1 << 16;

impl Collector for Facets {
    type Fruit = Counts;
    type Child = SegmentFacets;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let tag = segment.fast_fields().u64("tag")?;
        let by_tag_id = match tag.max_value() {
            max if max < DENSE_TAG_IDS => vec![0; max as usize + 1],
            _ => Vec::new(),
        };
        Ok(SegmentFacets {
            tag,
            month: segment.fast_fields().u64("month")?,
            by_tag_id,
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
            match self.by_tag_id.get_mut(tag as usize) {
                Some(n) => *n += 1,
                None => *self.counts.tags.entry(tag).or_insert(0) += 1,
            }
        }
        if let Some(month) = self.month.first(doc) {
            *self.counts.months.entry(month).or_insert(0) += 1;
        }
    }

    fn harvest(mut self) -> Counts {
        for (tag, n) in self.by_tag_id.into_iter().enumerate() {
            if n > 0 {
                *self.counts.tags.entry(tag as u64).or_insert(0) += i64::from(n);
            }
        }
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use tantivy::query::AllQuery;
    use tantivy::{Index, TantivyDocument};

    use super::*;
    use crate::search_index::schema;

    /// A document with tag ids `tags`, published in `month`.
    fn doc(f: &schema::Fields, tags: &[u64], month: u64) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        for tag in tags {
            doc.add_u64(f.tag, *tag);
        }
        doc.add_u64(f.month, month);
        doc
    }

    /// One segment's tag ids are small and counted by index, the other's are not; both count
    /// every tag of every match, and the months alike.
    #[test]
    fn facets_count_every_tag_by_index_or_by_hash() {
        let (schema, f) = schema::schema();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(schema::ANALYZER, schema::analyzer());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(doc(&f, &[3, 5], 202_610)).unwrap();
        writer.add_document(doc(&f, &[5], 202_611)).unwrap();
        writer.commit().unwrap();
        writer
            .add_document(doc(&f, &[DENSE_TAG_IDS + 4, 3], 202_611))
            .unwrap();
        writer.add_document(doc(&f, &[], 202_611)).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let counts = searcher.search(&AllQuery, &Facets).unwrap();
        let mut tags: Vec<(u64, i64)> = counts.tags.into_iter().collect();
        tags.sort();
        assert_eq!(tags, [(3, 2), (5, 2), (DENSE_TAG_IDS + 4, 1)]);
        let mut months: Vec<(u64, i64)> = counts.months.into_iter().collect();
        months.sort();
        assert_eq!(months, [(202_610, 1), (202_611, 3)]);
    }
}
