//! Request extractors that answer every failure with problem details: JSON bodies, query
//! strings and API keys.

use std::future::Future;
use std::pin::Pin;

use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::auth::{Admin, Reader, Scope};
use crate::config::Limits;
use crate::error::{ApiError, FieldError};
use crate::state::State;

/// A JSON request body, parsed by the handler once the caller is authorized, so that a
/// request without a valid key learns nothing about the body's validity. Syntax errors are
/// 400, type and shape errors 422 naming the field.
#[derive(Debug)]
pub struct JsonBody(Result<Bytes, ApiError>);

impl JsonBody {
    /// The body as `T`, which must be given as a JSON object; parsed off the async workers.
    pub async fn parse<T: DeserializeOwned + Send + 'static>(self) -> Result<T, ApiError> {
        self.parse_then(Shape::Object, Ok).await
    }

    /// The body as `T`, which must be given as a JSON array; parsed off the async workers.
    pub async fn parse_list<T: DeserializeOwned + Send + 'static>(self) -> Result<T, ApiError> {
        self.parse_then(Shape::Array, Ok).await
    }

    /// The body as `T` of `shape`, then `finish`ed (checked and rendered, say), on the
    /// blocking thread pool: parsing a megabyte of JSON or rendering its Markdown is not work
    /// for an async worker, which serves many requests in turn.
    pub async fn parse_then<T, U>(
        self,
        shape: Shape,
        finish: impl FnOnce(T) -> Result<U, ApiError> + Send + 'static,
    ) -> Result<U, ApiError>
    where
        T: DeserializeOwned,
        U: Send + 'static,
    {
        let body = self.0?;
        super::blocking(move || finish(parse_json(&body, shape)?)).await
    }
}

/// What a request body must be at its top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Array,
}

fn is_json(req: &HttpRequest) -> bool {
    let Ok(Some(mime)) = req.mime_type() else {
        return false;
    };
    mime.type_() == "application"
        && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
}

fn payload_error(err: actix_web::Error, limit: usize) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::PayloadTooLarge(format!(
            "The request body is larger than the limit of {limit} bytes."
        )),
        _ => ApiError::BadRequest(format!("The request body could not be read: {err}")),
    }
}

/// Parses `body` as `T`: invalid JSON is a 400; JSON of the wrong shape or types a 422 that
/// names the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], shape: Shape) -> Result<T, ApiError> {
    // Syntax first, over the whole body, so that malformed JSON is a 400 whatever its shape.
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}")))?;
    check_shape(&value, shape)?;
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = strip_position(err.inner());
        ApiError::invalid(vec![FieldError::new(field_of(&path, &message), message)])
    })
}

// serde fills a struct from an array by position; no Gazette body has an array where an
// object is expected, nor an array inside an array, so such JSON is refused before it can.
fn check_shape(value: &Value, shape: Shape) -> Result<(), ApiError> {
    let top_ok = match shape {
        Shape::Object => value.is_object(),
        Shape::Array => value.is_array(),
    };
    if !top_ok {
        let want = if shape == Shape::Object {
            "an object"
        } else {
            "an array"
        };
        return Err(ApiError::invalid(vec![FieldError::new(
            "body",
            format!("must be a JSON {want}"),
        )]));
    }
    nested_arrays(value, String::new())
}

fn nested_arrays(value: &Value, path: String) -> Result<(), ApiError> {
    match value {
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            let at = format!("{path}[{i}]");
            if item.is_array() {
                Err(ApiError::invalid(vec![FieldError::new(
                    at,
                    "must not be an array",
                )]))
            } else {
                nested_arrays(item, at)
            }
        }),
        Value::Object(fields) => fields.iter().try_for_each(|(name, field)| {
            let at = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            nested_arrays(field, at)
        }),
        _ => Ok(()),
    }
}

// serde_json appends " at line L column C" to data errors; the field path says more.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

// A missing field is reported at its parent's path; name the field itself.
fn field_of(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_owned(),
    }
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_json(req) {
            return Box::pin(async {
                Ok(JsonBody(Err(ApiError::UnsupportedMediaType(
                    "Send the request body as JSON with `Content-Type: application/json`."
                        .to_owned(),
                ))))
            });
        }
        let limit = req
            .app_data::<State>()
            .map_or(Limits::DEFAULT.body_bytes, |s| s.settings.limits.body_bytes);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move { Ok(JsonBody(body.await.map_err(|e| payload_error(e, limit)))) })
    }
}

/// A query string; unknown, repeated or malformed parameters are a 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A content key in the URL is the key extractors' business, not the handler's.
        let query = crate::url_key::strip(req.query_string(), None);
        std::future::ready(
            serde_html_form::from_str(&query)
                .map(ApiQuery)
                .map_err(|e| match repeated_parameter(req.query_string()) {
                    Some(name) => ApiError::BadRequest(format!(
                        "Invalid query string: the parameter `{name}` may appear only once."
                    )),
                    None => ApiError::BadRequest(format!("Invalid query string: {e}.")),
                }),
        )
    }
}

// Only `tag` may repeat; any other repeated name explains a failed parse.
fn repeated_parameter(query: &str) -> Option<String> {
    let mut seen = Vec::new();
    for (name, _) in url::form_urlencoded::parse(query.as_bytes()) {
        if name != "tag" && seen.contains(&name) {
            return Some(name.into_owned());
        }
        seen.push(name);
    }
    None
}

/// The `If-Match` header of a write. Checked by the handler after authorization, so that a
/// request without a valid key learns nothing from a 428.
#[derive(Debug)]
pub struct IfMatch {
    value: Option<String>,
    required: bool,
}

impl IfMatch {
    /// The entity tags sent, or `None`; a 428 when they are required and missing.
    pub fn value(self) -> Result<Option<String>, ApiError> {
        match self.value {
            None if self.required => Err(ApiError::PreconditionRequired),
            value => Ok(value),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(IfMatch {
            // Unreadable bytes still make a condition, one no ETag matches.
            value: req
                .headers()
                .get(header::IF_MATCH)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            required: req
                .app_data::<State>()
                .is_some_and(|s| s.settings.require_if_match),
        }))
    }
}
