//! The parts of the OpenAPI document that no handler carries: info, tags, security.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::articles::ArticleSort;
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
        (name = "service", description = "Health and this document."),
    ),
    servers((url = "/", description = "The server that serves this document")),
    components(schemas(Problem, FieldError, ArticleSort)),
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
