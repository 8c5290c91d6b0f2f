//! `/api/v1/authors`: the newsroom's writers, their profiles and how many public articles
//! each wrote. Their articles are `/api/v1/articles?author={slug}`.

mod input;
mod model;

pub use input::{AuthorCreate, AuthorPatch, MAX_BIO_CHARS, MAX_LINKS};
pub use model::{ArticleAuthor, Author, AuthorList, ProfileLink, byline_of};
pub(crate) use model::{author_out, credit_out};

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};

use super::extract::{Admin, ApiQuery, JsonBody, Shape};
use super::pagination::{self, ListMeta, PageParams};
use super::{AppState, State, documented, problems, showing};
use crate::db::{self, authors as store, changes};
use crate::error::{ApiError, Problem};

const AUTHOR_ORDER: &str = "author-slug";

/// List authors.
///
/// Every author, in slug order, each with the number of published articles crediting them,
/// with cursor pagination as for articles. An author's articles are
/// `/api/v1/articles?author={slug}`.
#[utoipa::path(
    operation_id = "listAuthors", tag = "authors", security(()),
    params(PageParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of authors.", body = AuthorList),
        (status = 400, response = problems::InvalidQuery), problems::PublicRead,
    )
)]
#[get("/authors")]
pub async fn list_authors(
    state: State,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = params.by_slug(state.settings.limits.page_size, AUTHOR_ORDER)?;
    let page = db::run(&state.pool, move |conn| {
        store::list(conn, after.as_deref(), limit, db::now())
    })
    .await?;
    let list = AuthorList {
        meta: ListMeta::of(&page, limit, |last| {
            Some(pagination::encode_key(AUTHOR_ORDER, &last.row.slug))
        }),
        data: page
            .items
            .into_iter()
            .map(|a| author_out(a, &state.settings.images))
            .collect(),
    };
    let keys = changes::Keys::from([changes::AUTHORS.to_owned()]);
    Ok(showing(HttpResponse::Ok().json(list), keys))
}

/// Get one author.
///
/// Their profile, with the number of published articles crediting them.
#[utoipa::path(
    operation_id = "getAuthor", tag = "authors", security(()),
    params(("slug" = String, Path, description = "The author's slug."), documented::Conditional),
    responses(
        (status = 200, description = "The author.", body = Author),
        (status = 404, response = problems::AuthorNotFound), problems::PublicRead,
    )
)]
#[get("/authors/{slug}")]
pub async fn get_author(state: State, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let author = db::run(&state.pool, move |conn| store::find(conn, &slug, db::now())).await?;
    let keys = changes::Keys::from([
        changes::author(author.row.id),
        changes::author_list(&author.row.slug),
    ]);
    Ok(showing(
        HttpResponse::Ok().json(author_out(author, &state.settings.images)),
        keys,
    ))
}

fn created(state: &AppState, author: store::Author) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/authors/{}", author.row.slug),
        ))
        .json(author_out(author, &state.settings.images))
}

/// Create an author.
///
/// The slug is derived from the name unless given; the bio (Markdown) is rendered to
/// sanitized HTML.
#[utoipa::path(
    operation_id = "createAuthor", tag = "authors", security(("bearer" = [])),
    request_body = AuthorCreate,
    responses(
        (status = 201, description = "The author was created.", body = Author,
            headers(("Location" = String, description = "The new author's URL."))),
        (status = 409, description = "An author with this slug exists.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[post("/authors")]
pub async fn create_author(
    state: State,
    _admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let new = body
        .parse_then(Shape::Object, |input: AuthorCreate| input.into_new())
        .await?;
    let author = db::run_write(&state.pool, move |conn| {
        store::create(conn, &new, db::now())
    })
    .await?;
    Ok(created(&state, author))
}

/// Update an author.
///
/// Every article crediting them shows the change (name, role, portrait, and a byline made
/// from the names).
#[utoipa::path(
    operation_id = "updateAuthor", tag = "authors", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The author's slug.")),
    request_body = AuthorPatch,
    responses(
        (status = 200, description = "The updated author.", body = Author),
        (status = 404, response = problems::AuthorNotFound),
        (status = 409, description = "The new slug is in use.", body = Problem),
        problems::AdminJsonWrite,
    )
)]
#[patch("/authors/{slug}")]
pub async fn update_author(
    state: State,
    _admin: Admin,
    slug: web::Path<String>,
    body: JsonBody,
) -> Result<web::Json<Author>, ApiError> {
    let changes = body
        .parse_then(Shape::Object, |input: AuthorPatch| input.into_changes())
        .await?;
    let slug = slug.into_inner();
    let author = db::run_write(&state.pool, move |conn| {
        store::update(conn, &slug, &changes, db::now())
    })
    .await?;
    Ok(web::Json(author_out(author, &state.settings.images)))
}

/// Delete an author.
///
/// They are taken off every article crediting them.
#[utoipa::path(
    operation_id = "deleteAuthor", tag = "authors", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The author's slug.")),
    responses(
        (status = 204, description = "The author was deleted."),
        (status = 404, response = problems::AuthorNotFound), problems::AdminOnly,
    )
)]
#[delete("/authors/{slug}")]
pub async fn delete_author(
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
