//! `/api/v1/tags`: the topics articles are filed under.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Admin, ApiQuery, JsonBody, Reader};
use super::pagination::{self, ListMeta, PageParams};
use super::validate::{self, Checker};
use super::{State, showing, utc};
use crate::api::documented;
use crate::api::problems;
use crate::content::tag_slug;
use crate::db::{self, tags as store};
use crate::error::{ApiError, Problem};

/// A tag, with how many published articles carry it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "transport",
    "name": "Transport",
    "description": "Trams, ferries, buses, roads and bridges.",
    "article_count": 5,
    "created_at": "2026-10-01T09:00:00Z",
    "updated_at": "2026-10-01T09:00:00Z"
}))]
pub struct Tag {
    #[schema(example = "transport")]
    pub slug: String,
    #[schema(example = "Transport")]
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// Published articles with this tag.
    pub article_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of tags in slug order.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub data: Vec<Tag>,
    pub meta: ListMeta,
}

/// A new tag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Night Buses", "description": "Late services across Port Calder."}))]
pub struct TagCreate {
    #[schema(min_length = 1, max_length = 200, pattern = "required-text")]
    pub name: String,
    /// Derived from the name when absent; a slug already in use is a 409.
    #[schema(max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    #[schema(max_length = 2000, pattern = "text")]
    pub description: Option<String>,
}

/// Changes to a tag: omitted fields stay; `description: null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Trams, ferries, buses and roads."}))]
pub struct TagPatch {
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

const TAG_ORDER: &str = "slug";

/// The tags a reader sees: with an admin key every tag, else those a published article
/// carries.
pub fn scope(reader: &Reader) -> store::TagScope {
    if reader.is_admin() {
        store::TagScope::All
    } else {
        store::TagScope::Public
    }
}

pub(crate) fn tag_out(t: store::Tag) -> Tag {
    Tag {
        slug: t.row.slug,
        name: t.row.name,
        description: t.row.description,
        article_count: t.article_count,
        created_at: utc(t.row.created_at),
        updated_at: utc(t.row.updated_at),
    }
}

fn check_description(c: &mut Checker, description: Option<&str>, max: usize) {
    if let Some(d) = description {
        c.text("description", d, max, false);
    }
}

/// List tags.
///
/// The tags published articles carry, in slug order, with the number of published articles
/// carrying each, with cursor pagination as for articles. A tag no published article carries
/// yet (one made for a draft or a scheduled article, or created on its own) is listed only
/// with an admin key.
#[utoipa::path(
    operation_id = "listTags", tag = "tags", security(()),
    params(PageParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of tags.", body = TagList),
        (status = 400, response = problems::InvalidQuery), problems::PublicRead,
    )
)]
#[get("/tags")]
pub async fn list_tags(
    state: State,
    reader: Reader,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = params.by_slug(state.settings.limits.page_size, TAG_ORDER)?;
    let scope = scope(&reader);
    let page = db::run(&state.pool, move |conn| {
        store::list(conn, after.as_deref(), limit, db::now(), scope)
    })
    .await?;
    let list = TagList {
        meta: ListMeta::of(&page, limit, |last| {
            Some(pagination::encode_key(TAG_ORDER, &last.row.slug))
        }),
        data: page.items.into_iter().map(tag_out).collect(),
    };
    let keys = db::changes::Keys::from([db::changes::TAGS.to_owned()]);
    Ok(showing(HttpResponse::Ok().json(list), keys))
}

/// Get one tag.
///
/// The tag with the number of published articles carrying it. A tag no published article
/// carries is 404, as an unknown one, except with an admin key.
#[utoipa::path(
    operation_id = "getTag", tag = "tags", security(()),
    params(("slug" = String, Path, description = "The tag's slug."), documented::Conditional),
    responses(
        (status = 200, description = "The tag.", body = Tag),
        (status = 404, response = problems::PublicTagNotFound), problems::PublicRead,
    )
)]
#[get("/tags/{slug}")]
pub async fn get_tag(
    state: State,
    reader: Reader,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let scope = scope(&reader);
    let keys = db::changes::Keys::from([db::changes::tag(&slug), db::changes::tag_list(&slug)]);
    let tag = db::run(&state.pool, move |conn| {
        store::find(conn, &slug, db::now(), scope)
    })
    .await?;
    Ok(showing(HttpResponse::Ok().json(tag_out(tag)), keys))
}

/// Create a tag.
///
/// The slug is derived from the name unless given. Tags are also created implicitly when an
/// article names an unknown tag.
#[utoipa::path(
    operation_id = "createTag", tag = "tags", security(("bearer" = [])),
    request_body = TagCreate,
    responses(
        (status = 201, description = "The tag was created.", body = Tag,
            headers(("Location" = String, description = "The new tag's URL."))),
        (status = 409, description = "A tag with this slug exists.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[post("/tags")]
pub async fn create_tag(
    state: State,
    _admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input: TagCreate = body.parse().await?;
    let mut c = Checker::default();
    c.tag("name", &input.name);
    if let Some(slug) = &input.slug {
        c.slug("slug", slug);
    }
    check_description(
        &mut c,
        input.description.as_deref(),
        state.settings.limits.summary_chars,
    );
    c.finish()?;
    let new = store::NewTag {
        slug: input.slug.unwrap_or_else(|| tag_slug(&input.name)),
        name: input.name.trim().to_owned(),
        description: input.description,
    };
    let tag = db::run_write(&state.pool, move |conn| {
        store::create(conn, &new, db::now())
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/tags/{}", tag.row.slug)))
        .json(tag_out(tag)))
}

/// Update a tag.
///
/// Articles keep the tag when its name or slug changes.
#[utoipa::path(
    operation_id = "updateTag", tag = "tags", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The tag's slug.")),
    request_body = TagPatch,
    responses(
        (status = 200, description = "The updated tag.", body = Tag),
        (status = 404, response = problems::TagNotFound),
        (status = 409, description = "The new slug is in use.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[patch("/tags/{slug}")]
pub async fn update_tag(
    state: State,
    _admin: Admin,
    slug: web::Path<String>,
    body: JsonBody,
) -> Result<web::Json<Tag>, ApiError> {
    let input: TagPatch = body.parse().await?;
    let mut c = Checker::default();
    if let Some(name) = &input.name {
        c.tag("name", name);
    }
    if let Some(new_slug) = &input.slug {
        c.slug("slug", new_slug);
    }
    check_description(
        &mut c,
        input.description.as_ref().and_then(|d| d.as_deref()),
        state.settings.limits.summary_chars,
    );
    c.finish()?;
    let changes = store::TagChanges {
        name: input.name.map(|n| n.trim().to_owned()),
        slug: input.slug,
        description: input.description,
    };
    let slug = slug.into_inner();
    let tag = db::run_write(&state.pool, move |conn| {
        store::update(conn, &slug, &changes, db::now())
    })
    .await?;
    Ok(web::Json(tag_out(tag)))
}

/// Delete a tag.
///
/// The tag is removed from every article that had it.
#[utoipa::path(
    operation_id = "deleteTag", tag = "tags", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The tag's slug.")),
    responses(
        (status = 204, description = "The tag was deleted."),
        (status = 404, response = problems::TagNotFound), problems::AdminOnly,
    )
)]
#[delete("/tags/{slug}")]
pub async fn delete_tag(
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
