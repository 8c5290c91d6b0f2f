//! What reads may cost and who gets to make them:
//!
//! - expensive reads (search, filters, cursors) past a client address's budget are a 429
//!   with `Retry-After`, while other addresses and cheap reads from the same one are served,
//!   and answers kept in memory are never refused;
//! - reads beyond the concurrency bound are refused with a 503 and `Retry-After` (or wait
//!   their turn), expensive ones already at their smaller share of it;
//! - the spec documents both on every read admission may refuse.

use crate::support::common;
use common::*;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use gazette::config::{ReadLimits, Settings};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// The budget of expensive reads.
// ---------------------------------------------------------------------------------------

const A: &str = "192.0.2.1";
const B: &str = "192.0.2.2";

fn reads(reads: ReadLimits) -> Settings {
    Settings {
        reads,
        ..Default::default()
    }
}

/// Asserts `res` is a problem with `status` and a whole number of seconds, at least one, in
/// `Retry-After`.
#[track_caller]
fn assert_refused(res: &Resp, status: u16, case: &str) {
    res.problem(status);
    let retry = res
        .header("retry-after")
        .unwrap_or_else(|| panic!("{case}: {status} without Retry-After: {res:?}"));
    let secs: u64 = retry
        .parse()
        .unwrap_or_else(|_| panic!("{case}: Retry-After {retry:?} is not whole seconds"));
    assert!((1..=60).contains(&secs), "{case}: Retry-After {secs}");
    assert_ne!(
        res.header("cache-control").map(|c| c.starts_with("public")),
        Some(true),
        "{case}: a refusal must not be cached for everyone: {res:?}"
    );
}

#[actix_web::test]
async fn expensive_reads_past_the_budget_are_429_while_others_are_served() {
    let ctx = Ctx::with_settings(reads(ReadLimits {
        expensive_per_minute: 5,
        ..ReadLimits::DEFAULT
    }));
    let app = ctx.app().await;
    publish(&ctx, &app, "Tram lines reopen").await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Ferries", "status": "published", "tags": ["transport"]}),
    )
    .await;
    let first = list_articles(&app, "limit=1").await;
    let cursor = first["meta"]["next_cursor"].as_str().unwrap();

    // Five expensive reads of different kinds use up the budget; each is answered.
    let expensive = [
        "/api/v1/articles?q=tram".to_owned(),
        "/api/v1/articles?tag=transport".to_owned(),
        format!(
            "/api/v1/articles?q=ka&limit=100&published_after={}",
            enc("2020-01-01T00:00:00Z")
        ),
        format!("/api/v1/articles?limit=1&cursor={cursor}"),
        // A cursor made up by the client ("slug|a").
        "/api/v1/tags?cursor=c2x1Z3xh".to_owned(),
    ];
    for uri in &expensive {
        let res = send(&app, from_ip(get(uri), A)).await;
        assert_eq!(res.status.as_u16(), 200, "{uri}: {res:?}");
    }
    for uri in [
        "/api/v1/articles?q=ferry",
        "/feed.atom?tag=transport",
        "/api/v1/articles?published_before=2030-01-01T00:00:00Z",
    ] {
        let res = send(&app, from_ip(get(uri), A)).await;
        assert_refused(&res, 429, uri);
    }

    // The same address's cheap reads are served, and so is another address's search.
    for uri in [
        "/api/v1/articles",
        "/api/v1/articles?limit=100&fields=slug&sort=-updated_at",
        "/api/v1/articles/ferries",
        "/api/v1/tags",
        "/feed.atom",
    ] {
        let res = send(&app, from_ip(get(uri), A)).await;
        assert_eq!(res.status.as_u16(), 200, "{uri}: {res:?}");
    }
    let res = send(&app, from_ip(get("/api/v1/articles?q=ferry"), B)).await;
    assert_eq!(res.status.as_u16(), 200, "{res:?}");

    // An answer kept in memory costs no query: it is sent whatever the budget, on both
    // backends.
    let res = send(&app, from_ip(get(&expensive[0]), A)).await;
    assert_eq!(res.status.as_u16(), 200, "a search kept in memory: {res:?}");
}

#[actix_web::test]
async fn the_expensive_read_budget_follows_the_trusted_proxy_and_0_turns_it_off() {
    let ctx = Ctx::with_settings(Settings {
        trust_proxy: true,
        ..reads(ReadLimits {
            expensive_per_minute: 1,
            ..ReadLimits::DEFAULT
        })
    });
    let app = ctx.app().await;
    let search = |n: usize, client: &str| {
        from_ip(
            get(&format!("/api/v1/articles?q=word{n}")).insert_header(("X-Forwarded-For", client)),
            A,
        )
    };
    send(&app, search(1, "203.0.113.1")).await.ok(200);
    assert_refused(
        &send(&app, search(2, "203.0.113.1")).await,
        429,
        "a second search from one client behind the proxy",
    );
    send(&app, search(3, "203.0.113.2")).await.ok(200);

    let ctx = Ctx::with_settings(reads(ReadLimits {
        expensive_per_minute: 0,
        ..ReadLimits::DEFAULT
    }));
    let app = ctx.app().await;
    for n in 0..20 {
        let uri = format!("/api/v1/articles?q=word{n}");
        send(&app, from_ip(get(&uri), A)).await.ok(200);
    }
}

// ---------------------------------------------------------------------------------------
// The concurrency bound.
// ---------------------------------------------------------------------------------------

type Pending<'a> = Pin<Box<dyn Future<Output = Resp> + 'a>>;

/// Sends `req` and polls it once: its answer if it had one at once, else the request
/// itself, still running.
async fn start(app: &TestApp, req: actix_web::test::TestRequest) -> Result<Resp, Pending<'_>> {
    let mut pending: Pending<'_> = Box::pin(send(app, req));
    let polled = std::future::poll_fn(|cx| Poll::Ready(pending.as_mut().poll(cx))).await;
    match polled {
        Poll::Ready(res) => Ok(res),
        Poll::Pending => Err(pending),
    }
}

/// Room for `at_once` reads, refused at once when there is none.
fn bounded(at_once: u32) -> Settings {
    reads(ReadLimits {
        max_concurrent: Some(at_once),
        queue_ms: 0,
        ..ReadLimits::DEFAULT
    })
}

#[actix_web::test]
async fn reads_beyond_the_bound_are_503_and_expensive_ones_get_a_smaller_share() {
    let ctx = Ctx::with_settings(bounded(2));
    let app = ctx.app().await;
    publish(&ctx, &app, "Tram lines reopen").await;
    // Every database connection is taken: reads let in wait for one, holding their room.
    let held: Vec<_> = (0..4).map(|_| ctx.pool.get().unwrap()).collect();

    let search = start(&app, get("/api/v1/articles?q=tram"))
        .await
        .expect_err("a search is let in, and waits for a connection");
    // Expensive reads have room for one: another search is refused, from any address.
    let res = start(&app, from_ip(get("/api/v1/articles?q=ferry"), B))
        .await
        .unwrap_or_else(|_| panic!("a second search is answered at once"));
    assert_refused(&res, 503, "a search beyond the expensive share");
    // The rest of the room is left for cheap reads.
    let article = start(&app, get("/api/v1/articles/tram-lines-reopen"))
        .await
        .expect_err("a cheap read is let in beside the search");
    let res = start(&app, get("/api/v1/tags"))
        .await
        .unwrap_or_else(|_| panic!("a read beyond the bound is answered at once"));
    assert_refused(&res, 503, "a read beyond the bound");

    drop(held);
    search.await.ok(200);
    article.await.ok(200);
    // The room is given back with the answers.
    send(&app, get("/api/v1/articles?q=ferry")).await.ok(200);
    send(&app, get("/api/v1/tags")).await.ok(200);
}

#[actix_web::test]
async fn answers_kept_in_memory_pass_a_full_bound() {
    let ctx = Ctx::with_settings(bounded(1));
    let app = ctx.app().await;
    publish(&ctx, &app, "Tram lines reopen").await;
    let kept = send(&app, get("/api/v1/articles")).await.ok(200);

    let held: Vec<_> = (0..4).map(|_| ctx.pool.get().unwrap()).collect();
    let tags = start(&app, get("/api/v1/tags"))
        .await
        .expect_err("a read is let in and waits for a connection");
    let res = start(&app, get("/api/v1/articles/tram-lines-reopen"))
        .await
        .unwrap_or_else(|_| panic!("a read beyond the bound is answered at once"));
    assert_refused(&res, 503, "a read beyond the bound");
    let res = start(&app, get("/api/v1/articles"))
        .await
        .unwrap_or_else(|_| panic!("a kept answer or a refusal, at once"));
    assert_eq!(res.ok(200), kept, "the kept list, sent from memory");
    // What needs no database is not a read of the bound: the spec is served at once.
    let res = start(&app, get("/openapi.json"))
        .await
        .unwrap_or_else(|_| panic!("the spec at once"));
    res.ok(200);

    drop(held);
    tags.await.ok(200);
}

#[actix_web::test]
async fn a_read_waits_its_turn_within_the_queue_time() {
    let ctx = Ctx::with_settings(reads(ReadLimits {
        max_concurrent: Some(1),
        queue_ms: 60_000,
        ..ReadLimits::DEFAULT
    }));
    let app = ctx.app().await;
    publish(&ctx, &app, "Tram lines reopen").await;
    let held: Vec<_> = (0..4).map(|_| ctx.pool.get().unwrap()).collect();
    let first = start(&app, get("/api/v1/tags"))
        .await
        .expect_err("the first read is let in");
    let second = start(&app, get("/api/v1/articles/tram-lines-reopen"))
        .await
        .expect_err("the second read waits for room");
    drop(held);
    first.await.ok(200);
    second.await.ok(200);
}

// ---------------------------------------------------------------------------------------
// The spec.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_spec_documents_429_and_503_on_every_read_admission_may_refuse() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let spec: Value = send(&app, get("/openapi.json")).await.ok(200);
    let mut reads = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(read) = item.get("get") else {
            continue;
        };
        if !gazette::middleware::admission::reads_database(path) {
            continue;
        }
        reads += 1;
        for (status, name) in [("429", "TooManyRequests"), ("503", "Busy")] {
            assert_eq!(
                read["responses"][status]["$ref"],
                format!("#/components/responses/{name}"),
                "GET {path} {status}"
            );
        }
    }
    assert!(reads >= 10, "{reads} reads documented");
    for name in ["TooManyRequests", "Busy"] {
        let response = &spec["components"]["responses"][name];
        assert_eq!(
            response["headers"]["Retry-After"]["schema"],
            json!({"type": "integer", "minimum": 1}),
            "{name}"
        );
        assert_eq!(
            response["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{name}"
        );
    }
}
