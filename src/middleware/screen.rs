//! What every request must pass before a handler sees it (a possible path, header size, an
//! unencoded body, a key for the docs when reads need one), and the security headers every
//! response carries.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{FromRequest, ResponseError};

use crate::auth::Reader;
use crate::error::ApiError;
use crate::state::State;

/// The most header bytes (names, values and separators) a request may carry; actix's own
/// limit, far above, answers without problem details.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The policy of everything but the docs UI: JSON, feeds and the sitemap load nothing.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The docs UI loads its own scripts, styles and images, and calls the API it documents.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
base-uri 'none'; form-action 'none'";
/// Refuses paths that cannot name a resource (404), oversized headers (431), encoded bodies
/// (415) and, when reads need a key, requests for the docs UI without one (401).
pub async fn screen(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    // No resource's path holds a NUL (PostgreSQL text cannot even store one).
    let impossible_path = req.path().to_ascii_lowercase().contains("%00");
    let mut refused = if impossible_path {
        Some(ApiError::not_found(format!(
            "No resource lives at {}.",
            req.path()
        )))
    } else if header_bytes > MAX_HEADER_BYTES {
        Some(ApiError::HeadersTooLarge(format!(
            "The request headers take {header_bytes} bytes; at most {MAX_HEADER_BYTES} are accepted."
        )))
    } else if is_encoded(req.headers()) {
        Some(ApiError::UnsupportedEncoding(
            "The request declares a Content-Encoding other than identity; send the body \
             unencoded (it is refused unread)."
                .to_owned(),
        ))
    } else {
        None
    };
    // The docs UI is served by a service no key extractor runs in.
    if refused.is_none()
        && is_docs(req.path())
        && req
            .app_data::<State>()
            .is_some_and(|s| s.settings.require_content_key)
    {
        refused = Reader::extract(req.request()).await.err();
    }
    match refused {
        Some(err) => Ok(req
            .into_response(err.error_response())
            .map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// Whether the request declares a content coding other than `identity`. Gazette decodes
/// none: a few kilobytes of gzip, brotli or zstd can inflate to gigabytes, so such a body is
/// refused before anything reads it, whatever key comes with it.
fn is_encoded(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).any(|value| {
        value.to_str().map_or(true, |codings| {
            codings
                .split(',')
                .map(str::trim)
                .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"))
        })
    })
}

fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

/// `nosniff` and a Content-Security-Policy on every response; the docs UI gets the policy
/// it needs to run, everything else one that allows nothing.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = is_docs(req.path());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(if docs { DOCS_CSP } else { API_CSP }),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    Ok(res)
}
#[cfg(test)]
mod tests {
    use actix_web::http::header::{self, HeaderMap, HeaderValue};

    use super::is_encoded;

    fn encodings(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::CONTENT_ENCODING,
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn any_coding_but_identity_is_refused() {
        for refused in [
            &[b"gzip".as_slice()][..],
            &[b"br"],
            &[b"zstd"],
            &[b"deflate"],
            &[b"x-gzip"],
            &[b"GZIP"],
            &[b"identity, gzip"],
            &[b"gzip, identity"],
            &[b"identity", b"br"],
            &[b"made-up"],
            &[b"\xff"],
        ] {
            assert!(is_encoded(&encodings(refused)), "{refused:?}");
        }
        for accepted in [
            &[][..],
            &[b"identity".as_slice()],
            &[b"IDENTITY"],
            &[b" identity "],
            &[b"identity, identity"],
            &[b"identity", b"identity"],
            &[b""],
        ] {
            assert!(!is_encoded(&encodings(accepted)), "{accepted:?}");
        }
    }
}
