//! What reads may cost and who gets to make them:
//!
//! - a tag's article count comes from counts the database keeps (any page of tags, forged
//!   cursor or not, costs a lookup per tag): it stays what counting the articles gives,
//!   through every kind of write and as scheduled articles come due;
//! - expensive reads (search, filters, cursors) past a client address's budget are a 429
//!   with `Retry-After`, while other addresses and cheap reads from the same one are served,
//!   and answers kept in memory are never refused;
//! - reads beyond the concurrency bound are refused with a 503 and `Retry-After` (or wait
//!   their turn), expensive ones already at their smaller share of it.

mod common;
use common::*;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use gazette::config::{ReadLimits, Settings};
use gazette::db;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Tag counts.
// ---------------------------------------------------------------------------------------

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every tag's public article count, counted from the articles themselves.
fn counted(ctx: &Ctx) -> Vec<(String, i64)> {
    let conn = &mut *ctx.pool.get().unwrap();
    let sql = format!(
        "SELECT t.slug AS slug, CAST(COUNT(a.id) AS BIGINT) AS n FROM tags t \
         LEFT JOIN article_tags at ON at.tag_id = t.id \
         LEFT JOIN articles a ON a.id = at.article_id AND a.status = 'published' \
         AND a.published_at <= {} \
         GROUP BY t.slug ORDER BY t.slug",
        if on_postgres() { "$1" } else { "?" }
    );
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(db::now())
        .load::<Counted>(conn)
        .unwrap()
        .into_iter()
        .map(|c| (c.slug, c.n))
        .collect()
}

/// Every tag's `article_count` as the tag list shows it to an admin, read page by page with
/// the cursor; the public list must show the same, less the tags no public article carries.
async fn listed(ctx: &Ctx, app: &TestApp) -> Vec<(String, i64)> {
    let all = listed_as(ctx, app, true).await;
    let public: Vec<_> = all.iter().filter(|(_, n)| *n > 0).cloned().collect();
    assert_eq!(
        listed_as(ctx, app, false).await,
        public,
        "the public tag list"
    );
    all
}

async fn listed_as(ctx: &Ctx, app: &TestApp, admin: bool) -> Vec<(String, i64)> {
    let read = |uri: &str| if admin { ctx.admin(get(uri)) } else { get(uri) };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/tags?limit=2&cursor={c}"),
            None => "/api/v1/tags?limit=2".to_owned(),
        };
        let page = send(app, read(&uri)).await.ok(200);
        for tag in page["data"].as_array().unwrap() {
            let slug = tag["slug"].as_str().unwrap().to_owned();
            // One tag read alone counts the same.
            let one = send(app, read(&format!("/api/v1/tags/{slug}")))
                .await
                .ok(200);
            assert_eq!(one["article_count"], tag["article_count"], "{slug}");
            out.push((slug, tag["article_count"].as_i64().unwrap()));
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
}

#[track_caller]
fn assert_counts(listed: Vec<(String, i64)>, counted: Vec<(String, i64)>, after: &str) {
    assert_eq!(listed, counted, "tag counts after {after}");
}

#[actix_web::test]
async fn tag_counts_stay_what_counting_the_articles_gives() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let later = |days| (Utc::now() + Duration::days(days)).to_rfc3339();
    for body in [
        json!({"title": "One", "status": "published", "tags": ["red", "blue"]}),
        json!({"title": "Two", "status": "published", "tags": ["red"]}),
        json!({"title": "Draft", "tags": ["red", "green"]}),
        json!({"title": "Archived", "status": "archived", "tags": ["blue"]}),
        json!({"title": "Soon", "status": "published", "published_at": later(1),
               "tags": ["red", "green"]}),
        json!({"title": "Later", "status": "published", "published_at": later(30),
               "tags": ["green", "grey"]}),
    ] {
        create_article(&ctx, &app, body).await;
    }
    assert_counts(listed(&ctx, &app).await, counted(&ctx), "creating");
    assert_eq!(
        listed(&ctx, &app).await,
        [("blue", 1), ("green", 0), ("grey", 0), ("red", 2)].map(|(s, n)| (s.to_owned(), n))
    );

    let steps: Vec<(&str, Value)> = vec![
        ("publishing a draft", json!({"status": "published"})),
        ("retagging it", json!({"tags": ["blue", "grey"]})),
        ("archiving it", json!({"status": "archived"})),
        ("retagging it archived", json!({"tags": ["red"]})),
        ("publishing it again", json!({"status": "published"})),
        ("scheduling it", json!({"published_at": later(2)})),
    ];
    for (what, patch) in steps {
        patch_article(&ctx, &app, "draft", patch).await;
        assert_counts(listed(&ctx, &app).await, counted(&ctx), what);
    }

    // A scheduled article comes due with no write: the time of day alone changes the count.
    diesel::update(gazette::schema::articles::table)
        .filter(gazette::schema::articles::slug.eq("soon"))
        .set(gazette::schema::articles::published_at.eq(db::now() - Duration::hours(1)))
        .execute(&mut *ctx.pool.get().unwrap())
        .unwrap();
    let now_due = listed(&ctx, &app).await;
    assert_eq!(now_due.iter().find(|(s, _)| s == "green").unwrap().1, 1);
    assert_counts(now_due, counted(&ctx), "an article coming due");

    let res = send(&app, ctx.admin(delete("/api/v1/articles/one"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert_counts(
        listed(&ctx, &app).await,
        counted(&ctx),
        "deleting an article",
    );

    let res = send(&app, ctx.admin(delete("/api/v1/tags/red"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert_counts(listed(&ctx, &app).await, counted(&ctx), "deleting a tag");

    // A new tag of that slug starts from nothing.
    create_article(
        &ctx,
        &app,
        json!({"title": "Three", "status": "published", "tags": ["red"]}),
    )
    .await;
    let after = listed(&ctx, &app).await;
    assert_eq!(after.iter().find(|(s, _)| s == "red").unwrap().1, 1);
    assert_counts(after, counted(&ctx), "reusing a deleted tag's slug");
}

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

    // An answer kept in memory costs no query: it is sent whatever the budget. (PostgreSQL
    // keeps none, so there every expensive read counts.)
    let res = send(&app, from_ip(get(&expensive[0]), A)).await;
    if on_postgres() {
        assert_refused(&res, 429, "a repeated search on PostgreSQL");
    } else {
        assert_eq!(res.status.as_u16(), 200, "a search kept in memory: {res:?}");
    }
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
    if on_postgres() {
        // No answers are kept on PostgreSQL.
        assert_refused(&res, 503, "a list on PostgreSQL");
    } else {
        assert_eq!(res.ok(200), kept, "the kept list, sent from memory");
    }
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
