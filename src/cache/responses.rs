//! Public answers kept by URL, each with the change-log keys it depends on
//! ([`crate::db::changes`]), and dropped exactly when a change names one of them.
//!
//! The cache knows how far along the change log it is (`applied`). An answer is kept only
//! if no change was applied between the moment its request started reading and the moment
//! it is kept: a change that committed meanwhile could have been read by it or not, and
//! an answer that may predate a change it depends on must not outlive that change.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use tokio::sync::watch;

/// Rendered public answers by URL, within a budget of bytes.
#[derive(Debug)]
pub struct ResponseCache {
    budget: usize,
    inner: Mutex<Kept>,
    /// The URLs being rendered now, each with a receiver that wakes when its rendering ends.
    rendering: Mutex<HashMap<String, watch::Receiver<()>>>,
    /// Whether the change log is being followed: while it is not, nothing kept could be
    /// known to hold, so nothing is served or kept.
    following: AtomicBool,
}

/// Who renders a missing answer: this request, or one already under way.
pub enum Turn<'c> {
    /// Render it; others asking meanwhile wait until this is dropped.
    Lead(Rendering<'c>),
    /// Wait for this rendering to end, then look again.
    Follow(watch::Receiver<()>),
}

/// The rendering of a URL that others may be waiting for: they wake when it is dropped.
pub struct Rendering<'c> {
    cache: &'c ResponseCache,
    url: String,
    _done: watch::Sender<()>,
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        let mut rendering = self
            .cache
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rendering.remove(&self.url);
    }
}

#[derive(Debug, Default)]
struct Kept {
    entries: HashMap<String, Arc<Entry>>,
    /// The URLs kept for each key.
    by_key: HashMap<String, HashSet<String>>,
    bytes: usize,
    /// The sequence number of the last change applied.
    applied: i64,
}

/// A kept answer: its headers and body, and what it depends on.
#[derive(Debug)]
pub struct Entry {
    pub headers: HeaderMap,
    pub body: Bytes,
    keys: Vec<String>,
    weight: usize,
    /// When it stops being served even if no change names it, if ever.
    expires: Option<Instant>,
}

impl ResponseCache {
    /// A cache of at most `budget` bytes (0 keeps nothing), up to date with the change log
    /// as of change `applied`.
    pub fn new(budget: usize, applied: i64) -> Self {
        Self {
            budget,
            inner: Mutex::new(Kept {
                applied,
                ..Kept::default()
            }),
            rendering: Mutex::new(HashMap::new()),
            following: AtomicBool::new(true),
        }
    }

    /// Says whether the change log is being followed. When it stops being, everything kept
    /// is dropped; until it is again, nothing is served or kept.
    pub fn set_following(&self, following: bool) {
        if !following && self.following.swap(false, Ordering::SeqCst) {
            let mut kept = self.lock();
            kept.entries.clear();
            kept.by_key.clear();
            kept.bytes = 0;
        }
        self.following.store(following, Ordering::SeqCst);
    }

    /// Whether this request renders the missing answer for `url`, or waits for the request
    /// already rendering it: a page everybody reads, dropped by a change, is rendered once,
    /// not once per reader that asks before it is back.
    pub fn turn(&self, url: &str) -> Turn<'_> {
        let mut rendering = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(under_way) = rendering.get(url) {
            return Turn::Follow(under_way.clone());
        }
        let (done, waiting) = watch::channel(());
        rendering.insert(url.to_owned(), waiting);
        Turn::Lead(Rendering {
            cache: self,
            url: url.to_owned(),
            _done: done,
        })
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0 && self.following.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        // Every update leaves the maps whole before it can panic.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sequence number of the last change applied: take it before reading what an
    /// answer shows, and give it back to [`ResponseCache::put`].
    pub fn applied(&self) -> i64 {
        self.lock().applied
    }

    pub fn get(&self, url: &str) -> Option<Arc<Entry>> {
        if !self.following.load(Ordering::SeqCst) {
            return None;
        }
        let mut kept = self.lock();
        let entry = kept.entries.get(url)?;
        if entry.expires.is_some_and(|at| at <= Instant::now()) {
            kept.remove(url);
            return None;
        }
        Some(entry.clone())
    }

    /// Keeps the answer for `url`, depending on `keys`, when no change was applied since
    /// `read_from` (what [`ResponseCache::applied`] said before it was read), until a change
    /// names one of its keys or, if given, `expires`. Returns whether it was kept.
    pub fn put(
        &self,
        url: String,
        read_from: i64,
        answer: (HeaderMap, Bytes),
        keys: Vec<String>,
        expires: Option<Instant>,
    ) -> bool {
        let (headers, body) = answer;
        let weight = url.len()
            + body.len()
            + headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 32)
                .sum::<usize>()
            + keys.iter().map(|k| 2 * k.len() + 48).sum::<usize>()
            + 128;
        if weight > self.budget || keys.is_empty() {
            return false;
        }
        let mut kept = self.lock();
        if kept.applied != read_from || !self.following.load(Ordering::SeqCst) {
            return false;
        }
        kept.remove(&url);
        while kept.bytes + weight > self.budget {
            let Some(victim) = kept.entries.keys().next().cloned() else {
                break;
            };
            kept.remove(&victim);
        }
        for key in &keys {
            kept.by_key
                .entry(key.clone())
                .or_default()
                .insert(url.clone());
        }
        kept.bytes += weight;
        let entry = Entry {
            headers,
            body,
            keys,
            weight,
            expires,
        };
        kept.entries.insert(url, Arc::new(entry));
        true
    }

    /// Applies change `seq`, which names `keys`: drops every answer depending on one of
    /// them. A change already applied is skipped.
    pub fn apply(&self, seq: i64, keys: &[String]) {
        let mut kept = self.lock();
        if seq <= kept.applied {
            return;
        }
        for key in keys {
            let Some(urls) = kept.by_key.remove(key) else {
                continue;
            };
            for url in urls {
                kept.remove(&url);
            }
        }
        kept.applied = seq;
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// How many answers are kept now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Kept {
    fn remove(&mut self, url: &str) {
        let Some(entry) = self.entries.remove(url) else {
            return;
        };
        self.bytes -= entry.weight;
        for key in &entry.keys {
            if let Some(urls) = self.by_key.get_mut(key) {
                urls.remove(url);
                if urls.is_empty() {
                    self.by_key.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn one_request_renders_a_missing_answer_and_the_others_wait_for_it() {
        let cache = ResponseCache::new(1 << 20, 0);
        let Turn::Lead(rendering) = cache.turn("/api/v1/articles") else {
            panic!("the first asks renders");
        };
        let Turn::Follow(mut waiting) = cache.turn("/api/v1/articles") else {
            panic!("the second waits");
        };
        assert!(
            matches!(cache.turn("/api/v1/tags"), Turn::Lead(_)),
            "another URL"
        );
        put(&cache, "/api/v1/articles", &["l:articles"]);
        drop(rendering);
        assert!(
            waiting.changed().await.is_err(),
            "woken: the rendering ended"
        );
        assert!(cache.get("/api/v1/articles").is_some());
        assert!(
            matches!(cache.turn("/api/v1/articles"), Turn::Lead(_)),
            "nothing under way"
        );
    }

    fn keys(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    fn put(cache: &ResponseCache, url: &str, depends_on: &[&str]) -> bool {
        let from = cache.applied();
        cache.put(
            url.to_owned(),
            from,
            (HeaderMap::new(), Bytes::from_static(b"{}")),
            keys(depends_on),
            None,
        )
    }

    #[test]
    fn a_change_drops_exactly_the_answers_depending_on_its_keys() {
        let cache = ResponseCache::new(1 << 20, 0);
        assert!(put(
            &cache,
            "/api/v1/articles/tram",
            &["a:1", "t:transport"]
        ));
        assert!(put(&cache, "/api/v1/articles/ferry", &["a:2", "t:harbour"]));
        assert!(put(
            &cache,
            "/api/v1/articles",
            &["l:articles", "a:1", "a:2"]
        ));
        cache.apply(1, &keys(&["a:1", "a:all"]));
        assert!(cache.get("/api/v1/articles/tram").is_none());
        assert!(cache.get("/api/v1/articles").is_none());
        assert!(cache.get("/api/v1/articles/ferry").is_some(), "untouched");
        cache.apply(2, &keys(&["t:harbour"]));
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept_after_it() {
        let cache = ResponseCache::new(1 << 20, 5);
        let from = cache.applied();
        cache.apply(6, &keys(&["a:9"]));
        let kept = cache.put(
            "/api/v1/articles".to_owned(),
            from,
            (HeaderMap::new(), Bytes::from_static(b"[]")),
            keys(&["l:articles"]),
            None,
        );
        assert!(!kept, "it may show the state before change 6");
        cache.apply(6, &keys(&["l:articles"]));
        assert_eq!(cache.applied(), 6, "a change is applied once");
    }

    #[test]
    fn an_answer_kept_for_a_while_goes_when_its_time_is_up() {
        let cache = ResponseCache::new(1 << 20, 0);
        let answer = || (HeaderMap::new(), Bytes::from_static(b"{}"));
        let soon = Instant::now() + std::time::Duration::from_millis(20);
        assert!(cache.put("/a".to_owned(), 0, answer(), keys(&["a:1"]), Some(soon)));
        assert!(cache.get("/a").is_some());
        std::thread::sleep(std::time::Duration::from_millis(30));
        assert!(cache.get("/a").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn nothing_is_served_or_kept_while_the_log_is_not_followed() {
        let cache = ResponseCache::new(1 << 20, 0);
        assert!(put(&cache, "/api/v1/tags", &["tags"]));
        cache.set_following(false);
        assert!(cache.get("/api/v1/tags").is_none());
        assert!(!put(&cache, "/api/v1/tags", &["tags"]));
        cache.set_following(true);
        assert!(
            cache.get("/api/v1/tags").is_none(),
            "dropped, not kept for later"
        );
        assert!(put(&cache, "/api/v1/tags", &["tags"]));
    }

    #[test]
    fn it_keeps_within_its_budget() {
        let cache = ResponseCache::new(4_000, 0);
        for i in 0..50 {
            put(
                &cache,
                &format!("/api/v1/articles/{i}"),
                &[&format!("a:{i}")],
            );
            assert!(cache.bytes() <= 4_000, "{} bytes", cache.bytes());
        }
        assert!(!cache.is_empty());
        let off = ResponseCache::new(0, 0);
        assert!(!put(&off, "/api/v1/tags", &["tags"]));
    }
}
