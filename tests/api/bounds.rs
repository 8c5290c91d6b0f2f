//! Work kept within bounds: bodies nested too deep to sanitize quickly are refused wherever
//! Markdown is rendered, an import's lines are bounded and refused by number, waiting writers
//! hold no connection (so an import never starves reads), and leap seconds are refused
//! wherever a time is accepted.

use crate::support::common;

use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use common::*;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use gazette::config::{Limits, Settings};
use gazette::content::MAX_NESTING;
use gazette::db;

fn post_import(ndjson: impl Into<Vec<u8>>) -> actix_web::test::TestRequest {
    raw(
        Method::POST,
        "/api/v1/import",
        Some("application/x-ndjson"),
        ndjson,
    )
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Asserts a 422 whose only error is `field`, with a message containing `says`.
#[track_caller]
fn refused(resp: &Resp, field: &str, says: &str) -> Value {
    let problem = resp.problem(422);
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{problem}");
    problem
}

fn article_count(ctx: &Ctx) -> i64 {
    db::articles::count_all(&mut ctx.pool.get().unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Rendering.

/// Bodies that nested 20,000 levels deep each took seconds to sanitize (the sanitizer's
/// work grows with the square of the nesting).
fn hostile_bodies() -> Vec<(&'static str, String)> {
    const N: usize = 20_000;
    vec![
        ("blockquotes", format!("{}x\n", ">".repeat(N))),
        ("lists", format!("{}x\n", "- ".repeat(N))),
        ("divs", format!("{}x\n", "<div>".repeat(N))),
        ("inline tags", format!("x {}x\n", "<em>".repeat(N))),
    ]
}

#[actix_web::test]
async fn deeply_nested_bodies_are_refused_on_every_write() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let at_most = format!("at most {MAX_NESTING}");
    create_article(&ctx, &app, json!({"title": "Kept", "body": "Before."})).await;
    for (shape, body) in hostile_bodies() {
        let created = send(
            &app,
            ctx.admin(post_article_req(json!({"title": shape, "body": body}))),
        )
        .await;
        let problem = refused(&created, "body", &at_most);
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("nests "),
            "{shape}: {problem}"
        );
        let patched = send(
            &app,
            ctx.admin(patch_article_req("kept", json!({"body": body}))),
        )
        .await;
        refused(&patched, "body", &at_most);

        let import = ndjson(&[
            json!({"type": "article", "slug": "fine", "title": "Fine"}),
            json!({"type": "article", "slug": "deep", "title": "Deep", "body": body}),
        ]);
        let imported = send(&app, ctx.admin(post_import(import))).await;
        refused(&imported, "line 2: body", &at_most);
    }
    assert_eq!(article_count(&ctx), 1, "nothing was written");
    let kept = send(&app, ctx.admin(get("/api/v1/articles/kept")))
        .await
        .ok(200);
    assert_eq!(kept["body"], "Before.");
}

#[actix_web::test]
async fn reasonably_nested_bodies_still_render() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    // 20 levels of nested lists inside a quote, with emphasis and inline HTML.
    let mut body = String::new();
    for level in 0..20 {
        body.push_str(&format!(
            "> {}- level {level}, *emphasised* and <span>tagged</span>\n",
            "  ".repeat(level)
        ));
    }
    body.push_str("\n<div><div><div>\n\nRaw HTML, three deep.\n\n</div></div></div>\n");
    let article = create_article(&ctx, &app, json!({"title": "Deep enough", "body": body})).await;
    let html = article["body_html"].as_str().unwrap();
    assert_eq!(html.matches("<ul>").count(), 20, "{html}");
    assert!(html.contains("level 19, <em>emphasised</em>"), "{html}");
    assert!(
        article["body_text"]
            .as_str()
            .unwrap()
            .contains("Raw HTML, three deep."),
        "{article}"
    );
}

// ---------------------------------------------------------------------------------------
// Import lines.

#[actix_web::test]
async fn an_import_line_past_the_limit_is_refused_by_number() {
    const MAX: usize = 2000;
    let ctx = Ctx::with_settings(Settings {
        limits: Limits {
            import_line_bytes: MAX,
            ..Limits::DEFAULT
        },
        ..Settings::default()
    });
    let app = ctx.app().await;
    // A record padded to exactly the limit, then one a byte longer.
    let pad = |record: Value, len: usize| {
        let text = record.to_string();
        format!("{text}{}\n", " ".repeat(len - text.len()))
    };
    let at_limit = pad(json!({"type": "tag", "slug": "t", "name": "T"}), MAX);
    let past = pad(
        json!({"type": "article", "slug": "a", "title": "A"}),
        MAX + 1,
    );
    let body = format!("{at_limit}{at_limit}{past}");
    let problem = send(&app, ctx.admin(post_import(body))).await;
    refused(
        &problem,
        "line 3",
        &format!("is longer than the limit of {MAX} bytes"),
    );
    assert_eq!(article_count(&ctx), 0);
    let tags = send(&app, ctx.admin(get("/api/v1/tags"))).await.ok(200);
    assert_eq!(tags["meta"]["total"], 0, "nothing was imported: {tags}");

    // Within the limit, the same lines import.
    let body = format!(
        "{at_limit}{}",
        pad(json!({"type": "article", "slug": "a", "title": "A"}), MAX)
    );
    let ok = send(&app, ctx.admin(post_import(body))).await.ok(200);
    assert_eq!(ok["articles_created"], 1, "{ok}");
}

// ---------------------------------------------------------------------------------------
// The write gate.

/// Holds the database's write lock from its own connection until `release` is dropped,
/// as a long import holds it: `BEGIN IMMEDIATE` on SQLite, the writers' advisory lock on
/// PostgreSQL.
fn hold_write_lock(url: &str) -> std::sync::mpsc::Sender<()> {
    let url = url.to_owned();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let lock = if db::is_postgres(&url) {
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            conn.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7402001);")
                .unwrap();
            db::AnyConnection::Postgres(conn)
        } else {
            let mut conn = diesel::SqliteConnection::establish(db::sqlite_path(&url)).unwrap();
            conn.batch_execute("BEGIN IMMEDIATE").unwrap();
            db::AnyConnection::Sqlite(conn)
        };
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv();
        let mut lock = lock;
        lock.batch_execute("ROLLBACK").unwrap();
    });
    locked_rx.recv().unwrap();
    release_tx
}

/// Waits (briefly) until `ready` holds; panics naming `what` otherwise.
async fn until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(4);
    while !ready() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_web::test]
async fn writers_waiting_behind_an_import_leave_the_pool_to_readers() {
    const WRITERS: usize = 3;
    let ctx = Ctx::new();
    // Two connections: one for the import, one left for everyone else.
    let pool = db::open(ctx.db_url(), 2).unwrap();
    let app = Rc::new(ctx.app_on(pool.clone()).await);
    publish(&ctx, &app, "Already here").await;
    let idle = || pool.state().idle_connections;
    until("both connections idle", || idle() == 2).await;

    let release = hold_write_lock(ctx.db_url());
    let body = ndjson(&[
        json!({"type": "tag", "slug": "imported", "name": "Imported"}),
        json!({"type": "article", "slug": "imported", "title": "Imported", "tags": ["imported"]}),
    ]);
    let import = {
        let (app, req) = (Rc::clone(&app), ctx.admin(post_import(body)));
        actix_web::rt::spawn(async move { send(&app, req).await })
    };
    until("the import has the turn and a connection", || {
        pool.writes().is_taken() && idle() == 1
    })
    .await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let app = Rc::clone(&app);
            let req = ctx.admin(post_article_req(json!({"title": format!("Writer {i}")})));
            actix_web::rt::spawn(async move { send(&app, req).await.status.as_u16() })
        })
        .collect();
    until("every writer queued for its turn", || {
        pool.writes().waiting() == WRITERS
    })
    .await;
    assert_eq!(idle(), 1, "waiting writers hold no connection");
    // A public read is answered meanwhile, from the connection left.
    let list = send(&app, get("/api/v1/articles")).await.ok(200);
    assert_eq!(slugs(&list), ["already-here"]);

    drop(release);
    let imported = import.await.unwrap();
    assert_eq!(imported.ok(200)["articles_created"], 1);
    for writer in writers {
        assert_eq!(writer.await.unwrap(), 201);
    }
    assert_eq!(article_count(&ctx), 2 + WRITERS as i64);
}

// ---------------------------------------------------------------------------------------
// Leap seconds.

const LEAP_TIMES: [&str; 2] = ["2026-12-31T23:59:60.5Z", "2026-11-02T10:15:60.9Z"];

#[actix_web::test]
async fn a_leap_second_is_refused_wherever_a_time_is_accepted() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Story", "status": "draft"})).await;
    for at in LEAP_TIMES {
        let created = send(
            &app,
            ctx.admin(post_article_req(
                json!({"title": "Leap", "status": "published", "published_at": at}),
            )),
        )
        .await;
        refused(&created, "published_at", "leap second");
        let patched = send(
            &app,
            ctx.admin(patch_article_req("story", json!({"published_at": at}))),
        )
        .await;
        refused(&patched, "published_at", "leap second");
        let import = ndjson(&[json!({
            "type": "article", "slug": "leap", "title": "Leap",
            "status": "published", "published_at": at,
        })]);
        refused(
            &send(&app, ctx.admin(post_import(import))).await,
            "line 1: published_at",
            "leap second",
        );
        let tag = ndjson(&[json!({"type": "tag", "slug": "t", "name": "T", "created_at": at})]);
        refused(
            &send(&app, ctx.admin(post_import(tag))).await,
            "line 1: created_at",
            "leap second",
        );
        for param in ["published_after", "published_before"] {
            let uri = format!("/api/v1/articles?{param}={}", enc(at));
            let problem = send(&app, get(&uri)).await.problem(400);
            assert_eq!(problem["errors"][0]["field"], param, "{problem}");
        }
    }
    assert_eq!(article_count(&ctx), 1);
}

/// Every slug of the list in `sort` order, a page of one at a time; panics if paging does
/// not end.
async fn page_through(app: &TestApp, sort: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut uri = format!("/api/v1/articles?limit=1&sort={sort}");
        if let Some(c) = &cursor {
            uri.push_str(&format!("&cursor={}", enc(c)));
        }
        let page = get_json(app, &uri).await;
        seen.extend(slugs(&page));
        match page["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
    panic!("paging {sort} did not end: {seen:?}");
}

#[actix_web::test]
async fn paging_around_the_end_of_a_minute_sees_each_article_once() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (slug, at) in [
        ("before", "2025-12-31T23:59:59.5Z"),
        ("last-microsecond", "2025-12-31T23:59:59.999999Z"),
        ("new-year", "2026-01-01T00:00:00Z"),
        ("after", "2026-01-01T00:00:00.5Z"),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": slug, "slug": slug, "status": "published", "published_at": at}),
        )
        .await;
    }
    let oldest_first = ["before", "last-microsecond", "new-year", "after"];
    assert_eq!(page_through(&app, "published_at").await, oldest_first);
    let mut newest_first = oldest_first;
    newest_first.reverse();
    assert_eq!(page_through(&app, "-published_at").await, newest_first);
}
