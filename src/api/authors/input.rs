//! Authors as written, and their checks; the bio is rendered off the async workers.

use serde::Deserialize;
use utoipa::ToSchema;

use super::model::ProfileLink;
use crate::api::images::ImageInput;
use crate::api::validate::{self, Checker};
use crate::content::{self, slugify};
use crate::db::authors as store;
use crate::error::ApiError;

/// The longest bio, in characters.
pub const MAX_BIO_CHARS: usize = 5000;
/// The most links on a profile.
pub const MAX_LINKS: usize = 10;

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
    pub(super) fn into_changes(self) -> Result<store::AuthorChanges, ApiError> {
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
