//! Articles as lists show them: teasers, with search highlights.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{ArticleFormat, ArticleStatus, credits, opt_utc};
use crate::api::authors::ArticleAuthor;
use crate::api::images::ImageOut;
use crate::api::pagination::ListMeta;
use crate::api::{Tagged, utc};
use crate::config::Settings;
use crate::content;
use crate::db::articles as store;
use crate::db::search::{HIT_END, HIT_START};

/// An article in a list: everything but the body fields and related links.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "council-approves-tram-extension",
    "title": "Council Approves Harbourfront Tram Extension",
    "summary": "The line will reach the ferry terminal by 2028.",
    "status": "published",
    "published_at": "2026-11-24T07:30:00Z",
    "created_at": "2026-11-23T18:02:11Z",
    "updated_at": "2026-11-24T07:31:40Z",
    "tags": [{"slug": "city-hall", "name": "City Hall"}, {"slug": "transport", "name": "Transport"}],
    "authors": [{"slug": "mara-okafor", "name": "Mara Okafor", "role": "City hall reporter", "image": null}],
    "canonical_url": "https://news.example.com/articles/council-approves-tram-extension",
    "word_count": 17,
    "reading_time_minutes": 1,
    "byline": "By Mara Okafor",
    "feature_image": {
        "url": "https://cdn.example.com/2026/11/tram-depot.jpg",
        "alt": "A tram leaves the harbourfront depot at dusk",
        "caption": "The first trams will reach the ferry terminal in 2028.",
        "credit": "Photograph: Lena Marsh",
        "width": 1600, "height": 900, "focal_point": {"x": 0.4, "y": 0.55},
        "renditions": [{"width": 1600, "height": 900, "url": "https://cdn.example.com/2026/11/tram-depot.jpg"}],
        "srcset": "https://cdn.example.com/2026/11/tram-depot.jpg 1600w"
    },
    "feature_image_url": "https://cdn.example.com/2026/11/tram-depot.jpg",
    "format": "standard",
    "live": false,
    "latest_block_at": null
}))]
pub struct ArticleTeaser {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub status: ArticleStatus,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Vec<Tagged>,
    /// Who wrote it, in byline order.
    pub authors: Vec<ArticleAuthor>,
    pub canonical_url: String,
    pub word_count: i64,
    pub reading_time_minutes: i64,
    /// The article's own byline (wire copy), else one made from its authors ("By A and
    /// B"); `null` when it has neither.
    #[schema(required = true)]
    pub byline: Option<String>,
    /// The picture at the top of the story.
    #[schema(required = true)]
    pub feature_image: Option<ImageOut>,
    /// The feature image's URL (`feature_image.url`).
    #[schema(required = true)]
    pub feature_image_url: Option<String>,
    pub format: ArticleFormat,
    /// Whether a live article's coverage is open.
    pub live: bool,
    /// A live article's: when its newest block was published.
    #[schema(required = true)]
    pub latest_block_at: Option<DateTime<Utc>>,
    /// Search results only (`q`): an excerpt, HTML-escaped, with the matched words in
    /// `<mark>…</mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "…the council voted to extend the <mark>tram</mark> line…")]
    pub highlight: Option<String>,
}

/// A page of article teasers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub data: Vec<ArticleTeaser>,
    pub meta: ListMeta,
    /// With `facets=`: counts over every result of the search, not only this page's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<SearchFacets>,
}

/// Counts over every result of a search.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "tag": [{"slug": "transport", "name": "Transport", "count": 12}, {"slug": "city-hall", "name": "City Hall", "count": 4}],
    "month": [{"month": "2026-11", "count": 9}, {"month": "2026-10", "count": 7}]
}))]
pub struct SearchFacets {
    /// Per tag, the most counted first (at most 20); with `facets=tag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<Vec<TagFacet>>,
    /// Per month of publication (UTC), newest first (at most 24); with `facets=month`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<Vec<MonthFacet>>,
}

/// How many results carry a tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagFacet {
    pub slug: String,
    pub name: String,
    pub count: i64,
}

/// How many results were published in a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthFacet {
    /// `YYYY-MM`, UTC.
    #[schema(example = "2026-11")]
    pub month: String,
    pub count: i64,
}

/// A search snippet as safe HTML: the text escaped, the match marks turned into `<mark>`.
fn highlight_html(snippet: &str) -> String {
    let mut html = String::with_capacity(snippet.len() + 32);
    for c in snippet.chars() {
        match c {
            HIT_START => html.push_str("<mark>"),
            HIT_END => html.push_str("</mark>"),
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
    html
}

pub(crate) fn teaser_out(t: store::Teaser, settings: &Settings) -> ArticleTeaser {
    let site_url = settings.site_url.as_str();
    let row = t.row;
    let credits = credits(row.byline, t.authors, row.feature_image.0, settings);
    ArticleTeaser {
        id: row.id,
        canonical_url: content::canonical_url(site_url, &row.slug),
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        status: row.status,
        published_at: opt_utc(row.published_at),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        tags: t.tags.into_iter().map(Tagged::from).collect(),
        word_count: row.word_count,
        reading_time_minutes: content::reading_time_minutes(row.word_count),
        byline: credits.byline,
        authors: credits.authors,
        feature_image_url: credits.feature_image_url,
        feature_image: credits.feature_image,
        format: row.format,
        live: row.coverage_open,
        latest_block_at: opt_utc(row.latest_block_at),
        highlight: t.hit.map(|h| highlight_html(&h.snippet)),
    }
}
