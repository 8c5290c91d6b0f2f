//! Facets of a search: counts over its whole result set, per tag and per month of
//! publication, for a search page's filters ("Transport (12)", "November 2026 (4)").

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub slug: String,
    pub name: String,
    pub count: i64,
}

/// How many results were published in a month (`YYYY-MM`, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    pub month: String,
    pub count: i64,
}

/// The facets asked for; `None` for those not asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub tag: Option<Vec<TagCount>>,
    pub month: Option<Vec<MonthCount>>,
}
