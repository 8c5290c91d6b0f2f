//! The go-live worker: publishes scheduled articles when their time comes. Each step
//! ([`crate::db::articles::go_live`]) marks the due articles live, queues their
//! `article.published` events in the webhook outbox and adds them to the public search
//! index, in one transaction; replicas running it together announce each article once.
//!
//! Between steps it sleeps until the next article is due, but never longer than
//! [`MAX_WAIT`]: another replica (or the CLI) may schedule an earlier one meanwhile.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;

use actix_web::rt::task::JoinHandle;

use crate::db::{self, Pool, articles};

/// The longest wait between two looks for due articles: how late, at most, an article
/// scheduled by someone else goes live.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// The shortest wait: after a step that found an article due, but could not publish it
/// (it changed meanwhile), the next look is not at once.
const MIN_WAIT: Duration = Duration::from_millis(10);

/// Articles published by one step; more due go in the next step at once.
const BATCH: i64 = 100;

/// How long to wait after a step that found `next_due` (and published `published`).
fn wait(outcome: &articles::GoLive, now: chrono::NaiveDateTime) -> Duration {
    if outcome.published as i64 >= BATCH {
        return Duration::ZERO;
    }
    match outcome.next_due {
        // A millisecond past the due time: the step compares with the time it reads then.
        Some(at) => (at - now)
            .to_std()
            .map_or(MIN_WAIT, |d| d + Duration::from_millis(1))
            .clamp(MIN_WAIT, MAX_WAIT),
        None => MAX_WAIT,
    }
}

/// One go-live step at `now`. Most steps find nothing due: that look takes neither the
/// write turn nor the write lock; only a step with articles due waits for its turn among the
/// writers ([`db::run_write`]).
async fn step(pool: &Pool, now: chrono::NaiveDateTime) -> db::StoreResult<articles::GoLive> {
    let next_due = db::run(pool, |conn| Ok(articles::next_due(conn)?)).await?;
    if next_due.is_none_or(|at| at > now) {
        return Ok(articles::GoLive {
            published: 0,
            next_due,
        });
    }
    db::run_write(pool, move |conn| articles::go_live(conn, now, BATCH)).await
}

/// Set when the worker is to stop; wakes it from its sleep.
#[derive(Debug, Default)]
struct Stop {
    stopped: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Stop {
    fn set(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn is_set(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration`, or until [`Stop::set`].
    async fn sleep(&self, duration: Duration) {
        let mut sleep = pin!(actix_web::rt::time::sleep(duration));
        poll_fn(|cx| {
            *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
            if self.is_set() {
                return Poll::Ready(());
            }
            sleep.as_mut().poll(cx)
        })
        .await;
    }
}

/// The worker, running on the actix runtime it was started on.
#[derive(Debug)]
pub struct GoLiveWorker {
    stop: Arc<Stop>,
    task: JoinHandle<()>,
}

impl GoLiveWorker {
    /// Starts publishing the due articles of `pool`'s database.
    pub fn start(pool: Pool) -> Self {
        let stop = Arc::new(Stop::default());
        let stopping = Arc::clone(&stop);
        let task = actix_web::rt::spawn(async move {
            while !stopping.is_set() {
                let now = db::now();
                let step = step(&pool, now).await;
                let pause = match step {
                    Ok(outcome) => {
                        if outcome.published > 0 {
                            log::info!("{} scheduled articles went live", outcome.published);
                        }
                        wait(&outcome, db::now())
                    }
                    Err(err) => {
                        log::warn!("go-live step: {err}");
                        MAX_WAIT
                    }
                };
                stopping.sleep(pause).await;
            }
        });
        Self { stop, task }
    }

    /// Stops once the step under way (if any) has ended.
    pub async fn stop(self) {
        self.stop.set();
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_until_the_next_due_time_within_bounds() {
        let now = db::now();
        let outcome = |published, next_due| articles::GoLive {
            published,
            next_due,
        };
        assert_eq!(wait(&outcome(0, None), now), MAX_WAIT);
        assert_eq!(
            wait(
                &outcome(0, Some(now + chrono::Duration::milliseconds(300))),
                now
            ),
            Duration::from_millis(301)
        );
        assert_eq!(
            wait(&outcome(0, Some(now + chrono::Duration::hours(5))), now),
            MAX_WAIT
        );
        assert_eq!(
            wait(&outcome(0, Some(now - chrono::Duration::seconds(1))), now),
            MIN_WAIT
        );
        assert_eq!(wait(&outcome(BATCH as usize, None), now), Duration::ZERO);
    }
}
