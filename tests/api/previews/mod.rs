//! Preview links: an admin mints a link to an unpublished article; whoever holds it reads the
//! article with no key, privately (never cached, never indexed), until the link expires, is
//! revoked, or the article is deleted or published. Tokens are stored only as hashes, and
//! every dead link answers exactly like an unknown one.
//!
//! `reading` mints links and reads them; `lifecycle` follows them to their end.

use crate::support::binary;
use crate::support::common;
mod lifecycle;
mod reading;

use common::*;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::{QueryDsl, RunQueryDsl};
use gazette::config::Settings;
use gazette::schema::article_previews;
use serde_json::Value;

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
