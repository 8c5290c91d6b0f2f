//! `GET /api/v1/search/suggest`: what a search box offers as the reader types.

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use super::{State, documented, pagination, problems, showing, utc, validate};
use crate::content;
use crate::db::search::suggest::{self as store, MAX_SUGGESTIONS};
use crate::db::{self, changes};
use crate::error::ApiError;

/// The longest text a search box sends, in characters.
pub const MAX_SUGGEST_CHARS: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What the reader has typed so far: the words of a title, the last one possibly
    /// unfinished (`harb` suggests "Harbour Dredging Begins"), or the start of a tag's name.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = String, required = true, max_length = 100, example = "harb")]
    q: Option<String>,
}

/// A tag a search box offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagSuggestion {
    pub slug: String,
    pub name: String,
}

/// An article a search box offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleSuggestion {
    pub slug: String,
    pub title: String,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    /// The article's address on the public site (`SITE_URL`).
    pub canonical_url: String,
}

/// Suggestions for a search box: tags first, then articles, at most eight in all.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "tags": [{"slug": "harbour-life", "name": "Harbour Life"}],
    "articles": [{"slug": "harbour-dredging-seagrass-survey", "title": "Harbour Dredging Plan Scaled Back After Seagrass Survey",
                  "published_at": "2026-11-22T09:00:00Z",
                  "canonical_url": "https://news.example.com/articles/harbour-dredging-seagrass-survey"}]
}))]
pub struct SearchSuggestions {
    /// Published tags whose names begin with the text (at most three), in name order.
    pub tags: Vec<TagSuggestion>,
    /// Published articles whose titles hold the typed words, newest first.
    pub articles: Vec<ArticleSuggestion>,
}

/// Suggest searches.
///
/// For a search box, as the reader types: up to eight suggestions, published tags whose
/// names begin with the text, then published articles whose titles hold its words (the last
/// one as a prefix), newest first. Text without a letter or digit suggests nothing.
#[utoipa::path(
    operation_id = "suggestSearches", tag = "articles", security(()),
    params(SuggestParams, documented::Conditional),
    responses(
        (status = 200, description = "The suggestions.", body = SearchSuggestions),
        (status = 400, response = problems::InvalidQuery), problems::PublicRead,
    )
)]
#[get("/search/suggest")]
pub async fn suggest_searches(
    state: State,
    ApiQuery(params): ApiQuery<SuggestParams>,
) -> Result<HttpResponse, ApiError> {
    let Some(text) = params.q else {
        return Err(pagination::query_error(
            "q",
            "is required: the text typed so far".to_owned(),
        ));
    };
    if text.chars().count() > MAX_SUGGEST_CHARS {
        return Err(pagination::query_error(
            "q",
            format!("must be at most {MAX_SUGGEST_CHARS} characters"),
        ));
    }
    let found = db::run(&state.pool, move |conn| {
        Ok(store::suggest(conn, &text, db::now())?)
    })
    .await?;
    debug_assert!(found.tags.len() + found.articles.len() <= MAX_SUGGESTIONS);
    let site = &state.settings.site_url;
    let body = SearchSuggestions {
        tags: found
            .tags
            .into_iter()
            .map(|(slug, name)| TagSuggestion { slug, name })
            .collect(),
        articles: found
            .articles
            .into_iter()
            .map(|a| ArticleSuggestion {
                canonical_url: content::canonical_url(site, &a.slug),
                slug: a.slug,
                title: a.title,
                published_at: a.published_at.map(utc),
            })
            .collect(),
    };
    // Titles and which articles are public (search's key), and tag names (the tag list's).
    let keys = changes::Keys::from([changes::SEARCH.to_owned(), changes::TAGS.to_owned()]);
    Ok(showing(HttpResponse::Ok().json(body), keys))
}
