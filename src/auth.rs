//! API keys: who a request is, as the key extractors [`Admin`] and [`Reader`] find it, with
//! the rate limits they apply.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::db;
use crate::error::ApiError;
use crate::state::State;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// What a request's API key allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Admin,
    Content,
}

/// Whether a request sends a key, in its `Authorization` header or (a read) its URL: then
/// it is answered as the key allows, never from or into a shared copy.
pub fn sends_key(headers: &header::HeaderMap, query: &str) -> bool {
    headers.contains_key(header::AUTHORIZATION) || crate::url_key::of(query).is_some()
}

/// A key as sent: its text, and whether it came in the URL.
struct Sent {
    token: String,
    in_url: bool,
}

fn bearer_token(req: &HttpRequest) -> Result<Option<Sent>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        let read = matches!(
            *req.method(),
            actix_web::http::Method::GET | actix_web::http::Method::HEAD
        );
        return Ok(crate::url_key::of(req.query_string())
            .filter(|_| read)
            .map(|token| Sent {
                token,
                in_url: true,
            }));
    };
    let invalid = || ApiError::Unauthorized {
        detail: "The Authorization header must be `Bearer <key>`.".to_owned(),
        invalid_token: true,
    };
    let value = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid());
    }
    Ok(Some(Sent {
        token: token.trim().to_owned(),
        in_url: false,
    }))
}

/// The valid key a request was made with.
#[derive(Debug, Clone, Copy)]
struct Caller {
    key_id: i64,
    scope: Scope,
}

/// The request's key, if it sent one. The key is looked up first: a valid key is accepted
/// whatever its address has sent before, so that one client guessing keys behind a shared
/// address (a NAT, a proxy) locks nobody else out. A wrong or malformed key counts against
/// its address's failed-check allowance, and past it is answered 429 instead of 401.
fn authenticate(req: &HttpRequest) -> BoxFuture<Option<Caller>> {
    let req = req.clone();
    Box::pin(async move {
        let state = state_of(&req)?;
        let Sent { token, in_url } = match bearer_token(&req) {
            Ok(None) => return Ok(None),
            Ok(Some(sent)) => sent,
            Err(malformed) => return Err(state.limiters.auth_failed(&req, malformed)),
        };
        let key = db::run(&state.pool, move |conn| {
            Ok(db::keys::authenticate(conn, &token)?)
        })
        .await?;
        if in_url && key.as_ref().is_some_and(|k| k.scope == "admin") {
            return Err(ApiError::BadRequest(
                "An admin key may not travel in a URL (URLs are kept in logs, histories and Referer headers): send it as `Authorization: Bearer <key>`, and revoke this one if the URL went anywhere.".to_owned(),
            ));
        }
        match key {
            Some(key) => Ok(Some(Caller {
                key_id: key.id,
                scope: if key.scope == "admin" {
                    Scope::Admin
                } else {
                    Scope::Content
                },
            })),
            None => Err(state.limiters.auth_failed(
                &req,
                ApiError::Unauthorized {
                    detail: "The API key is unknown or has been revoked.".to_owned(),
                    invalid_token: true,
                },
            )),
        }
    })
}

fn state_of(req: &HttpRequest) -> Result<State, ApiError> {
    req.app_data::<State>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// A request made with an admin key: 401 without a valid key, 403 with a content key. A
/// write (POST, PUT, PATCH, DELETE) counts against its key's write allowance, and past it
/// is a 429; only a valid admin key's writes are counted, so no one can spend another's.
#[derive(Debug)]
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = BoxFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = authenticate(req);
        let req = req.clone();
        Box::pin(async move {
            match caller.await? {
                Some(Caller {
                    scope: Scope::Admin,
                    key_id,
                }) => {
                    state_of(&req)?.limiters.hit_write(&req, key_id)?;
                    Ok(Admin)
                }
                Some(Caller {
                    scope: Scope::Content,
                    ..
                }) => Err(ApiError::Forbidden(
                    "This operation needs an admin key; the key sent may only read.".to_owned(),
                )),
                None => Err(ApiError::Unauthorized {
                    detail:
                        "This operation needs an admin key: send `Authorization: Bearer <key>`."
                            .to_owned(),
                    invalid_token: false,
                }),
            }
        })
    }
}

/// A read: any valid key, or none unless content keys are required.
#[derive(Debug, Clone, Copy)]
pub struct Reader {
    pub scope: Option<Scope>,
}

impl Reader {
    pub fn is_admin(&self) -> bool {
        self.scope == Some(Scope::Admin)
    }
}

impl FromRequest for Reader {
    type Error = ApiError;
    type Future = BoxFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A layer in front may have found the reader already (and checked its key once).
        if let Some(reader) = req.extensions().get::<Reader>().copied() {
            return Box::pin(async move { Ok(reader) });
        }
        let required = req
            .app_data::<State>()
            .is_some_and(|s| s.settings.require_content_key);
        let caller = authenticate(req);
        Box::pin(async move {
            let scope = caller.await?.map(|c| c.scope);
            if required && scope.is_none() {
                return Err(ApiError::Unauthorized {
                    detail: "This server requires a content key for reads: send `Authorization: Bearer <key>`."
                        .to_owned(),
                    invalid_token: false,
                });
            }
            Ok(Reader { scope })
        })
    }
}
