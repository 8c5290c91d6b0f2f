//! `GET /api/v1/articles`: the article list, its filters and orders, and search.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get};
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::teaser::{ArticleList, ArticleTeaser, MonthFacet, SearchFacets, TagFacet};
use super::{json_response, teaser_out};
use crate::api::documented;
use crate::api::extract::{ApiQuery, Reader};
use crate::api::pagination::{self, ListMeta};
use crate::api::problems;
use crate::api::{State, field_names, parse_fields, showing, validate};
use crate::db::articles::{EditorialStatus, Filters, Visibility};
use crate::db::search::RankedBy;
use crate::db::search::facets::{Asked, Facets};
use crate::db::{self, articles as store, search};
use crate::error::{ApiError, Problem};

/// Sort orders for the article list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum ArticleSort {
    #[serde(rename = "-published_at")]
    PublishedDesc,
    #[serde(rename = "published_at")]
    PublishedAsc,
    #[serde(rename = "-updated_at")]
    UpdatedDesc,
    /// Searches only: by text relevance alone, without freshness.
    #[serde(rename = "relevance")]
    Relevance,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListArticlesParams {
    /// Page size, 1–100.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` from the previous page.
    #[serde(default, deserialize_with = "validate::present")]
    cursor: Option<String>,
    /// Full-text search over title, summary, body and tag names. Every word must match, in
    /// any of its forms (`floods` finds "flooding"), without regard to case or accents;
    /// `"an exact phrase"` matches those words in that order; `-word` or `-"a phrase"` leaves
    /// out articles holding it (alone, it is searched for); and the last word, when neither quoted nor excluded, also
    /// matches as the beginning of a word (`harb` finds "harbour"). Any other character only
    /// separates words. Results come by relevance weighed with freshness (the server's
    /// half-life, 30 days by default), or in `sort` order when given, each with a `highlight`.
    /// Blank means no search.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(max_length = 200)]
    q: Option<String>,
    /// Only articles with this tag (slug); repeat for articles having all of them (at most
    /// 50 times).
    #[serde(default)]
    #[param(style = Form, explode, max_items = 50)]
    tag: Vec<String>,
    /// Only articles by this author (slug); repeat for articles by all of them (at most 50
    /// times).
    #[serde(default)]
    #[param(style = Form, explode, max_items = 50)]
    author: Vec<String>,
    /// Only articles published strictly after this time (RFC 3339).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<String>, format = DateTime)]
    published_after: Option<String>,
    /// Only articles published strictly before this time (RFC 3339).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<String>, format = DateTime)]
    published_before: Option<String>,
    /// The order: newest published first (the default of lists), oldest first, or last
    /// updated first; for searches also `relevance`, by text relevance alone. Searches come by
    /// relevance weighed with freshness unless this is given.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<ArticleSort>)]
    sort: Option<String>,
    /// Comma-separated teaser members to return, e.g. `slug,title`; the others are left out
    /// and the response is `application/vnd.gazette.sparse+json`.
    #[serde(default, deserialize_with = "validate::present")]
    fields: Option<String>,
    /// With `q`: counts over every result beside the page, comma-separated: `tag` (per tag,
    /// the most counted first, at most 20) and `month` (per month of publication, newest
    /// first, at most 24). For example `tag,month`.
    // No example value in the document: the docs' try-it-out would send it without `q`.
    #[serde(default, deserialize_with = "validate::present")]
    facets: Option<String>,
    /// Admin key only: list articles in this editorial state instead of the published ones
    /// (`scheduled` is published with a `published_at` still to come).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<EditorialStatus>)]
    status: Option<String>,
}

/// Who may see what a list shows: the public, or an admin asking for one editorial state.
fn list_visibility(reader: &Reader, status: Option<&str>) -> Result<Visibility, ApiError> {
    let now = db::now();
    let Some(status) = status else {
        return Ok(Visibility::Public { now });
    };
    let Some(state) = EditorialStatus::parse(status) else {
        let names: Vec<&str> = EditorialStatus::ALL.iter().map(|s| s.as_str()).collect();
        return Err(pagination::query_error(
            "status",
            format!("must be one of {}, got '{status}'", names.join(", ")),
        ));
    };
    match reader.scope {
        _ if reader.is_admin() => Ok(Visibility::State(state, now)),
        Some(_) => Err(ApiError::Forbidden(
            "Listing by `status` needs an admin key; the key sent may only read.".to_owned(),
        )),
        None => Err(ApiError::Unauthorized {
            detail: "Listing by `status` needs an admin key: send `Authorization: Bearer <key>`."
                .to_owned(),
            invalid_token: false,
        }),
    }
}

static TEASER_FIELDS: LazyLock<Vec<String>> = LazyLock::new(field_names::<ArticleTeaser>);

/// The most `tag` filters a list takes: each is a condition of the query.
const MAX_TAG_FILTERS: usize = 50;

fn time_param(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>, ApiError> {
    raw.map(|raw| match DateTime::parse_from_rfc3339(raw) {
        Ok(t) if validate::is_leap_second(&t) => Err(pagination::query_error(
            name,
            format!("{}, got '{raw}'", validate::LEAP_SECOND),
        )),
        Ok(t) => Ok(t.naive_utc()),
        Err(_) => Err(pagination::query_error(
            name,
            format!("must be an RFC 3339 date-time like 2026-11-01T00:00:00Z, got '{raw}'"),
        )),
    })
    .transpose()
}

fn parse_sort(raw: Option<&str>) -> Result<store::Sort, ApiError> {
    match raw {
        None | Some("-published_at") => Ok(store::Sort::PublishedDesc),
        Some("published_at") => Ok(store::Sort::PublishedAsc),
        Some("-updated_at") => Ok(store::Sort::UpdatedDesc),
        Some(other) => Err(pagination::query_error(
            "sort",
            format!(
                "must be one of -published_at, published_at, -updated_at \
                 (or relevance, with q), got '{other}'"
            ),
        )),
    }
}

fn sort_code(sort: store::Sort) -> &'static str {
    match sort {
        store::Sort::PublishedDesc => "pd",
        store::Sort::PublishedAsc => "pa",
        store::Sort::UpdatedDesc => "ud",
    }
}

/// List published articles.
///
/// Teasers (no body fields, no related links) in the requested order, newest published
/// first by default, with cursor pagination: pass `meta.next_cursor` as `cursor` for the next
/// page (or follow the `Link: <…>; rel="next"` header); the last page has `has_more: false`
/// and `next_cursor: null`. With `q`, a full-text search ranked by relevance. Drafts,
/// archived and scheduled articles are never listed.
#[utoipa::path(
    operation_id = "listArticles", tag = "articles", security(()),
    params(ListArticlesParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of article teasers.", body = ArticleList,
            headers(
                ("Link" = String, description = "`<…>; rel=\"next\"` while there is a next page."),
            )),
        (status = 400, response = problems::InvalidQuery),
        (status = 403, description = "`status` was asked for with a key that may only read.", body = Problem),
        problems::PublicRead,
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: State,
    req: HttpRequest,
    reader: Reader,
    ApiQuery(params): ApiQuery<ListArticlesParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(params.limit.as_deref(), state.settings.limits.page_size)?;
    let fields = parse_fields(params.fields.as_deref(), &TEASER_FIELDS)?;
    let cursor = params.cursor.as_deref();
    let filters = list_filters(&params, &reader)?;
    let searched = params.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let order = match params.sort.as_deref() {
        None | Some(RELEVANCE) if searched => None,
        sort => Some(parse_sort(sort)?),
    };
    let asked = parse_facets(params.facets.as_deref(), searched)?;
    let mut keys = db::changes::list_membership(&filters, order, searched);
    let mut facets = None;
    let (page, next_cursor) = match params.q.as_deref().filter(|q| !q.trim().is_empty()) {
        Some(text) => {
            let (order, ranked_by) = search_order(
                params.sort.as_deref(),
                cursor,
                state.settings.search_half_life_days,
            )?;
            let query = search_query(text, order, ranked_by, filters, limit)?;
            let (page, next, counted) = search_page(&state, query, asked).await?;
            facets = counted;
            (page, next)
        }
        None => {
            let sort = parse_sort(params.sort.as_deref())?;
            let after =
                pagination::after(cursor, |c| pagination::decode_keyset(sort_code(sort), c))?;
            let query = store::ListQuery {
                filters,
                sort,
                after,
                limit,
            };
            let page = db::run(&state.pool, move |conn| store::list(conn, &query)).await?;
            let next = pagination::next_cursor(&page, |last| {
                Some(pagination::encode_keyset(
                    sort_code(sort),
                    sort.key(&last.row),
                ))
            });
            (page, next)
        }
    };
    keys.extend(db::changes::shown_by_teasers(&page.items));
    if let Some(Facets {
        tag: Some(tags), ..
    }) = &facets
    {
        keys.extend(tags.iter().map(|t| db::changes::tag(&t.slug)));
    }
    let site = &state.settings;
    let link = next_cursor
        .as_deref()
        .map(|cursor| pagination::next_link(req.path(), req.query_string(), cursor));
    let list = ArticleList {
        facets: facets.map(facets_out),
        meta: ListMeta::new(limit, page.total, next_cursor),
        data: page
            .items
            .into_iter()
            .map(|t| teaser_out(t, site))
            .collect(),
    };
    let mut response = showing(json_response(&list, fields.as_deref(), true)?, keys);
    if let Some(link) = link {
        response.headers_mut().insert(
            header::LINK,
            header::HeaderValue::from_str(&link).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    Ok(response)
}

/// The filters a list's parameters ask for, as the reader may see.
fn list_filters(params: &ListArticlesParams, reader: &Reader) -> Result<Filters, ApiError> {
    if params.tag.len() > MAX_TAG_FILTERS {
        return Err(pagination::query_error(
            "tag",
            format!(
                "may be given at most {MAX_TAG_FILTERS} times, got {}",
                params.tag.len()
            ),
        ));
    }
    if params.author.len() > MAX_TAG_FILTERS {
        return Err(pagination::query_error(
            "author",
            format!(
                "may be given at most {MAX_TAG_FILTERS} times, got {}",
                params.author.len()
            ),
        ));
    }
    let mut tags = params.tag.clone();
    tags.sort();
    tags.dedup();
    let mut authors = params.author.clone();
    authors.sort();
    authors.dedup();
    Ok(Filters {
        tags,
        authors,
        published_after: time_param("published_after", params.published_after.as_deref())?,
        published_before: time_param("published_before", params.published_before.as_deref())?,
        visibility: list_visibility(reader, params.status.as_deref())?,
    })
}

/// The `sort` that orders search results by text relevance alone.
const RELEVANCE: &str = "relevance";

/// The order of a search, after `cursor`: by relevance weighed with freshness (or by
/// relevance alone when the half-life is 0) unless a sort is asked for. Each order has cursors
/// of its own.
fn search_order(
    sort: Option<&str>,
    cursor: Option<&str>,
    half_life_days: u32,
) -> Result<(search::SearchOrder, Option<RankedBy>), ApiError> {
    // A rank cursor says which index ranked its page (see `rank_code`).
    let ranked = |order: &str| match cursor {
        None => Ok((None, None)),
        Some(c) => [RankedBy::PublicIndex, RankedBy::EditorialIndex]
            .into_iter()
            .find_map(|by| {
                pagination::decode_rank(&rank_code(order, by), c)
                    .ok()
                    .map(|after| (Some(after), Some(by)))
            })
            .ok_or_else(pagination::invalid_cursor),
    };
    Ok(match sort {
        None if half_life_days > 0 => {
            let (after, by) = ranked("f")?;
            let order = search::SearchOrder::Fresh {
                half_life_days: f64::from(half_life_days),
                after,
            };
            (order, by)
        }
        None | Some(RELEVANCE) => {
            let (after, by) = ranked("s")?;
            (search::SearchOrder::Relevance(after), by)
        }
        Some(raw) => {
            let sort = parse_sort(Some(raw))?;
            let after =
                pagination::after(cursor, |c| pagination::decode_keyset(sort_code(sort), c))?;
            (search::SearchOrder::Sorted(sort, after), None)
        }
    })
}

/// The code of a rank cursor in `order` (`f` fresh, `s` relevance) ranked `by` an index: the
/// public index's cursors end in `i`, the editors' in `e`.
fn rank_code(order: &str, by: RankedBy) -> String {
    match by {
        RankedBy::PublicIndex => format!("{order}i"),
        RankedBy::EditorialIndex => format!("{order}e"),
    }
}

/// A search for `text` in `order`.
fn search_query(
    text: &str,
    order: search::SearchOrder,
    ranked_by: Option<RankedBy>,
    filters: Filters,
    limit: i64,
) -> Result<search::SearchQuery, ApiError> {
    if text.chars().count() > 200 {
        return Err(pagination::query_error(
            "q",
            "must be at most 200 characters".to_owned(),
        ));
    }
    // Ranks of one index mean nothing to the other: a public search is continued by the
    // public index alone, an editor's by the editors'.
    if ranked_by.is_some_and(|by| by != RankedBy::of(&filters.visibility)) {
        return Err(pagination::invalid_cursor());
    }
    Ok(search::SearchQuery {
        filters,
        terms: search::Terms::parse(text),
        order,
        limit,
        ranked_by,
    })
}

/// A page of search results and the cursor of the next.
async fn search_page(
    state: &crate::state::AppState,
    query: search::SearchQuery,
    asked: Option<Asked>,
) -> Result<(db::Page<store::Teaser>, Option<String>, Option<Facets>), ApiError> {
    let (code, sorted) = match &query.order {
        search::SearchOrder::Relevance(_) => ("s", None),
        search::SearchOrder::Fresh { .. } => ("f", None),
        search::SearchOrder::Sorted(sort, _) => ("", Some(*sort)),
    };
    let (page, facets, ranked_by) = if query.terms.is_empty() {
        let facets = asked.map(|_| Facets::default());
        (
            db::Page::empty(),
            facets,
            RankedBy::of(&query.filters.visibility),
        )
    } else {
        let index = state.search.clone();
        db::run(&state.pool, move |conn| {
            crate::search_index::search(&index, conn, &query, asked)
        })
        .await?
    };
    let code = rank_code(code, ranked_by);
    let next = pagination::next_cursor(&page, |last| match sorted {
        None => last
            .hit
            .as_ref()
            .map(|hit| pagination::encode_rank(&code, (hit.rank, last.row.id))),
        Some(sort) => Some(pagination::encode_keyset(
            sort_code(sort),
            sort.key(&last.row),
        )),
    });
    Ok((page, next, facets))
}

/// The facets `facets=` asks for: `tag` and `month`, with a search (`q`) only.
fn parse_facets(raw: Option<&str>, searched: bool) -> Result<Option<Asked>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let mut asked = Asked::default();
    for name in raw.split(',').map(str::trim) {
        match name {
            "tag" => asked.tag = true,
            "month" => asked.month = true,
            other => {
                return Err(pagination::query_error(
                    "facets",
                    format!("must name `tag` or `month`, comma-separated; got '{other}'"),
                ));
            }
        }
    }
    if !searched {
        return Err(pagination::query_error(
            "facets",
            "counts the results of a search: give `q` too".to_owned(),
        ));
    }
    Ok(Some(asked))
}

fn facets_out(f: Facets) -> SearchFacets {
    SearchFacets {
        tag: f.tag.map(|tags| {
            tags.into_iter()
                .map(|t| TagFacet {
                    slug: t.slug,
                    name: t.name,
                    count: t.count,
                })
                .collect()
        }),
        month: f.month.map(|months| {
            months
                .into_iter()
                .map(|m| MonthFacet {
                    month: m.month,
                    count: m.count,
                })
                .collect()
        }),
    }
}
