//! Cross-origin access: any origin may read, only the listed ones (`CORS_ALLOWED_ORIGINS`)
//! may write. A read answers `Access-Control-Allow-Origin: *`, the same for every page, so a
//! CDN keeps one object per URL and coding rather than one per site that embeds it; only a
//! write's answer names (and varies on) its origin.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::error::ApiError;
use crate::state::State;

/// The headers a page may read from an answer.
const EXPOSED: &str = "ETag, Location, Link, Last-Modified, Retry-After, WWW-Authenticate";
/// The methods a listed origin may use.
const WRITE_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";
const READ_METHODS: &str = "GET, HEAD";
/// How long a browser may keep a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "3600";

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

/// The middleware.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let listed = req.app_data::<State>().is_some_and(|state| {
        let origins = &state.settings.cors_allowed_origins;
        origins.iter().any(|o| o.as_bytes() == origin.as_bytes())
    });
    let asked = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
    if req.method() == Method::OPTIONS
        && let Some(asked) = asked
    {
        let response = preflight(&req, &origin, &asked, listed);
        return Ok(req.into_response(response).map_into_boxed_body());
    }
    let read = is_read(req.method());
    let mut res = next.call(req).await?.map_into_boxed_body();
    let headers = res.headers_mut();
    if read {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else if listed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        add_vary(headers, "Origin");
    } else {
        return Ok(res);
    }
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
    Ok(res)
}

/// The answer to a preflight asking for `asked` from `origin`.
fn preflight(
    req: &ServiceRequest,
    origin: &HeaderValue,
    asked: &Method,
    listed: bool,
) -> HttpResponse {
    if !is_read(asked) && !listed {
        return ApiError::Forbidden(format!(
            "This origin may read but not {asked}: only the origins in CORS_ALLOWED_ORIGINS may write."
        ))
        .error_response();
    }
    let mut response = HttpResponse::new(StatusCode::OK);
    let headers = response.headers_mut();
    let (allow_origin, methods) = if listed {
        (origin.clone(), WRITE_METHODS)
    } else {
        (HeaderValue::from_static("*"), READ_METHODS)
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    if let Some(asked_headers) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked_headers.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static(
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        ),
    );
    response
}

/// Adds `name` to the answer's `Vary`.
fn add_vary(headers: &mut HeaderMap, name: &str) {
    let value = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(vary) if !vary.is_empty() => format!("{vary}, {name}"),
        _ => name.to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}
