//! The change log: every write appends, in its own transaction, what it changed as the
//! cache keys it affects (`gazette::db::changes`); bookkeeping appends nothing; a scheduled
//! article's change is recorded once when its time comes; a CDN is told the same keys.

use crate::support::common;
use common::*;

use std::collections::BTreeSet;

use actix_web::http::Method;
use gazette::db::{self, changes};
use serde_json::json;

/// The changes recorded after `seq`: (kind, keys, hard).
fn recorded_since(ctx: &Ctx, seq: i64) -> Vec<(String, BTreeSet<String>, bool)> {
    let conn = &mut *ctx.pool.get().unwrap();
    changes::since(conn, seq, 1000)
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.keys.0.into_iter().collect(), c.hard))
        .collect()
}

fn last(ctx: &Ctx) -> i64 {
    changes::last(&mut ctx.pool.get().unwrap()).unwrap()
}

/// The one change made by `write`, with its keys.
async fn one_change<F: std::future::Future<Output = ()>>(
    ctx: &Ctx,
    write: F,
) -> (String, BTreeSet<String>, bool) {
    let before = last(ctx);
    write.await;
    let mut made = recorded_since(ctx, before);
    assert_eq!(made.len(), 1, "one change: {made:?}");
    made.remove(0)
}

fn has(keys: &BTreeSet<String>, wanted: &[&str]) -> bool {
    wanted.iter().all(|k| keys.contains(*k))
}

#[actix_web::test]
async fn each_write_records_the_keys_it_affects() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let draft = create_article(
        &ctx,
        &app,
        json!({"title": "Tram Vote", "tags": ["Transport"]}),
    )
    .await;
    let id = draft["id"].as_i64().unwrap();
    let a = format!("a:{id}");

    // A draft's edit is recorded, and changes nothing public: it names no key.
    let (kind, keys, hard) = one_change(&ctx, async {
        patch_article(&ctx, &app, "tram-vote", json!({"summary": "Soon."})).await;
    })
    .await;
    assert_eq!((kind.as_str(), hard), ("article.updated", false));
    assert_eq!(keys, BTreeSet::new());

    // Publishing: the article, its address and every list it joins.
    let (kind, keys, hard) = one_change(&ctx, async {
        patch_article(&ctx, &app, "tram-vote", json!({"status": "published"})).await;
    })
    .await;
    assert_eq!((kind.as_str(), hard), ("article.published", false));
    assert!(
        has(
            &keys,
            &[
                &a,
                "s:tram-vote",
                "l:articles",
                "l:t:transport",
                "tags",
                "a:all",
                "l:search"
            ]
        ),
        "{keys:?}"
    );

    // A content edit: its key, not the lists; a soft purge.
    let (kind, keys, hard) = one_change(&ctx, async {
        patch_article(
            &ctx,
            &app,
            "tram-vote",
            json!({"body": "The council voted."}),
        )
        .await;
    })
    .await;
    assert_eq!((kind.as_str(), hard), ("article.updated", false));
    assert!(has(&keys, &[&a, "s:tram-vote"]), "{keys:?}");
    assert!(
        !keys.contains("l:articles"),
        "membership did not change: {keys:?}"
    );

    // A retag: the lists of the tag it left and of the tag it joined.
    let (_, keys, _) = one_change(&ctx, async {
        patch_article(&ctx, &app, "tram-vote", json!({"tags": ["City Hall"]})).await;
    })
    .await;
    assert!(
        has(&keys, &["l:t:transport", "l:t:city-hall", "tags"]),
        "{keys:?}"
    );

    // A slug change: both addresses, hard.
    let (_, keys, hard) = one_change(&ctx, async {
        patch_article(&ctx, &app, "tram-vote", json!({"slug": "tram-vote-passes"})).await;
    })
    .await;
    assert!(
        has(&keys, &["s:tram-vote", "s:tram-vote-passes"]),
        "{keys:?}"
    );
    assert!(hard, "what was shown at the old address must go");

    // Renaming a tag changes every answer showing it, under both slugs.
    let (kind, keys, hard) = one_change(&ctx, async {
        send(
            &app,
            ctx.admin(json(
                Method::PATCH,
                "/api/v1/tags/city-hall",
                &json!({"name": "Town Hall", "slug": "town-hall"}),
            )),
        )
        .await
        .ok(200);
    })
    .await;
    assert_eq!(kind, "tag.updated");
    assert!(
        has(
            &keys,
            &[
                "t:city-hall",
                "t:town-hall",
                "l:t:city-hall",
                "l:t:town-hall",
                "tags"
            ]
        ),
        "{keys:?}"
    );
    assert!(hard);

    // Unpublishing and deleting: hard, with the lists.
    let (kind, keys, hard) = one_change(&ctx, async {
        patch_article(
            &ctx,
            &app,
            "tram-vote-passes",
            json!({"status": "archived"}),
        )
        .await;
    })
    .await;
    assert_eq!((kind.as_str(), hard), ("article.unpublished", true));
    assert!(has(&keys, &[&a, "l:articles", "l:t:town-hall"]), "{keys:?}");
    publish(&ctx, &app, "Ferry Returns").await;
    let (kind, keys, hard) = one_change(&ctx, async {
        send(&app, ctx.admin(delete("/api/v1/articles/ferry-returns")))
            .await
            .ok(204);
    })
    .await;
    assert_eq!((kind.as_str(), hard), ("article.deleted", true));
    assert!(has(&keys, &["s:ferry-returns", "l:articles"]), "{keys:?}");
}

#[actix_web::test]
async fn bookkeeping_records_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Budget Leak"})).await;
    let before = last(&ctx);
    let hook = json!({"url": "https://hooks.example.org/in", "events": ["*"]});
    send(
        &app,
        ctx.admin(json(Method::POST, "/api/v1/webhooks", &hook)),
    )
    .await
    .ok(201);
    send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/articles/budget-leak/preview",
            &json!({}),
        )),
    )
    .await
    .ok(201);
    db::keys::create(&mut ctx.pool.get().unwrap(), "reader", "content", db::now()).unwrap();
    for uri in ["/api/v1/articles", "/api/v1/tags", "/feed.atom"] {
        assert_eq!(send(&app, get(uri)).await.status.as_u16(), 200, "{uri}");
    }
    assert_eq!(recorded_since(&ctx, before), [], "no change recorded");
}

#[actix_web::test]
async fn a_write_that_fails_records_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Harbour Closed").await;
    publish(&ctx, &app, "Harbour Open").await;
    let before = last(&ctx);
    send(
        &app,
        ctx.admin(patch_article_req(
            "harbour-open",
            json!({"slug": "harbour-closed"}),
        )),
    )
    .await
    .problem(409);
    assert_eq!(recorded_since(&ctx, before), []);
}

#[actix_web::test]
async fn subscriptions_listing_cache_purge_get_each_changes_keys() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for events in [json!(["cache.purge"]), json!(["*"])] {
        let hook = json!({"url": "https://hooks.example.org/in", "events": events});
        send(
            &app,
            ctx.admin(json(Method::POST, "/api/v1/webhooks", &hook)),
        )
        .await
        .ok(201);
    }
    let article = publish(&ctx, &app, "Storm Warning").await;
    use diesel::{QueryDsl, RunQueryDsl};
    use gazette::schema::webhook_deliveries as d;
    let rows: Vec<(i64, String, String)> = d::table
        .select((d::webhook_id, d::event, d::payload))
        .order(d::id)
        .load(&mut *ctx.pool.get().unwrap())
        .unwrap();
    let purges: Vec<_> = rows.iter().filter(|(_, e, _)| e == "cache.purge").collect();
    assert_eq!(
        purges.len(),
        1,
        "only the subscription that lists it: {rows:?}"
    );
    assert_eq!(purges[0].0, 1);
    let payload: serde_json::Value = serde_json::from_str(&purges[0].2).unwrap();
    let keys: Vec<&str> = payload["data"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&format!("a:{}", article["id"]).as_str()),
        "{payload}"
    );
    assert_eq!(
        payload["data"]["soft"], true,
        "a publication removes nothing shown"
    );
    assert!(
        rows.iter()
            .any(|(w, e, _)| *w == 2 && e == "article.published"),
        "`*` still gets the content events: {rows:?}"
    );
}

#[actix_web::test]
async fn replicas_record_a_scheduled_articles_change_once() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let due = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    create_article(
        &ctx,
        &app,
        json!({"title": "Polls Close", "status": "published",
               "published_at": due.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)}),
    )
    .await;
    let before = last(&ctx);
    let workers: Vec<_> = (0..3)
        .map(|_| gazette::golive::GoLiveWorker::start(ctx.pool.clone()))
        .collect();
    eventually("the article comes due", || async {
        (!recorded_since(&ctx, before).is_empty()).then_some(())
    })
    .await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    for worker in workers {
        worker.stop().await;
    }
    let made = recorded_since(&ctx, before);
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].0, "article.published");
    assert!(made[0].1.contains("l:articles"));
}

/// On PostgreSQL a follower's listener is told of each recorded change when its write
/// commits (the `changes_notify` trigger), rather than finding it at its next look a second
/// later; and it is told nothing while no change is recorded.
#[actix_web::test]
async fn a_listener_is_told_of_a_recorded_change() {
    if !on_postgres() {
        return;
    }
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let mut listener = changes::Listener::open(&ctx.pool).unwrap();
    let wait = std::time::Duration::from_millis(300);
    // Whatever the app's start recorded is told first.
    for _ in 0..20 {
        if !listener.wait(wait).unwrap() {
            break;
        }
    }
    let before = last(&ctx);
    publish(&ctx, &app, "Told at once").await;
    assert!(listener.wait(std::time::Duration::from_secs(10)).unwrap());
    assert!(last(&ctx) > before);
}

#[actix_web::test]
async fn public_changes_take_consecutive_positions_and_unpublished_work_none() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let live = json!({"title": "Tram vote", "status": "published",
                      "published_at": "2026-11-02T09:00:00Z", "tags": ["Transport"]});
    let made = create_article(&ctx, &app, live).await;
    let id = made["id"].as_i64().unwrap().to_string();
    create_article(&ctx, &app, json!({"title": "A draft"})).await;
    patch_article(&ctx, &app, &id, json!({"title": "Tram vote passes"})).await;
    create_article(&ctx, &app, json!({"title": "Another draft"})).await;
    patch_article(&ctx, &app, &id, json!({"status": "draft"})).await;

    let recorded = changes::since(&mut ctx.pool.get().unwrap(), 0, 1000).unwrap();
    let public: Vec<i64> = recorded.iter().filter_map(|c| c.public_seq).collect();
    assert!(public.len() >= 3, "{recorded:?}");
    let expected: Vec<i64> = (1..=public.len() as i64).collect();
    assert_eq!(
        public, expected,
        "one past the newest, from 1, in log order"
    );
    for change in &recorded {
        let draft =
            change.resource != format!("article:{id}") && change.kind.starts_with("article.");
        if draft {
            assert_eq!(change.public_seq, None, "{change:?}");
        }
    }
}
