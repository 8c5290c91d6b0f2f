//! Webhook subscriptions and their deliveries: the outbox that [`crate::webhooks`] drains
//! and, kept afterwards, each subscription's delivery log.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, exists};
use diesel::prelude::*;

use super::{AnyConnection, Conn, Page, StoreError, StoreResult};
use crate::schema::{webhook_deliveries, webhooks};

/// Attempts after which a delivery is given up (`failed`); it can still be redelivered.
pub const MAX_ATTEMPTS: i64 = 12;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    /// A JSON array of event names and wildcards.
    pub events: String,
    pub secret: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl WebhookRow {
    /// The event names and wildcards this subscription lists.
    pub fn event_patterns(&self) -> Vec<String> {
        super::events::parse_patterns(&self.events)
    }
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub active: bool,
}

/// Changes to a subscription: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub active: Option<bool>,
}

#[derive(AsChangeset)]
#[diesel(table_name = webhooks)]
struct WebhookChangeset<'a> {
    url: Option<&'a str>,
    events: Option<String>,
    secret: Option<&'a str>,
    active: Option<bool>,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    /// While an attempt runs, when its claim lapses.
    pub attempting_until: Option<NaiveDateTime>,
}

fn events_json(events: &[String]) -> String {
    serde_json::Value::from(events.to_vec()).to_string()
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("No webhook has the id {id}."))
}

// ---------------------------------------------------------------------------------------
// Subscriptions.
// ---------------------------------------------------------------------------------------

pub fn create(conn: &mut Conn, new: &NewWebhook, now: NaiveDateTime) -> StoreResult<WebhookRow> {
    let id: i64 = diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(&new.url),
            webhooks::events.eq(events_json(&new.events)),
            webhooks::secret.eq(&new.secret),
            webhooks::active.eq(new.active),
            webhooks::created_at.eq(now),
            webhooks::updated_at.eq(now),
        ))
        .returning(webhooks::id)
        .get_result(conn)?;
    Ok(webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)?)
}

/// One page of subscriptions in id (creation) order, starting after the id `after`.
pub fn list(conn: &mut Conn, after: Option<i64>, limit: i64) -> StoreResult<Page<WebhookRow>> {
    let total = webhooks::table.select(count_star()).get_result(conn)?;
    let rows: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::id.gt(after.unwrap_or(0)))
        .order(webhooks::id)
        .limit(super::overfetch(limit))
        .select(WebhookRow::as_select())
        .load(conn)?;
    Ok(Page::overfetched(rows, limit, total))
}

pub fn find(conn: &mut Conn, id: i64) -> StoreResult<WebhookRow> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(id))
}

pub fn update(
    conn: &mut Conn,
    id: i64,
    changes: &WebhookChanges,
    now: NaiveDateTime,
) -> StoreResult<WebhookRow> {
    super::write(conn, |conn| {
        find(conn, id)?;
        diesel::update(webhooks::table.find(id))
            .set(&WebhookChangeset {
                url: changes.url.as_deref(),
                events: changes.events.as_deref().map(events_json),
                secret: changes.secret.as_deref(),
                active: changes.active,
                updated_at: now,
            })
            .execute(conn)?;
        find(conn, id)
    })
}

/// Deletes a subscription with its delivery log, pending deliveries included.
pub fn delete(conn: &mut Conn, id: i64) -> StoreResult<()> {
    super::write(conn, |conn| {
        find(conn, id)?;
        // ON DELETE CASCADE does this too, where foreign keys are enforced.
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
            .execute(conn)?;
        diesel::delete(webhooks::table.find(id)).execute(conn)?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// The delivery log.
// ---------------------------------------------------------------------------------------

/// One page of a subscription's deliveries, newest first, starting before the id `before`.
pub fn deliveries(
    conn: &mut Conn,
    webhook_id: i64,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Page<DeliveryRow>> {
    find(conn, webhook_id)?;
    let of_webhook = webhook_deliveries::webhook_id.eq(webhook_id);
    let total = webhook_deliveries::table
        .filter(of_webhook)
        .select(count_star())
        .get_result(conn)?;
    let rows: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(of_webhook)
        .filter(webhook_deliveries::id.lt(before.unwrap_or(i64::MAX)))
        .order(webhook_deliveries::id.desc())
        .limit(super::overfetch(limit))
        .select(DeliveryRow::as_select())
        .load(conn)?;
    Ok(Page::overfetched(rows, limit, total))
}

pub fn find_delivery(conn: &mut Conn, webhook_id: i64, id: i64) -> StoreResult<DeliveryRow> {
    find(conn, webhook_id)?;
    webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Webhook {webhook_id} has no delivery with the id {id}."
            ))
        })
}

/// Queues a delivery again, due now, with the same body. A delivered or failed one starts
/// over (attempts from 0); a pending one is only brought forward. A delivery being
/// attempted (by any replica) is a [`StoreError::Conflict`]: queuing it again would let a
/// second attempt run beside the first.
pub fn redeliver(
    conn: &mut Conn,
    webhook_id: i64,
    id: i64,
    now: NaiveDateTime,
) -> StoreResult<DeliveryRow> {
    super::write(conn, |conn| {
        let current = find_delivery(conn, webhook_id, id)?;
        // The claim is checked by the update itself: on PostgreSQL a claim committed after
        // the read above holds the row until it commits, and the update then finds the row
        // claimed and changes nothing.
        let target = webhook_deliveries::table
            .find(id)
            .filter(not_attempting(now));
        let changed = if current.status == "pending" {
            diesel::update(target)
                .set(webhook_deliveries::next_attempt_at.eq(Some(now)))
                .execute(conn)?
        } else {
            diesel::update(target)
                .set((
                    webhook_deliveries::status.eq("pending"),
                    webhook_deliveries::attempts.eq(0_i64),
                    webhook_deliveries::next_attempt_at.eq(Some(now)),
                    webhook_deliveries::delivered_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?
        };
        if changed == 0 {
            return Err(StoreError::Conflict(format!(
                "Delivery {id} is being attempted right now; redeliver it once the attempt has \
                 ended (the delivery log then shows its outcome)."
            )));
        }
        find_delivery(conn, webhook_id, id)
    })
}

// ---------------------------------------------------------------------------------------
// The worker's side.
// ---------------------------------------------------------------------------------------

/// A delivery claimed for an attempt, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub event: String,
    pub payload: String,
    pub url: String,
    pub secret: String,
}

/// No attempt of the delivery runs: none claimed it, or the claim lapsed (its server
/// stopped mid-attempt).
#[diesel::dsl::auto_type]
fn not_attempting(now: NaiveDateTime) -> _ {
    webhook_deliveries::attempting_until
        .is_null()
        .or(webhook_deliveries::attempting_until.le(now))
}

/// Pending, due, and [`not_attempting`].
#[diesel::dsl::auto_type]
fn due(now: NaiveDateTime) -> _ {
    webhook_deliveries::status
        .eq("pending")
        .and(webhook_deliveries::next_attempt_at.le(now))
        .and(
            webhook_deliveries::attempting_until
                .is_null()
                .or(webhook_deliveries::attempting_until.le(now)),
        )
}

/// Whether a delivery of an active subscription is due: a read, so idle polls take no lock.
pub fn has_due(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(exists(
        webhook_deliveries::table
            .inner_join(webhooks::table)
            .filter(due(now))
            .filter(webhooks::active.eq(true)),
    ))
    .get_result(conn)
}

/// Claims up to `limit` due deliveries of active subscriptions, oldest first: each stays
/// pending but is attempted (and not due) until `lease_until`, so no other poll takes it
/// and no redeliver queues it while its attempt runs, and a server that stops mid-attempt
/// leaves it to be retried then.
pub fn claim_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    if matches!(conn, AnyConnection::Postgres(_)) {
        // Row locks that skip rows another replica's worker holds: replicas claim disjoint
        // deliveries at once, without queueing behind content writes.
        return conn.transaction(|conn| {
            let ids: Vec<i64> = diesel::sql_query(
                "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.active \
                 AND (d.attempting_until IS NULL OR d.attempting_until <= $1) \
                 ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
            )
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load::<DeliveryId>(conn)?
            .into_iter()
            .map(|d| d.id)
            .collect();
            lease(conn, &ids, lease_until)
        });
    }
    super::write(conn, |conn| {
        let ids: Vec<i64> = webhook_deliveries::table
            .inner_join(webhooks::table)
            .filter(due(now))
            .filter(webhooks::active.eq(true))
            .order((webhook_deliveries::next_attempt_at, webhook_deliveries::id))
            .limit(limit)
            .select(webhook_deliveries::id)
            .load(conn)?;
        lease(conn, &ids, lease_until)
    })
}

#[derive(QueryableByName)]
struct DeliveryId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Leases the deliveries `ids` until `lease_until` and returns what sending them needs, in
/// due order.
fn lease(conn: &mut Conn, ids: &[i64], lease_until: NaiveDateTime) -> QueryResult<Vec<Claimed>> {
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
        .set((
            webhook_deliveries::next_attempt_at.eq(Some(lease_until)),
            webhook_deliveries::attempting_until.eq(Some(lease_until)),
        ))
        .execute(conn)?;
    let mut rows: Vec<(i64, String, String, String, String)> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(ids))
        .order(webhook_deliveries::id)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::event,
            webhook_deliveries::payload,
            webhooks::url,
            webhooks::secret,
        ))
        .load(conn)?;
    rows.sort_by_key(|row| ids.iter().position(|&id| id == row.0));
    Ok(rows
        .into_iter()
        .map(|(id, event, payload, url, secret)| Claimed {
            id,
            event,
            payload,
            url,
            secret,
        })
        .collect())
}

/// Records a successful attempt (a 2xx answer with `status_code`).
pub fn mark_delivered(
    conn: &mut Conn,
    id: i64,
    status_code: u16,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("delivered"),
        webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        webhook_deliveries::next_attempt_at.eq(None::<NaiveDateTime>),
        webhook_deliveries::last_status_code.eq(Some(i64::from(status_code))),
        webhook_deliveries::delivered_at.eq(Some(now)),
        webhook_deliveries::attempting_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// How long to wait after the `attempts`-th failed attempt: `base` × 2^attempts, at most
/// [`MAX_BACKOFF`].
pub fn backoff(attempts: i64, base: Duration) -> Duration {
    let factor = 1u32 << attempts.clamp(0, 30);
    base.checked_mul(factor)
        .map_or(MAX_BACKOFF, |d| d.min(MAX_BACKOFF))
}

/// Records a failed attempt: the answer's status code (none when no answer came) and what
/// went wrong. The delivery is retried after [`backoff`], or is `failed` after
/// [`MAX_ATTEMPTS`] attempts.
pub fn mark_failed(
    conn: &mut Conn,
    id: i64,
    status_code: Option<u16>,
    error: &str,
    now: NaiveDateTime,
    retry_base: Duration,
) -> QueryResult<()> {
    super::write(conn, |conn| {
        let attempts: Option<i64> = webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::status.eq("pending"))
            .select(webhook_deliveries::attempts)
            .first(conn)
            .optional()?;
        // Deleted (with its subscription) while the attempt ran: nothing to record.
        let Some(attempts) = attempts.map(|a| a + 1) else {
            return Ok(());
        };
        let (status, next) = if attempts >= MAX_ATTEMPTS {
            ("failed", None)
        } else {
            let wait = chrono::Duration::from_std(backoff(attempts, retry_base))
                .unwrap_or(chrono::Duration::hours(1));
            ("pending", Some(now + wait))
        };
        diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::attempts.eq(attempts),
                webhook_deliveries::next_attempt_at.eq(next),
                webhook_deliveries::last_status_code.eq(status_code.map(i64::from)),
                webhook_deliveries::last_error.eq(Some(error)),
                webhook_deliveries::attempting_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(1);
        assert_eq!(backoff(1, base), Duration::from_secs(2));
        assert_eq!(backoff(2, base), Duration::from_secs(4));
        assert_eq!(backoff(11, base), Duration::from_secs(2048));
        assert_eq!(backoff(12, base), MAX_BACKOFF);
        assert_eq!(backoff(400, base), MAX_BACKOFF);
        assert_eq!(
            backoff(3, Duration::from_millis(50)),
            Duration::from_millis(400)
        );
    }
}
