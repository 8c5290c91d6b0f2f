//! Images as written and as read: an article's feature image, an author's portrait.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validate::{Checker, MAX_NAME_CHARS};
use crate::images::{FocalPoint, Image, ImageService};

/// The longest `alt` and `caption`.
pub const MAX_ALT_CHARS: usize = 1000;

/// An image as written.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://cdn.example.com/2026/11/tram-depot.jpg",
    "alt": "A tram leaves the harbourfront depot at dusk",
    "caption": "The first trams will reach the ferry terminal in 2028.",
    "credit": "Photograph: Lena Marsh",
    "width": 1600,
    "height": 900,
    "focal_point": {"x": 0.4, "y": 0.55}
}))]
pub struct ImageInput {
    /// An absolute http or https URL with a host name and an optional port (an image
    /// server may listen anywhere).
    #[schema(max_length = 2048, pattern = "webhook-url")]
    pub url: String,
    /// What the picture shows, for readers who cannot see it: required.
    #[schema(min_length = 1, max_length = 1000, pattern = "required-text")]
    pub alt: String,
    #[schema(max_length = 1000, pattern = "text")]
    pub caption: Option<String>,
    /// Who made it ("Photograph: …").
    #[schema(max_length = 200, pattern = "text")]
    pub credit: Option<String>,
    /// The original's width in pixels.
    #[schema(minimum = 1, maximum = 100000)]
    pub width: Option<u32>,
    /// The original's height in pixels.
    #[schema(minimum = 1, maximum = 100000)]
    pub height: Option<u32>,
    pub focal_point: Option<FocalPoint>,
}

impl ImageInput {
    /// Checks the image, naming its fields under `field`; returns it as stored.
    pub fn check(self, c: &mut Checker, field: &str) -> Image {
        c.server_url(&format!("{field}.url"), &self.url);
        c.text(&format!("{field}.alt"), &self.alt, MAX_ALT_CHARS, true);
        if let Some(caption) = &self.caption {
            c.text(&format!("{field}.caption"), caption, MAX_ALT_CHARS, false);
        }
        if let Some(credit) = &self.credit {
            c.text(&format!("{field}.credit"), credit, MAX_NAME_CHARS, false);
        }
        for (name, size) in [("width", self.width), ("height", self.height)] {
            if size.is_some_and(|s| !(1..=100_000).contains(&s)) {
                c.fail(format!("{field}.{name}"), "must be from 1 to 100000");
            }
        }
        if let Some(p) = self.focal_point {
            for (name, v) in [("x", p.x), ("y", p.y)] {
                if !(0.0..=1.0).contains(&v) {
                    c.fail(
                        format!("{field}.focal_point.{name}"),
                        "must be from 0 to 1 (a fraction of the picture from its top left)",
                    );
                }
            }
        }
        let blank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        Image {
            url: self.url,
            alt: self.alt.trim().to_owned(),
            caption: blank(self.caption),
            credit: blank(self.credit),
            width: self.width,
            height: self.height,
            focal_point: self.focal_point,
        }
    }
}

/// One size of an image.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rendition {
    /// Its width in pixels; `null` for an original of unknown size.
    #[schema(required = true, example = 640)]
    pub width: Option<u32>,
    #[schema(required = true, example = 360)]
    pub height: Option<u32>,
    #[schema(
        example = "https://img.example.com/640/https%3A%2F%2Fcdn.example.com%2F2026%2F11%2Ftram-depot.jpg"
    )]
    pub url: String,
}

/// An image as read, with the sizes it is offered at.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "url": "https://cdn.example.com/2026/11/tram-depot.jpg",
    "alt": "A tram leaves the harbourfront depot at dusk",
    "caption": "The first trams will reach the ferry terminal in 2028.",
    "credit": "Photograph: Lena Marsh",
    "width": 1600,
    "height": 900,
    "focal_point": {"x": 0.4, "y": 0.55},
    "renditions": [
        {"width": 320, "height": 180, "url": "https://img.example.com/320/https%3A%2F%2Fcdn.example.com%2F2026%2F11%2Ftram-depot.jpg"},
        {"width": 640, "height": 360, "url": "https://img.example.com/640/https%3A%2F%2Fcdn.example.com%2F2026%2F11%2Ftram-depot.jpg"}
    ],
    "srcset": "https://img.example.com/320/https%3A%2F%2Fcdn.example.com%2F2026%2F11%2Ftram-depot.jpg 320w, https://img.example.com/640/https%3A%2F%2Fcdn.example.com%2F2026%2F11%2Ftram-depot.jpg 640w"
}))]
pub struct ImageOut {
    /// The original.
    pub url: String,
    /// What the picture shows (empty only for an image given by `feature_image_url` alone).
    pub alt: String,
    #[schema(required = true)]
    pub caption: Option<String>,
    #[schema(required = true)]
    pub credit: Option<String>,
    #[schema(required = true)]
    pub width: Option<u32>,
    #[schema(required = true)]
    pub height: Option<u32>,
    #[schema(required = true)]
    pub focal_point: Option<FocalPoint>,
    /// The sizes the publisher's image service (`IMAGE_URL_TEMPLATE`) offers, narrowest
    /// first, none wider than the original; without a service, the original alone.
    pub renditions: Vec<Rendition>,
    /// The renditions as an HTML `srcset`; `null` when no width is known.
    #[schema(required = true)]
    pub srcset: Option<String>,
}

/// `image` as read, with its renditions from `service`.
pub fn image_out(image: Image, service: &ImageService) -> ImageOut {
    let renditions = service.renditions(&image);
    let srcset = ImageService::srcset(&renditions);
    ImageOut {
        renditions: renditions
            .into_iter()
            .map(|r| Rendition {
                width: r.width,
                height: r.height,
                url: r.url,
            })
            .collect(),
        srcset,
        url: image.url,
        alt: image.alt,
        caption: image.caption,
        credit: image.credit,
        width: image.width,
        height: image.height,
        focal_point: image.focal_point,
    }
}
