//! Public responses kept by URL, served again while the database has not changed since
//! ([`WalWatcher`]) without a query or a rendering.

use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;

use super::bounded::BoundedCache;
use crate::db::{self, wal_watch::WalWatcher};

/// Rendered public responses by URL, and the watcher that says whether they still hold.
#[derive(Debug)]
pub struct ResponseCache {
    watcher: Option<WalWatcher>,
    kept: BoundedCache<String, Arc<Entry>>,
}

/// A kept response: its headers and body as of one generation of the database.
#[derive(Debug)]
pub struct Entry {
    generation: u64,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ResponseCache {
    /// Keeps at most `budget` bytes; nothing when `watcher` is `None` (the database cannot
    /// tell cheaply whether it changed) or the budget is 0.
    pub fn new(watcher: Option<WalWatcher>, budget: usize) -> Self {
        Self {
            kept: BoundedCache::new(if watcher.is_some() { budget } else { 0 }),
            watcher,
        }
    }

    /// The generation of the database now, when responses may be kept.
    pub fn generation(&self) -> Option<u64> {
        match &self.watcher {
            Some(watcher) if self.kept.enabled() => watcher.generation(db::now()),
            _ => None,
        }
    }

    /// The response kept for `key`, if it was made at `generation`.
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<Entry>> {
        self.kept
            .get(key)
            .filter(|entry| entry.generation == generation)
    }

    /// Keeps the response `headers` and `body` for `key`, made at `generation`.
    pub fn put(&self, key: String, generation: u64, headers: HeaderMap, body: Bytes) {
        let weight = key.len()
            + body.len()
            + headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 32)
                .sum::<usize>()
            + 128;
        let entry = Entry {
            generation,
            headers,
            body,
        };
        self.kept.put(key, Arc::new(entry), weight);
    }
}
