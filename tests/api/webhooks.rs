//! Webhooks: subscriptions through the HTTP API (with their validation and auth), events
//! queued by `db::events::record` in the caller's transaction, and the delivery worker
//! POSTing signed payloads to a real receiver on loopback, retrying a failing one, and
//! redelivering on request. Every test runs on its own fresh database.

use crate::support::common;
use crate::support::receiver;

use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::prelude::*;
use serde_json::{Value, json};

use common::*;
use gazette::config::Settings;
use gazette::db::{self, webhooks as store};
use gazette::webhooks::{Worker, WorkerConfig};
use receiver::Receiver;

// ---------------------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------------------

const SECRET: &str = "a-test-secret-of-some-length";

async fn create_hook(ctx: &Ctx, app: &TestApp, body: Value) -> Value {
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/webhooks", &body)),
    )
    .await
    .ok(201)
}

/// A subscription to `events` at `url` with the secret [`SECRET`]; its id.
async fn subscribe(ctx: &Ctx, app: &TestApp, url: &str, events: &[&str]) -> i64 {
    create_hook(
        ctx,
        app,
        json!({"url": url, "events": events, "secret": SECRET}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn deliveries(ctx: &Ctx, app: &TestApp, id: i64) -> Value {
    let uri = format!("/api/v1/webhooks/{id}/deliveries");
    send(app, ctx.admin(get(&uri))).await.ok(200)
}

/// Records `event` as the article and tag writes do: inside a write transaction.
fn record(ctx: &Ctx, event: &str, data: Value) {
    let conn = &mut *ctx.pool.get().unwrap();
    db::write(conn, |conn| {
        db::events::record(conn, event, &data, db::now())
    })
    .unwrap();
}

/// The receivers of these tests listen on loopback, which hosts must opt in to reach.
const LOOPBACK: [&str; 2] = ["127.0.0.1", "localhost"];

/// A fresh database whose API accepts subscriptions to [`LOOPBACK`] hosts.
fn loopback_ctx() -> Ctx {
    Ctx::with_settings(Settings {
        webhook_allowed_hosts: LOOPBACK.map(str::to_owned).to_vec(),
        ..Settings::default()
    })
}

/// The worker with fast polls and retries, on the test's runtime, delivering to
/// [`LOOPBACK`] hosts only.
fn worker(ctx: &Ctx) -> Worker {
    worker_for(ctx, &LOOPBACK)
}

/// The same, delivering to `allowed_hosts` only.
fn worker_for(ctx: &Ctx, allowed_hosts: &[&str]) -> Worker {
    Worker::start(
        ctx.pool.clone(),
        WorkerConfig {
            retry_base: Duration::from_millis(50),
            poll_interval: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
            batch: 16,
            allowed_hosts: allowed_hosts.iter().map(|h| h.to_string()).collect(),
        },
    )
}

/// Waits, letting the worker run, until `check` holds for the deliveries of `id`; returns
/// them.
async fn wait_deliveries(
    ctx: &Ctx,
    app: &TestApp,
    id: i64,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = deliveries(ctx, app, id).await;
        if check(&list) {
            return list;
        }
        assert!(Instant::now() < deadline, "no {what} in time: {list}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits, letting the worker run, until `receiver` has `n` requests.
async fn wait_received(receiver: &Receiver, n: usize) -> Vec<receiver::Received> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = receiver.received();
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{n} requests expected, got {}",
            got.len()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn first(list: &Value) -> &Value {
    &list["data"][0]
}

/// Asserts a 422 has one error, naming `field` (as its field or, for an unknown field, in
/// its message).
#[track_caller]
fn assert_names(problem: &Value, field: &str, body: &Value) {
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body} → {problem}");
    let named = errors[0]["field"] == field
        || errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("`{field}`")));
    assert!(named, "{body} → {problem}");
}

fn count_deliveries(ctx: &Ctx, webhook_id: i64) -> i64 {
    use gazette::schema::webhook_deliveries as d;
    d::table
        .filter(d::webhook_id.eq(webhook_id))
        .count()
        .get_result(&mut *ctx.pool.get().unwrap())
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Subscriptions.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn create_returns_201_with_location_and_shows_a_generated_secret_once() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let res = send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/webhooks",
            &json!({"url": "https://hooks.example.org/in", "events": ["article.published", "tag.*"]}),
        )),
    )
    .await;
    let hook = res.ok(201);
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/webhooks/{id}").as_str())
    );
    assert_eq!(hook["url"], "https://hooks.example.org/in");
    assert_eq!(hook["events"], json!(["article.published", "tag.*"]));
    assert_eq!(hook["active"], true);
    ts(&hook["created_at"]);
    ts(&hook["updated_at"]);
    let secret = hook["secret"].as_str().expect("the new secret is shown");
    assert!(
        secret.starts_with("whsec_") && secret.len() >= 40,
        "{secret}"
    );

    let one = send(&app, ctx.admin(get(&format!("/api/v1/webhooks/{id}"))))
        .await
        .ok(200);
    assert!(one.get("secret").is_none(), "{one}");
    assert_eq!(one["events"], hook["events"]);
    let list = send(&app, ctx.admin(get("/api/v1/webhooks"))).await.ok(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(list["data"][0].get("secret").is_none(), "{list}");
    assert!(!list.to_string().contains(secret));

    // A second subscription gets another secret; a given one is kept (and shown once).
    let other = create_hook(
        &ctx,
        &app,
        json!({"url": "http://127.0.0.1:9/x", "events": ["*", "*", "tag.deleted"], "active": false}),
    )
    .await;
    assert_ne!(other["secret"], hook["secret"]);
    assert_eq!(
        other["events"],
        json!(["*", "tag.deleted"]),
        "repeats dropped"
    );
    assert_eq!(other["active"], false);
    let given = create_hook(
        &ctx,
        &app,
        json!({"url": "http://localhost:8081/", "events": ["tag.created"], "secret": SECRET}),
    )
    .await;
    assert_eq!(given["secret"], SECRET);
}

#[actix_web::test]
async fn every_webhook_operation_needs_an_admin_key() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let id = subscribe(&ctx, &app, "http://127.0.0.1:9/", &["*"]).await;
    record(&ctx, "tag.created", json!({"slug": "x"}));
    let delivery = first(&deliveries(&ctx, &app, id).await)["id"].clone();
    let body = json!({"url": "https://example.org/", "events": ["*"]});
    let requests = || {
        vec![
            get("/api/v1/webhooks"),
            json(Method::POST, "/api/v1/webhooks", &body),
            get(&format!("/api/v1/webhooks/{id}")),
            json(
                Method::PATCH,
                &format!("/api/v1/webhooks/{id}"),
                &json!({"active": false}),
            ),
            delete(&format!("/api/v1/webhooks/{id}")),
            get(&format!("/api/v1/webhooks/{id}/deliveries")),
            actix_web::test::TestRequest::post().uri(&format!(
                "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver"
            )),
        ]
    };
    for req in requests() {
        let res = send(&app, req).await;
        res.problem(401);
        assert!(res.header("www-authenticate").is_some());
    }
    for req in requests() {
        let req = req.insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
        send(&app, req).await.problem(403);
    }
    for req in requests() {
        let req = req.insert_header(("Authorization", "Bearer gazette_not-a-key"));
        send(&app, req).await.problem(401);
    }
    // Nothing changed.
    let hook = send(&app, ctx.admin(get(&format!("/api/v1/webhooks/{id}"))))
        .await
        .ok(200);
    assert_eq!(hook["active"], true);
    assert_eq!(count_deliveries(&ctx, id), 1);
}

#[actix_web::test]
async fn invalid_subscriptions_are_422_naming_each_field() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let post = |body: Value| ctx.admin(json(Method::POST, "/api/v1/webhooks", &body));
    let fields = |problem: &Value| -> Vec<String> {
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };

    let problem = send(
        &app,
        post(json!({"url": "ftp://example.org/x", "events": ["article.published", "article.created", "tags.*"], "secret": "short"})),
    )
    .await
    .problem(422);
    assert_eq!(
        fields(&problem),
        ["url", "events[1]", "events[2]", "secret"],
        "{problem}"
    );
    let message = problem["errors"][1]["message"].as_str().unwrap();
    assert!(
        message.contains("article.created") && message.contains("article.published"),
        "says what is valid: {message}"
    );

    for (body, field) in [
        (
            json!({"url": "https://example.org/", "events": []}),
            "events",
        ),
        (json!({"events": ["*"]}), "url"),
        (json!({"url": "https://example.org/"}), "events"),
        (
            json!({"url": "javascript:alert(1)", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://example.org/", "events": "*"}),
            "events",
        ),
        (
            json!({"url": "https://example.org/", "events": ["*"], "secret": "has spaces in the middle"}),
            "secret",
        ),
        (
            json!({"url": "https://example.org/", "events": ["*"], "secret": "x".repeat(257)}),
            "secret",
        ),
        (
            json!({"url": "https://example.org/", "events": ["*"], "colour": "red"}),
            "colour",
        ),
        (
            json!({"url": "https://example.org/", "events": ["*"], "active": "yes"}),
            "active",
        ),
    ] {
        let problem = send(&app, post(body.clone())).await.problem(422);
        assert_names(&problem, field, &body);
    }
    send(
        &app,
        ctx.admin(raw(
            Method::POST,
            "/api/v1/webhooks",
            Some("application/json"),
            "{nope",
        )),
    )
    .await
    .problem(400);
    send(
        &app,
        ctx.admin(raw(
            Method::POST,
            "/api/v1/webhooks",
            Some("text/plain"),
            "{}",
        )),
    )
    .await
    .problem(415);

    // PATCH validates the fields it is given; `null` is not a value for any of them.
    let id = subscribe(&ctx, &app, "https://example.org/", &["*"]).await;
    let uri = format!("/api/v1/webhooks/{id}");
    for (body, field) in [
        (json!({"url": "example.org"}), "url"),
        (json!({"events": []}), "events"),
        (json!({"events": ["article.*", "nope"]}), "events[1]"),
        (json!({"secret": "tiny"}), "secret"),
        (json!({"url": null}), "url"),
        (json!({"active": null}), "active"),
        (json!({"id": 5}), "id"),
    ] {
        let res = send(&app, ctx.admin(json(Method::PATCH, &uri, &body))).await;
        assert_names(&res.problem(422), field, &body);
    }
    assert_eq!(
        send(&app, ctx.admin(get("/api/v1/webhooks"))).await.ok(200)["meta"]["total"],
        1,
        "no invalid subscription was stored"
    );
}

#[actix_web::test]
async fn unknown_ids_are_404() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let id = subscribe(&ctx, &app, "https://example.org/", &["*"]).await;
    let other = subscribe(&ctx, &app, "https://example.org/other", &["*"]).await;
    record(&ctx, "tag.created", json!({}));
    let delivery = first(&deliveries(&ctx, &app, id).await)["id"]
        .as_i64()
        .unwrap();
    for missing in ["999", "abc", "0", "-1"] {
        let uri = format!("/api/v1/webhooks/{missing}");
        send(&app, ctx.admin(get(&uri))).await.problem(404);
        send(
            &app,
            ctx.admin(json(Method::PATCH, &uri, &json!({"active": false}))),
        )
        .await
        .problem(404);
        send(&app, ctx.admin(delete(&uri))).await.problem(404);
        send(&app, ctx.admin(get(&format!("{uri}/deliveries"))))
            .await
            .problem(404);
        let redeliver = format!("{uri}/deliveries/{delivery}/redeliver");
        send(
            &app,
            ctx.admin(actix_web::test::TestRequest::post().uri(&redeliver)),
        )
        .await
        .problem(404);
    }
    // A delivery is addressed under its own subscription only.
    for uri in [
        format!("/api/v1/webhooks/{other}/deliveries/{delivery}/redeliver"),
        format!("/api/v1/webhooks/{id}/deliveries/99999/redeliver"),
        format!("/api/v1/webhooks/{id}/deliveries/x/redeliver"),
    ] {
        send(
            &app,
            ctx.admin(actix_web::test::TestRequest::post().uri(&uri)),
        )
        .await
        .problem(404);
    }
}

#[actix_web::test]
async fn patch_changes_what_it_names_and_rotates_the_secret() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let receiver = Receiver::start(&[]);
    let id = subscribe(&ctx, &app, "https://example.org/old", &["tag.*"]).await;
    let uri = format!("/api/v1/webhooks/{id}");
    let before = send(&app, ctx.admin(get(&uri))).await.ok(200);
    let patched = send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            &uri,
            &json!({"url": receiver.url("/new"), "events": ["article.*"], "secret": "a-brand-new-secret-value"}),
        )),
    )
    .await
    .ok(200);
    assert_eq!(patched["url"], receiver.url("/new"));
    assert_eq!(patched["events"], json!(["article.*"]));
    assert_eq!(patched["active"], true, "unchanged");
    assert!(patched.get("secret").is_none(), "{patched}");
    assert_eq!(patched["created_at"], before["created_at"]);
    assert!(ts(&patched["updated_at"]) >= ts(&before["updated_at"]));
    let off = send(
        &app,
        ctx.admin(json(Method::PATCH, &uri, &json!({"active": false}))),
    )
    .await
    .ok(200);
    assert_eq!(off["active"], false);
    assert_eq!(off["url"], receiver.url("/new"));

    // Deliveries now go to the new URL, signed with the new secret.
    send(
        &app,
        ctx.admin(json(Method::PATCH, &uri, &json!({"active": true}))),
    )
    .await
    .ok(200);
    record(&ctx, "article.published", json!({"slug": "a"}));
    record(&ctx, "tag.created", json!({"slug": "t"}));
    let _worker = worker(&ctx);
    let got = wait_received(&receiver, 1).await;
    assert_eq!(got[0].path, "/new");
    got[0].assert_signed("a-brand-new-secret-value");
    assert_eq!(got[0].json()["event"], "article.published");
    assert_eq!(
        deliveries(&ctx, &app, id).await["meta"]["total"],
        1,
        "tag events are no longer subscribed"
    );
}

#[actix_web::test]
async fn the_list_is_paginated_in_creation_order() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(subscribe(&ctx, &app, &format!("https://example.org/{i}"), &["*"]).await);
    }
    let mut seen = Vec::new();
    let mut uri = "/api/v1/webhooks?limit=2".to_owned();
    loop {
        let page = send(&app, ctx.admin(get(&uri))).await.ok(200);
        assert_eq!(page["meta"]["total"], 5);
        assert_eq!(page["meta"]["limit"], 2);
        for hook in page["data"].as_array().unwrap() {
            seen.push(hook["id"].as_i64().unwrap());
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page["meta"]["has_more"], true);
                uri = format!("/api/v1/webhooks?limit=2&cursor={}", enc(cursor));
            }
            None => {
                assert_eq!(page["meta"]["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(seen, ids);
    for bad in ["limit=0", "limit=101", "cursor=nonsense", "colour=red"] {
        send(&app, ctx.admin(get(&format!("/api/v1/webhooks?{bad}"))))
            .await
            .problem(400);
    }
    // A cursor of the delivery list is not one of this list.
    send(
        &app,
        ctx.admin(get(&format!(
            "/api/v1/webhooks/{}/deliveries?cursor=d2ViaG9vay1pZHwx",
            ids[0]
        ))),
    )
    .await
    .problem(400);
}

#[actix_web::test]
async fn deleting_a_subscription_removes_its_log() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let gone = subscribe(&ctx, &app, "http://127.0.0.1:9/", &["*"]).await;
    let kept = subscribe(&ctx, &app, "http://127.0.0.1:9/", &["*"]).await;
    record(&ctx, "tag.created", json!({}));
    record(&ctx, "tag.deleted", json!({}));
    assert_eq!(count_deliveries(&ctx, gone), 2);
    let uri = format!("/api/v1/webhooks/{gone}");
    let res = send(&app, ctx.admin(delete(&uri))).await;
    assert_eq!(res.status.as_u16(), 204);
    assert!(res.body.is_empty());
    assert_eq!(count_deliveries(&ctx, gone), 0);
    assert_eq!(count_deliveries(&ctx, kept), 2, "others keep theirs");
    send(&app, ctx.admin(get(&uri))).await.problem(404);
    send(&app, ctx.admin(get(&format!("{uri}/deliveries"))))
        .await
        .problem(404);
    send(&app, ctx.admin(delete(&uri))).await.problem(404);
}

// ---------------------------------------------------------------------------------------
// Recording events.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn record_queues_one_delivery_per_matching_active_subscription() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let url = "http://127.0.0.1:9/";
    let articles = subscribe(&ctx, &app, url, &["article.*"]).await;
    let created = subscribe(&ctx, &app, url, &["tag.created"]).await;
    let mixed = subscribe(&ctx, &app, url, &["article.published", "tag.deleted"]).await;
    let all = subscribe(&ctx, &app, url, &["*"]).await;
    let inactive = create_hook(
        &ctx,
        &app,
        json!({"url": url, "events": ["*"], "active": false}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let data = json!({"slug": "harbour-tram", "title": "Harbour Tram"});
    let before = chrono::Utc::now();
    record(&ctx, "article.published", data.clone());
    record(&ctx, "tag.created", json!({"slug": "transport"}));
    record(&ctx, "article.updated", json!({"slug": "harbour-tram"}));
    record(&ctx, "tag.updated", json!({"slug": "transport"}));

    let events = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["event"].as_str().unwrap().to_owned())
            .collect()
    };
    // Newest first.
    assert_eq!(
        events(&deliveries(&ctx, &app, articles).await),
        ["article.updated", "article.published"]
    );
    assert_eq!(
        events(&deliveries(&ctx, &app, created).await),
        ["tag.created"]
    );
    assert_eq!(
        events(&deliveries(&ctx, &app, mixed).await),
        ["article.published"]
    );
    assert_eq!(
        events(&deliveries(&ctx, &app, all).await),
        [
            "tag.updated",
            "article.updated",
            "tag.created",
            "article.published"
        ]
    );
    assert_eq!(count_deliveries(&ctx, inactive), 0);

    let list = deliveries(&ctx, &app, mixed).await;
    let d = first(&list);
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempts"], 0);
    assert_eq!(d["last_status_code"], Value::Null);
    assert_eq!(d["last_error"], Value::Null);
    assert_eq!(d["delivered_at"], Value::Null);
    assert!(ts(&d["next_attempt_at"]) <= chrono::Utc::now());
    assert!(ts(&d["created_at"]) >= before - chrono::Duration::seconds(1));

    // The stored body: one per event, the same for every subscription that gets it.
    let payload_of = |webhook: i64, event: &str| -> Value {
        use gazette::schema::webhook_deliveries as wd;
        let text: String = wd::table
            .filter(wd::webhook_id.eq(webhook))
            .filter(wd::event.eq(event))
            .select(wd::payload)
            .first(&mut *ctx.pool.get().unwrap())
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let payload = payload_of(mixed, "article.published");
    assert_eq!(payload["event"], "article.published");
    assert_eq!(payload["data"], data);
    ts(&payload["created_at"]);
    let event_id = payload["id"].as_str().unwrap();
    assert_eq!(event_id.len(), 36, "a UUID: {event_id}");
    assert_eq!(payload_of(all, "article.published"), payload);
    assert_eq!(payload_of(articles, "article.published"), payload);
    assert_ne!(payload_of(all, "tag.created")["id"], payload["id"]);
    assert_eq!(
        payload.as_object().unwrap().len(),
        4,
        "id, event, created_at, data: {payload}"
    );
}

#[actix_web::test]
async fn record_commits_and_rolls_back_with_the_callers_transaction() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let id = subscribe(&ctx, &app, "http://127.0.0.1:9/", &["tag.*"]).await;
    let conn = &mut *ctx.pool.get().unwrap();
    let failed: Result<(), diesel::result::Error> = db::write(conn, |conn| {
        db::events::record(conn, "tag.deleted", &json!({"slug": "x"}), db::now())?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(failed.is_err());
    assert_eq!(count_deliveries(&ctx, id), 0, "rolled back with the change");
    // Events nobody subscribed to queue nothing.
    record(&ctx, "article.deleted", json!({}));
    assert_eq!(count_deliveries(&ctx, id), 0);
}

// ---------------------------------------------------------------------------------------
// Delivering.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_worker_delivers_a_signed_payload() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let receiver = Receiver::start(&[]);
    let id = subscribe(&ctx, &app, &receiver.url("/hooks/gazette?x=1"), &["tag.*"]).await;
    record(
        &ctx,
        "tag.created",
        json!({"slug": "transport", "name": "Transport"}),
    );
    let _worker = worker(&ctx);

    let got = wait_received(&receiver, 1).await;
    let req = &got[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hooks/gazette?x=1");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("x-gazette-event"), Some("tag.created"));
    req.assert_signed(SECRET);
    let body = req.json();
    assert_eq!(body["event"], "tag.created");
    assert_eq!(
        body["data"],
        json!({"slug": "transport", "name": "Transport"})
    );

    let list = wait_deliveries(&ctx, &app, id, "delivered delivery", |l| {
        first(l)["status"] == "delivered"
    })
    .await;
    let d = first(&list);
    assert_eq!(
        req.header("x-gazette-delivery"),
        Some(d["id"].to_string().as_str())
    );
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], 200);
    assert_eq!(d["last_error"], Value::Null);
    assert_eq!(d["next_attempt_at"], Value::Null);
    assert!(ts(&d["delivered_at"]) >= ts(&d["created_at"]));
    // Once.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 1);
}

#[actix_web::test]
async fn a_failing_receiver_gets_the_delivery_on_retry() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let receiver = Receiver::start(&[500]);
    let id = subscribe(&ctx, &app, &receiver.url("/flaky"), &["article.published"]).await;
    record(&ctx, "article.published", json!({"slug": "a"}));
    let _worker = worker(&ctx);

    let list = wait_deliveries(&ctx, &app, id, "delivery", |l| {
        first(l)["status"] == "delivered"
    })
    .await;
    let d = first(&list);
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["last_status_code"], 200);
    // The status and its fixed reason, never what the receiver said.
    assert_eq!(d["last_error"], "HTTP 500 Internal Server Error");
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "the same body both times");
    assert_eq!(
        got[0].header("x-gazette-delivery"),
        got[1].header("x-gazette-delivery")
    );
    got[1].assert_signed(SECRET);
}

#[actix_web::test]
async fn a_receiver_that_is_down_is_retried_with_backoff() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let id = subscribe(&ctx, &app, &format!("http://127.0.0.1:{port}/"), &["*"]).await;
    record(&ctx, "tag.created", json!({}));
    let _worker = worker(&ctx);
    let list = wait_deliveries(&ctx, &app, id, "second attempt", |l| {
        first(l)["attempts"].as_i64() >= Some(2)
    })
    .await;
    let d = first(&list);
    assert_eq!(d["status"], "pending");
    assert_eq!(d["last_status_code"], Value::Null, "no answer came");
    assert_eq!(d["last_error"], "connection failed or timed out");
    let next = ts(&d["next_attempt_at"]);
    assert!(next > chrono::Utc::now() - chrono::Duration::seconds(1));
}

#[actix_web::test]
async fn a_delivery_is_given_up_after_12_attempts() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let id = subscribe(&ctx, &app, "http://127.0.0.1:9/", &["*"]).await;
    record(&ctx, "tag.created", json!({}));
    let delivery = first(&deliveries(&ctx, &app, id).await)["id"]
        .as_i64()
        .unwrap();
    let conn = &mut *ctx.pool.get().unwrap();
    let base = Duration::from_secs(1);
    let mut waits = Vec::new();
    for attempt in 1..=12 {
        let now = db::now();
        store::mark_failed(conn, delivery, Some(503), "HTTP 503", now, base).unwrap();
        let row = store::find_delivery(conn, id, delivery).unwrap();
        assert_eq!(row.attempts, attempt);
        match row.next_attempt_at {
            Some(next) => waits.push((next - now).num_seconds()),
            None => assert_eq!(row.status, "failed", "after {attempt}"),
        }
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]);
    let d = first(&deliveries(&ctx, &app, id).await).clone();
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 12);
    assert_eq!(d["last_status_code"], 503);
    assert_eq!(d["next_attempt_at"], Value::Null);
    // A redelivery starts over.
    let uri = format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver");
    let again = send(
        &app,
        ctx.admin(actix_web::test::TestRequest::post().uri(&uri)),
    )
    .await
    .ok(202);
    assert_eq!(again["status"], "pending");
    assert_eq!(again["attempts"], 0);
}

#[actix_web::test]
async fn redeliver_sends_a_delivery_again() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let receiver = Receiver::start(&[]);
    let id = subscribe(&ctx, &app, &receiver.url("/"), &["tag.deleted"]).await;
    record(&ctx, "tag.deleted", json!({"slug": "old"}));
    let worker = worker(&ctx);
    wait_deliveries(&ctx, &app, id, "delivery", |l| {
        first(l)["status"] == "delivered"
    })
    .await;
    worker.stop().await;

    let delivery = first(&deliveries(&ctx, &app, id).await)["id"].clone();
    let uri = format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver");
    let queued = send(
        &app,
        ctx.admin(actix_web::test::TestRequest::post().uri(&uri)),
    )
    .await
    .ok(202);
    assert_eq!(queued["id"], delivery);
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["delivered_at"], Value::Null);
    assert!(ts(&queued["next_attempt_at"]) <= chrono::Utc::now());

    let _worker = self::worker(&ctx);
    let list = wait_deliveries(&ctx, &app, id, "redelivery", |l| {
        first(l)["status"] == "delivered"
    })
    .await;
    assert_eq!(list["meta"]["total"], 1, "the same delivery, not a new one");
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(
        got[1].header("x-gazette-delivery"),
        Some(delivery.to_string().as_str())
    );
    got[1].assert_signed(SECRET);
}

#[actix_web::test]
async fn an_inactive_subscription_holds_its_deliveries() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let receiver = Receiver::start(&[]);
    let id = subscribe(&ctx, &app, &receiver.url("/"), &["*"]).await;
    record(&ctx, "tag.created", json!({}));
    let uri = format!("/api/v1/webhooks/{id}");
    send(
        &app,
        ctx.admin(json(Method::PATCH, &uri, &json!({"active": false}))),
    )
    .await
    .ok(200);
    let _worker = worker(&ctx);
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());
    assert_eq!(
        first(&deliveries(&ctx, &app, id).await)["status"],
        "pending"
    );
    send(
        &app,
        ctx.admin(json(Method::PATCH, &uri, &json!({"active": true}))),
    )
    .await
    .ok(200);
    wait_received(&receiver, 1).await;
}

#[actix_web::test]
async fn deliveries_are_listed_newest_first_with_a_cursor() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let id = subscribe(&ctx, &app, "http://127.0.0.1:9/", &["tag.*"]).await;
    for slug in ["a", "b", "c"] {
        record(&ctx, "tag.created", json!({"slug": slug}));
    }
    let uri = format!("/api/v1/webhooks/{id}/deliveries");
    let page = send(&app, ctx.admin(get(&format!("{uri}?limit=2"))))
        .await
        .ok(200);
    assert_eq!(page["meta"]["total"], 3);
    assert_eq!(page["meta"]["has_more"], true);
    let ids: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert!(ids[0] > ids[1], "{ids:?}");
    let cursor = page["meta"]["next_cursor"].as_str().unwrap();
    let last = send(
        &app,
        ctx.admin(get(&format!("{uri}?limit=2&cursor={}", enc(cursor)))),
    )
    .await
    .ok(200);
    assert_eq!(last["data"].as_array().unwrap().len(), 1);
    assert!(last["data"][0]["id"].as_i64().unwrap() < ids[1]);
    assert_eq!(last["meta"]["has_more"], false);
    assert_eq!(last["meta"]["next_cursor"], Value::Null);
}

#[actix_web::test]
async fn only_allowed_hosts_are_called() {
    let ctx = loopback_ctx();
    let app = ctx.app().await;
    let receiver = Receiver::start(&[]);
    let blocked = subscribe(
        &ctx,
        &app,
        &format!("http://localhost:{}/", receiver.addr.port()),
        &["*"],
    )
    .await;
    let allowed = subscribe(&ctx, &app, &receiver.url("/ok"), &["*"]).await;
    record(&ctx, "tag.created", json!({}));
    let _worker = worker_for(&ctx, &["127.0.0.1"]);
    wait_deliveries(&ctx, &app, allowed, "delivery", |l| {
        first(l)["status"] == "delivered"
    })
    .await;
    let list = wait_deliveries(&ctx, &app, blocked, "refusal", |l| {
        first(l)["attempts"].as_i64() >= Some(1)
    })
    .await;
    let d = first(&list);
    assert_eq!(d["status"], "pending");
    let error = d["last_error"].as_str().unwrap();
    assert!(error.contains("WEBHOOK_ALLOWED_HOSTS"), "{error}");
    let got = receiver.received();
    assert_eq!(got.len(), 1, "only the allowed host was called");
    assert_eq!(got[0].path, "/ok");
}
