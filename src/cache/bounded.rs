//! A map kept in memory within a budget of bytes: the store of both response caches.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Values by key, holding at most `budget` bytes as their owners weigh them. Past the
/// budget, arbitrary other entries make room: what is read often is soon put back.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    budget: usize,
    inner: Mutex<Inner<K, V>>,
}

#[derive(Debug)]
struct Inner<K, V> {
    entries: HashMap<K, (V, usize)>,
    bytes: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    /// A map holding at most `budget` bytes; 0 keeps nothing.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // Entries are replaced whole: a panic elsewhere cannot leave one half written.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.lock().entries.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value` under `key`, counted as `weight` bytes; nothing when that is more than
    /// the whole budget.
    pub fn put(&self, key: K, value: V, weight: usize) {
        if weight > self.budget {
            return;
        }
        let mut inner = self.lock();
        if let Some((_, old)) = inner.entries.insert(key.clone(), (value, weight)) {
            inner.bytes -= old;
        }
        inner.bytes += weight;
        while inner.bytes > self.budget {
            let Some(victim) = inner.entries.keys().find(|k| **k != key).cloned() else {
                break;
            };
            if let Some((_, old)) = inner.entries.remove(&victim) {
                inner.bytes -= old;
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

    #[test]
    fn keeps_within_its_budget() {
        let kept = BoundedCache::new(10_000);
        for i in 0..20 {
            kept.put(i, i, 1000);
            assert!(kept.bytes() <= 10_000, "{} bytes", kept.bytes());
        }
        assert_eq!(kept.get(&19), Some(19), "the newest stays");
        kept.put(19, 190, 500);
        assert_eq!(kept.get(&19), Some(190), "replaced");
        assert!(kept.bytes() <= 10_000);
        kept.put(99, 99, 20_000);
        assert_eq!(kept.get(&99), None, "larger than the budget");
        let off = BoundedCache::new(0);
        off.put(1, 1, 10);
        assert!(!off.enabled() && off.get(&1).is_none());
    }
}
