//! Conditional requests and compression for every response: `HEAD` on every GET route,
//! strong ETags, 304s, Cache-Control and Vary, and gzip or brotli by `Accept-Encoding`.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::representation::{
    Coding, coded_tag, compressible, encode, entity_tag, forbids_storing, negotiate, none_match,
};
use crate::state::State;

/// Bodies smaller than this are sent as they are: compressing them gains nothing.
const MIN_COMPRESS_BYTES: usize = 860;
fn not_modified_since(
    if_modified_since: Option<&HeaderValue>,
    last_modified: Option<&HeaderValue>,
) -> bool {
    let parse = |v: Option<&HeaderValue>| {
        v.and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<HttpDate>().ok())
    };
    match (parse(if_modified_since), parse(last_modified)) {
        (Some(since), Some(modified)) => {
            std::time::SystemTime::from(modified) <= std::time::SystemTime::from(since)
        }
        _ => false,
    }
}

struct Asked {
    head: bool,
    read: bool,
    keyed: bool,
    accept_encoding: String,
    if_none_match: Option<String>,
    if_modified_since: Option<HeaderValue>,
}

impl Asked {
    fn of(req: &ServiceRequest) -> Self {
        let headers = req.headers();
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            head: req.method() == Method::HEAD,
            read: req.method() == Method::GET || req.method() == Method::HEAD,
            keyed: crate::auth::sends_key(headers, req.query_string()),
            accept_encoding: text(header::ACCEPT_ENCODING).unwrap_or_default(),
            if_none_match: text(header::IF_NONE_MATCH),
            if_modified_since: headers.get(header::IF_MODIFIED_SINCE).cloned(),
        }
    }
}
fn cache_control(asked: &Asked, status: StatusCode, public: &str) -> HeaderValue {
    let cacheable = asked.read
        && (status.is_success()
            || status == StatusCode::NOT_FOUND
            || status == StatusCode::MOVED_PERMANENTLY);
    let value = match (cacheable, asked.keyed) {
        (true, false) => public,
        (true, true) => "private, no-store",
        (false, _) => "no-store",
    };
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("no-store"))
}

/// The middleware: wraps every request of the app.
pub async fn conditional(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let asked = Asked::of(&req);
    // A HEAD is answered by the GET route; the server sends the headers without the body.
    if asked.head {
        req.head_mut().method = Method::GET;
    }
    let public = req
        .app_data::<State>()
        .map(|s| s.settings.cache_control.clone())
        .unwrap_or_else(|| "no-store".to_owned());
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let headers = res.headers_mut();
    // A handler that says `no-store` serves live or private state: no validator, no 304.
    let live = headers
        .get(header::CACHE_CONTROL)
        .is_some_and(forbids_storing);
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            cache_control(&asked, status, &public),
        );
    }
    // An anonymous read is the same for everyone: one object per URL and coding in a shared
    // cache. Anything keyed is `private` or `no-store`, and says it depends on the key.
    let vary = if asked.read && !asked.keyed {
        "Accept-Encoding"
    } else {
        "Accept-Encoding, Authorization"
    };
    headers.insert(header::VARY, HeaderValue::from_static(vary));
    // An event stream never ends: sent as it comes, never read whole.
    let streaming = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if !asked.read
        || status != StatusCode::OK
        || headers.contains_key(header::CONTENT_ENCODING)
        || streaming
    {
        return Ok(res);
    }

    let (req, response) = res.into_parts();
    let (mut response, body) = response.into_parts();
    let coding_for = |len: usize, content_type: Option<&HeaderValue>| {
        if len >= MIN_COMPRESS_BYTES && compressible(content_type) {
            negotiate(&asked.accept_encoding)
        } else {
            Coding::Identity
        }
    };
    // A handler that keeps rendered responses sets their entity tag (as `entity_tag` makes
    // it): then the body is read and hashed only if it is to be compressed.
    let given = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let size = match body.size() {
        BodySize::Sized(n) => usize::try_from(n).ok(),
        _ => None,
    };
    let (body, coding, etag) = match (given, size) {
        (Some(identity), Some(len))
            if coding_for(len, response.headers().get(header::CONTENT_TYPE))
                == Coding::Identity =>
        {
            (Body::Kept(body), Coding::Identity, identity)
        }
        (given, _) => {
            let bytes = actix_web::body::to_bytes(body).await.map_err(|_| {
                actix_web::error::ErrorInternalServerError("response body unreadable")
            })?;
            let coding = coding_for(bytes.len(), response.headers().get(header::CONTENT_TYPE));
            let etag = match given {
                Some(identity) => coded_tag(&identity, coding),
                None => entity_tag(&bytes, coding),
            };
            (Body::Read(bytes), coding, etag)
        }
    };
    let headers = response.headers_mut();
    if !live {
        headers.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("entity tags are ASCII"),
        );
    }
    let unchanged = !live
        && match &asked.if_none_match {
            Some(candidates) => none_match(candidates, &etag),
            None => not_modified_since(
                asked.if_modified_since.as_ref(),
                headers.get(header::LAST_MODIFIED),
            ),
        };
    if unchanged {
        let mut not_modified = HttpResponse::NotModified();
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::VARY,
            header::LAST_MODIFIED,
            header::LINK,
        ] {
            if let Some(value) = headers.get(&name) {
                not_modified.insert_header((name, value.clone()));
            }
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    let body = match (body, coding.token()) {
        (Body::Kept(body), _) => body,
        (Body::Read(bytes), Some(token)) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
            BoxBody::new(web::Bytes::from(encode(&bytes, coding)?))
        }
        (Body::Read(bytes), None) => BoxBody::new(bytes),
    };
    Ok(ServiceResponse::new(req, response.set_body(body)))
}

/// A response body as the middleware has it: untouched, or read whole.
enum Body {
    Kept(BoxBody),
    Read(web::Bytes),
}
