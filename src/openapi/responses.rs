//! Responses the document states for what middleware does before or around every handler.

/// The validators the conditional middleware gives every answer of an operation that may
/// answer 304 (`crate::middleware::conditional`): `ETag` and `Cache-Control` on its 200,
/// unless the operation says more of them.
pub fn add_validator_headers(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    let header = |description: &str| {
        utoipa::openapi::HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .description(Some(description))
            .build()
    };
    for item in spec.paths.paths.values_mut() {
        let Some(read) = item.get.as_mut() else {
            continue;
        };
        let responses = &mut read.responses.responses;
        if !responses.contains_key("304") {
            continue;
        }
        if let Some(RefOr::T(ok)) = responses.get_mut("200") {
            ok.headers.entry("ETag".to_owned()).or_insert_with(|| {
                RefOr::T(header("A strong validator of this response's content."))
            });
            ok.headers
                .entry("Cache-Control".to_owned())
                .or_insert_with(|| RefOr::T(header("How long caches may reuse the response.")));
        }
    }
}

/// The answers any operation may give before its handler runs: 431 for oversized headers,
/// 415 for a `Content-Encoding` other than `identity`; where a key is checked (every
/// operation with a 401), 429 once a key has made too many writes or an address too many
/// failed key checks; and on reads of the database, 429 past a client's budget of expensive
/// reads and 503 when no room for a read became free (`crate::middleware::admission`).
pub fn add_guard_responses(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder};

    let retry_after = || {
        HeaderBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            ))
            .description(Some("Seconds to wait before the next attempt."))
            .build()
    };
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let too_many = ResponseBuilder::new()
        .description(
            "Too many writes with this key, requests with a wrong key from this client \
             address, or expensive reads (searches, filters, further pages) from this client \
             address; retry after `Retry-After` seconds.",
        )
        .header("Retry-After", retry_after())
        .content(crate::error::PROBLEM_JSON, problem())
        .build();
    let busy = ResponseBuilder::new()
        .description(
            "The server is answering as many reads as it can; retry after `Retry-After` \
             seconds.",
        )
        .header("Retry-After", retry_after())
        .content(crate::error::PROBLEM_JSON, problem())
        .build();
    let headers_too_large = ResponseBuilder::new()
        .description("The request headers are larger than the server accepts (16 KiB).")
        .content(crate::error::PROBLEM_JSON, problem())
        .build();
    let accept_identity = || {
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .description(Some(
                "`identity` when the reason is the body's content coding: the only one accepted.",
            ))
            .build()
    };
    const ENCODED: &str = "The request declares a `Content-Encoding` other than `identity`: \
                           bodies are accepted unencoded only, and such a one is not read.";
    let encoded_body = ResponseBuilder::new()
        .description(ENCODED)
        .header("Accept-Encoding", accept_identity())
        .content(crate::error::PROBLEM_JSON, problem())
        .build();
    let components = spec.components.get_or_insert_with(Default::default);
    components
        .responses
        .insert("TooManyRequests".to_owned(), RefOr::T(too_many));
    components
        .responses
        .insert("EncodedBody".to_owned(), RefOr::T(encoded_body));
    components
        .responses
        .insert("HeadersTooLarge".to_owned(), RefOr::T(headers_too_large));
    components
        .responses
        .insert("Busy".to_owned(), RefOr::T(busy));
    for (path, item) in spec.paths.paths.iter_mut() {
        if let Some(read) = item
            .get
            .as_mut()
            .filter(|_| crate::middleware::admission::reads_database(path))
        {
            let responses = &mut read.responses.responses;
            responses.insert(
                "429".to_owned(),
                RefOr::Ref(Ref::from_response_name("TooManyRequests")),
            );
            // An operation that says why it may be unavailable keeps its own words.
            responses
                .entry("503".to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Busy")));
        }
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let responses = &mut op.responses.responses;
            if responses.contains_key("401") {
                responses.insert(
                    "429".to_owned(),
                    RefOr::Ref(Ref::from_response_name("TooManyRequests")),
                );
            }
            responses.insert(
                "431".to_owned(),
                RefOr::Ref(Ref::from_response_name("HeadersTooLarge")),
            );
            match responses.get_mut("415") {
                // The operation's own 415 (a body that is not JSON) gains the guard's reason.
                Some(RefOr::T(own)) => {
                    own.description = format!(
                        "{} Also sent, unread, for a `Content-Encoding` other than `identity`.",
                        own.description
                    );
                    own.headers
                        .insert("Accept-Encoding".to_owned(), RefOr::T(accept_identity()));
                }
                // A shared 415 (`problems::NotJson`) gives the reason already.
                Some(RefOr::Ref(_)) => {}
                None => {
                    responses.insert(
                        "415".to_owned(),
                        RefOr::Ref(Ref::from_response_name("EncodedBody")),
                    );
                }
            }
        }
    }
}
