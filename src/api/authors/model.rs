//! Authors as read: the profile, the credit an article shows, and the byline made from
//! their names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::images::{ImageOut, image_out};
use crate::api::pagination::ListMeta;
use crate::api::utc;
use crate::db::authors as store;
use crate::images::ImageService;

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
