//! Rendered public articles, kept in memory and served again while nothing they show has
//! changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;

use crate::db::articles::{ArticleKey, Stamp};

/// One rendered response: the JSON of an article as the public reads it, with its
/// validators, and the stamp of what it was rendered from.
#[derive(Debug)]
pub struct Rendered {
    pub stamp: Stamp,
    pub body: Bytes,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
}

/// The public JSON of recently read articles, by the key they were asked for, within a
/// budget of bytes. An entry is never served on trust: every read first reads the article's
/// stamp from the database ([`crate::db::articles::stamp`]) and serves the entry only when
/// it is the same, so a change made by this process, another replica or the CLI is seen by
/// the next read. Past the budget, arbitrary entries make room.
#[derive(Debug)]
pub struct ArticleCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<ArticleKey, Arc<Rendered>>,
    bytes: usize,
}

fn size(key: &ArticleKey, entry: &Rendered) -> usize {
    let key = match key {
        ArticleKey::Id(_) => 8,
        ArticleKey::Slug(slug) => slug.len(),
    };
    key + entry.body.len() + entry.etag.len() + entry.last_modified.len() + 128
}

impl ArticleCache {
    /// A cache holding at most `budget` bytes of responses; 0 keeps nothing.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Entries are replaced whole: a panic elsewhere cannot leave one half written.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, key: &ArticleKey) -> Option<Arc<Rendered>> {
        self.lock().entries.get(key).cloned()
    }

    pub fn put(&self, key: ArticleKey, entry: Arc<Rendered>) {
        let added = size(&key, &entry);
        if added > self.budget {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.insert(key.clone(), entry) {
            inner.bytes -= size(&key, &old);
        }
        inner.bytes += added;
        while inner.bytes > self.budget {
            let Some(victim) = inner.entries.keys().find(|k| **k != key).cloned() else {
                break;
            };
            if let Some(old) = inner.entries.remove(&victim) {
                inner.bytes -= size(&victim, &old);
            }
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::articles::Stamp;

    fn entry(stamp: Stamp, len: usize) -> Arc<Rendered> {
        Arc::new(Rendered {
            stamp,
            body: Bytes::from(vec![b'x'; len]),
            etag: HeaderValue::from_static("\"e\""),
            last_modified: HeaderValue::from_static("Thu, 26 Nov 2026 10:00:00 GMT"),
        })
    }

    #[test]
    fn keeps_within_its_budget() {
        let cache = ArticleCache::new(10_000);
        for i in 0..20 {
            cache.put(ArticleKey::Id(i), entry(Stamp::for_tests(i), 1000));
            assert!(cache.bytes() <= 10_000, "{} bytes", cache.bytes());
        }
        assert!(cache.get(&ArticleKey::Id(19)).is_some(), "the newest stays");
        cache.put(ArticleKey::Id(99), entry(Stamp::for_tests(99), 20_000));
        assert!(
            cache.get(&ArticleKey::Id(99)).is_none(),
            "larger than the budget"
        );
        let off = ArticleCache::new(0);
        off.put(ArticleKey::Id(1), entry(Stamp::for_tests(1), 10));
        assert!(!off.enabled() && off.get(&ArticleKey::Id(1)).is_none());
    }
}
