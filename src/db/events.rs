//! Content events for webhooks: [`record`] queues one delivery per matching subscription in
//! the caller's transaction, so an event is stored exactly when the change it reports is.

use chrono::{NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use serde_json::{Value, json};

use super::Conn;
use crate::schema::{webhook_deliveries, webhooks};

/// Every event Gazette reports. `cache.purge` (the keys a change affects, for a CDN: see
/// [`super::changes`]) goes only to subscriptions that list it or `cache.*`: `*` is every
/// content event.
pub const EVENTS: [&str; 18] = [
    "article.published",
    "article.updated",
    "article.corrected",
    "article.unpublished",
    "article.deleted",
    "block.created",
    "block.updated",
    "block.deleted",
    "tag.created",
    "tag.updated",
    "tag.deleted",
    "author.created",
    "author.updated",
    "author.deleted",
    "collection.created",
    "collection.updated",
    "collection.deleted",
    "cache.purge",
];

/// What a subscription may list besides the events themselves: every event of a resource,
/// or every event.
pub const WILDCARDS: [&str; 7] = [
    "article.*",
    "block.*",
    "tag.*",
    "author.*",
    "collection.*",
    "cache.*",
    "*",
];

/// Whether `pattern` is an event name or a wildcard a subscription may list.
pub fn is_pattern(pattern: &str) -> bool {
    EVENTS.contains(&pattern) || WILDCARDS.contains(&pattern)
}

/// Whether the subscription pattern `pattern` covers `event`.
pub fn matches(pattern: &str, event: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => !event.starts_with("cache."),
        Some(prefix) => event.starts_with(prefix),
        None => pattern == event,
    }
}

/// The patterns stored in a subscription's `events` column (a JSON array).
pub fn parse_patterns(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// A random id in the UUID v4 format.
pub fn new_event_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// The JSON body every subscription receives for one event.
pub fn payload(id: &str, event: &str, data: &Value, now: NaiveDateTime) -> String {
    json!({
        "id": id,
        "event": event,
        "created_at": now.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "data": data,
    })
    .to_string()
}

/// The active webhook subscriptions (id and stored patterns), read once for all the events
/// that the writes of one transaction queue: no write in it changes them.
#[derive(Debug, Default)]
pub struct Subscriptions(Option<Vec<(i64, String)>>);

impl Subscriptions {
    fn read(&mut self, conn: &mut Conn) -> QueryResult<&[(i64, String)]> {
        if self.0.is_none() {
            let active = webhooks::table
                .filter(webhooks::active.eq(true))
                .select((webhooks::id, webhooks::events))
                .order(webhooks::id)
                .load(conn)?;
            self.0 = Some(active);
        }
        Ok(self.0.as_deref().unwrap_or_default())
    }
}

/// Queues `event` for every active subscription that lists it (or a wildcard covering it):
/// one pending delivery each, due at `now`, all with the same body (whose `id` identifies the
/// event). Uses only `conn`, so it commits or rolls back with the caller's transaction.
pub fn record(conn: &mut Conn, event: &str, data: &Value, now: NaiveDateTime) -> QueryResult<()> {
    record_with(conn, &mut Subscriptions::default(), event, data, now)
}

/// [`record`] for `subscriptions`, read at most once for all the events of a write.
pub fn record_with(
    conn: &mut Conn,
    subscriptions: &mut Subscriptions,
    event: &str,
    data: &Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let subscriptions = subscriptions.read(conn)?;
    let targets: Vec<i64> = subscriptions
        .iter()
        .filter(|(_, events)| parse_patterns(events).iter().any(|p| matches(p, event)))
        .map(|(id, _)| *id)
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let id = new_event_id().map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
    let body = payload(&id, event, data, now);
    let rows: Vec<_> = targets
        .into_iter()
        .map(|webhook_id| {
            (
                webhook_deliveries::webhook_id.eq(webhook_id),
                webhook_deliveries::event.eq(event),
                webhook_deliveries::payload.eq(&body),
                webhook_deliveries::status.eq("pending"),
                webhook_deliveries::attempts.eq(0_i64),
                webhook_deliveries::next_attempt_at.eq(Some(now)),
                webhook_deliveries::created_at.eq(now),
            )
        })
        .collect();
    // One statement per row: multi-row inserts are not common to both backends' dialects.
    for row in &rows {
        diesel::insert_into(webhook_deliveries::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_names_and_wildcards() {
        assert!(matches("article.published", "article.published"));
        assert!(!matches("article.published", "article.updated"));
        assert!(matches("article.*", "article.deleted"));
        assert!(!matches("article.*", "tag.created"));
        assert!(matches("tag.*", "tag.updated"));
        assert!(matches("*", "tag.deleted"));
        assert!(!matches("*", "cache.purge"), "content events only");
        assert!(matches("cache.*", "cache.purge"));
        for p in EVENTS.iter().chain(&WILDCARDS) {
            assert!(is_pattern(p));
        }
        for bad in ["article", "tag.", "article.created", "tags.*", "*.*", ""] {
            assert!(!is_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn event_ids_look_like_uuids() {
        let id = new_event_id().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_event_id().unwrap());
    }
}
