//! Responses the document states for what middleware does before or around every handler.

/// The validators the conditional middleware gives every answer of an operation that may
/// answer 304 (`crate::middleware::conditional`): `ETag` and `Cache-Control` on its 200,
/// unless the operation says more of them. An operation read only with a key is answered
/// `private, no-store`; one open to the public, with the configured public policy.
pub fn add_validator_headers(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::security::SecurityRequirement;

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
        let keyed_only = read
            .security
            .as_ref()
            .is_some_and(|s| !s.contains(&SecurityRequirement::default()));
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
                .or_insert_with(|| {
                    RefOr::T(header(if keyed_only {
                        "`private, no-store`: the answer is for the key's holder only."
                    } else {
                        "How long caches may reuse the response."
                    }))
                });
        }
    }
}

/// Every problem body is served as `application/problem+json` (`crate::error`): operations
/// name `body = Problem` and this gives it that media type.
pub fn serve_problems_as_problem_json(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Ref, RefOr};

    let problem = RefOr::Ref(Ref::from_schema_name("Problem"));
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let is_problem = response.content.get("application/json").is_some_and(
                    |c| matches!(c, RefOr::T(c) if c.schema.as_ref() == Some(&problem)),
                );
                if is_problem
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response
                        .content
                        .insert(crate::error::PROBLEM_JSON.to_owned(), content);
                }
            }
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
            "The server is answering as many reads as it can (or, for a public search, is \
             still building its search index as it starts); retry after `Retry-After` \
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
    for (name, response) in [
        ("TooManyRequests", too_many),
        ("EncodedBody", encoded_body),
        ("HeadersTooLarge", headers_too_large),
        ("Busy", busy),
    ] {
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response));
    }
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
