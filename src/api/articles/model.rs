//! Articles as read: the response types and their construction from stored rows.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::authors::{ArticleAuthor, byline_of, credit_out};
use crate::api::images::{ImageOut, image_out};
use crate::api::{Tagged, utc};
use crate::config::Settings;
use crate::content;
use crate::db::articles as store;
use crate::db::related as links;

pub use crate::db::articles::{ArticleFormat, ArticleStatus};

use super::live::{Block, LiveSummary, live_out};

/// Whether a related link points into Gazette or elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelatedKind {
    Internal,
    External,
}

/// Whether an editor chose a related link or Gazette suggested it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelatedSource {
    Curated,
    Suggested,
}

/// A related link as read. Internal links carry their target's current title, summary and
/// canonical URL, and are left out while the target is not published.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedLink {
    pub kind: RelatedKind,
    /// `curated` for the editor's links (always first), `suggested` for articles sharing tags.
    pub source: RelatedSource,
    /// The target article's slug; `null` for external links.
    #[schema(required = true, example = "harbour-dredging-begins")]
    pub slug: Option<String>,
    /// The target's headline; optional for external links.
    #[schema(required = true, example = "Harbour Dredging Begins")]
    pub title: Option<String>,
    /// A one-sentence teaser.
    #[schema(example = "Work on the inner harbour starts in January.")]
    pub summary: String,
    /// Where the link goes: the target's canonical URL, or the external URL.
    #[schema(example = "https://example.org/report")]
    pub url: String,
    /// The target's feature image; `null` for external links.
    #[schema(required = true)]
    pub feature_image: Option<ImageOut>,
}

pub use crate::content::ShareLinks;

/// What a frontend needs for "Share the Article".
#[derive(Debug, Serialize, ToSchema)]
pub struct Share {
    /// The canonical URL being shared.
    pub url: String,
    /// The headline, for "Sharing: <title>".
    pub title: String,
    pub links: ShareLinks,
}

/// An article with everything a page needs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "council-approves-tram-extension",
    "title": "Council Approves Harbourfront Tram Extension",
    "summary": "The line will reach the ferry terminal by 2028.",
    "body": "After a six-hour debate, the council voted *nine to four* in favour.\n\nWork starts in spring.",
    "body_html": "<p>After a six-hour debate, the council voted <em>nine to four</em> in favour.</p>\n<p>Work starts in spring.</p>\n",
    "body_text": "After a six-hour debate, the council voted nine to four in favour.\n\nWork starts in spring.",
    "status": "published",
    "published_at": "2026-11-24T07:30:00Z",
    "created_at": "2026-11-23T18:02:11Z",
    "updated_at": "2026-11-24T07:31:40Z",
    "tags": [{"slug": "city-hall", "name": "City Hall"}, {"slug": "transport", "name": "Transport"}],
    "authors": [{"slug": "mara-okafor", "name": "Mara Okafor", "role": "City hall reporter", "image": null}],
    "related": [
        {"kind": "internal", "source": "curated", "slug": "ferry-timetable-winter-changes", "title": "Ferry Moves to Winter Timetable",
         "summary": "Two evening sailings are cut from 9 November.",
         "url": "https://news.example.com/articles/ferry-timetable-winter-changes", "feature_image": null},
        {"kind": "external", "source": "curated", "slug": null, "title": null, "summary": "The full extension plan.",
         "url": "https://example.org/tram-plan", "feature_image": null}
    ],
    "canonical_url": "https://news.example.com/articles/council-approves-tram-extension",
    "share": {
        "url": "https://news.example.com/articles/council-approves-tram-extension",
        "title": "Council Approves Harbourfront Tram Extension",
        "links": {
            "x": "https://x.com/intent/tweet?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension&text=Council%20Approves%20Harbourfront%20Tram%20Extension",
            "facebook": "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension",
            "linkedin": "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension",
            "whatsapp": "https://wa.me/?text=Council%20Approves%20Harbourfront%20Tram%20Extension%20https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension",
            "telegram": "https://t.me/share/url?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension&text=Council%20Approves%20Harbourfront%20Tram%20Extension",
            "reddit": "https://www.reddit.com/submit?url=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension&title=Council%20Approves%20Harbourfront%20Tram%20Extension",
            "email": "mailto:?subject=Council%20Approves%20Harbourfront%20Tram%20Extension&body=https%3A%2F%2Fnews.example.com%2Farticles%2Fcouncil-approves-tram-extension"
        }
    },
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
    "live_summary": null,
    "blocks": null,
    "corrections": []
}))]
pub struct Article {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "council-approves-tram-extension")]
    pub slug: String,
    /// The headline.
    pub title: String,
    /// A one-sentence teaser.
    pub summary: String,
    /// The body as Markdown source.
    pub body: String,
    /// The body rendered from Markdown and sanitized: safe to insert into a page.
    pub body_html: String,
    /// The body as plain text, paragraphs separated by blank lines.
    pub body_text: String,
    pub status: ArticleStatus,
    /// When the article was (or will be) published.
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Topics, in the order the editor gave them.
    pub tags: Vec<Tagged>,
    /// Who wrote it, in byline order.
    pub authors: Vec<ArticleAuthor>,
    /// Related reading, in the order the editor gave it.
    pub related: Vec<RelatedLink>,
    /// The article's address on the public site (`SITE_URL`).
    pub canonical_url: String,
    pub share: Share,
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
    /// Whether a live article's coverage is open; always `false` for a standard article.
    pub live: bool,
    /// A live article's summary: whether coverage is open, its block count, key events,
    /// pinned block and the cursor for `blocks=since:`; `null` for a standard article.
    #[schema(required = true)]
    pub live_summary: Option<LiveSummary>,
    /// A live article's blocks as `blocks` asked (by default the newest 20, newest first);
    /// `null` for a standard article.
    #[schema(required = true)]
    pub blocks: Option<Vec<Block>>,
    /// With `blocks=since:`, the ids of blocks deleted since; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_blocks: Option<Vec<i64>>,
    /// Corrections appended to the article, oldest first: shown at its foot.
    pub corrections: Vec<Correction>,
}

/// A correction appended to an article.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "body": "An earlier version of this article gave the vote as nine to three.",
    "body_html": "<p>An earlier version of this article gave the vote as nine to three.</p>\n",
    "created_at": "2026-11-24T10:02:00Z"
}))]
pub struct Correction {
    pub id: i64,
    /// Markdown source.
    pub body: String,
    /// Rendered and sanitized.
    pub body_html: String,
    /// When it was appended.
    pub created_at: DateTime<Utc>,
}

/// An article's related links, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedList {
    pub data: Vec<RelatedLink>,
}

pub(super) fn related_out(link: links::Related, settings: &Settings) -> RelatedLink {
    match link {
        links::Related::Internal {
            slug,
            title,
            summary,
            image,
        } => RelatedLink {
            kind: RelatedKind::Internal,
            source: RelatedSource::Curated,
            feature_image: image.map(|i| image_out(i, &settings.images)),
            url: content::canonical_url(&settings.site_url, &slug),
            slug: Some(slug),
            title: Some(title),
            summary,
        },
        links::Related::External {
            url,
            title,
            summary,
        } => RelatedLink {
            kind: RelatedKind::External,
            source: RelatedSource::Curated,
            feature_image: None,
            slug: None,
            title,
            summary,
            url,
        },
    }
}

/// Who an article is by and its picture, as a page and a teaser both show them.
pub(super) struct Credits {
    pub(super) byline: Option<String>,
    pub(super) authors: Vec<ArticleAuthor>,
    pub(super) feature_image: Option<ImageOut>,
    pub(super) feature_image_url: Option<String>,
}

/// The byline (the article's own, else one made from its authors' names), the authors and
/// the picture of an article with the stored `byline`, `authors` and `image`.
pub(super) fn credits(
    byline: Option<String>,
    authors: Vec<crate::db::authors::AuthorRef>,
    image: Option<crate::images::Image>,
    settings: &Settings,
) -> Credits {
    let names: Vec<&str> = authors.iter().map(|a| a.name.as_str()).collect();
    Credits {
        byline: byline.or_else(|| byline_of(&names)),
        authors: authors
            .into_iter()
            .map(|a| credit_out(a, &settings.images))
            .collect(),
        feature_image_url: image.as_ref().map(|i| i.url.clone()),
        feature_image: image.map(|i| image_out(i, &settings.images)),
    }
}

pub(super) fn opt_utc(ts: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    ts.map(utc)
}

pub(crate) fn article_out(a: store::Article, settings: &Settings) -> Article {
    let site_url = settings.site_url.as_str();
    let store::ArticleRow {
        teaser: row,
        body,
        body_html,
        body_text,
        ..
    } = a.row;
    let canonical_url = content::canonical_url(site_url, &row.slug);
    let links = content::share_links(&canonical_url, &row.title);
    let credits = credits(row.byline, a.authors, row.feature_image.0, settings);
    let (live_summary, blocks, removed_blocks) = match a.live {
        Some(view) => {
            let (summary, blocks, removed) = live_out(view, row.coverage_open, row.latest_block_at);
            (Some(summary), Some(blocks), removed)
        }
        None => (None, None, None),
    };
    Article {
        corrections: a
            .corrections
            .into_iter()
            .map(|c| Correction {
                id: c.id,
                body: c.body,
                body_html: c.body_html,
                created_at: utc(c.created_at),
            })
            .collect(),
        format: row.format,
        live: row.coverage_open,
        live_summary,
        blocks,
        removed_blocks,
        id: row.id,
        share: Share {
            url: canonical_url.clone(),
            title: row.title.clone(),
            links,
        },
        canonical_url,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        body,
        body_html,
        body_text,
        status: row.status,
        published_at: opt_utc(row.published_at),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        tags: a.tags.into_iter().map(Tagged::from).collect(),
        related: a
            .related
            .into_iter()
            .map(|r| related_out(r, settings))
            .collect(),
        word_count: row.word_count,
        reading_time_minutes: content::reading_time_minutes(row.word_count),
        byline: credits.byline,
        authors: credits.authors,
        feature_image_url: credits.feature_image_url,
        feature_image: credits.feature_image,
    }
}

pub(super) fn suggestion_out(s: links::Suggestion, settings: &Settings) -> RelatedLink {
    RelatedLink {
        kind: RelatedKind::Internal,
        source: RelatedSource::Suggested,
        feature_image: s.image.map(|i| image_out(i, &settings.images)),
        url: content::canonical_url(&settings.site_url, &s.slug),
        slug: Some(s.slug),
        title: Some(s.title),
        summary: s.summary,
    }
}
