//! `/api/v1/collections`: curated fronts, editors' ordered selections of articles.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::articles::{ArticleTeaser, matches, teaser_out, written};
use super::extract::{Admin, ApiQuery, IfMatch, JsonBody, Shape};
use super::pagination::{self, ListMeta, PageParams};
use super::validate::{self, Checker};
use super::{State, documented, problems, showing, utc};
use crate::auth::Reader;
use crate::config::Settings;
use crate::db::articles::{ArticleKey, Visibility};
use crate::db::{self, StoreResult, changes, collections as store};
use crate::error::{ApiError, Problem};

/// An article by slug or id, as a collection lists it (schema only; sent as strings).
#[derive(Debug)]
pub struct ArticleRef;

impl utoipa::PartialSchema for ArticleRef {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An article's slug or numeric id; it must exist."))
            .min_length(Some(1))
            .max_length(Some(80))
            .pattern(Some(validate::REQUIRED_TEXT_PATTERN))
            .examples(["council-approves-tram-extension"])
            .into()
    }
}

impl ToSchema for ArticleRef {}

/// A collection in the list of collections.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "top-stories", "name": "Top stories", "description": "What the newsroom leads with now."}))]
pub struct CollectionSummary {
    pub slug: String,
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
}

/// A page of collections.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionList {
    pub data: Vec<CollectionSummary>,
    pub meta: ListMeta,
}

/// A collection with its articles' teasers, in the editors' order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "top-stories",
    "name": "Top stories",
    "description": "What the newsroom leads with now.",
    "created_at": "2026-11-24T06:00:00Z",
    "updated_at": "2026-11-24T07:30:00Z",
    "items": []
}))]
pub struct Collection {
    pub slug: String,
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When what the reader sees of it last changed.
    pub updated_at: DateTime<Utc>,
    /// The published articles, in order (with an admin key, every article: drafts and
    /// scheduled ones too).
    pub items: Vec<ArticleTeaser>,
}

/// A new collection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Morning briefing", "description": "Five stories to start the day.", "articles": ["council-approves-tram-extension", "storm-night-live"]}))]
pub struct CollectionCreate {
    #[schema(min_length = 1, max_length = 200, pattern = "required-text")]
    pub name: String,
    /// Derived from the name when absent; one in use is a 409.
    #[schema(max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    #[schema(max_length = 2000, pattern = "text")]
    pub description: Option<String>,
    /// Article slugs or ids, in order.
    #[schema(value_type = Option<Vec<ArticleRef>>, max_items = 100)]
    pub articles: Option<Vec<String>>,
}

/// Changes to a collection's own fields; `null` clears `description`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Top stories this morning"}))]
pub struct CollectionPatch {
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = "required-text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<String>, max_length = 2000, pattern = "text")]
    pub description: Option<Option<String>>,
}

/// A collection's articles, in their new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"articles": ["storm-night-live", "council-approves-tram-extension"]}))]
pub struct CollectionItems {
    /// Article slugs or ids, in order; repeats count once.
    #[schema(value_type = Vec<ArticleRef>, max_items = 100)]
    pub articles: Vec<String>,
}

const COLLECTION_ORDER: &str = "collection-slug";

fn collection_out(c: store::Collection, settings: &Settings) -> Collection {
    Collection {
        slug: c.row.slug,
        name: c.row.name,
        description: c.row.description,
        created_at: utc(c.row.created_at),
        updated_at: utc(c.row.updated_at),
        items: c
            .items
            .into_iter()
            .map(|t| teaser_out(t, settings))
            .collect(),
    }
}

fn check_articles(c: &mut Checker, articles: &[String]) -> Vec<ArticleKey> {
    c.count("articles", articles.len(), store::MAX_ITEMS);
    for (i, key) in articles.iter().enumerate() {
        c.text(&format!("articles[{i}]"), key, 80, true);
    }
    articles
        .iter()
        .map(|k| ArticleKey::parse(k.trim()))
        .collect()
}

/// The check a write makes: the collection as an editor GETs it must have the ETag
/// `If-Match` names, when one was sent.
fn precondition(
    if_match: Option<String>,
    settings: Settings,
) -> impl Fn(&store::Collection) -> StoreResult<()> {
    move |current| {
        matches(
            if_match.as_deref(),
            &collection_out(current.clone(), &settings),
        )
    }
}

/// List collections.
///
/// Every collection, in slug order, with cursor pagination.
#[utoipa::path(
    operation_id = "listCollections", tag = "collections", security(()),
    params(PageParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of collections.", body = CollectionList),
        (status = 400, response = problems::InvalidQuery), problems::PublicRead,
    )
)]
#[get("/collections")]
pub async fn list_collections(
    state: State,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = params.by_slug(state.settings.limits.page_size, COLLECTION_ORDER)?;
    let page = db::run(&state.pool, move |conn| {
        store::list(conn, after.as_deref(), limit)
    })
    .await?;
    let list = CollectionList {
        meta: ListMeta::of(&page, limit, |last| {
            Some(pagination::encode_key(COLLECTION_ORDER, &last.slug))
        }),
        data: page
            .items
            .into_iter()
            .map(|row| CollectionSummary {
                slug: row.slug,
                name: row.name,
                description: row.description,
            })
            .collect(),
    };
    let keys = changes::Keys::from([changes::COLLECTIONS.to_owned()]);
    Ok(showing(HttpResponse::Ok().json(list), keys))
}

/// Get a collection.
///
/// Its published articles' teasers, in the editors' order: an article not published (yet)
/// is left out, and takes its place when it is. With an admin key, every article.
#[utoipa::path(
    operation_id = "getCollection", tag = "collections", security(()),
    params(("slug" = String, Path, description = "The collection's slug."), documented::Conditional),
    responses(
        (status = 200, description = "The collection.", body = Collection),
        (status = 404, response = problems::CollectionNotFound), problems::PublicRead,
    )
)]
#[get("/collections/{slug}")]
pub async fn get_collection(
    state: State,
    reader: Reader,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let vis = match reader.is_admin() {
        true => Visibility::All,
        false => Visibility::Public { now: db::now() },
    };
    let found = db::run(&state.pool, move |conn| store::find(conn, &slug, vis)).await?;
    // The collection, the teasers it shows, and the article list's membership: a hidden
    // item coming into view names that (never its own id, which the public must not see).
    let mut keys = changes::shown_by_teasers(&found.items);
    keys.insert(changes::collection(&found.row.slug));
    keys.insert(changes::ARTICLE_LIST.to_owned());
    let body = collection_out(found, &state.settings);
    Ok(showing(written(StatusCode::OK, &body)?, keys))
}

/// Create a collection.
///
/// A curated front: a name, a description and an ordered list of articles (by slug or id;
/// drafts and scheduled ones may be in it, and show once published). The slug is derived
/// from the name unless given.
#[utoipa::path(
    operation_id = "createCollection", tag = "collections", security(("bearer" = [])),
    request_body = CollectionCreate,
    responses(
        (status = 201, description = "The collection was created.", body = Collection,
            headers(("Location" = String, description = "The new collection's URL."))),
        (status = 409, description = "A collection with this slug exists.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[post("/collections")]
pub async fn create_collection(
    state: State,
    _admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let new = body
        .parse_then(Shape::Object, |input: CollectionCreate| {
            let mut c = Checker::default();
            c.text("name", &input.name, validate::MAX_NAME_CHARS, true);
            if let Some(slug) = &input.slug {
                c.slug("slug", slug);
            }
            if let Some(d) = &input.description {
                c.text("description", d, 2000, false);
            }
            let articles = check_articles(&mut c, input.articles.as_deref().unwrap_or_default());
            let slug = input
                .slug
                .unwrap_or_else(|| crate::content::slugify(&input.name));
            if slug.is_empty() {
                c.fail(
                    "name",
                    "needs a letter or digit to make a slug from; give `slug`",
                );
            }
            c.finish()?;
            Ok(store::NewCollection {
                slug,
                name: input.name.trim().to_owned(),
                description: input.description,
                articles,
            })
        })
        .await?;
    let made = db::run_write(&state.pool, move |conn| {
        store::create(conn, &new, db::now())
    })
    .await?;
    let location = format!("/api/v1/collections/{}", made.row.slug);
    let mut response = written(StatusCode::CREATED, &collection_out(made, &state.settings))?;
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// Update a collection's name, slug or description.
///
/// Honours `If-Match` with the collection's ETag (as an admin GET answers it).
#[utoipa::path(
    operation_id = "updateCollection", tag = "collections", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The collection's slug."), documented::IfMatch),
    request_body = CollectionPatch,
    responses(
        (status = 200, description = "The updated collection.", body = Collection),
        (status = 404, response = problems::CollectionNotFound),
        (status = 409, description = "The new slug is in use.", body = Problem),
        (status = 412, response = problems::CollectionChanged),
        problems::AdminJsonWrite,
    )
)]
#[patch("/collections/{slug}")]
pub async fn update_collection(
    state: State,
    _admin: Admin,
    slug: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let changes = body
        .parse_then(Shape::Object, |input: CollectionPatch| {
            let mut c = Checker::default();
            if let Some(name) = &input.name {
                c.text("name", name, validate::MAX_NAME_CHARS, true);
            }
            if let Some(slug) = &input.slug {
                c.slug("slug", slug);
            }
            if let Some(Some(d)) = &input.description {
                c.text("description", d, 2000, false);
            }
            c.finish()?;
            Ok(store::CollectionChanges {
                slug: input.slug,
                name: input.name.map(|n| n.trim().to_owned()),
                description: input.description,
            })
        })
        .await?;
    let check = precondition(if_match.value()?, state.settings.clone());
    let slug = slug.into_inner();
    let made = db::run_write(&state.pool, move |conn| {
        store::update(conn, &slug, &changes, db::now(), &check)
    })
    .await?;
    written(StatusCode::OK, &collection_out(made, &state.settings))
}

/// Replace a collection's articles.
///
/// The whole order in one write: the articles, by slug or id, first to last. Honours
/// `If-Match` with the collection's ETag (as an admin GET answers it), so that two editors
/// reordering the front page do not overwrite each other. Only this collection's readers see
/// a change, and only when what they see changes.
#[utoipa::path(
    operation_id = "replaceCollectionItems", tag = "collections", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The collection's slug."), documented::IfMatch),
    request_body = CollectionItems,
    responses(
        (status = 200, description = "The collection in its new order.", body = Collection),
        (status = 404, response = problems::CollectionNotFound),
        (status = 412, response = problems::CollectionChanged),
        problems::AdminJsonWrite,
    )
)]
#[put("/collections/{slug}/items")]
pub async fn replace_items(
    state: State,
    _admin: Admin,
    slug: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let keys = body
        .parse_then(Shape::Object, |input: CollectionItems| {
            let mut c = Checker::default();
            let keys = check_articles(&mut c, &input.articles);
            c.finish()?;
            Ok(keys)
        })
        .await?;
    let check = precondition(if_match.value()?, state.settings.clone());
    let slug = slug.into_inner();
    let made = db::run_write(&state.pool, move |conn| {
        store::replace_items(conn, &slug, &keys, db::now(), &check)
    })
    .await?;
    written(StatusCode::OK, &collection_out(made, &state.settings))
}

/// Delete a collection.
///
/// Its articles stay as they are.
#[utoipa::path(
    operation_id = "deleteCollection", tag = "collections", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The collection's slug.")),
    responses(
        (status = 204, description = "The collection was deleted."),
        (status = 404, response = problems::CollectionNotFound), problems::AdminOnly,
    )
)]
#[delete("/collections/{slug}")]
pub async fn delete_collection(
    state: State,
    _admin: Admin,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    db::run_write(&state.pool, move |conn| {
        store::delete(conn, &slug, db::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
