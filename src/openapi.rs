//! The parts of the OpenAPI document that no handler carries: info, tags, security.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::articles::ArticleSort;
use crate::api::{problems, validate};
use crate::config::Limits;
use crate::db::articles::EditorialStatus;
use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gazette",
        description = "A headless JSON content API for news publishers: articles, tags and related \
links, served to frontends, scripts and generated clients.\n\nReads of published content need no \
key; writes need `Authorization: Bearer <admin key>`. An operator may require a content key for \
reads too (`REQUIRE_CONTENT_KEY=true`): then send `Authorization: Bearer <content key>` with every \
read. Every error is RFC 9457 problem details (`application/problem+json`)."
    ),
    tags(
        (name = "articles", description = "News articles with their tags and related links."),
        (name = "tags", description = "The topics articles are filed under."),
        (name = "transfer", description = "Bulk import of tags and articles as NDJSON, as `gazette export` writes them (admin only)."),
        (name = "webhooks", description = "Signed HTTP callbacks on content changes (admin only)."),
        (name = "feeds", description = "Published articles as an Atom feed and a sitemap."),
        (name = "service", description = "Health and this document."),
    ),
    servers((url = "/", description = "The server that serves this document")),
    components(
        schemas(Problem, FieldError, ArticleSort, EditorialStatus),
        responses(
            problems::InvalidQuery,
            problems::MalformedBody,
            problems::ReadUnauthorized,
            problems::AdminUnauthorized,
            problems::NotAdmin,
            problems::TooLarge,
            problems::NotJson,
            problems::Invalid,
            problems::IfMatchRequired,
            problems::ArticleChanged,
            problems::NotModified,
        )
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key minted with `gazette keys create`: an admin key for writes, \
                         a content key for reads when the server requires one.",
                    ))
                    .build(),
            ),
        );
    }
}

/// What the collected routes cannot say for themselves: the sparse (`fields=`) forms of the
/// article and the article list, as a second media type of their 200 responses.
pub fn add_sparse_forms(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    use utoipa::openapi::{Content, RefOr};

    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let sparse = |schema: &RefOr<Schema>| match schema {
        RefOr::T(Schema::Object(object)) => {
            let mut object = object.clone();
            object.required.clear();
            object.description = Some(format!(
                "{} Only the members named in `fields` are present.",
                object.description.unwrap_or_default()
            ));
            // The example, trimmed as `fields=slug,title` would trim it.
            if let Some(serde_json::Value::Object(example)) = object.example.as_mut() {
                example.retain(|name, _| name == "slug" || name == "title");
            }
            Some(RefOr::T(Schema::Object(object)))
        }
        _ => None,
    };
    let schemas = &mut components.schemas;
    for name in ["Article", "ArticleTeaser"] {
        if let Some(form) = schemas.get(name).and_then(sparse) {
            schemas.insert(format!("{name}Sparse"), form);
        }
    }
    if let Some(RefOr::T(Schema::Object(list))) = schemas.get("ArticleList") {
        let mut list = list.clone();
        if let Some(RefOr::T(Schema::Array(data))) = list.properties.get_mut("data") {
            data.items = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(
                utoipa::openapi::Ref::from_schema_name("ArticleTeaserSparse"),
            )));
        }
        list.description =
            Some("A page of article teasers trimmed to the requested `fields`.".to_owned());
        list.example = Some(serde_json::json!({
            "data": [{"slug": "council-approves-tram-extension", "title": "Council Approves Harbourfront Tram Extension"}],
            "meta": {"limit": 20, "total": 1, "has_more": false, "next_cursor": null}
        }));
        schemas.insert(
            "ArticleListSparse".to_owned(),
            RefOr::T(Schema::Object(list)),
        );
    }
    let names = |schema: &str| match schemas.get(schema) {
        Some(RefOr::T(Schema::Object(object))) => object
            .properties
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join("|"),
        _ => String::new(),
    };
    let patterns = [
        (
            "/api/v1/articles",
            "ArticleListSparse",
            names("ArticleTeaser"),
        ),
        (
            "/api/v1/articles/{slug_or_id}",
            "ArticleSparse",
            names("Article"),
        ),
    ];
    for (path, schema, fields) in patterns {
        let Some(op) = spec
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
        else {
            continue;
        };
        // `fields` names members of the schema, comma-separated: say exactly which.
        let fields_param = op.parameters.iter_mut().flatten().find_map(|p| match p {
            RefOr::T(p) if p.name == "fields" => p.schema.as_mut(),
            _ => None,
        });
        if let Some(RefOr::T(Schema::Object(param))) = fields_param {
            param.pattern = Some(format!("^({fields})(,({fields}))*$"));
        }
        if let Some(RefOr::T(response)) = op.responses.responses.get_mut("200") {
            response.content.insert(
                crate::api::SPARSE_JSON.to_owned(),
                RefOr::T(Content::new(Some(RefOr::Ref(
                    utoipa::openapi::Ref::from_schema_name(schema),
                )))),
            );
        }
    }
}

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
/// reads and 503 when no room for a read became free (`crate::admission`).
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

/// The document as served: each configurable limit set where it is stated (the schemas are
/// written with the defaults). Set by place, one property or parameter at a time, so that a
/// limit that happens to have another's value is never mistaken for it.
pub fn with_limits(spec: &utoipa::openapi::OpenApi, limits: &Limits) -> serde_json::Value {
    let mut json = serde_json::to_value(spec).expect("the OpenAPI document serializes");
    for (keyword, value, places) in limit_places(limits) {
        for place in places {
            if let Some(schema) = json.pointer_mut(&place).and_then(|v| v.as_object_mut()) {
                schema.insert(keyword.to_owned(), value.clone());
            }
        }
    }
    set_page_size(&mut json, limits.page_size);
    name_patterns(&mut json);
    json
}

/// Puts each pattern named in a schema attribute in place ([`validate::PATTERNS`]).
fn name_patterns(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(name)) = map.get_mut("pattern")
                && let Some((_, pattern)) = validate::PATTERNS.iter().find(|(n, _)| n == name)
            {
                *name = (*pattern).to_owned();
            }
            map.values_mut().for_each(name_patterns);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(name_patterns),
        _ => {}
    }
}

/// The schemas of article writes, whose properties carry the article limits.
const ARTICLE_WRITES: [&str; 2] = ["ArticleCreate", "ArticlePatch"];
/// The schemas with a related link's title and summary.
const LINK_WRITES: [&str; 1] = ["ExternalLinkInput"];
/// The schemas with a tag's description, limited as a summary is.
const TAG_WRITES: [&str; 2] = ["TagCreate", "TagPatch"];
/// Operations whose `limit` is not a page size: the related list has bounds of its own.
const OWN_LIMITS: [&str; 1] = ["/api/v1/articles/{slug_or_id}/related"];

/// Each configurable limit: the keyword, its value, and the JSON pointers of the schemas
/// that state it.
fn limit_places(limits: &Limits) -> Vec<(&'static str, serde_json::Value, Vec<String>)> {
    let property = |schemas: &[&str], name: &str| -> Vec<String> {
        schemas
            .iter()
            .map(|schema| format!("/components/schemas/{schema}/properties/{name}"))
            .collect()
    };
    let both = |a: Vec<String>, b: Vec<String>| [a, b].concat();
    vec![
        (
            "maxLength",
            limits.title_chars.into(),
            both(
                property(&ARTICLE_WRITES, "title"),
                property(&LINK_WRITES, "title"),
            ),
        ),
        (
            "maxLength",
            limits.summary_chars.into(),
            [
                property(&ARTICLE_WRITES, "summary"),
                property(&LINK_WRITES, "summary"),
                property(&TAG_WRITES, "description"),
            ]
            .concat(),
        ),
        (
            "maxLength",
            limits.article_chars.into(),
            property(&ARTICLE_WRITES, "body"),
        ),
        (
            "maxItems",
            limits.tags_per_article.into(),
            property(&ARTICLE_WRITES, "tags"),
        ),
        (
            "maxItems",
            limits.related_per_article.into(),
            property(&ARTICLE_WRITES, "related"),
        ),
        (
            "maximum",
            limits.page_size.into(),
            vec!["/components/schemas/ListMeta/properties/limit".to_owned()],
        ),
    ]
}

/// Sets the bounds of every paged list's `limit` query parameter: its maximum, and its
/// default where that is larger than the page size.
fn set_page_size(json: &mut serde_json::Value, page_size: i64) {
    let Some(paths) = json.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if OWN_LIMITS.contains(&path.as_str()) {
            continue;
        }
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for operation in operations.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(|p| p.as_array_mut())
            else {
                continue;
            };
            for parameter in parameters {
                if parameter["name"] != "limit" || parameter["in"] != "query" {
                    continue;
                }
                if let Some(schema) = parameter.get_mut("schema").and_then(|s| s.as_object_mut()) {
                    schema.insert("maximum".to_owned(), page_size.into());
                    if schema
                        .get("default")
                        .and_then(serde_json::Value::as_i64)
                        .is_some_and(|d| d > page_size)
                    {
                        schema.insert("default".to_owned(), page_size.into());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Every leaf of `a` that `b` has otherwise, by JSON pointer, with `b`'s value.
    fn changed(a: &Value, b: &Value, at: String, out: &mut Vec<(String, Value)>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, v) in x {
                    let key = k.replace('~', "~0").replace('/', "~1");
                    changed(v, &y[k], format!("{at}/{key}"), out);
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    changed(v, w, format!("{at}/{i}"), out);
                }
            }
            _ if a != b => out.push((at, b.clone())),
            _ => {}
        }
    }

    fn changes(limits: Limits) -> Vec<(String, Value)> {
        let spec = crate::app::openapi();
        let mut out = Vec::new();
        changed(
            &with_limits(&spec, &Limits::DEFAULT),
            &with_limits(&spec, &limits),
            String::new(),
            &mut out,
        );
        out
    }

    /// `MAX_RELATED_PER_ARTICLE=10` changes the related-link limits and nothing else (the
    /// `tag` filter's 50 items, the default related limit's value, stays).
    #[test]
    fn the_related_limit_changes_only_related_limits() {
        let related = |schema: &str| {
            (
                format!("/components/schemas/{schema}/properties/related/maxItems"),
                Value::from(10),
            )
        };
        assert_eq!(
            changes(Limits {
                related_per_article: 10,
                ..Limits::DEFAULT
            }),
            vec![related("ArticleCreate"), related("ArticlePatch")]
        );
    }

    /// Every pattern in the served document is a pattern, none a name left in place.
    #[test]
    fn every_named_pattern_is_put_in_place() {
        fn patterns(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(p)) = map.get("pattern") {
                        out.push(p.clone());
                    }
                    map.values().for_each(|v| patterns(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        patterns(
            &with_limits(&crate::app::openapi(), &Limits::DEFAULT),
            &mut found,
        );
        assert!(found.len() >= 20, "{found:?}");
        for pattern in &found {
            assert!(
                pattern.starts_with('^') && pattern.ends_with('$'),
                "{pattern} is a name no pattern has"
            );
        }
        for (name, pattern) in validate::PATTERNS {
            assert!(found.iter().any(|p| p == pattern), "{name} is used nowhere");
        }
    }

    /// Each limit lands on every place that states it, and on no other.
    #[test]
    fn each_limit_changes_its_own_places() {
        let defaults = Limits::DEFAULT;
        let cases = [
            (
                Limits {
                    title_chars: 7,
                    ..defaults
                },
                3,
            ),
            (
                Limits {
                    summary_chars: 7,
                    ..defaults
                },
                5,
            ),
            (
                Limits {
                    article_chars: 7,
                    ..defaults
                },
                2,
            ),
            (
                Limits {
                    tags_per_article: 7,
                    ..defaults
                },
                2,
            ),
            // Five paged lists' maximum and default, and the page metadata's maximum.
            (
                Limits {
                    page_size: 7,
                    ..defaults
                },
                11,
            ),
        ];
        for (limits, places) in cases {
            let found = changes(limits);
            assert_eq!(found.len(), places, "{found:?}");
            assert!(found.iter().all(|(_, v)| *v == 7), "{found:?}");
        }
    }
}
