//! Service endpoints: health and the OpenAPI document.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use super::State;
use crate::db;
use crate::error::{ApiError, Problem};

/// The service's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    #[schema(example = "ok")]
    pub status: String,
}

/// Check health.
///
/// 200 when the server and its database answer; 503 otherwise.
#[utoipa::path(
    operation_id = "getHealth",
    tag = "service",
    params(super::conditional::Conditional),
    security(()),
    responses(
        (status = 200, description = "The server and its database answer.", body = Health,
            headers(
                ("ETag" = String, description = "A strong validator of this response's content."),
                ("Cache-Control" = String, description = "How long caches may reuse the response."),
            )),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches."),
        (status = 503, description = "The database does not answer.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/healthz")]
pub async fn health(state: State) -> Result<actix_web::web::Json<Health>, ApiError> {
    db::run(&state.pool, db::ping)
        .await
        .map_err(|e| ApiError::Unavailable(format!("The database does not answer: {e}")))?;
    Ok(actix_web::web::Json(Health {
        status: "ok".to_owned(),
    }))
}

/// The OpenAPI document, rendered once at start-up.
#[derive(Debug, Clone)]
pub struct SpecJson(pub String);

/// Get the OpenAPI document.
///
/// The OpenAPI 3.1 description of this API, generated from the server's own types.
#[utoipa::path(
    operation_id = "getOpenApi",
    tag = "service",
    security(()),
    params(super::conditional::Conditional),
    responses(
        (status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object,
            headers(
                ("ETag" = String, description = "A strong validator of this response's content."),
                ("Cache-Control" = String, description = "How long caches may reuse the response."),
            ),
            example = json!({"openapi": "3.1.0", "info": {"title": "Gazette", "version": "0.1.0"}, "paths": {}})),
        (status = 304, description = "Not modified: the `If-None-Match` validator still matches."),
    )
)]
#[get("/openapi.json")]
pub async fn openapi_json(spec: actix_web::web::Data<SpecJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.0.clone())
}
