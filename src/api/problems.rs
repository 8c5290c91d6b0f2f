//! The responses many operations share, each written once: the OpenAPI document holds them
//! under `components.responses` and operations refer to them, as in
//! `(status = 400, response = problems::InvalidQuery)`. Answers particular to one operation
//! (a 404 naming what is missing, a 409 saying what collides) stay with the operation.

use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::error::PROBLEM_JSON;

/// A problem-details response described by `description`.
pub fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}

/// A response header holding a string.
fn text_header(description: &str) -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some(description))
        .build()
}

/// Declares reusable problem responses: a type per response, named as the document names it.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident = $description:literal;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), RefOr::T(problem($description).build()))
            }
        }
    )*};
}

problem_responses! {
    InvalidQuery = "A query parameter is invalid.";
    MalformedBody = "The body is not valid JSON.";
    ReadUnauthorized = "A key was sent but is not valid, or reads need a key.";
    AdminUnauthorized = "No valid key was sent.";
    NotAdmin = "The key may only read.";
    TooLarge = "The body is too large.";
    Invalid = "A field is invalid; `errors` names each.";
    IfMatchRequired = "This server requires `If-Match` on writes.";
    ArticleNotFound = "No article has this slug or id.";
    PublishedArticleNotFound = "No published article has this slug or id.";
    TagNotFound = "No tag has this slug.";
    AuthorNotFound = "No author has this slug.";
    CollectionNotFound = "No collection has this slug.";
    PublicTagNotFound = "No tag has this slug (or none a published article carries).";
    SubscriptionNotFound = "No subscription has this id.";
    RevisionNotFound = "No such article or revision.";
    LiveArticleNotFound = "No live article has this slug or id (or none the reader may see).";
    BlockNotFound = "No such live article, or it has no such block the reader may see.";
    CollectionChanged = "The collection changed since the `If-Match` ETag was read; \
                         `current_etag` and the `ETag` header give the current one.";
    BlockChanged = "The block changed since the `If-Match` ETag was read; `current_etag` and \
                    the `ETag` header give the current one.";
    ArticleChanged = "The article changed since the `If-Match` ETag was read; `current_etag` and \
                      the `ETag` header give the current one.";
}

/// 415 for a JSON body: the body is not JSON, or declares a content coding.
pub struct NotJson;

impl<'r> utoipa::ToResponse<'r> for NotJson {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem(
            "The body is not JSON. Also sent, unread, for a `Content-Encoding` other than \
             `identity`.",
        )
        .header(
            "Accept-Encoding",
            text_header(
                "`identity` when the reason is the body's content coding: the only one accepted.",
            ),
        );
        ("NotJson", RefOr::T(response.build()))
    }
}

/// 304 to a conditional read.
pub struct NotModified;

impl<'r> utoipa::ToResponse<'r> for NotModified {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = ResponseBuilder::new()
            .description("Not modified: the `If-None-Match` validator still matches.")
            .header(
                "ETag",
                text_header("A strong validator of this response's content."),
            )
            .header(
                "Cache-Control",
                text_header("How long caches may reuse the response."),
            );
        ("NotModified", RefOr::T(response.build()))
    }
}

/// Declares sets of shared responses, each a list of (status, response name) that operations
/// list as one: `responses((status = 200, …), problems::AdminOnly)`.
macro_rules! response_sets {
    ($($(#[$doc:meta])* $name:ident = [$(($status:literal, $response:ident)),* $(,)?];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
                [$(($status, stringify!($response))),*]
                    .into_iter()
                    .map(|(status, name)| {
                        (status.to_owned(), RefOr::Ref(Ref::from_response_name(name)))
                    })
                    .collect()
            }
        }
    )*};
}

response_sets! {
    /// What an admin-only operation answers a request without an admin key.
    AdminOnly = [("401", AdminUnauthorized), ("403", NotAdmin)];
    /// What an admin read answers a request without an admin key, or with a validator that
    /// still matches.
    AdminRead = [("304", NotModified), ("401", AdminUnauthorized), ("403", NotAdmin)];
    /// What an admin write with a JSON body answers a request without an admin key, or a
    /// body it cannot take.
    AdminJsonWrite = [
        ("400", MalformedBody), ("401", AdminUnauthorized), ("403", NotAdmin), ("413", TooLarge),
        ("415", NotJson), ("422", Invalid)
    ];
    /// What a write to an article answers a missing or stale `If-Match`.
    ArticlePreconditions = [("412", ArticleChanged), ("428", IfMatchRequired)];
    /// What a write to a block answers a missing or stale `If-Match`.
    BlockPreconditions = [("412", BlockChanged), ("428", IfMatchRequired)];
    /// What a public read answers a request with a validator that still matches, or with a
    /// bad key (or none where reads need one).
    PublicRead = [("304", NotModified), ("401", ReadUnauthorized)];
}
