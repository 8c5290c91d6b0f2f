//! Preview links: an admin mints a link to an unpublished article; whoever holds it reads the
//! article with no key, privately (never cached, never indexed), until the link expires, is
//! revoked, or the article is deleted or published. Tokens are stored only as hashes, and
//! every dead link answers exactly like an unknown one.

mod binary;
mod common;
use common::*;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use gazette::config::{RateLimits, Settings};
use gazette::db;
use gazette::schema::{article_previews, articles};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SITE: &str = "https://news.example.com";

fn context() -> Ctx {
    Ctx::with_settings(Settings {
        site_url: format!("{SITE}/"),
        ..Settings::default()
    })
}

/// `POST /api/v1/articles/{key}/preview` without a key, with `body` or none at all.
fn mint_req(key: &str, body: Option<Value>) -> TestRequest {
    let uri = format!("/api/v1/articles/{key}/preview");
    match body {
        Some(body) => json(Method::POST, &uri, &body),
        None => TestRequest::post().uri(&uri),
    }
}

/// Mints a link to `key` with the admin key, asserting 201; the link.
async fn mint(ctx: &Ctx, app: &TestApp, key: &str, body: Option<Value>) -> Value {
    send(app, ctx.admin(mint_req(key, body))).await.ok(201)
}

fn token_of(link: &Value) -> String {
    link["token"].as_str().expect("a token").to_owned()
}

/// `GET /api/v1/preview/{token}` with no key.
async fn open(app: &TestApp, token: &str) -> Resp {
    send(app, get(&format!("/api/v1/preview/{token}"))).await
}

/// Asserts the headers every preview answer carries: no cache may keep it, no validator,
/// no indexing.
#[track_caller]
fn assert_private(res: &Resp, case: &str) {
    assert_eq!(
        res.header("cache-control"),
        Some("private, no-store"),
        "{case}: {res:?}"
    );
    assert_eq!(res.header("x-robots-tag"), Some("noindex"), "{case}");
    assert_eq!(res.header("etag"), None, "{case}: a preview has no ETag");
    assert_eq!(res.header("last-modified"), None, "{case}");
}

/// A token never minted, of the minted shape.
fn unknown_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Asserts `token` shows nothing, in exactly the words and headers of a token never minted.
async fn assert_dead(app: &TestApp, token: &str, case: &str) {
    let reference = open(app, &unknown_token()).await;
    reference.problem(404);
    let res = open(app, token).await;
    res.problem(404);
    assert_private(&res, case);
    assert_eq!(
        res.body, reference.body,
        "{case}: a dead link answers as an unknown one"
    );
    let mut headers: Vec<_> = res.headers.keys().map(|k| k.as_str()).collect();
    let mut expected: Vec<_> = reference.headers.keys().map(|k| k.as_str()).collect();
    headers.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        headers, expected,
        "{case}: the same headers as an unknown token"
    );
}

fn live_count(ctx: &Ctx) -> i64 {
    article_previews::table
        .count()
        .get_result(&mut *ctx.pool.get().unwrap())
        .unwrap()
}

#[actix_web::test]
async fn minting_needs_an_admin_key_and_an_article() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;

    send(&app, mint_req("draft", None)).await.problem(401);
    let content = mint_req("draft", Some(json!({"expires_in": 3600})))
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    let wrong = mint_req("draft", None).insert_header((
        "Authorization",
        "Bearer gazette_wrongwrongwrongwrongwrongwrongwrongwrong",
    ));
    send(&app, wrong).await.problem(401);
    // Listing and revoking need the admin key too.
    send(&app, get("/api/v1/articles/draft/previews"))
        .await
        .problem(401);
    let content = get("/api/v1/articles/draft/previews")
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    send(&app, delete("/api/v1/articles/draft/previews/1"))
        .await
        .problem(401);
    assert_eq!(live_count(&ctx), 0, "a refused request minted nothing");

    send(&app, ctx.admin(mint_req("no-such-article", None)))
        .await
        .problem(404);
    send(
        &app,
        ctx.admin(get("/api/v1/articles/no-such-article/previews")),
    )
    .await
    .problem(404);
    assert_eq!(live_count(&ctx), 0);
}

#[actix_web::test]
async fn a_preview_reads_like_the_admin_read_with_no_key_and_privately() {
    let ctx = context();
    let app = ctx.app().await;
    publish(&ctx, &app, "Ferry Returns").await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Secret Plan", "slug": "secret-plan"}),
    )
    .await;
    let draft = create_article(
        &ctx,
        &app,
        json!({"title": "Budget Day", "slug": "budget-day", "body": "The *numbers*.",
               "tags": ["City Hall"],
               "related": [{"slug": "secret-plan"}, {"slug": "ferry-returns"},
                           {"url": "https://example.org/budget", "summary": "The budget."}]}),
    )
    .await;
    let before = Utc::now();
    let link = mint(&ctx, &app, "budget-day", None).await;
    let token = token_of(&link);
    assert!(
        token.len() >= 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "a URL-safe token of 256 bits: {token}"
    );
    assert_eq!(link["url"], format!("{SITE}/preview/{token}"));
    // Seven days by default.
    let lifetime = ts(&link["expires_at"]) - ts(&link["created_at"]);
    assert_eq!(lifetime, Duration::days(7), "{link}");
    assert!(ts(&link["created_at"]) >= before - Duration::seconds(1));
    assert_ne!(
        mint(&ctx, &app, &draft["id"].to_string(), None).await["token"],
        token
    );

    // The public still sees nothing of the draft.
    fetch_article(&app, "budget-day").await.problem(404);

    let res = open(&app, &token).await;
    let shown = res.ok(200);
    assert_private(&res, "a live link");
    let admin = send(&app, ctx.admin(get("/api/v1/articles/budget-day")))
        .await
        .ok(200);
    assert_eq!(
        shown, admin,
        "the preview is the article as an admin reads it"
    );
    assert_eq!(shown["status"], "draft");
    assert_eq!(shown["body_html"], "<p>The <em>numbers</em>.</p>\n");
    assert_eq!(
        shown["canonical_url"],
        format!("{SITE}/articles/budget-day")
    );
    assert_eq!(shown["tags"][0]["slug"], "city-hall");
    // Another unpublished article it links to stays hidden.
    let related: Vec<&str> = shown["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        related,
        [
            format!("{SITE}/articles/ferry-returns").as_str(),
            "https://example.org/budget"
        ]
    );

    // Conditional and compressed reads get no validator and no 304 either, and a key sent
    // along changes nothing.
    for req in [
        get(&format!("/api/v1/preview/{token}")).insert_header(("If-None-Match", "*")),
        get(&format!("/api/v1/preview/{token}")).insert_header(("Accept-Encoding", "gzip")),
        get(&format!("/api/v1/preview/{token}"))
            .insert_header(("If-Modified-Since", "Sun, 01 Jan 2090 00:00:00 GMT")),
        ctx.admin(get(&format!("/api/v1/preview/{token}"))),
    ] {
        let res = send(&app, req).await;
        assert_eq!(res.status.as_u16(), 200, "{res:?}");
        assert_private(&res, "a conditional, compressed or keyed read");
    }
}

#[actix_web::test]
async fn expires_in_is_bounded_and_named_when_out_of_range() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    for bad in [
        json!(0),
        json!(59),
        json!(2_592_001),
        json!(-1),
        json!("3600"),
        json!(1.5),
        json!(1e300),
    ] {
        let res = send(
            &app,
            ctx.admin(mint_req("draft", Some(json!({"expires_in": bad})))),
        )
        .await;
        let problem = res.problem(422);
        assert_eq!(
            problem["errors"][0]["field"], "expires_in",
            "{bad}: {problem}"
        );
    }
    let typo = send(
        &app,
        ctx.admin(mint_req("draft", Some(json!({"expires": 60})))),
    )
    .await
    .problem(422);
    assert_eq!(typo["errors"][0]["field"], "expires", "{typo}");
    let not_json = raw(
        Method::POST,
        "/api/v1/articles/draft/preview",
        Some("text/plain"),
        "60",
    );
    send(&app, ctx.admin(not_json)).await.problem(415);
    assert_eq!(live_count(&ctx), 0, "refused requests minted nothing");

    for (seconds, expected) in [
        (json!(60), Duration::minutes(1)),
        (json!(2_592_000), Duration::days(30)),
        (json!(3600.0), Duration::hours(1)),
    ] {
        let link = mint(&ctx, &app, "draft", Some(json!({"expires_in": seconds}))).await;
        assert_eq!(ts(&link["expires_at"]) - ts(&link["created_at"]), expected);
    }
    let link = mint(&ctx, &app, "draft", Some(json!({}))).await;
    assert_eq!(
        ts(&link["expires_at"]) - ts(&link["created_at"]),
        Duration::days(7)
    );
}

#[actix_web::test]
async fn expired_links_are_dead_and_unlisted() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let link = mint(&ctx, &app, "draft", Some(json!({"expires_in": 60}))).await;
    let token = token_of(&link);
    open(&app, &token).await.ok(200);

    // The link's minute passes.
    diesel::update(article_previews::table)
        .set(article_previews::expires_at.eq(db::now() - Duration::seconds(1)))
        .execute(&mut *ctx.pool.get().unwrap())
        .unwrap();
    assert_dead(&app, &token, "an expired link").await;
    let list = send(&app, ctx.admin(get("/api/v1/articles/draft/previews")))
        .await
        .ok(200);
    assert_eq!(list["data"], json!([]), "an expired link is not listed");
    send(
        &app,
        ctx.admin(delete(&format!(
            "/api/v1/articles/draft/previews/{}",
            link["id"]
        ))),
    )
    .await
    .problem(404);
    // Minting again clears expired links away.
    mint(&ctx, &app, "draft", None).await;
    assert_eq!(live_count(&ctx), 1);
}

#[actix_web::test]
async fn revoked_links_are_dead_and_listed_links_have_no_token() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    create_article(&ctx, &app, json!({"title": "Other", "slug": "other"})).await;
    let first = mint(&ctx, &app, "draft", None).await;
    let second = mint(&ctx, &app, "draft", Some(json!({"expires_in": 3600}))).await;
    let other = mint(&ctx, &app, "other", None).await;

    let res = send(&app, ctx.admin(get("/api/v1/articles/draft/previews"))).await;
    let list = res.ok(200);
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let ids: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [&second["id"], &first["id"]], "newest first: {list}");
    for item in list["data"].as_array().unwrap() {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["created_at", "expires_at", "id"],
            "no token listed: {item}"
        );
    }
    assert!(!list.to_string().contains(&token_of(&first)));

    let revoke =
        |key: &str, id: &Value| ctx.admin(delete(&format!("/api/v1/articles/{key}/previews/{id}")));
    // A link of another article, or no link, is not revoked through this one.
    send(&app, revoke("draft", &other["id"])).await.problem(404);
    send(&app, revoke("draft", &json!("x"))).await.problem(404);
    send(&app, revoke("draft", &json!(0))).await.problem(404);
    let content = delete(&format!("/api/v1/articles/draft/previews/{}", first["id"]))
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    open(&app, &token_of(&first)).await.ok(200);

    send(&app, revoke("draft", &first["id"])).await.ok(204);
    assert_dead(&app, &token_of(&first), "a revoked link").await;
    send(&app, revoke("draft", &first["id"])).await.problem(404);
    open(&app, &token_of(&second)).await.ok(200);
    open(&app, &token_of(&other)).await.ok(200);
    let list = send(&app, ctx.admin(get("/api/v1/articles/draft/previews")))
        .await
        .ok(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_deleted_article_takes_its_links_with_it() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let token = token_of(&mint(&ctx, &app, "draft", None).await);
    open(&app, &token).await.ok(200);
    send(&app, ctx.admin(delete("/api/v1/articles/draft")))
        .await
        .ok(204);
    assert_dead(&app, &token, "the link of a deleted article").await;
    assert_eq!(live_count(&ctx), 0, "the links went with the article");
    // A new article with the same slug is not shown by the old link.
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    assert_dead(&app, &token, "the old link of a reused slug").await;
}

#[actix_web::test]
async fn publishing_kills_links_for_good() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let token = token_of(&mint(&ctx, &app, "draft", None).await);
    open(&app, &token).await.ok(200);

    patch_article(&ctx, &app, "draft", json!({"status": "published"})).await;
    assert_dead(&app, &token, "the link of a published article").await;
    let refused = send(&app, ctx.admin(mint_req("draft", None))).await;
    refused.problem(409);
    // Unpublished again, it is not shown by a link minted before its publication.
    patch_article(&ctx, &app, "draft", json!({"status": "archived"})).await;
    assert_dead(&app, &token, "the old link of an article unpublished again").await;
    assert_eq!(live_count(&ctx), 0);
    // A new link shows it.
    let fresh = token_of(&mint(&ctx, &app, "draft", None).await);
    assert_eq!(open(&app, &fresh).await.ok(200)["status"], "archived");
}

#[actix_web::test]
async fn a_scheduled_article_is_previewed_until_its_time_comes() {
    let ctx = context();
    let app = ctx.app().await;
    let at = (Utc::now() + Duration::days(1)).to_rfc3339();
    create_article(
        &ctx,
        &app,
        json!({"title": "Tomorrow", "slug": "tomorrow", "status": "published", "published_at": at}),
    )
    .await;
    let token = token_of(&mint(&ctx, &app, "tomorrow", None).await);
    assert_eq!(open(&app, &token).await.ok(200)["status"], "published");

    // Its time comes, with no write at that moment.
    diesel::update(articles::table.filter(articles::slug.eq("tomorrow")))
        .set(articles::published_at.eq(db::now() - Duration::seconds(1)))
        .execute(&mut *ctx.pool.get().unwrap())
        .unwrap();
    fetch_article(&app, "tomorrow").await.ok(200);
    assert_dead(&app, &token, "the link of a scheduled article gone live").await;
    // Withdrawn after it was public, it stays dead.
    patch_article(&ctx, &app, "tomorrow", json!({"status": "draft"})).await;
    assert_dead(
        &app,
        &token,
        "the link of an article withdrawn after going live",
    )
    .await;
}

#[actix_web::test]
async fn malformed_and_unknown_tokens_answer_alike() {
    let ctx = context();
    let app = ctx.app().await;
    let long = "a".repeat(2000);
    for token in [
        "x",
        "not-a-token",
        &unknown_token()[1..],
        long.as_str(),
        "%2e%2e",
        "...",
    ] {
        assert_dead(&app, token, &format!("token {token:?}")).await;
    }
    // The route takes GET (and HEAD) only.
    let res = send(&app, TestRequest::post().uri("/api/v1/preview/x")).await;
    res.problem(405);
}

#[actix_web::test]
async fn tokens_are_stored_only_as_their_hashes() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let link = mint(&ctx, &app, "draft", None).await;
    let token = token_of(&link);
    let stored: Vec<(i64, i64, String)> = article_previews::table
        .select((
            article_previews::id,
            article_previews::article_id,
            article_previews::token_hash,
        ))
        .load(&mut *ctx.pool.get().unwrap())
        .unwrap();
    assert_eq!(stored.len(), 1);
    let (_, _, hash) = &stored[0];
    assert_ne!(hash, &token);
    assert!(!hash.contains(&token[..12]), "{hash}");
    assert_eq!(
        hash,
        &URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
    );
    // Nowhere in the database files either.
    if !on_postgres() {
        for suffix in ["", "-wal"] {
            let bytes = std::fs::read(format!("{}{suffix}", ctx.db_url())).unwrap_or_default();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "the token is in the database file{suffix}"
            );
        }
    }
}

#[actix_web::test]
async fn minting_and_revoking_count_as_writes() {
    let ctx = Ctx::with_settings(Settings {
        rate_limits: RateLimits {
            writes_per_minute: 3,
            auth_failures_per_minute: 0,
        },
        ..Settings::default()
    });
    let app = ctx.app().await;
    // The article is written from another address: the budget below is the minting's own.
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let ip = "192.0.2.9";
    let link = send(&app, from_ip(ctx.admin(mint_req("draft", None)), ip))
        .await
        .ok(201);
    send(&app, from_ip(ctx.admin(mint_req("draft", None)), ip))
        .await
        .ok(201);
    let revoke = delete(&format!("/api/v1/articles/draft/previews/{}", link["id"]));
    send(&app, from_ip(ctx.admin(revoke), ip)).await.ok(204);
    let res = send(&app, from_ip(ctx.admin(mint_req("draft", None)), ip)).await;
    res.problem(429);
    assert!(res.header("retry-after").is_some());
    assert_eq!(live_count(&ctx), 1, "the refused mint minted nothing");
}

#[test]
fn the_access_log_never_holds_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = std::path::PathBuf::from(fresh_database(dir.path(), "gazette"));
    let admin = binary::admin_key(dir.path(), &db, "logs");
    let mut server =
        binary::Server::start(dir.path(), &db, &[("RUST_LOG", "info"), ("WORKERS", "1")]);
    let agent = binary::client();
    let bearer = format!("Bearer {admin}");
    let status = agent
        .post(server.url("/api/v1/articles"))
        .header("Authorization", &bearer)
        .header("Content-Type", "application/json")
        .send(r#"{"title": "Draft", "slug": "draft"}"#)
        .unwrap()
        .status();
    assert_eq!(status, 201);
    let mut res = agent
        .post(server.url("/api/v1/articles/draft/preview"))
        .header("Authorization", &bearer)
        .send_empty()
        .unwrap();
    assert_eq!(res.status(), 201);
    let link: Value = serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
    let token = token_of(&link);
    let res = agent
        .get(server.url(&format!("/api/v1/preview/{token}?from=mail")))
        .header("X-Request-Id", "preview-read")
        .call()
        .unwrap();
    assert_eq!(res.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.log().contains("request_id=preview-read") {
        assert!(
            std::time::Instant::now() < deadline,
            "no log line:\n{}",
            server.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.terminate();
    let log = server.log();
    assert!(!log.contains(&token), "the log holds the token:\n{log}");
    assert!(
        log.contains("\"GET /api/v1/preview/…?from=mail HTTP/1.1\""),
        "the read is logged without its token:\n{log}"
    );
}
