//! The webhook delivery worker: drains the outbox (`webhook_deliveries`) that
//! [`crate::db::events::record`] fills in the same transaction as each change.
//!
//! Every poll claims the due deliveries in an immediate transaction and POSTs each one's
//! stored body, signed, to its subscription's URL. A 2xx answer marks it delivered; anything
//! else is retried with exponential backoff (see [`crate::db::webhooks::backoff`]). All state
//! lives in the database, so a restarted server picks up where the last one stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::rt::task::JoinHandle;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::Settings;
use crate::db::webhooks::{self as store, Claimed};
use crate::db::{self, Pool, StoreResult};
use crate::egress;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The wait after the first failed attempt; it doubles with each further one.
    pub retry_base: Duration,
    /// How often the outbox is checked for due deliveries.
    pub poll_interval: Duration,
    /// How long one attempt may take, connecting included.
    pub timeout: Duration,
    /// Deliveries attempted at once.
    pub batch: i64,
    /// The hosts deliveries may go to whatever their addresses, in lower case; when empty,
    /// any host whose addresses are all public (see [`crate::egress`]).
    pub allowed_hosts: Vec<String>,
}

impl WorkerConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            allowed_hosts: settings.webhook_allowed_hosts.clone(),
            ..Self::new(Duration::from_millis(settings.webhook_retry_base_ms))
        }
    }

    pub fn new(retry_base: Duration) -> Self {
        Self {
            retry_base,
            poll_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(10),
            batch: 16,
            allowed_hosts: Vec::new(),
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with `secret`: the
/// `X-Gazette-Signature` of a delivery.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// How one attempt ended.
#[derive(Debug)]
enum Outcome {
    Delivered(u16),
    Failed(Option<u16>, String),
}

fn agent(config: &WorkerConfig) -> ureq::Agent {
    egress::agent(config.timeout, &config.allowed_hosts)
}

/// POSTs one delivery (blocking) with `agent` (see [`egress::agent`]). A failure records
/// the status code and a fixed reason, never what the receiver sent: its body is not read.
fn send(agent: &ureq::Agent, delivery: &Claimed) -> Outcome {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string();
    let body = delivery.payload.as_bytes();
    let result = agent
        .post(&delivery.url)
        .header("Content-Type", "application/json")
        .header("X-Gazette-Event", &delivery.event)
        .header("X-Gazette-Delivery", delivery.id.to_string())
        .header("X-Gazette-Timestamp", &timestamp)
        .header(
            "X-Gazette-Signature",
            signature(&delivery.secret, &timestamp, body),
        )
        .send(body);
    match result {
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                return Outcome::Delivered(status.as_u16());
            }
            let error = format!(
                "HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            Outcome::Failed(Some(status.as_u16()), error.trim_end().to_owned())
        }
        Err(err) => Outcome::Failed(None, egress::reason(&err).to_owned()),
    }
}

/// Sends one claimed delivery and records how it went.
async fn attempt(pool: Pool, agent: ureq::Agent, delivery: Claimed, config: WorkerConfig) {
    let (id, retry_base) = (delivery.id, config.retry_base);
    let url: String = delivery.url.chars().take(120).collect();
    let outcome = actix_web::rt::task::spawn_blocking(move || send(&agent, &delivery))
        .await
        .unwrap_or_else(|_| Outcome::Failed(None, "the attempt failed".to_owned()));
    match &outcome {
        Outcome::Delivered(code) => log::debug!("webhook delivery {id} to {url}: {code}"),
        Outcome::Failed(_, error) => log::warn!("webhook delivery {id} to {url} failed: {error}"),
    }
    let recorded = db::run_write(&pool, move |conn| {
        let now = db::now();
        match outcome {
            Outcome::Delivered(code) => store::mark_delivered(conn, id, code, now)?,
            Outcome::Failed(code, error) => {
                store::mark_failed(conn, id, code, &error, now, retry_base)?
            }
        }
        Ok(())
    })
    .await;
    if let Err(err) = recorded {
        // The claim lapses and the delivery is tried again.
        log::error!("cannot record the outcome of webhook delivery {id}: {err}");
    }
}

/// Claims the due deliveries and attempts them all at once; returns how many there were.
async fn poll_once(pool: &Pool, agent: &ureq::Agent, config: &WorkerConfig) -> StoreResult<usize> {
    let now = db::now();
    // Long enough for the attempt and recording its outcome.
    let lease = now
        + chrono::Duration::from_std(config.timeout * 2 + Duration::from_secs(10))
            .unwrap_or(chrono::Duration::minutes(1));
    let batch = config.batch;
    let claimed = db::run_write(pool, move |conn| {
        if !store::has_due(conn, now)? {
            return Ok(Vec::new());
        }
        Ok(store::claim_due(conn, now, lease, batch)?)
    })
    .await?;
    let count = claimed.len();
    let attempts: Vec<_> = claimed
        .into_iter()
        .map(|delivery| {
            actix_web::rt::spawn(attempt(
                pool.clone(),
                agent.clone(),
                delivery,
                config.clone(),
            ))
        })
        .collect();
    for running in attempts {
        let _ = running.await;
    }
    Ok(count)
}

/// The worker, running on the actix runtime it was started on.
#[derive(Debug)]
pub struct Worker {
    stop: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Starts polling the outbox of `pool`'s database.
    pub fn start(pool: Pool, config: WorkerConfig) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let task = actix_web::rt::spawn(async move {
            let agent = agent(&config);
            while !stopping.load(Ordering::Relaxed) {
                match poll_once(&pool, &agent, &config).await {
                    // A full batch: more may be due already.
                    Ok(n) if n as i64 >= config.batch => continue,
                    Ok(_) => {}
                    Err(err) => log::warn!("webhook worker: {err}"),
                }
                actix_web::rt::time::sleep(config.poll_interval).await;
            }
        });
        Self { stop, task }
    }

    /// Stops polling once the attempts under way have ended.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_the_hex_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently (Python's hmac module).
        assert_eq!(
            signature("whsec_test", "1700000000", br#"{"event":"tag.created"}"#),
            "sha256=53ced71479a3ee2e38db5eb9f9f6629a30563da5ff87d974604cadcab85379c4"
        );
    }
}
