//! The parts of the OpenAPI document that no handler carries: info, tags, security.

mod responses;
mod served;

pub use responses::{add_guard_responses, add_validator_headers, serve_problems_as_problem_json};
pub use served::with_limits;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::articles::ArticleSort;
use crate::api::problems;
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
        (name = "live", description = "Live blogs: a live article's timestamped updates (blocks), read incrementally and written by editors."),
        (name = "tags", description = "The topics articles are filed under."),
        (name = "authors", description = "The newsroom's writers: profiles, portraits, and the articles crediting them."),
        (name = "collections", description = "Curated fronts: editors' ordered selections of articles (\"Top stories\")."),
        (name = "changes", description = "What changed, for readers that keep copies: the sync feed with deletions, and a Server-Sent Events stream."),
        (name = "transfer", description = "Bulk import of tags and articles as NDJSON, as `gazette export` writes them (admin only)."),
        (name = "webhooks", description = "Signed HTTP callbacks on content changes (admin only)."),
        (name = "feeds", description = "Published articles as an Atom feed and a sitemap."),
        (name = "service", description = "Health and this document."),
    ),
    servers((url = "/", description = "The server that serves this document")),
    components(
        schemas(Problem, FieldError, ArticleSort, EditorialStatus, crate::api::changes::FeedType),
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
            problems::ArticleNotFound,
            problems::PublishedArticleNotFound,
            problems::TagNotFound,
            problems::PublicTagNotFound,
            problems::SubscriptionNotFound,
            problems::RevisionNotFound,
            problems::LiveArticleNotFound,
            problems::BlockNotFound,
            problems::BlockChanged,
            problems::AuthorNotFound,
            problems::CollectionNotFound,
            problems::CollectionChanged,
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
