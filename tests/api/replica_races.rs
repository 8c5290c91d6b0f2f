//! Two replicas on one database, in process: each an app and a delivery worker on its own
//! pool. A delivery being attempted is claimed by no other worker and queued again by no
//! redeliver (409), so a slow receiver gets each event once; and two `serve --demo` loads
//! at once leave one demo newsroom and no error. On SQLite, or on PostgreSQL with
//! `GAZETTE_TEST_POSTGRES`.

use crate::support::common;
use crate::support::receiver;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::test as actix_test;
use chrono::Duration as Span;
use serde_json::json;

use common::*;
use gazette::app::{self, Prepared};
use gazette::config::Settings;
use gazette::db::{self, StoreError, webhooks as store};
use gazette::webhooks::{Worker, WorkerConfig};
use receiver::Receiver;

fn loopback_ctx() -> Ctx {
    Ctx::with_settings(Settings {
        webhook_allowed_hosts: vec!["127.0.0.1".to_owned()],
        ..Settings::default()
    })
}

fn worker(pool: &db::Pool) -> Worker {
    Worker::start(
        pool.clone(),
        WorkerConfig {
            retry_base: Duration::from_millis(50),
            poll_interval: Duration::from_millis(20),
            timeout: Duration::from_secs(10),
            batch: 16,
            allowed_hosts: vec!["127.0.0.1".to_owned()],
        },
    )
}

/// A subscription of every event at `url`, and one event queued for it: (webhook id,
/// delivery id).
fn queued(ctx: &Ctx, url: &str) -> (i64, i64) {
    let conn = &mut *ctx.pool.get().unwrap();
    let new = store::NewWebhook {
        url: url.to_owned(),
        events: vec!["*".to_owned()],
        secret: "a-test-secret-of-some-length".to_owned(),
        active: true,
    };
    let hook = store::create(conn, &new, db::now()).unwrap().id;
    db::write(conn, |conn| {
        db::events::record(conn, "tag.created", &json!({"slug": "t"}), db::now())
    })
    .unwrap();
    let delivery = store::deliveries(conn, hook, None, 1).unwrap().items[0].id;
    (hook, delivery)
}

#[test]
fn a_delivery_being_attempted_is_neither_claimed_nor_queued_again() {
    let ctx = loopback_ctx();
    let (hook, id) = queued(&ctx, "http://127.0.0.1:9/");
    let other = db::open(ctx.db_url(), 2).unwrap();
    let now = db::now();
    let lease = now + Span::seconds(30);

    let claimed = store::claim_due(&mut ctx.pool.get().unwrap(), now, lease, 16).unwrap();
    assert_eq!(claimed.iter().map(|c| c.id).collect::<Vec<_>>(), [id]);
    let replica = &mut *other.get().unwrap();
    match store::redeliver(replica, hook, id, now) {
        Err(StoreError::Conflict(_)) => {}
        got => panic!("redeliver during the attempt: {got:?}"),
    }
    // Due again by any other path, it is still not claimed while the attempt runs.
    {
        use diesel::prelude::*;
        use gazette::schema::webhook_deliveries as d;
        diesel::update(d::table.find(id))
            .set(d::next_attempt_at.eq(Some(now)))
            .execute(replica)
            .unwrap();
    }
    let later = now + Span::seconds(1);
    assert!(
        store::claim_due(replica, later, later + Span::seconds(30), 16)
            .unwrap()
            .is_empty()
    );

    // Once the attempt is recorded, it may be redelivered and claimed again.
    store::mark_delivered(replica, id, 200, later).unwrap();
    let row = store::redeliver(replica, hook, id, later).unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 0));
    let again = store::claim_due(replica, later, later + Span::seconds(30), 16).unwrap();
    assert_eq!(again.len(), 1);

    // A claim whose server stopped mid-attempt lapses, and the delivery is retried.
    let lapsed = later + Span::seconds(31);
    assert!(store::redeliver(replica, hook, id, lapsed).is_ok());
    let retried = store::claim_due(replica, lapsed, lapsed + Span::seconds(30), 16).unwrap();
    assert_eq!(retried.len(), 1);
}

#[actix_web::test]
async fn redeliver_during_an_attempt_on_two_replicas_sends_once() {
    let ctx = loopback_ctx();
    let slow = Receiver::start_slow(Duration::from_millis(1500));
    let (hook, id) = queued(&ctx, &slow.url("/in"));
    let second_pool = db::open(ctx.db_url(), 4).unwrap();
    let first_app = ctx.app().await;
    let second_app = actix_test::init_service(app::build(Prepared::new(
        second_pool.clone(),
        ctx.settings.clone(),
    )))
    .await;
    let _workers = (worker(&ctx.pool), worker(&second_pool));

    // The attempt is under way: the receiver has the request and has not answered.
    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.received().is_empty() {
        assert!(Instant::now() < deadline, "no attempt started");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let uri = format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver");
    let on_second = ctx.admin(json(Method::POST, &uri, &json!({}))).to_request();
    let res = actix_test::call_service(&second_app, on_second).await;
    assert_eq!(
        res.status().as_u16(),
        409,
        "redeliver through the other replica"
    );
    send(&first_app, ctx.admin(json(Method::POST, &uri, &json!({}))))
        .await
        .problem(409);

    let delivered = wait_delivered(&ctx, hook, 1).await;
    assert_eq!(delivered.attempts, 1, "the log says one attempt");
    // Both workers poll many times more: nothing else is sent.
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(slow.received().len(), 1, "sent once");

    // After the attempt, a redeliver is taken, and sent once more.
    let res = actix_test::call_service(
        &second_app,
        ctx.admin(json(Method::POST, &uri, &json!({}))).to_request(),
    )
    .await;
    assert_eq!(res.status().as_u16(), 202);
    wait_delivered(&ctx, hook, 2).await;
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    let got = slow.received();
    assert_eq!(got.len(), 2, "sent once per request");
    assert_eq!(got[0].body, got[1].body, "the same event");
}

/// The delivery of `hook` once it is delivered (in the `round`-th send).
async fn wait_delivered(ctx: &Ctx, hook: i64, round: usize) -> store::DeliveryRow {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pool = ctx.pool.clone();
        let page = db::run(&pool, move |conn| store::deliveries(conn, hook, None, 1))
            .await
            .unwrap();
        let d = page.items.into_iter().next().unwrap();
        if d.status == "delivered" && d.delivered_at.is_some() {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "round {round} not delivered: {d:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn two_demo_loads_at_once_leave_one_newsroom() {
    for round in 0..3 {
        let ctx = Ctx::new();
        let pools = [ctx.pool.clone(), db::open(ctx.db_url(), 2).unwrap()];
        let start = Arc::new(Barrier::new(pools.len()));
        let loads: Vec<_> = pools
            .into_iter()
            .map(|pool| {
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    let conn = &mut *pool.get().unwrap();
                    start.wait();
                    gazette::demo::load(conn, "http://127.0.0.1:8080").map_err(|e| e.to_string())
                })
            })
            .collect();
        let results: Vec<_> = loads.into_iter().map(|t| t.join().unwrap()).collect();
        let loaded: Vec<usize> = results
            .iter()
            .filter_map(|r| r.clone().unwrap_or_else(|e| panic!("round {round}: {e}")))
            .collect();
        assert_eq!(loaded.len(), 1, "round {round}: one load, {results:?}");
        let conn = &mut *ctx.pool.get().unwrap();
        let articles = db::articles::count_all(conn).unwrap();
        assert_eq!(articles as usize, loaded[0], "round {round}: one newsroom");
        assert_eq!(
            gazette::demo::load(conn, "http://127.0.0.1:8080").unwrap(),
            None,
            "loaded already"
        );
    }
}
