//! `/api/v1/webhooks`: subscriptions to content events, and each one's delivery log.

mod deliveries;

pub use deliveries::{Delivery, DeliveryList, DeliveryStatus, list_deliveries, redeliver};

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Admin, ApiQuery, JsonBody};
use super::pagination::{self, ListMeta};
use super::validate::{self, Checker};
use super::{State, utc};
use crate::api::documented;
use crate::api::problems;
use crate::db::{self, events, webhooks as store};
use crate::egress;
use crate::error::ApiError;

/// Generated secrets start with this, so leaked ones are easy to recognise.
pub const SECRET_PREFIX: &str = "whsec_";
const MIN_SECRET_CHARS: usize = 16;
const MAX_SECRET_CHARS: usize = 256;

/// An event a subscription can list (schema only; events travel as strings): a name of
/// [`events::EVENTS`] or a wildcard of [`events::WILDCARDS`].
#[derive(Debug)]
pub struct WebhookEvent;

impl utoipa::PartialSchema for WebhookEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An event a subscription can list: an event name, or a wildcard for every event of\n\
                 articles (`article.*`), of tags (`tag.*`) or of both (`*`).",
            ))
            .enum_values(Some(events::EVENTS.into_iter().chain(events::WILDCARDS)))
            .into()
    }
}

impl ToSchema for WebhookEvent {}

/// A webhook subscription. Its secret is shown once, in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3,
    "url": "https://hooks.example.org/gazette",
    "events": ["article.published", "article.unpublished", "tag.*"],
    "active": true,
    "created_at": "2026-10-01T09:00:00Z",
    "updated_at": "2026-10-01T09:00:00Z"
}))]
pub struct Webhook {
    #[schema(example = 3)]
    pub id: i64,
    /// Where deliveries are POSTed.
    #[schema(example = "https://hooks.example.org/gazette")]
    pub url: String,
    /// The events delivered.
    #[schema(value_type = Vec<WebhookEvent>)]
    pub events: Vec<String>,
    /// Inactive subscriptions receive nothing; their pending deliveries wait.
    pub active: bool,
    /// The HMAC-SHA256 key of `X-Gazette-Signature`: only in the answer to the creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        value_type = String,
        required = false,
        example = "whsec_Jb3sV0mBq9kZ8yXcLQ2nR5tUe7WfHdA1oPiGv4sNxKw"
    )]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of webhook subscriptions in creation order.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
    pub meta: ListMeta,
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://hooks.example.org/gazette",
    "events": ["article.published", "article.unpublished", "tag.*"]
}))]
pub struct WebhookCreate {
    /// An absolute http or https URL.
    #[schema(max_length = 2048, pattern = "webhook-url")]
    pub url: String,
    /// Event names and wildcards; at least one.
    #[schema(value_type = Vec<WebhookEvent>, min_items = 1)]
    pub events: Vec<String>,
    /// The signing key, 16 to 256 characters without spaces; a strong one is generated when
    /// absent. Either way the answer shows it, and nothing shows it again.
    #[schema(min_length = 16, max_length = 256, pattern = "secret")]
    pub secret: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to a subscription: omitted fields stay. Sending `secret` rotates it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": ["article.*"], "active": false}))]
pub struct WebhookPatch {
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, max_length = 2048, pattern = "webhook-url")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = Vec<WebhookEvent>, min_items = 1)]
    pub events: Option<Vec<String>>,
    /// A new signing key; deliveries not yet sent are signed with it.
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = String, min_length = 16, max_length = 256, pattern = "secret")]
    pub secret: Option<String>,
    #[serde(default, deserialize_with = "validate::present")]
    #[schema(value_type = bool)]
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` from the previous page.
    #[serde(default, deserialize_with = "validate::present")]
    cursor: Option<String>,
}

const WEBHOOK_ORDER: &str = "webhook-id";
const DELIVERY_ORDER: &str = "-delivery-id";

impl PageParams {
    /// The page size and the id the cursor continues from.
    fn page(&self, order: &str, max: i64) -> Result<(i64, Option<i64>), ApiError> {
        pagination::request(self.limit.as_deref(), self.cursor.as_deref(), max, |c| {
            pagination::decode_id(order, c)
        })
    }
}

fn meta<T>(page: &db::Page<T>, limit: i64, order: &str, id: impl Fn(&T) -> i64) -> ListMeta {
    ListMeta::of(page, limit, |last| {
        Some(pagination::encode_id(order, id(last)))
    })
}

/// The id in a path: a positive whole number, or a 404 saying what is missing.
fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(format!("No {what} has the id '{raw}'.")))
}

fn webhook_out(row: store::WebhookRow, secret: Option<String>) -> Webhook {
    Webhook {
        events: row.event_patterns(),
        id: row.id,
        url: row.url,
        active: row.active,
        secret,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

/// A receiver's URL: well formed, and not on an address deliveries may not reach unless
/// its host is one of `allowed` (see [`egress::check_url`]).
fn check_url(c: &mut Checker, url: &str, allowed: &[String]) {
    let errors = c.error_count();
    c.server_url("url", url);
    if c.error_count() == errors
        && let Err(why) = egress::check_url(url, allowed)
    {
        c.fail("url", why);
    }
}

/// The listed events without repeats, in the order given.
fn check_events(c: &mut Checker, given: &[String]) -> Vec<String> {
    if given.is_empty() {
        c.fail("events", "must list at least one event");
    }
    let mut events: Vec<String> = Vec::new();
    for (i, event) in given.iter().enumerate() {
        if !events::is_pattern(event) {
            c.fail(
                format!("events[{i}]"),
                format!(
                    "'{event}' is not an event; use one of {}, or a wildcard: {}",
                    events::EVENTS.join(", "),
                    events::WILDCARDS.join(", ")
                ),
            );
        } else if !events.contains(event) {
            events.push(event.clone());
        }
    }
    events
}

fn check_secret(c: &mut Checker, secret: &str) {
    let len = secret.chars().count();
    if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&len) {
        c.fail(
            "secret",
            format!("must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters"),
        );
    } else if !secret.bytes().all(|b| b.is_ascii_graphic()) {
        c.fail(
            "secret",
            "must be printable ASCII without spaces or control characters",
        );
    }
}

/// A new random signing key: 32 random bytes.
fn generate_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// List webhook subscriptions.
///
/// Every subscription in creation order, with cursor pagination as for articles. Secrets are
/// not shown.
#[utoipa::path(
    operation_id = "listWebhooks", tag = "webhooks", security(("bearer" = [])),
    params(PageParams, documented::Conditional),
    responses(
        (status = 200, description = "A page of subscriptions.", body = WebhookList),
        (status = 400, response = problems::InvalidQuery), problems::AdminRead,
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: State,
    _admin: Admin,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<web::Json<WebhookList>, ApiError> {
    let (limit, after) = params.page(WEBHOOK_ORDER, state.settings.limits.page_size)?;
    let page = db::run(&state.pool, move |conn| store::list(conn, after, limit)).await?;
    let meta = meta(&page, limit, WEBHOOK_ORDER, |w| w.id);
    Ok(web::Json(WebhookList {
        meta,
        data: page
            .items
            .into_iter()
            .map(|w| webhook_out(w, None))
            .collect(),
    }))
}

/// Create a webhook subscription.
///
/// From now on, each listed event is POSTed to `url` as JSON
/// (`{"id", "event", "created_at", "data"}`) with the headers `X-Gazette-Event`,
/// `X-Gazette-Delivery`, `X-Gazette-Timestamp` (Unix seconds) and `X-Gazette-Signature:
/// sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`. Any 2xx answer
/// within 10 s counts as delivered; anything else is retried with exponential backoff (up to
/// 12 attempts, at most an hour apart). The answer holds the secret, which is not shown again.
#[utoipa::path(
    operation_id = "createWebhook", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookCreate,
    responses(
        (status = 201, description = "The subscription was created; the answer shows its secret, once.", body = Webhook,
            headers(("Location" = String, description = "The new subscription's URL."))),
        problems::AdminJsonWrite,
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: State,
    _admin: Admin,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input: WebhookCreate = body.parse().await?;
    let mut c = Checker::default();
    check_url(&mut c, &input.url, &state.settings.webhook_allowed_hosts);
    let events = check_events(&mut c, &input.events);
    if let Some(secret) = &input.secret {
        check_secret(&mut c, secret);
    }
    c.finish()?;
    let new = store::NewWebhook {
        url: input.url,
        events,
        secret: match input.secret {
            Some(secret) => secret,
            None => generate_secret()?,
        },
        active: input.active.unwrap_or(true),
    };
    let row = db::run_write(&state.pool, move |conn| {
        store::create(conn, &new, db::now())
    })
    .await?;
    let secret = Some(row.secret.clone());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", row.id)))
        .json(webhook_out(row, secret)))
}

/// Get one webhook subscription.
///
/// The subscription without its secret.
#[utoipa::path(
    operation_id = "getWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id."), documented::Conditional),
    responses(
        (status = 200, description = "The subscription.", body = Webhook),
        (status = 404, response = problems::SubscriptionNotFound), problems::AdminRead,
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: State,
    _admin: Admin,
    id: web::Path<String>,
) -> Result<web::Json<Webhook>, ApiError> {
    let id = path_id(&id, "webhook")?;
    let row = db::run(&state.pool, move |conn| store::find(conn, id)).await?;
    Ok(web::Json(webhook_out(row, None)))
}

/// Update a webhook subscription.
///
/// Changes its URL, events or state, or rotates its secret. Pending deliveries go to the new
/// URL, signed with the new secret.
#[utoipa::path(
    operation_id = "updateWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id.")),
    request_body = WebhookPatch,
    responses(
        (status = 200, description = "The updated subscription (without its secret).", body = Webhook),
        (status = 404, response = problems::SubscriptionNotFound), problems::AdminJsonWrite,
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: State,
    _admin: Admin,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<web::Json<Webhook>, ApiError> {
    let id = path_id(&id, "webhook")?;
    let input: WebhookPatch = body.parse().await?;
    let mut c = Checker::default();
    if let Some(url) = &input.url {
        check_url(&mut c, url, &state.settings.webhook_allowed_hosts);
    }
    let events = input.events.as_deref().map(|e| check_events(&mut c, e));
    if let Some(secret) = &input.secret {
        check_secret(&mut c, secret);
    }
    c.finish()?;
    let changes = store::WebhookChanges {
        url: input.url,
        events,
        secret: input.secret,
        active: input.active,
    };
    let row = db::run_write(&state.pool, move |conn| {
        store::update(conn, id, &changes, db::now())
    })
    .await?;
    Ok(web::Json(webhook_out(row, None)))
}

/// Delete a webhook subscription.
///
/// Its delivery log goes with it, and pending deliveries are not sent.
#[utoipa::path(
    operation_id = "deleteWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id.")),
    responses(
        (status = 204, description = "The subscription was deleted."),
        (status = 404, response = problems::SubscriptionNotFound), problems::AdminOnly,
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: State,
    _admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "webhook")?;
    db::run_write(&state.pool, move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
