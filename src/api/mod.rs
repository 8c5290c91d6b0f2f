//! HTTP handlers, one module per resource, and what they share.

pub mod articles;
pub mod authors;
pub mod changes;
pub mod collections;
pub mod demo_images;
pub mod documented;
pub mod extract;
pub mod feeds;
pub mod images;
pub mod meta;
pub mod pagination;
pub mod problems;
pub mod stream;
pub mod suggest;
pub mod tags;
pub mod transfer;
pub mod validate;
pub mod webhooks;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::ApiError;

pub use crate::state::{AppState, State};

/// `response`, saying it shows `keys` ([`crate::representation::Shown`]): what the caching
/// layer keeps it by, and tells a CDN.
pub fn showing(
    mut response: actix_web::HttpResponse,
    keys: db::changes::Keys,
) -> actix_web::HttpResponse {
    response
        .extensions_mut()
        .insert(crate::representation::Shown(keys));
    response
}

/// A tag as shown on an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tagged {
    #[schema(example = "transport")]
    pub slug: String,
    #[schema(example = "Transport")]
    pub name: String,
}

impl From<db::articles::TagRef> for Tagged {
    fn from(t: db::articles::TagRef) -> Self {
        Self {
            slug: t.slug,
            name: t.name,
        }
    }
}

/// The media type of a response trimmed by `fields=`: the same JSON, some members left out.
pub const SPARSE_JSON: &str = "application/vnd.gazette.sparse+json";

/// The property names of `T`'s schema: what `fields=` may name.
pub fn field_names<T: utoipa::ToSchema>() -> Vec<String> {
    use utoipa::openapi::{RefOr, schema::Schema};
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The `fields` parameter: the members to keep, each one of `valid`; `None` keeps all.
pub fn parse_fields(raw: Option<&str>, valid: &[String]) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let fields: Vec<String> = raw.split(',').map(str::to_owned).collect();
    let unknown: Vec<&str> = fields
        .iter()
        .filter(|f| !valid.contains(f))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(pagination::query_error(
            "fields",
            format!(
                "unknown field(s) {}; valid fields are: {}",
                unknown.join(", "),
                valid.join(", ")
            ),
        ));
    }
    Ok(Some(fields))
}

/// Keeps only `fields` of a JSON object.
pub fn keep_fields(value: &mut serde_json::Value, fields: &[String]) {
    if let serde_json::Value::Object(map) = value {
        map.retain(|name, _| fields.contains(name));
    }
}

/// Runs `f` on the blocking thread pool, off the async workers: for parsing, checking and
/// rendering request bodies, whose cost grows with their size.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    actix_web::rt::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))?
}

/// A stored naive UTC time as sent.
pub fn utc(ts: NaiveDateTime) -> DateTime<Utc> {
    ts.and_utc()
}
