//! Article bodies as written, and their checks. The schema attributes state the same rules
//! the checks enforce, so that generated clients and fuzzers know them.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ArticleStatus;
use crate::api::images::ImageInput;
use crate::api::validate::{self, Checker};
use crate::config::Limits;
use crate::content;
use crate::db::articles as store;
use crate::db::articles::ArticleFormat;
use crate::db::related as links;
use crate::error::{ApiError, FieldError};
use crate::images::Image;

/// A tag name or slug (schema only; tags travel as strings).
#[derive(Debug)]
pub struct TagName;

impl utoipa::PartialSchema for TagName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A tag name or slug; an unknown one creates the tag."))
            .min_length(Some(1))
            .max_length(Some(validate::MAX_NAME_CHARS))
            .pattern(Some(validate::REQUIRED_TEXT_PATTERN))
            .examples(["Transport"])
            .into()
    }
}

impl ToSchema for TagName {}

/// A link to another Gazette article, by slug.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "describes the request schema; parsing goes through RelatedInput"
)]
pub struct InternalLinkInput {
    /// The slug of an existing article (not this one).
    #[schema(max_length = 80, pattern = "slug", example = "harbour-dredging-begins")]
    slug: String,
}

/// A link to a page outside Gazette.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "describes the request schema; parsing goes through RelatedInput"
)]
pub struct ExternalLinkInput {
    /// An absolute http or https URL with a host name.
    #[schema(
        max_length = 2048,
        pattern = "http-url",
        example = "https://example.org/report"
    )]
    url: String,
    /// A one-sentence teaser.
    #[schema(min_length = 1, max_length = 2000, pattern = "required-text")]
    summary: String,
    /// Shown as the link's headline; `null` or absent when the page has none.
    #[schema(max_length = 300, pattern = "text")]
    title: Option<String>,
}

/// A related link as written: either `{slug}` or `{url, summary, title?}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(as = RelatedLinkInput)]
pub enum RelatedLinkSchema {
    Internal(InternalLinkInput),
    External(ExternalLinkInput),
}

/// Either form of a related link, checked after parsing so errors can name the field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedInput {
    slug: Option<String>,
    url: Option<String>,
    title: Option<String>,
    summary: Option<String>,
}

/// A new article. Only `title` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Council Approves Harbourfront Tram Extension",
    "summary": "The line will reach the ferry terminal by 2028.",
    "body": "After a six-hour debate, the council voted 9–4 in favour.\n\nWork starts in spring.",
    "status": "published",
    "tags": ["City Hall", "transport"],
    "related": [
        {"slug": "ferry-timetable-winter-changes"},
        {"url": "https://example.org/tram-plan", "summary": "The full extension plan.", "title": "Tram plan"}
    ]
}))]
pub struct ArticleCreate {
    /// The headline.
    #[schema(min_length = 1, max_length = 300, pattern = "required-text")]
    pub title: String,
    /// Derived from the title when absent (made unique with `-2`, `-3`, …); an explicit
    /// slug already in use is a 409. Lowercase letters, digits and single hyphens, with at
    /// least one letter (all-digit keys are ids).
    #[schema(max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    /// A one-sentence teaser.
    #[schema(max_length = 2000, pattern = "text")]
    pub summary: Option<String>,
    /// Markdown (CommonMark with tables, strikethrough and footnotes).
    #[schema(max_length = 1048576, pattern = "text")]
    pub body: Option<String>,
    /// Default `draft`. Publishing without `published_at` stamps the current time.
    pub status: Option<ArticleStatus>,
    pub published_at: Option<DateTime<Utc>>,
    /// Tag names or slugs, in display order; unknown tags are created, repeats ignored.
    #[schema(value_type = Option<Vec<TagName>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Related reading, in order.
    #[schema(value_type = Option<Vec<RelatedLinkSchema>>, max_items = 50)]
    pub related: Option<Vec<RelatedInput>>,
    /// The slugs of its authors (who must exist), in byline order.
    #[schema(max_items = 20, inline)]
    pub authors: Option<Vec<AuthorSlug>>,
    /// A byline of its own (wire copy); without one, the byline is made from the authors
    /// ("By A and B").
    #[schema(max_length = 200, pattern = "text")]
    pub byline: Option<String>,
    /// The picture at the top of the story; `alt` is required.
    pub feature_image: Option<ImageInput>,
    /// The feature image's URL alone: an alias of `feature_image.url` (an image given this
    /// way has an empty `alt`). With `feature_image`, it must be the same URL.
    #[schema(max_length = 2048, pattern = "http-url")]
    pub feature_image_url: Option<String>,
    /// Default `standard`; `live` makes a live blog, whose updates are its blocks.
    pub format: Option<ArticleFormat>,
    /// Whether a live article's coverage is open; default `true` for a live article. Only a
    /// live article may be `true`.
    pub live: Option<bool>,
}

/// Changes to an article: omitted fields stay as they are; `null` clears `published_at`,
/// `byline`, `feature_image` and `feature_image_url` (the other fields may not be `null`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"summary": "Updated teaser.", "tags": ["transport"]}))]
pub struct ArticlePatch {
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(
        value_type = String,
        min_length = 1,
        max_length = 300,
        pattern = "required-text"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, max_length = 2000, pattern = "text")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, max_length = 1048576, pattern = "text")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = ArticleStatus)]
    pub status: Option<ArticleStatus>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub published_at: Option<Option<DateTime<Utc>>>,
    /// Replaces the tags.
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = Vec<TagName>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Replaces the related links.
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = Vec<RelatedLinkSchema>, max_items = 50)]
    pub related: Option<Vec<RelatedInput>>,
    /// Replaces the authors.
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = Vec<AuthorSlug>, max_items = 20)]
    pub authors: Option<Vec<AuthorSlug>>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "text")]
    pub byline: Option<Option<String>>,
    /// Replaces the whole feature image; `null` removes it.
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<ImageInput>)]
    pub feature_image: Option<Option<ImageInput>>,
    /// Changes only the feature image's URL, keeping its other fields; `null` removes the
    /// image. Not together with `feature_image`.
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(
        value_type = Option<String>,
        max_length = 2048,
        pattern = "http-url"
    )]
    pub feature_image_url: Option<Option<String>>,
    /// `live` makes the article a live blog (its coverage opens unless `live` says
    /// otherwise); a live article with blocks stays live (409).
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = ArticleFormat)]
    pub format: Option<ArticleFormat>,
    /// Opens (`true`) or closes (`false`) a live article's coverage.
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = bool)]
    pub live: Option<bool>,
}

fn check_related(
    c: &mut Checker,
    limits: &Limits,
    field: &str,
    links: &[RelatedInput],
) -> Vec<links::RelatedSpec> {
    c.count(field, links.len(), limits.related_per_article);
    let mut specs = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let at = format!("{field}[{i}]");
        match link {
            RelatedInput {
                slug: Some(slug),
                url: None,
                title: None,
                summary: None,
            } => {
                c.slug(&format!("{at}.slug"), slug);
                specs.push(links::RelatedSpec::Internal { slug: slug.clone() });
            }
            RelatedInput {
                slug: None,
                url: Some(url),
                title,
                summary,
            } => {
                c.url(&format!("{at}.url"), url);
                match summary {
                    Some(s) => c.text(&format!("{at}.summary"), s, limits.summary_chars, true),
                    None => c.fail(format!("{at}.summary"), "is required for an external link"),
                }
                if let Some(t) = title {
                    c.text(&format!("{at}.title"), t, limits.title_chars, false);
                }
                specs.push(links::RelatedSpec::External {
                    url: url.clone(),
                    title: title.clone().filter(|t| !t.trim().is_empty()),
                    summary: summary.clone().unwrap_or_default(),
                });
            }
            RelatedInput { slug: Some(_), .. } => c.fail(
                at,
                "an internal link has only `slug`; its title, summary and URL come from the target",
            ),
            RelatedInput {
                slug: None,
                url: None,
                ..
            } => c.fail(
                at,
                "give either `slug` (another article) or `url` with `summary` (an external page)",
            ),
        }
    }
    specs
}

/// Validates a list of related links as a whole request body.
pub fn related_specs(
    links: &[RelatedInput],
    limits: &Limits,
) -> Result<Vec<links::RelatedSpec>, ApiError> {
    let mut c = Checker::default();
    let specs = check_related(&mut c, limits, "", links);
    c.finish()?;
    Ok(specs)
}

/// The most authors an article credits.
pub const MAX_AUTHORS: usize = 20;

/// An author's slug, as an article names its authors.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(value_type = String, pattern = "slug", max_length = 80, example = "mara-okafor")]
pub struct AuthorSlug(pub String);

fn check_authors(c: &mut Checker, authors: Vec<AuthorSlug>) -> Vec<String> {
    c.count("authors", authors.len(), MAX_AUTHORS);
    for (i, slug) in authors.iter().enumerate() {
        c.slug(&format!("authors[{i}]"), &slug.0);
    }
    authors.into_iter().map(|a| a.0).collect()
}

fn check_tags(c: &mut Checker, limits: &Limits, tags: &[String]) {
    c.count("tags", tags.len(), limits.tags_per_article);
    for (i, tag) in tags.iter().enumerate() {
        c.tag(&format!("tags[{i}]"), tag);
    }
}

/// The body rendered, or a 422 naming it when it nests too deep. Slow work: call it off the
/// async workers.
pub fn render_body(body: &str) -> Result<content::Rendered, ApiError> {
    content::render(body)
        .map_err(|e| ApiError::invalid(vec![FieldError::new("body", e.to_string())]))
}

/// A time as stored: UTC, microseconds.
pub(super) fn naive(ts: DateTime<Utc>) -> NaiveDateTime {
    ts.naive_utc().trunc_subsecs(6)
}

/// A new article's feature image, from the image or its URL alone.
fn create_image(c: &mut Checker, image: Option<ImageInput>, url: Option<String>) -> Option<Image> {
    if let Some(url) = &url {
        c.url("feature_image_url", url);
    }
    match (image, url) {
        (Some(image), url) => {
            if url.is_some_and(|u| u != image.url) {
                c.fail(
                    "feature_image_url",
                    "differs from `feature_image.url`: give one of them",
                );
            }
            Some(image.check(c, "feature_image"))
        }
        (None, Some(url)) => Some(Image {
            url,
            ..Image::default()
        }),
        (None, None) => None,
    }
}

/// A change to the feature image, from the image or its URL alone.
fn patch_image(
    c: &mut Checker,
    image: Option<Option<ImageInput>>,
    url: Option<Option<String>>,
) -> Option<store::ImageChange> {
    if let Some(Some(url)) = &url {
        c.url("feature_image_url", url);
    }
    match (image, url) {
        (Some(_), Some(_)) => {
            c.fail(
                "feature_image_url",
                "changes the same image as `feature_image`: give one of them",
            );
            None
        }
        (Some(image), None) => Some(store::ImageChange::Set(
            image.map(|i| i.check(c, "feature_image")),
        )),
        (None, Some(url)) => Some(store::ImageChange::Url(url)),
        (None, None) => None,
    }
}

impl ArticleCreate {
    /// Validates and renders the article.
    pub fn into_new(self, limits: &Limits) -> Result<store::NewArticle, ApiError> {
        let mut c = Checker::default();
        c.text("title", &self.title, limits.title_chars, true);
        if let Some(slug) = &self.slug {
            c.slug("slug", slug);
        }
        let summary = self.summary.unwrap_or_default();
        c.text("summary", &summary, limits.summary_chars, false);
        let body = self.body.unwrap_or_default();
        c.text("body", &body, limits.article_chars, false);
        if let Some(at) = &self.published_at {
            c.timestamp("published_at", at);
        }
        let tags = self.tags.unwrap_or_default();
        check_tags(&mut c, limits, &tags);
        let authors = check_authors(&mut c, self.authors.unwrap_or_default());
        let related = check_related(
            &mut c,
            limits,
            "related",
            self.related.as_deref().unwrap_or_default(),
        );
        if let Some(byline) = &self.byline {
            c.text("byline", byline, validate::MAX_NAME_CHARS, false);
        }
        let feature_image = create_image(&mut c, self.feature_image, self.feature_image_url);
        let format = self.format.unwrap_or_default();
        if format == ArticleFormat::Standard && self.live == Some(true) {
            c.fail(
                "live".to_owned(),
                "only a live article (`format: live`) has open coverage",
            );
        }
        c.finish()?;
        Ok(store::NewArticle {
            format,
            live: self.live.unwrap_or(format == ArticleFormat::Live),
            title: self.title.trim().to_owned(),
            slug: self.slug,
            summary,
            rendered: render_body(&body)?,
            body,
            status: self.status.unwrap_or(ArticleStatus::Draft),
            published_at: self.published_at.map(naive),
            byline: self.byline,
            feature_image,
            tags,
            authors,
            related,
            blocks: Vec::new(),
            corrections: Vec::new(),
        })
    }
}

impl ArticlePatch {
    /// Validates the changes and renders a new body.
    pub fn into_changes(self, limits: &Limits) -> Result<store::ArticleChanges, ApiError> {
        let mut c = Checker::default();
        if let Some(title) = &self.title {
            c.text("title", title, limits.title_chars, true);
        }
        if let Some(slug) = &self.slug {
            c.slug("slug", slug);
        }
        if let Some(summary) = &self.summary {
            c.text("summary", summary, limits.summary_chars, false);
        }
        if let Some(body) = &self.body {
            c.text("body", body, limits.article_chars, false);
        }
        if let Some(Some(at)) = &self.published_at {
            c.timestamp("published_at", at);
        }
        if let Some(tags) = &self.tags {
            check_tags(&mut c, limits, tags);
        }
        let authors = self.authors.map(|a| check_authors(&mut c, a));
        let related = self
            .related
            .as_deref()
            .map(|links| check_related(&mut c, limits, "related", links));
        if let Some(Some(byline)) = &self.byline {
            c.text("byline", byline, validate::MAX_NAME_CHARS, false);
        }
        let feature_image = patch_image(&mut c, self.feature_image, self.feature_image_url);
        c.finish()?;
        let body = match self.body {
            Some(body) => {
                let rendered = render_body(&body)?;
                Some((body, rendered))
            }
            None => None,
        };
        Ok(store::ArticleChanges {
            title: self.title.map(|t| t.trim().to_owned()),
            slug: self.slug,
            summary: self.summary,
            body,
            status: self.status,
            published_at: self.published_at.map(|p| p.map(naive)),
            byline: self.byline,
            feature_image,
            tags: self.tags,
            authors,
            related,
            format: self.format,
            live: self.live,
        })
    }
}
