//! The change-log follower: keeps this process's response cache in step with the log
//! ([`crate::db::changes`]), whoever wrote: this process, another replica, the CLI. On
//! PostgreSQL it is woken by a notification as a change commits; on SQLite it reads the log
//! every [`changes::SQLITE_LOOK`]. Either way it reads by sequence number from where it
//! is, so nothing is missed across a lost connection, and it also reads once a second
//! whatever it was told.
//!
//! A write answered by this process has its changes applied before its answer leaves
//! ([`catch_up`], called by the caching middleware): the writer's next read never sees
//! what it replaced. Each change is applied through the [`Hub`], which hands it on to the
//! open event streams, once, whichever of the two read it first.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cache::responses::ResponseCache;
use crate::db::{self, Pool, changes};
use crate::hub::Hub;
use crate::search_index::SearchIndex;

/// Changes read at once.
const BATCH: i64 = 1000;

/// How long the follower waits for news before it reads the log anyway.
const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// How often the follower forgets changes older than the retention (any replica may; it is
/// the same work done again).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The follower's thread; it stops when this is dropped.
#[derive(Debug)]
pub struct Follower {
    stop: Arc<AtomicBool>,
}

impl Follower {
    /// Starts following the log of `pool`'s database into `cache` and `hub`, forgetting
    /// changes older than `retention_days` (0: none).
    pub fn start(
        pool: Pool,
        cache: Arc<ResponseCache>,
        hub: Arc<Hub>,
        search: Arc<SearchIndex>,
        retention_days: u32,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("gazette-follower".to_owned())
            .spawn(move || follow(&pool, &cache, &hub, &search, retention_days, &stopped));
        if let Err(e) = spawned {
            log::error!("the change log is not followed: {e}");
        }
        Self { stop }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn follow(
    pool: &Pool,
    cache: &ResponseCache,
    hub: &Hub,
    search: &SearchIndex,
    retention_days: u32,
    stop: &AtomicBool,
) {
    let mut listener: Option<changes::Listener> = None;
    let mut pruned: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        if retention_days > 0 && pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned = Some(std::time::Instant::now());
            let cutoff = db::now() - chrono::Duration::days(i64::from(retention_days));
            let forgot = pool
                .get()
                .map_err(db::StoreError::from)
                .and_then(|mut conn| db::sync::prune(&mut conn, cutoff));
            if let Err(e) = forgot {
                log::warn!("changes older than {retention_days} days are not forgotten yet: {e}");
            }
        }
        let current = match listener.take() {
            Some(current) => current,
            None => match changes::Listener::open(pool) {
                Ok(opened) => opened,
                Err(e) => {
                    // Changes made elsewhere meanwhile would go unseen: keep nothing.
                    cache.set_following(false);
                    log::warn!("cannot follow the change log, retrying: {e}");
                    std::thread::sleep(LONGEST_WAIT);
                    continue;
                }
            },
        };
        let mut current = current;
        let followed = current
            .wait(LONGEST_WAIT)
            .and_then(|_| apply_all(cache, hub, search, current.conn()))
            .and_then(|()| search.commit_due());
        match followed {
            Ok(()) => {
                cache.set_following(true);
                listener = Some(current);
            }
            Err(e) => {
                cache.set_following(false);
                log::warn!("following the change log failed, reconnecting: {e}");
            }
        }
    }
}

/// Applies to `cache`, and hands on through `hub`, every change after the last one it
/// handed on, read on `conn`; `search` is brought up to each batch before the cache is, so
/// that no answer the cache keeps after a change was searched before it.
fn apply_all(
    cache: &ResponseCache,
    hub: &Hub,
    search: &SearchIndex,
    conn: &mut db::Conn,
) -> db::StoreResult<()> {
    loop {
        let batch = changes::since(conn, hub.last(), BATCH)?;
        if !batch.is_empty() {
            search.catch_up(conn)?;
        }
        for change in &batch {
            hub.deliver(change, || cache.apply(change.seq, &change.keys.0));
        }
        if (batch.len() as i64) < BATCH {
            return Ok(());
        }
    }
}

/// Applies every change in the log now, on a connection of `pool`: after a write, before
/// its answer leaves.
pub async fn catch_up(
    pool: &Pool,
    cache: Arc<ResponseCache>,
    hub: Arc<Hub>,
    search: Arc<SearchIndex>,
) -> db::StoreResult<()> {
    db::run(pool, move |conn| apply_all(&cache, &hub, &search, conn)).await
}
