//! Scheduled articles going live: when its `published_at` comes, a scheduled article is
//! announced (`article.published`) exactly once, however many replicas watch the database,
//! and becomes searchable. Every test runs on its own fresh database.

use crate::support::common;
use common::*;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use chrono::Utc;
use diesel::prelude::*;
use gazette::db;
use gazette::golive::GoLiveWorker;
use serde_json::{Value, json};

/// A subscription to every event, so that each event leaves a delivery in the outbox (no
/// worker sends them here).
async fn subscribe_to_everything(ctx: &Ctx, app: &TestApp) {
    let body = json!({"url": "https://hooks.example.org/in", "events": ["*"],
                      "secret": "a-test-secret-of-some-length"});
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/webhooks", &body)),
    )
    .await
    .ok(201);
}

/// How many times each article (by slug) was announced with `event`.
fn announced(pool: &db::Pool, event: &str) -> BTreeMap<String, usize> {
    use gazette::schema::webhook_deliveries as d;
    let payloads: Vec<String> = d::table
        .filter(d::event.eq(event))
        .select(d::payload)
        .load(&mut pool.get().unwrap())
        .unwrap();
    let mut counts = BTreeMap::new();
    for payload in payloads {
        let payload: Value = serde_json::from_str(&payload).unwrap();
        let slug = payload["data"]["slug"].as_str().unwrap().to_owned();
        *counts.entry(slug).or_insert(0) += 1;
    }
    counts
}

/// An RFC 3339 time `ms` milliseconds from now.
fn in_ms(ms: i64) -> String {
    (Utc::now() + chrono::Duration::milliseconds(ms)).to_rfc3339()
}

/// Waits (up to 10 s) until `done`; whether it came.
async fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if done() {
            return true;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[actix_web::test]
async fn a_scheduled_article_is_announced_once_when_its_time_comes_and_becomes_searchable() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    subscribe_to_everything(&ctx, &app).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Night Ferry Returns", "status": "published",
               "published_at": in_ms(1500), "tags": ["Night Sailings"]}),
    )
    .await;
    let worker = GoLiveWorker::start(ctx.pool.clone());
    assert!(announced(&ctx.pool, "article.published").is_empty());
    assert!(slugs(&list_articles(&app, "q=ferry").await).is_empty());
    send(&app, get("/api/v1/tags/night-sailings"))
        .await
        .problem(404);

    let published = wait_for(|| !announced(&ctx.pool, "article.published").is_empty()).await;
    assert!(published, "no article.published within 10 s");
    // The app's cache learns of it from the change log the worker appended to.
    eventually("the search finds the article come due", || async {
        (slugs(&list_articles(&app, "q=ferry").await) == ["night-ferry-returns"]).then_some(())
    })
    .await;
    let tag = send(&app, get("/api/v1/tags/night-sailings")).await.ok(200);
    assert_eq!(tag["article_count"], 1);
    // More steps find nothing more to announce.
    actix_web::rt::time::sleep(Duration::from_millis(2200)).await;
    worker.stop().await;
    let once = BTreeMap::from([("night-ferry-returns".to_owned(), 1)]);
    assert_eq!(announced(&ctx.pool, "article.published"), once);
    // Scheduling it was an update, the only other event.
    assert_eq!(announced(&ctx.pool, "article.updated"), once);
}

#[actix_web::test]
async fn replicas_on_one_database_announce_each_due_article_once() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    subscribe_to_everything(&ctx, &app).await;
    let mut expected = BTreeMap::new();
    for i in 0..12 {
        let title = format!("Council Session {i}");
        let body = json!({"title": title, "status": "published", "published_at": in_ms(1200)});
        let slug = create_article(&ctx, &app, body).await["slug"]
            .as_str()
            .unwrap()
            .to_owned();
        expected.insert(slug, 1);
    }
    // One goes live by its own write: edited once due, before any step has run.
    actix_web::rt::time::sleep(Duration::from_millis(1300)).await;
    patch_article(
        &ctx,
        &app,
        "council-session-0",
        json!({"summary": "Live now."}),
    )
    .await;

    // Two replicas' workers, each on its own pool, and two more replicas stepping as fast
    // as they can from threads of their own.
    let second = db::open(ctx.db_url(), 4).unwrap();
    let workers = [
        GoLiveWorker::start(ctx.pool.clone()),
        GoLiveWorker::start(second.clone()),
    ];
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let pool = db::open(ctx.db_url(), 2).unwrap();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    db::articles::go_live(&mut pool.get().unwrap(), db::now(), 5).unwrap();
                }
            })
        })
        .collect();
    let all = wait_for(|| announced(&ctx.pool, "article.published").len() == 12).await;
    for racer in racers {
        racer.join().unwrap();
    }
    assert!(all, "{:?}", announced(&ctx.pool, "article.published"));
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;
    for worker in workers {
        worker.stop().await;
    }
    assert_eq!(announced(&ctx.pool, "article.published"), expected);
    let listed = list_articles(&app, "q=council&limit=100").await;
    assert_eq!(listed["meta"]["total"], 12, "{listed}");
}

#[actix_web::test]
async fn the_go_live_step_takes_only_due_articles_and_says_when_the_next_is_due() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Soon", "status": "published", "published_at": in_ms(400)}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tomorrow", "status": "published", "published_at": in_ms(86_400_000)}),
    )
    .await;
    create_article(&ctx, &app, json!({"title": "Draft"})).await;
    let conn = &mut *ctx.pool.get().unwrap();
    let now = db::now();
    let first = db::articles::go_live(conn, now, 100).unwrap();
    assert_eq!(first.published, 0);
    let soon = first.next_due.expect("a due time");
    assert!(soon > now && soon <= now + chrono::Duration::milliseconds(400));

    let later = soon + chrono::Duration::milliseconds(1);
    let second = db::articles::go_live(conn, later, 100).unwrap();
    assert_eq!(second.published, 1);
    let tomorrow = second.next_due.expect("the next due time");
    assert!(tomorrow > now + chrono::Duration::hours(23), "{tomorrow}");
    assert_eq!(
        db::articles::go_live(conn, later, 100).unwrap().published,
        0
    );
}
