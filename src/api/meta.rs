//! Service endpoints: health and the OpenAPI document.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use super::State;
use super::extract::Reader;
use crate::api::documented;
use crate::api::problems;
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
    operation_id = "getHealth", tag = "service", security(()),
    params(documented::Conditional),
    responses(
        (status = 200, description = "The server and its database answer.", body = Health),
        (status = 304, response = problems::NotModified),
        (status = 503, description = "The database does not answer.", body = Problem),
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
    operation_id = "getOpenApi", tag = "service", security(()),
    params(documented::Conditional),
    responses(
        (status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object,
            headers(
            ),
            example = json!({"openapi": "3.1.0", "info": {"title": "Gazette", "version": "0.1.0"}, "paths": {}})),
        (status = 304, response = problems::NotModified),
    )
)]
#[get("/openapi.json")]
pub async fn openapi_json(spec: actix_web::web::Data<SpecJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.0.clone())
}

/// The service's readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers, every migration has been applied and the public
    /// search index is filled.
    #[schema(example = "ready")]
    pub status: String,
    /// Whether editors' searches (by `status`) are answered yet: the editors' search index is
    /// filled after the public one, and such a search answers 503 until it is.
    #[schema(example = true)]
    pub editors_search: bool,
}

/// Check readiness.
///
/// 200 when the database answers, its schema is current (every migration applied) and the
/// public search index is filled (as a server starts, it reads every live article into it),
/// so the server may take traffic; 503 otherwise. Needs a key when reads do.
#[utoipa::path(
    operation_id = "getReadiness", tag = "service", security(()),
    params(documented::Conditional),
    responses(
        (status = 200, description = "Ready to serve: the database answers and is migrated, and the public search index is filled.", body = Readiness),
        (status = 503, description = "The database does not answer, has migrations pending, or the public search index is still being filled.", body = Problem),
        problems::PublicRead,
    )
)]
#[get("/readyz")]
pub async fn readiness(
    state: State,
    _reader: Reader,
) -> Result<actix_web::web::Json<Readiness>, ApiError> {
    let pending = db::run(&state.pool, db::pending_migrations)
        .await
        .map_err(|e| ApiError::Unavailable(format!("The database does not answer: {e}")))?;
    if pending > 0 {
        return Err(ApiError::Unavailable(format!(
            "The database has {pending} migrations pending: run `gazette migrate`."
        )));
    }
    if !state.search.is_ready() {
        return Err(ApiError::Unavailable(
            "The public search index is being filled.".to_owned(),
        ));
    }
    Ok(actix_web::web::Json(Readiness {
        status: "ready".to_owned(),
        editors_search: state.search.is_filled(),
    }))
}

/// Get metrics.
///
/// Request counts and latency histograms by method, route template and status, and the
/// database pool's connections, in the Prometheus (OpenMetrics) text format. Needs a key
/// when reads do.
#[utoipa::path(
    operation_id = "getMetrics", tag = "service", security(()),
    responses(
        (status = 200, description = "The metrics, in the OpenMetrics text format.",
            content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String,
            headers(("Cache-Control" = String, description = "Always `no-store`: the figures are live.")),
            example = "# HELP gazette_http_requests HTTP requests answered, by method, route template and status\n# TYPE gazette_http_requests counter\ngazette_http_requests_total{method=\"GET\",route=\"/api/v1/articles\",status=\"200\"} 12\n# EOF\n"),
        (status = 401, response = problems::ReadUnauthorized),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    state: State,
    _reader: Reader,
    metrics: actix_web::web::Data<crate::observe::Metrics>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(metrics.render(&state.pool))
}
