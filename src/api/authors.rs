//! `/api/v1/authors`: the newsroom's writers, their profiles and how many public articles
//! each wrote. Their articles are `/api/v1/articles?author={slug}`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Admin, ApiQuery, JsonBody, Shape};
use super::images::{ImageInput, ImageOut, image_out};
use super::pagination::{self, ListMeta, PageParams};
use super::validate::{self, Checker};
use super::{AppState, State, documented, problems, showing, utc};

use crate::content::{self, slugify};
use crate::db::{self, authors as store, changes};
use crate::error::{ApiError, Problem};
use crate::images::ImageService;

/// The longest bio, in characters.
pub const MAX_BIO_CHARS: usize = 5000;
/// The most links on a profile.
pub const MAX_LINKS: usize = 10;

/// A link on an author's profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Website", "url": "https://example.org/mara-okafor"}))]
pub struct ProfileLink {
    /// What the link is: "Website", "Mastodon", …
    #[schema(min_length = 1, max_length = 100, pattern = "required-text")]
    pub label: String,
    /// An absolute http or https URL with a host name.
    #[schema(max_length = 2048, pattern = "http-url")]
    pub url: String,
}

/// A writer of the newsroom.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "mara-okafor",
    "name": "Mara Okafor",
    "role": "City hall reporter",
    "bio": "Mara covers the council and its budget.",
    "bio_html": "<p>Mara covers the council and its budget.</p>\n",
    "image": null,
    "links": [{"label": "Website", "url": "https://example.org/mara-okafor"}],
    "article_count": 3,
    "created_at": "2026-10-01T09:00:00Z",
    "updated_at": "2026-10-01T09:00:00Z"
}))]
pub struct Author {
    pub slug: String,
    pub name: String,
    #[schema(required = true)]
    pub role: Option<String>,
    /// Markdown source.
    #[schema(required = true)]
    pub bio: Option<String>,
    /// The bio rendered and sanitized.
    #[schema(required = true)]
    pub bio_html: Option<String>,
    /// Their portrait.
    #[schema(required = true)]
    pub image: Option<ImageOut>,
    pub links: Vec<ProfileLink>,
    /// How many published articles credit them.
    pub article_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An author as an article shows them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "mara-okafor", "name": "Mara Okafor", "role": "City hall reporter", "image": null}))]
pub struct ArticleAuthor {
    pub slug: String,
    pub name: String,
    #[schema(required = true)]
    pub role: Option<String>,
    #[schema(required = true)]
    pub image: Option<ImageOut>,
}

/// A page of authors.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorList {
    pub data: Vec<Author>,
    pub meta: ListMeta,
}

/// A new author.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Lena Marsh",
    "role": "Photographer",
    "bio": "Lena photographs the harbour and the people who work on it.",
    "links": [{"label": "Website", "url": "https://example.org/lena-marsh"}]
}))]
pub struct AuthorCreate {
    #[schema(min_length = 1, max_length = 200, pattern = "required-text")]
    pub name: String,
    /// Derived from the name when absent; one in use is a 409.
    #[schema(max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    #[schema(max_length = 200, pattern = "text")]
    pub role: Option<String>,
    /// Markdown.
    #[schema(max_length = 5000, pattern = "text")]
    pub bio: Option<String>,
    pub image: Option<ImageInput>,
    #[schema(max_items = 10)]
    pub links: Option<Vec<ProfileLink>>,
}

/// Changes to an author: omitted fields stay; `null` clears `role`, `bio` and `image`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "Political editor"}))]
pub struct AuthorPatch {
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = "required-text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, max_length = 80, pattern = "slug")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "text")]
    pub role: Option<Option<String>>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = "text")]
    pub bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "validate::nullable")]
    #[schema(value_type = Option<ImageInput>)]
    pub image: Option<Option<ImageInput>>,
    /// Replaces the links.
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = Vec<ProfileLink>, max_items = 10)]
    pub links: Option<Vec<ProfileLink>>,
}

const AUTHOR_ORDER: &str = "author-slug";

pub(crate) fn author_out(a: store::Author, images: &ImageService) -> Author {
    let row = a.row;
    Author {
        slug: row.slug,
        name: row.name,
        role: row.role,
        bio: row.bio,
        bio_html: row.bio_html,
        image: row.image.0.map(|i| image_out(i, images)),
        links: row
            .links
            .0
            .into_iter()
            .map(|l| ProfileLink {
                label: l.label,
                url: l.url,
            })
            .collect(),
        article_count: a.article_count,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

/// An article's author as shown on it.
pub(crate) fn credit_out(a: store::AuthorRef, images: &ImageService) -> ArticleAuthor {
    ArticleAuthor {
        slug: a.slug,
        name: a.name,
        role: a.role,
        image: a.image.map(|i| image_out(i, images)),
    }
}

/// "By A", "By A and B", "By A, B and C": a byline made from the authors' names.
pub fn byline_of(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("By {one}")),
        [rest @ .., last] => Some(format!("By {} and {last}", rest.join(", "))),
    }
}

fn check_links(c: &mut Checker, links: &[ProfileLink]) {
    c.count("links", links.len(), MAX_LINKS);
    for (i, link) in links.iter().enumerate() {
        c.text(&format!("links[{i}].label"), &link.label, 100, true);
        c.url(&format!("links[{i}].url"), &link.url);
    }
}

fn stored_links(links: Vec<ProfileLink>) -> Vec<store::ProfileLink> {
    links
        .into_iter()
        .map(|l| store::ProfileLink {
            label: l.label.trim().to_owned(),
            url: l.url,
        })
        .collect()
}

/// The bio rendered (Markdown to sanitized HTML), or a 422 naming it.
fn render_bio(bio: String) -> Result<(String, String), ApiError> {
    let html = content::render(&bio)
        .map_err(|e| ApiError::invalid(vec![crate::error::FieldError::new("bio", e.to_string())]))?
        .html;
    Ok((bio, html))
}

fn blank_to_none(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

impl AuthorCreate {
    /// Validates the author and renders the bio (slow work: call it off the async workers).
    pub fn into_new(self) -> Result<store::NewAuthor, ApiError> {
        let mut c = Checker::default();
        c.text("name", &self.name, validate::MAX_NAME_CHARS, true);
        if let Some(slug) = &self.slug {
            c.slug("slug", slug);
        }
        if let Some(role) = &self.role {
            c.text("role", role, validate::MAX_NAME_CHARS, false);
        }
        if let Some(bio) = &self.bio {
            c.text("bio", bio, MAX_BIO_CHARS, false);
        }
        let links = self.links.unwrap_or_default();
        check_links(&mut c, &links);
        let image = self.image.map(|i| i.check(&mut c, "image"));
        let slug = self.slug.unwrap_or_else(|| slugify(&self.name));
        if slug.is_empty() {
            c.fail(
                "name",
                "needs a letter or digit to make a slug from; give `slug`",
            );
        }
        c.finish()?;
        Ok(store::NewAuthor {
            slug,
            name: self.name.trim().to_owned(),
            role: blank_to_none(self.role),
            bio: blank_to_none(self.bio).map(render_bio).transpose()?,
            image,
            links: stored_links(links),
        })
    }
}

impl AuthorPatch {
    fn into_changes(self) -> Result<store::AuthorChanges, ApiError> {
        let mut c = Checker::default();
        if let Some(name) = &self.name {
            c.text("name", name, validate::MAX_NAME_CHARS, true);
        }
        if let Some(slug) = &self.slug {
            c.slug("slug", slug);
        }
        if let Some(Some(role)) = &self.role {
            c.text("role", role, validate::MAX_NAME_CHARS, false);
        }
        if let Some(Some(bio)) = &self.bio {
            c.text("bio", bio, MAX_BIO_CHARS, false);
        }
        if let Some(links) = &self.links {
            check_links(&mut c, links);
        }
        let image = self.image.map(|i| i.map(|i| i.check(&mut c, "image")));
        c.finish()?;
        Ok(store::AuthorChanges {
            name: self.name.map(|n| n.trim().to_owned()),
            slug: self.slug,
            role: self.role.map(blank_to_none),
            bio: match self.bio {
                Some(bio) => Some(blank_to_none(bio).map(render_bio).transpose()?),
                None => None,
            },
            image,
            links: self.links.map(stored_links),
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::byline_of;

    #[test]
    fn bylines_join_names_as_a_sentence() {
        assert_eq!(byline_of(&[]), None);
        assert_eq!(byline_of(&["A"]).unwrap(), "By A");
        assert_eq!(byline_of(&["A", "B"]).unwrap(), "By A and B");
        assert_eq!(byline_of(&["A", "B", "C"]).unwrap(), "By A, B and C");
    }
}
