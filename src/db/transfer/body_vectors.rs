//! On PostgreSQL, the search vectors of an import's new article bodies, computed beside the
//! write by a second connection.
//!
//! PostgreSQL's text parser was most of a PostgreSQL import's server time (BENCHMARKS.md),
//! run by the import's one backend for every new article in its last statement. A second
//! connection, outside the import's transaction, computes each new body's vector soon after
//! its article is written, on another core, and stores it in `search_vectors` with the md5 of
//! the body it was computed from. The import's last statement takes a vector only where that
//! md5 is the one of its article's body; for any other article (the helper fell behind, or
//! failed) the search table's trigger computes it there, as before. The helper is never
//! waited for while the import writes: a batch it has no room for during the first pass is
//! sent again during the second, its bodies read back from the import's own rows, and what
//! is still not sent when the second pass ends is left to that trigger.

use std::ops::DerefMut;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use crate::db::{AnyConnection, Conn};

/// A connection an import may use beside its own, to the same database.
pub type Helper = Box<dyn DerefMut<Target = Conn> + Send>;

/// Bodies sent to the helper at a time, at most: how much a batch may hold.
const BATCH_ARTICLES: usize = 32;
const BATCH_BYTES: usize = 512 * 1024;
/// Batches waiting for the helper, at most (32 MiB); beyond, a batch is left to the trigger.
/// The helper falls behind while the first pass writes and catches up during the second.
const QUEUED: usize = 64;

/// The bodies of new articles on their way to the helper.
pub(super) struct BodyVectors {
    batch: Vec<(i64, String)>,
    batch_bytes: usize,
    /// Articles whose batch found no room, oldest first, from `resend` on.
    unsent: Vec<i64>,
    resend: usize,
    /// A batch read back that found no room either, to send first.
    held: Option<Vec<(i64, String)>>,
    send: Option<SyncSender<Vec<(i64, String)>>>,
    worker: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl BodyVectors {
    /// No helper: every vector is computed by the trigger.
    pub(super) fn none() -> Self {
        Self {
            batch: Vec::new(),
            batch_bytes: 0,
            unsent: Vec::new(),
            resend: 0,
            held: None,
            send: None,
            worker: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts the helper on its own thread when both connections are PostgreSQL ones, after
    /// emptying what an import that failed left in `search_vectors` (inside `conn`'s
    /// transaction: ids are never given twice, so nothing left can be taken for a new article,
    /// but it need not stay).
    pub(super) fn start(conn: &mut Conn, helper: Option<Helper>) -> QueryResult<Self> {
        let Some(mut helper) = helper else {
            return Ok(Self::none());
        };
        if !matches!(conn, AnyConnection::Postgres(_))
            || !matches!(&mut **helper, AnyConnection::Postgres(_))
        {
            return Ok(Self::none());
        }
        conn.batch_execute("DELETE FROM search_vectors")?;
        let (send, receive) = sync_channel(QUEUED);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let worker = std::thread::Builder::new()
            .name("gazette-vectors".into())
            .spawn(move || compute(helper, receive, &stopped))
            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
        Ok(Self {
            batch: Vec::with_capacity(BATCH_ARTICLES),
            batch_bytes: 0,
            unsent: Vec::new(),
            resend: 0,
            held: None,
            send: Some(send),
            worker: Some(worker),
            stop,
        })
    }

    /// Whether a helper computes vectors beside the write.
    pub(super) fn beside(&self) -> bool {
        self.worker.is_some()
    }

    /// Queues the body of new article `id`, exactly as its search row will read it.
    pub(super) fn add(&mut self, id: i64, body: &str) {
        if self.send.is_none() {
            return;
        }
        self.batch.push((id, body.to_owned()));
        self.batch_bytes += body.len();
        if self.batch.len() >= BATCH_ARTICLES || self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        if batch.is_empty() {
            return;
        }
        if let Some(send) = &self.send {
            match send.try_send(batch) {
                Ok(()) => {}
                Err(TrySendError::Full(batch)) => {
                    self.unsent.extend(batch.into_iter().map(|(id, _)| id))
                }
                Err(TrySendError::Disconnected(_)) => self.send = None,
            }
        }
    }

    /// During the second pass: if the helper has room, sends it the next batch of articles
    /// that found none, their bodies read back from `conn` (the import's transaction) as
    /// their search rows will read them.
    pub(super) fn resend(&mut self, conn: &mut Conn) -> QueryResult<()> {
        let (Some(send), AnyConnection::Postgres(pg)) = (&self.send, conn) else {
            return Ok(());
        };
        let batch = match self.held.take() {
            Some(batch) => batch,
            None if self.resend < self.unsent.len() => {
                let end = (self.resend + BATCH_ARTICLES).min(self.unsent.len());
                let ids = self.unsent[self.resend..end].to_vec();
                self.resend = end;
                diesel::sql_query(
                    "SELECT id, body_text || CASE WHEN blocks_text = '' THEN '' \
                     ELSE E'\\n\\n' || blocks_text END AS body \
                     FROM articles WHERE id = ANY($1)",
                )
                .bind::<Array<BigInt>, _>(ids)
                .load::<Body>(pg)?
                .into_iter()
                .map(|b| (b.id, b.body))
                .collect()
            }
            None => return Ok(()),
        };
        match send.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(batch)) => self.held = Some(batch),
            Err(TrySendError::Disconnected(_)) => self.send = None,
        }
        Ok(())
    }

    /// Sends what is left and waits until the helper has stored every vector it was given.
    pub(super) fn finish(mut self) {
        self.flush();
        if self.worker.is_some() {
            let waited = std::time::Instant::now();
            self.join();
            log::info!(
                "import: waited {:.1} s for the search vectors' helper; {} bodies not sent to it",
                waited.elapsed().as_secs_f64(),
                self.unsent.len() - self.resend
            );
        }
    }

    /// Ends the queue and waits for the helper to stop.
    fn join(&mut self) {
        self.send = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for BodyVectors {
    /// An import that fails stops its helper after the statement it is in.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.join();
    }
}

#[derive(QueryableByName)]
struct Body {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    body: String,
}

/// The helper's loop: stores the vector of every body it is given, until its sender goes
/// or it is told to stop. A failure ends it (the trigger computes what it did not store).
fn compute(mut helper: Helper, batches: Receiver<Vec<(i64, String)>>, stop: &AtomicBool) {
    let AnyConnection::Postgres(pg) = &mut **helper else {
        return;
    };
    for batch in batches {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let (ids, bodies): (Vec<i64>, Vec<String>) = batch.into_iter().unzip();
        let stored = diesel::sql_query(
            "INSERT INTO search_vectors (article_id, body_md5, body_vector) \
             SELECT id, md5(body), articles_search_body_vector(body) \
             FROM unnest($1::bigint[], $2::text[]) AS t(id, body) \
             ON CONFLICT (article_id) DO NOTHING",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Text>, _>(bodies)
        .execute(pg);
        if let Err(e) = stored {
            log::warn!("search vectors are left to the import's own statement: {e}");
            return;
        }
    }
}
