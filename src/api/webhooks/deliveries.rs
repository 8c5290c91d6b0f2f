//! A subscription's deliveries: listed newest first, and sent again on request.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::documented;
use crate::api::extract::{Admin, ApiQuery};
use crate::api::pagination::ListMeta;
use crate::api::problems;
use crate::api::{State, utc};
use crate::db::{self, webhooks as store};
use crate::error::{ApiError, Problem};

use super::{DELIVERY_ORDER, PageParams, meta, path_id};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not yet accepted by the receiver; retried at `next_attempt_at`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up after 12 attempts; may be redelivered.
    Failed,
}

/// One event sent (or to be sent) to a subscription, with the outcome of its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 41,
    "event": "article.published",
    "status": "delivered",
    "attempts": 2,
    "last_status_code": 200,
    "last_error": "HTTP 500 Internal Server Error",
    "created_at": "2026-10-01T09:00:00Z",
    "delivered_at": "2026-10-01T09:00:02Z",
    "next_attempt_at": null
}))]
pub struct Delivery {
    /// Also sent as `X-Gazette-Delivery`.
    #[schema(example = 41)]
    pub id: i64,
    /// The event's name, as in `X-Gazette-Event`.
    #[schema(example = "article.published")]
    pub event: String,
    pub status: DeliveryStatus,
    /// Attempts made so far (counted afresh after a redelivery).
    #[schema(example = 2)]
    pub attempts: i64,
    /// The HTTP status of the latest answer; `null` when none came.
    #[schema(required = true, example = 200)]
    pub last_status_code: Option<i64>,
    /// What went wrong in the latest failed attempt (kept after a later success).
    #[schema(required = true, example = "HTTP 500 Internal Server Error")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// When a pending delivery is tried next; `null` unless pending.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A page of a subscription's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<Delivery>,
    pub meta: ListMeta,
}

fn delivery_out(row: store::DeliveryRow) -> Delivery {
    let status = match row.status.as_str() {
        "delivered" => DeliveryStatus::Delivered,
        "failed" => DeliveryStatus::Failed,
        _ => DeliveryStatus::Pending,
    };
    Delivery {
        id: row.id,
        event: row.event,
        status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: utc(row.created_at),
        delivered_at: row.delivered_at.map(utc),
        next_attempt_at: row
            .next_attempt_at
            .filter(|_| row.status == "pending")
            .map(utc),
    }
}

/// List a subscription's deliveries.
///
/// Newest first, with cursor pagination: each event sent or to be sent, its state, the
/// number of attempts and the latest answer or error.
#[utoipa::path(
    operation_id = "listWebhookDeliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id."), PageParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of deliveries, newest first.", body = DeliveryList),
        (status = 400, response = problems::InvalidQuery), (status = 404, response = problems::SubscriptionNotFound), problems::AdminRead,
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: State,
    _admin: Admin,
    id: web::Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<web::Json<DeliveryList>, ApiError> {
    let id = path_id(&id, "webhook")?;
    let (limit, before) = params.page(DELIVERY_ORDER, state.settings.limits.page_size)?;
    let page = db::run(&state.pool, move |conn| {
        store::deliveries(conn, id, before, limit)
    })
    .await?;
    let meta = meta(&page, limit, DELIVERY_ORDER, |d| d.id);
    Ok(web::Json(DeliveryList {
        meta,
        data: page.items.into_iter().map(delivery_out).collect(),
    }))
}

/// Redeliver a delivery.
///
/// Queues the delivery again, due now, with the same body (and so the same event `id`). A
/// delivered or failed one starts over with a fresh count of attempts. A delivery that is
/// being attempted at this moment is a 409: redeliver it once that attempt has ended.
#[utoipa::path(
    operation_id = "redeliverWebhookDelivery",
    tag = "webhooks",
    params(
        ("id" = i64, Path, description = "The subscription's id."),
        ("delivery_id" = i64, Path, description = "The delivery's id."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The delivery is queued; it is sent within moments.", body = Delivery),
        (status = 404, description = "No subscription has this id, or it has no such delivery.", body = Problem),
        (status = 409, description = "The delivery is being attempted right now.", body = Problem),
        problems::AdminOnly,
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: State,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery_id) = path.into_inner();
    let id = path_id(&id, "webhook")?;
    let delivery_id = path_id(&delivery_id, "delivery")?;
    let row = db::run_write(&state.pool, move |conn| {
        store::redeliver(conn, id, delivery_id, db::now())
    })
    .await?;
    Ok(HttpResponse::Accepted().json(delivery_out(row)))
}
