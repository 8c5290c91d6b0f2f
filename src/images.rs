//! Pictures: an image as stored (an article's feature image, an author's portrait), and the
//! publisher's image service that gives each one its renditions.

use serde::{Deserialize, Serialize};

/// Where the subject of a picture is, as fractions of its width and height from the top
/// left: crops keep it in view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"x": 0.5, "y": 0.4}))]
pub struct FocalPoint {
    #[schema(minimum = 0, maximum = 1)]
    pub x: f64,
    #[schema(minimum = 0, maximum = 1)]
    pub y: f64,
}

/// An image as stored: a JSON text column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Image {
    pub url: String,
    #[serde(default)]
    pub alt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_point: Option<FocalPoint>,
}

impl Image {
    /// The image a JSON column holds, if it holds one. Only Gazette writes the column; text
    /// it cannot read shows no image rather than failing the read.
    pub fn from_stored(stored: Option<&str>) -> Option<Self> {
        stored.and_then(|s| serde_json::from_str(s).ok())
    }

    /// The column's text.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The column's text of an image, if any.
    pub fn stored(image: Option<&Self>) -> Option<String> {
        image.map(Self::to_stored)
    }
}

/// A stored image column, read as the image it holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageColumn(pub Option<Image>);

impl From<Option<String>> for ImageColumn {
    fn from(stored: Option<String>) -> Self {
        Self(Image::from_stored(stored.as_deref()))
    }
}

/// The widths renditions are made at unless `IMAGE_WIDTHS` says otherwise.
pub const DEFAULT_WIDTHS: [u32; 5] = [320, 640, 960, 1280, 1920];

/// The publisher's image service: a URL template with `{width}` and `{url}` (the original's
/// URL, percent-encoded) or `{raw_url}` (as it is), and the widths to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageService {
    pub template: Option<String>,
    pub widths: Vec<u32>,
}

impl Default for ImageService {
    fn default() -> Self {
        Self {
            template: None,
            widths: DEFAULT_WIDTHS.to_vec(),
        }
    }
}

/// One size of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub url: String,
}

impl ImageService {
    /// The sizes an image is offered at, narrowest first: with a template, one per width no
    /// wider than the original (all of them when its width is unknown); without one, the
    /// original alone.
    pub fn renditions(&self, image: &Image) -> Vec<Rendition> {
        let Some(template) = &self.template else {
            return vec![Rendition {
                width: image.width,
                height: image.height,
                url: image.url.clone(),
            }];
        };
        let encoded = encode(&image.url);
        let mut out: Vec<Rendition> = self
            .widths
            .iter()
            .copied()
            .filter(|w| image.width.is_none_or(|original| *w <= original))
            .map(|width| Rendition {
                width: Some(width),
                height: scaled(image, width),
                url: template
                    .replace("{width}", &width.to_string())
                    .replace("{url}", &encoded)
                    .replace("{raw_url}", &image.url),
            })
            .collect();
        if out.is_empty() {
            // Every width is wider than the original: offer it at its own width.
            let width = image.width.unwrap_or_default();
            out.push(Rendition {
                width: Some(width),
                height: image.height,
                url: template
                    .replace("{width}", &width.to_string())
                    .replace("{url}", &encoded)
                    .replace("{raw_url}", &image.url),
            });
        }
        out
    }

    /// The `srcset` of renditions whose widths are known; `None` when none is.
    pub fn srcset(renditions: &[Rendition]) -> Option<String> {
        let parts: Vec<String> = renditions
            .iter()
            .filter_map(|r| r.width.map(|w| format!("{} {w}w", r.url)))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The height of `image` shown `width` wide, when its size is known.
fn scaled(image: &Image, width: u32) -> Option<u32> {
    match (image.width, image.height) {
        (Some(w), Some(h)) if w > 0 => {
            Some(((u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w)) as u32)
        }
        _ => None,
    }
}

/// `url` percent-encoded as one path segment or query value.
fn encode(url: &str) -> String {
    let mut out = String::with_capacity(url.len() * 3 / 2);
    for b in url.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks `IMAGE_URL_TEMPLATE`: an http(s) URL naming `{width}` and the original's URL.
pub fn parse_template(template: &str) -> Result<String, String> {
    let t = template.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    if !(t.starts_with("https://") || t.starts_with("http://")) {
        return Err("must be an http or https URL".to_owned());
    }
    if !t.contains("{width}") || !(t.contains("{url}") || t.contains("{raw_url}")) {
        return Err("must contain {width} and {url} (or {raw_url})".to_owned());
    }
    Ok(t.to_owned())
}

/// Checks one of `IMAGE_WIDTHS`.
pub fn parse_width(width: &str) -> Result<u32, String> {
    match width.trim().parse::<u32>() {
        Ok(w) if (1..=10_000).contains(&w) => Ok(w),
        _ => Err(format!("`{width}` is not a width from 1 to 10000")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: Option<u32>) -> Image {
        Image {
            url: "https://cdn.example.com/a b.jpg".to_owned(),
            alt: "A tram".to_owned(),
            width,
            height: width.map(|w| w / 2),
            ..Image::default()
        }
    }

    #[test]
    fn without_a_template_only_the_original() {
        let service = ImageService::default();
        let r = service.renditions(&picture(Some(1000)));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].url, "https://cdn.example.com/a b.jpg");
        assert_eq!(
            ImageService::srcset(&r).as_deref(),
            Some("https://cdn.example.com/a b.jpg 1000w")
        );
        assert_eq!(
            ImageService::srcset(&service.renditions(&picture(None))),
            None
        );
    }

    #[test]
    fn renditions_never_wider_than_the_original() {
        let service = ImageService {
            template: Some("https://img.example.com/{width}/{url}".to_owned()),
            widths: DEFAULT_WIDTHS.to_vec(),
        };
        let r = service.renditions(&picture(Some(1000)));
        let widths: Vec<_> = r.iter().map(|r| r.width.unwrap()).collect();
        assert_eq!(widths, [320, 640, 960]);
        assert_eq!(r[0].height, Some(160));
        assert_eq!(
            r[0].url,
            "https://img.example.com/320/https%3A%2F%2Fcdn.example.com%2Fa%20b.jpg"
        );
        assert_eq!(service.renditions(&picture(None)).len(), 5);
        let small = service.renditions(&picture(Some(100)));
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].width, Some(100));
    }

    #[test]
    fn templates_are_checked() {
        assert!(parse_template("https://img.example.com/{width}/{url}").is_ok());
        assert!(parse_template("https://img.example.com/{url}").is_err());
        assert!(parse_template("ftp://img.example.com/{width}/{url}").is_err());
        assert_eq!(parse_template(" ").unwrap(), "");
        assert!(parse_width("0").is_err());
        assert_eq!(parse_width(" 640").unwrap(), 640);
    }
}
