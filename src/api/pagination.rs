//! Cursor pagination shared by every list: opaque cursors and the `meta` object.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: i64 = 20;

/// The parameters of a list ordered by slug (tags, authors, collections): a page size and a
/// cursor.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100.
    #[serde(default, deserialize_with = "super::validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` from the previous page.
    #[serde(default, deserialize_with = "super::validate::present")]
    cursor: Option<String>,
}

impl PageParams {
    /// The page size (at most `max`) and the slug to start after, for a list whose cursors
    /// name `order`.
    pub fn by_slug(&self, max: i64, order: &str) -> Result<(i64, Option<String>), ApiError> {
        request(self.limit.as_deref(), self.cursor.as_deref(), max, |c| {
            decode_key(order, c)
        })
    }
}

/// Paging information of a list response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// The page size used.
    #[schema(example = 20, minimum = 1, maximum = 100)]
    pub limit: i64,
    /// How many items match the filters, on all pages.
    #[schema(example = 137)]
    pub total: i64,
    /// Whether another page follows.
    pub has_more: bool,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(required = true, example = "cGR8MTc5NTUwNTQwMDAwMDAwMHwx")]
    pub next_cursor: Option<String>,
}

impl ListMeta {
    /// The meta of a page of `limit` items out of `total`, followed by `next_cursor` if any.
    pub fn new(limit: i64, total: i64, next_cursor: Option<String>) -> Self {
        Self {
            limit,
            total,
            has_more: next_cursor.is_some(),
            next_cursor,
        }
    }

    /// The meta of `page`, `limit` items long, with its next cursor made by `cursor_of` from
    /// its last item when more follow.
    pub fn of<T>(
        page: &crate::db::Page<T>,
        limit: i64,
        cursor_of: impl FnOnce(&T) -> Option<String>,
    ) -> Self {
        Self::new(limit, page.total, next_cursor(page, cursor_of))
    }
}

/// The page size (`limit`, at most `max`) and the position `cursor` continues from, as
/// `decode` reads it: what every list takes from its query.
pub fn request<P>(
    limit: Option<&str>,
    cursor: Option<&str>,
    max: i64,
    decode: impl FnOnce(&str) -> Result<P, ApiError>,
) -> Result<(i64, Option<P>), ApiError> {
    Ok((self::limit(limit, max)?, after(cursor, decode)?))
}

/// The page size from the `limit` parameter: 1 to `max` (the configured page size),
/// default 20 (or `max` if smaller).
pub fn limit(raw: Option<&str>, max: i64) -> Result<i64, ApiError> {
    limit_in(raw, DEFAULT_LIMIT.min(max), max)
}

/// The `limit` parameter: a whole number from 1 to `max`, `default` when absent.
pub fn limit_in(raw: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(query_error(
            "limit",
            format!("must be a whole number from 1 to {max}, got '{raw}'"),
        )),
    }
}

/// The position the `cursor` parameter continues from, as `decode` reads it; `None` for the
/// first page, which an empty `cursor=` also asks for (it is schema-valid, and clients that
/// always send the parameter send it so).
pub fn after<P>(
    raw: Option<&str>,
    decode: impl FnOnce(&str) -> Result<P, ApiError>,
) -> Result<Option<P>, ApiError> {
    raw.filter(|c| !c.is_empty()).map(decode).transpose()
}

/// The next page's cursor of `page`, made by `cursor_of` from its last item, when more follow.
pub fn next_cursor<T>(
    page: &crate::db::Page<T>,
    cursor_of: impl FnOnce(&T) -> Option<String>,
) -> Option<String> {
    page.items
        .last()
        .filter(|_| page.has_more)
        .and_then(cursor_of)
}

/// A cursor after the numeric id `id`, in a list ordered by id.
pub fn encode_id(order: &str, id: i64) -> String {
    encode_key(order, &id.to_string())
}

pub fn decode_id(order: &str, cursor: &str) -> Result<i64, ApiError> {
    decode_key(order, cursor)?
        .parse()
        .map_err(|_| invalid_cursor())
}

/// A cursor after search position `(rank, id)`; the rank is kept bit for bit.
pub fn encode_rank(order: &str, (rank, id): (f64, i64)) -> String {
    URL_SAFE_NO_PAD.encode(format!("{order}|{:x}|{id}", rank.to_bits()))
}

pub fn decode_rank(order: &str, cursor: &str) -> Result<(f64, i64), ApiError> {
    let (bits, id) = decode_position(order, cursor)?;
    let rank = u64::from_str_radix(&bits, 16)
        .map(f64::from_bits)
        .map_err(|_| invalid_cursor())?;
    if !rank.is_finite() {
        return Err(invalid_cursor());
    }
    Ok((rank, id))
}

/// The position `(sort value, id)` in a cursor issued for `order`, the value still as text.
fn decode_position(order: &str, cursor: &str) -> Result<(String, i64), ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
    let mut parts = text.split('|');
    let (Some(o), Some(value), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid_cursor());
    };
    if o != order {
        return Err(invalid_cursor());
    }
    let id = id.parse().map_err(|_| invalid_cursor())?;
    Ok((value.to_owned(), id))
}

/// An RFC 8288 `Link` value to the same list with `cursor` set: the next page.
pub fn next_link(path: &str, query: &str, cursor: &str) -> String {
    let mut next = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name != "cursor" {
            next.append_pair(&name, &value);
        }
    }
    next.append_pair("cursor", cursor);
    format!("<{path}?{}>; rel=\"next\"", next.finish())
}

pub fn query_error(field: &str, message: String) -> ApiError {
    ApiError::InvalidQuery {
        detail: format!("Invalid query parameter `{field}`: {message}."),
        errors: vec![FieldError::new(field, message)],
    }
}

/// The error of a cursor this list did not issue.
pub fn invalid_cursor() -> ApiError {
    query_error(
        "cursor",
        "is not a cursor this list issued; pass `next_cursor` from the previous page unchanged, with the same filters and sort".to_owned(),
    )
}

/// A cursor for keyset position `(ts, id)` in the list order named `order`.
pub fn encode_keyset(order: &str, (ts, id): (NaiveDateTime, i64)) -> String {
    let micros = ts.and_utc().timestamp_micros();
    URL_SAFE_NO_PAD.encode(format!("{order}|{micros}|{id}"))
}

/// The keyset position in `cursor`, which must have been issued for `order`.
pub fn decode_keyset(order: &str, cursor: &str) -> Result<(NaiveDateTime, i64), ApiError> {
    let (micros, id) = decode_position(order, cursor)?;
    let micros: i64 = micros.parse().map_err(|_| invalid_cursor())?;
    let ts = DateTime::from_timestamp_micros(micros).ok_or_else(invalid_cursor)?;
    Ok((ts.naive_utc(), id))
}

/// A cursor positioned after the key `key` (for lists ordered by a unique string).
pub fn encode_key(order: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{order}|{key}"))
}

pub fn decode_key(order: &str, cursor: &str) -> Result<String, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
    match text.split_once('|') {
        Some((o, key)) if o == order => Ok(key.to_owned()),
        _ => Err(invalid_cursor()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_cursor_round_trips_and_rejects_other_orders() {
        let ts = DateTime::from_timestamp_micros(1_764_000_000_123_456)
            .unwrap()
            .naive_utc();
        let cursor = encode_keyset("p", (ts, 42));
        assert_eq!(decode_keyset("p", &cursor).unwrap(), (ts, 42));
        assert!(decode_keyset("u", &cursor).is_err());
        assert!(decode_keyset("p", "not-a-cursor!").is_err());
        assert!(decode_keyset("p", &URL_SAFE_NO_PAD.encode("p|1|2|3")).is_err());
    }

    #[test]
    fn rank_cursor_round_trips_exactly() {
        let cursor = encode_rank("s", (-3.141592653589793e-7, 9));
        assert_eq!(
            decode_rank("s", &cursor).unwrap(),
            (-3.141592653589793e-7, 9)
        );
        assert!(decode_rank("pd", &cursor).is_err());
    }

    #[test]
    fn next_link_keeps_the_filters_and_replaces_the_cursor() {
        assert_eq!(
            next_link(
                "/api/v1/articles",
                "tag=a&cursor=old&tag=b%20c&limit=2",
                "NEW"
            ),
            "</api/v1/articles?tag=a&tag=b+c&limit=2&cursor=NEW>; rel=\"next\""
        );
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        let decode = |c: &str| decode_id("i", c);
        assert_eq!(after(Some(""), decode).unwrap(), None);
        assert_eq!(after(None, decode).unwrap(), None);
        assert_eq!(after(Some(&encode_id("i", 7)), decode).unwrap(), Some(7));
        assert!(after(Some("x"), decode).is_err());
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(limit(None, 100).unwrap(), 20);
        assert_eq!(limit(Some("100"), 100).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(limit(Some(bad), 100).is_err(), "{bad}");
        }
        // A configured page size below the default lowers the default too.
        assert_eq!(limit(None, 10).unwrap(), 10);
        assert!(limit(Some("11"), 10).is_err());
    }
}
