//! Field checks shared by the write endpoints; each failure names its field.

use serde::{Deserialize, Deserializer};

use crate::content::{MAX_SLUG_LEN, is_valid_slug, slugify};
use crate::error::{ApiError, FieldError};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_TAGS: usize = 20;
pub const MAX_RELATED: usize = 50;

/// Collects field errors; `finish` turns them into one 422.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Text of at most `max` characters, without control characters; non-blank if `required`.
    pub fn text(&mut self, field: &str, value: &str, max: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.fail(field, "must not contain control characters");
        }
    }

    /// A slug in canonical form that contains a letter (all-digit keys are ids).
    pub fn slug(&mut self, field: &str, value: &str) {
        if !is_valid_slug(value) {
            self.fail(
                field,
                format!("must be 1 to {MAX_SLUG_LEN} lowercase letters, digits and single hyphens, like '{}'", {
                    let s = slugify(value);
                    if s.is_empty() { "my-article".to_owned() } else { s }
                }),
            );
        } else if !value.bytes().any(|b| b.is_ascii_lowercase()) {
            self.fail(
                field,
                "must contain at least one letter (all-digit values are ids)",
            );
        }
    }

    /// An absolute http or https URL.
    pub fn url(&mut self, field: &str, value: &str) {
        let ok = value.len() <= MAX_URL_CHARS
            && url::Url::parse(value)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            self.fail(field, "must be an absolute http or https URL");
        }
    }

    /// A tag given by name or slug: something with a slug form.
    pub fn tag(&mut self, field: &str, value: &str) {
        self.text(field, value, MAX_NAME_CHARS, true);
        if !value.trim().is_empty() && slugify(value).is_empty() {
            self.fail(field, "must contain at least one letter or digit");
        }
    }

    pub fn count(&mut self, field: &str, len: usize, max: usize) {
        if len > max {
            self.fail(field, format!("must have at most {max} items"));
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

/// For PATCH fields that may be omitted but not `null`.
pub fn present<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(de).map(Some)
}

/// For PATCH fields where `null` clears the value: absent → `None`, null → `Some(None)`.
pub fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
