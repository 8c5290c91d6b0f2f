//! The change hub: every change this process reads from the log, in order, once, handed to
//! the open event streams (`GET /api/v1/stream`). The follower and a write's catch-up both
//! read the log; whichever reads a change first applies it to the response cache and hands it
//! on here, under one lock, so a stream sees every change exactly once and in order.
//!
//! A stream holds no database connection and no thread: a receiver of a bounded broadcast
//! channel. One that falls more than [`BACKLOG`] changes behind is told it lagged (and
//! resumes from the log by its last event id); at most `MAX_STREAMS` are open at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{broadcast, watch};

use crate::db::changes::Recorded;

/// Where the event stream is served: the middleware leaves it alone (it is never kept, and
/// takes no turn among the reads that use the database).
pub const STREAM_PATH: &str = "/api/v1/stream";

/// Changes a stream may fall behind before it is told it lagged.
pub const BACKLOG: usize = 1024;

/// The changes read from the log, handed to the open streams.
#[derive(Debug)]
pub struct Hub {
    /// The sequence number of the last change handed on.
    last: Mutex<i64>,
    sender: broadcast::Sender<Arc<Recorded>>,
    /// Set when the server stops: every open stream ends.
    closing: watch::Sender<bool>,
    open: AtomicUsize,
    max_streams: usize,
}

impl Hub {
    /// A hub at log position `last`, for at most `max_streams` open streams.
    pub fn new(last: i64, max_streams: usize) -> Self {
        let (sender, _) = broadcast::channel(BACKLOG);
        Self {
            last: Mutex::new(last),
            sender,
            closing: watch::Sender::new(false),
            open: AtomicUsize::new(0),
            max_streams,
        }
    }

    /// Hands `change` on, after `apply` (applying it to the response cache), unless it was
    /// handed on already: both happen once per change, in log order.
    pub fn deliver(&self, change: &Recorded, apply: impl FnOnce()) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if change.seq <= *last {
            return;
        }
        apply();
        *last = change.seq;
        // No stream open is no error.
        let _ = self.sender.send(Arc::new(change.clone()));
    }

    /// The sequence number of the last change handed on: where readers of the log go on from.
    pub fn last(&self) -> i64 {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new stream's receiver, or `None` when `MAX_STREAMS` are open.
    pub fn subscribe(self: &Arc<Self>) -> Option<Subscription> {
        let open = self.open.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(self.clone());
        if open >= self.max_streams {
            return None;
        }
        Some(Subscription {
            receiver: self.sender.subscribe(),
            closing: self.closing.subscribe(),
            _slot: slot,
        })
    }

    /// Ends every open stream (the server is stopping: their clients resume elsewhere by
    /// their last event id, rather than wait for the shutdown's time to run out).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// How many streams are open.
    pub fn open_streams(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// An open stream's place: given back when the stream ends.
#[derive(Debug)]
struct Slot(Arc<Hub>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a stream receives changes by; dropping it frees its place.
#[derive(Debug)]
pub struct Subscription {
    pub receiver: broadcast::Receiver<Arc<Recorded>>,
    /// Becomes true when the hub closes.
    pub closing: watch::Receiver<bool>,
    _slot: Slot,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A public edit of one article at log position `seq` (public position `seq` too).
    pub(crate) fn change(seq: i64) -> Recorded {
        Recorded {
            seq,
            kind: "article.updated".to_owned(),
            resource: "article:1".to_owned(),
            keys: Default::default(),
            hard: false,
            created_at: chrono::NaiveDateTime::default(),
            public_seq: Some(seq),
            slug: "tram-vote".to_owned(),
            tags: Default::default(),
            reason: None,
            block_id: None,
        }
    }

    #[test]
    fn each_change_is_handed_on_once_in_order() {
        let hub = Arc::new(Hub::new(0, 10));
        let mut sub = hub.subscribe().unwrap();
        let mut applied = Vec::new();
        for seq in [1, 2, 2, 1, 3] {
            hub.deliver(&change(seq), || applied.push(seq));
        }
        assert_eq!(applied, [1, 2, 3]);
        let received: Vec<i64> = (0..3)
            .map(|_| sub.receiver.try_recv().unwrap().seq)
            .collect();
        assert_eq!(received, [1, 2, 3]);
        assert!(sub.receiver.try_recv().is_err());
    }

    #[test]
    fn streams_beyond_the_cap_are_refused_and_places_come_back() {
        let hub = Arc::new(Hub::new(0, 2));
        let a = hub.subscribe().unwrap();
        let _b = hub.subscribe().unwrap();
        assert!(hub.subscribe().is_none());
        assert_eq!(hub.open_streams(), 2);
        drop(a);
        assert!(hub.subscribe().is_some());
    }
}
