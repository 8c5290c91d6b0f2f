//! Field checks shared by the write endpoints; each failure names its field.

use serde::{Deserialize, Deserializer};

use crate::content::{MAX_SLUG_LEN, is_valid_slug, slugify};
use crate::error::{ApiError, FieldError};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2048;

/// What [`Checker::text`] accepts for required text, as the OpenAPI document states it: no
/// control characters but tab, newline and carriage return, and something besides white space.
pub const REQUIRED_TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Every pattern the OpenAPI document states, each written here once. A schema attribute
/// names one (`#[schema(pattern = "slug")]`); the served document has the pattern itself
/// ([`crate::openapi::with_limits`]).
pub const PATTERNS: [(&str, &str); 6] = [
    // Text: no control characters but tab, newline and carriage return.
    ("text", r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"),
    ("required-text", REQUIRED_TEXT_PATTERN),
    // A slug: lowercase words of letters and digits joined by hyphens, not all digits.
    ("slug", r"^([0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$"),
    // A webhook secret: printable ASCII, no spaces.
    ("secret", r"^[!-~]+$"),
    // An http(s) URL with a host name and, if any, a port of at most 4 digits.
    (
        "http-url",
        r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?([/?#][^\s\x00-\x1F\x7F-\x9F]*)?$",
    ),
    // A webhook's http(s) URL, its port (if any) a valid one.
    (
        "webhook-url",
        r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:([0-9]{1,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?([/?#][^\s\x00-\x1F\x7F-\x9F]*)?$",
    ),
];

/// Why a time in a leap second is refused.
pub const LEAP_SECOND: &str =
    "must not fall in a leap second (second 60): stored times are counted without them";

/// Whether `value` was written with second 60. chrono reads `23:59:60.5` as a leap second,
/// which has no place in the microsecond timestamps lists page by: such a time is stored
/// as the second before or after it, depending on the query, and paging skips it or
/// loops on it.
pub fn is_leap_second<Tz: chrono::TimeZone>(value: &chrono::DateTime<Tz>) -> bool {
    use chrono::Timelike;
    value.nanosecond() >= 1_000_000_000
}

/// Collects field errors; `finish` turns them into one 422.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// How many errors were found so far: whether a check added one.
    pub fn error_count(&self) -> usize {
        self.errors.len()
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

    /// A time in the years 1 to 9999 (UTC), the range RFC 3339 can write, and not in a leap
    /// second.
    pub fn timestamp(&mut self, field: &str, value: &chrono::DateTime<chrono::Utc>) {
        use chrono::Datelike;
        if !(1..=9999).contains(&value.year()) {
            self.fail(field, "must be a time in the years 0001 to 9999 (UTC)");
        } else if is_leap_second(value) {
            self.fail(field, LEAP_SECOND);
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

    /// An absolute http or https URL with a host name (letters, digits, dots and hyphens)
    /// and an optional port: the pattern the OpenAPI document states for URL fields.
    pub fn url(&mut self, field: &str, value: &str) {
        if !is_http_url(value, 4) {
            self.fail(
                field,
                "must be an absolute http or https URL with a host name, like https://example.org/page",
            );
        }
    }

    /// Like [`Checker::url`], but with any port up to 65535: the address of a server to
    /// call (a webhook receiver), which may listen anywhere.
    pub fn server_url(&mut self, field: &str, value: &str) {
        if !is_http_url(value, 5) {
            self.fail(
                field,
                "must be an absolute http or https URL with a host name and an optional port, like https://example.org:8443/page",
            );
        }
    }

    /// A tag given by name or slug.
    pub fn tag(&mut self, field: &str, value: &str) {
        self.text(field, value, MAX_NAME_CHARS, true);
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

/// Whether `value` is an absolute http(s) URL with a host name and a port of at most
/// `port_digits` digits (and at most 65535).
fn is_http_url(value: &str, port_digits: usize) -> bool {
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return false;
    };
    if value.chars().count() > MAX_URL_CHARS
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && host
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && host
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    let port_ok = port.is_none_or(|p| {
        (1..=port_digits).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok()
    });
    host_ok && port_ok
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

#[cfg(test)]
mod tests {
    use super::is_http_url;

    #[test]
    fn urls() {
        for good in [
            "https://example.org",
            "http://a.b-c.d:8080/x?y=1#z",
            "https://x/",
        ] {
            assert!(is_http_url(good, 4), "{good}");
        }
        for bad in [
            "ftp://x",
            "javascript:alert(1)",
            "https://",
            "https://-a",
            "https://a_b",
            "https://a:99999",
            "https://a b",
            "HTTPS://a",
            "https://a/\u{7f}",
            "https://[::1]/",
            "https://user@a",
        ] {
            assert!(!is_http_url(bad, 4), "{bad}");
        }
        assert!(!is_http_url("http://127.0.0.1:54321/", 4));
        assert!(is_http_url("http://127.0.0.1:54321/", 5));
        assert!(is_http_url("http://127.0.0.1:65535/", 5));
        for bad in ["http://a:65536/", "http://a:123456/", "http://a:/"] {
            assert!(!is_http_url(bad, 5), "{bad}");
        }
    }
}
