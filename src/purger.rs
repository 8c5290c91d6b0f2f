//! The purger: tells the CDN's purge endpoints (`CACHE_PURGE_URLS`) what each change in the
//! log affects, as Varnish with vmod xkey takes it: `PURGE` with `xkey-purge: <keys>` for a
//! hard purge (an unpublish, a delete, a slug change: what was shown must not be shown again)
//! and `xkey-softpurge: <keys>` for an edit (the edge may serve the old answer while it fetches
//! the new one). Each URL's place in the log is kept in the database ([`db::purges`]): a
//! failed purge is retried with growing waits, across restarts, and of several replicas one
//! at a time sends a URL's purges.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::TimeDelta;

use crate::db::{self, Pool, changes, purges};

/// How often each URL is looked at for changes to tell.
const LOOK: Duration = Duration::from_millis(20);
/// Changes told in one round.
const BATCH: i64 = 200;
/// How long a replica holds a URL while it tells it.
const LEASE: TimeDelta = TimeDelta::seconds(30);
/// The longest wait before a retry.
const MAX_BACKOFF: TimeDelta = TimeDelta::minutes(5);
/// The longest key header sent at once: Varnish takes 8 KiB headers by default.
const MAX_HEADER: usize = 6 * 1024;
/// How long one purge request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The purger's thread.
#[derive(Debug)]
pub struct Purger {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Purger {
    /// Starts telling `urls` of every change from now on; nothing when there are none.
    pub fn start(pool: Pool, urls: Vec<String>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = (!urls.is_empty())
            .then(|| {
                std::thread::Builder::new()
                    .name("gazette-purger".to_owned())
                    .spawn(move || run(&pool, &urls, &stopped))
                    .map_err(|e| log::error!("cache purges are not sent: {e}"))
                    .ok()
            })
            .flatten();
        Self { stop, thread }
    }

    /// Stops after the round under way.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Purger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn run(pool: &Pool, urls: &[String], stop: &AtomicBool) {
    // The operator's own endpoints: no proxy from the environment, no redirects.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(true)
        .allow_non_standard_methods(true)
        .max_redirects(0)
        .proxy(None)
        .user_agent(concat!("Gazette-Purge/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut registered = false;
    while !stop.load(Ordering::SeqCst) {
        if !registered {
            registered = register(pool, urls)
                .map_err(|e| log::warn!("cache purge URLs not registered yet: {e}"))
                .is_ok();
        }
        for url in urls.iter().filter(|_| registered) {
            if let Err(e) = round(pool, &agent, url) {
                log::warn!("cache purge round for {url} failed: {e}");
            }
        }
        std::thread::sleep(LOOK);
    }
}

fn register(pool: &Pool, urls: &[String]) -> db::StoreResult<()> {
    let conn = &mut *pool.get()?;
    for url in urls {
        purges::ensure(conn, url)?;
    }
    Ok(())
}

/// One round for `url`: claims it, tells it the changes since its place, and moves its place
/// on, or schedules a retry.
fn round(pool: &Pool, agent: &ureq::Agent, url: &str) -> db::StoreResult<()> {
    let now = db::now();
    let (claimed, batch) = {
        let conn = &mut *pool.get()?;
        let Some(claimed) = purges::claim(conn, url, now, now + LEASE)? else {
            return Ok(());
        };
        let batch = changes::since(conn, claimed.seq, BATCH)?;
        if batch.is_empty() {
            purges::release(conn, url)?;
            return Ok(());
        }
        (claimed, batch)
    };
    // No connection is held while the CDN answers.
    let told = tell(agent, url, &batch);
    let conn = &mut *pool.get()?;
    match told {
        Ok(()) => {
            let last = batch.last().map_or(claimed.seq, |c| c.seq);
            purges::advance(conn, url, last)?;
        }
        Err(reason) => {
            let attempts = claimed.attempts + 1;
            let wait = TimeDelta::seconds(1 << attempts.clamp(0, 9)).min(MAX_BACKOFF);
            purges::failed(conn, url, attempts, db::now() + wait, &reason)?;
        }
    }
    Ok(())
}

/// Sends the purges of `batch`: the hard ones, then the soft ones not already purged hard.
fn tell(agent: &ureq::Agent, url: &str, batch: &[changes::Recorded]) -> Result<(), String> {
    let hard: BTreeSet<&str> = batch
        .iter()
        .filter(|c| c.hard)
        .flat_map(|c| c.keys.0.iter().map(String::as_str))
        .collect();
    let soft: BTreeSet<&str> = batch
        .iter()
        .filter(|c| !c.hard)
        .flat_map(|c| c.keys.0.iter().map(String::as_str))
        .filter(|k| !hard.contains(k))
        .collect();
    for (header, keys) in [("xkey-purge", hard), ("xkey-softpurge", soft)] {
        for chunk in chunks(&keys) {
            let request = ureq::http::Request::builder()
                .method("PURGE")
                .uri(url)
                .header(header, chunk)
                .body(())
                .map_err(|e| format!("bad purge request: {e}"))?;
            agent
                .run(request)
                .map_err(|e| format!("PURGE {url}: {}", crate::egress::reason(&e)))?;
        }
    }
    Ok(())
}

/// `keys` as space-separated header values of at most [`MAX_HEADER`] bytes each.
fn chunks(keys: &BTreeSet<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        match out.last_mut() {
            Some(last) if last.len() + 1 + key.len() <= MAX_HEADER => {
                last.push(' ');
                last.push_str(key);
            }
            _ => out.push((*key).to_owned()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sent_in_headers_of_bounded_size() {
        let many: Vec<String> = (0..5000).map(changes::article).collect();
        let keys: BTreeSet<&str> = many.iter().map(String::as_str).collect();
        let sent = chunks(&keys);
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|c| c.len() <= MAX_HEADER));
        let all: usize = sent.iter().map(|c| c.split(' ').count()).sum();
        assert_eq!(all, 5000, "no key lost");
    }
}
