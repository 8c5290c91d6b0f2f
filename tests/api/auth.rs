//! API keys: writes need an admin key (401 without a valid one, 403 with a content key),
//! reads are open unless content keys are required, revoked keys stop working at once, and
//! keys are stored only as hashes.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use diesel::connection::SimpleConnection;
use gazette::config::Settings;
use gazette::db;
use serde_json::{Value, json};

/// The stored content as an admin sees it (see [`content_snapshot`]).
async fn snapshot(ctx: &Ctx, app: &TestApp) -> Value {
    content_snapshot(ctx, app, Lists::Admin).await
}

#[track_caller]
fn assert_unchanged(before: &Value, after: &Value, case: &str) {
    assert!(
        before == after,
        "{case}: a refused request changed the stored content:\nbefore: {before}\nafter: {after}"
    );
}

/// Published articles `alpha` (tag `transport`) and `beta` (tag `city-hall`, related to
/// `alpha`).
async fn seed(ctx: &Ctx, app: &TestApp) {
    create_article(
        ctx,
        app,
        json!({"title": "Alpha", "slug": "alpha", "status": "published", "tags": ["Transport"]}),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({"title": "Beta", "slug": "beta", "status": "published", "tags": ["City Hall"],
               "related": [{"slug": "alpha"}]}),
    )
    .await;
}

/// Every write endpoint with a valid body, in an order in which an admin can run them all.
fn writes() -> Vec<(&'static str, TestRequest, u16)> {
    vec![
        (
            "POST /articles",
            post_article_req(json!({"title": "Intruder", "status": "published"})),
            201,
        ),
        (
            "PATCH /articles/alpha",
            patch_article_req("alpha", json!({"title": "Defaced"})),
            200,
        ),
        (
            "PATCH /articles/1 (by id)",
            patch_article_req("1", json!({"summary": "Defaced"})),
            200,
        ),
        (
            "PUT /articles/beta/related",
            json(Method::PUT, "/api/v1/articles/beta/related", &json!([])),
            200,
        ),
        (
            "POST /tags",
            json(Method::POST, "/api/v1/tags", &json!({"name": "Intruders"})),
            201,
        ),
        (
            "PATCH /tags/transport",
            json(
                Method::PATCH,
                "/api/v1/tags/transport",
                &json!({"name": "Defaced"}),
            ),
            200,
        ),
        (
            "DELETE /tags/city-hall",
            delete("/api/v1/tags/city-hall"),
            204,
        ),
        (
            "DELETE /articles/alpha",
            delete("/api/v1/articles/alpha"),
            204,
        ),
    ]
}

fn with_auth(req: TestRequest, value: &str) -> TestRequest {
    req.insert_header(("Authorization", value.to_owned()))
}

#[track_caller]
fn assert_challenge(res: &Resp, invalid_token: bool, case: &str) {
    let challenge = res
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("{case}: 401 without WWW-Authenticate: {res:?}"));
    assert!(
        challenge.starts_with("Bearer"),
        "{case}: WWW-Authenticate: {challenge}"
    );
    assert_eq!(
        challenge.contains(r#"error="invalid_token""#),
        invalid_token,
        "{case}: WWW-Authenticate: {challenge}"
    );
}

#[actix_web::test]
async fn writes_without_a_key_are_401_and_change_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    for (case, req, _) in writes() {
        let res = send(&app, req).await;
        let problem = res.problem(401);
        assert!(
            problem["detail"].as_str().unwrap().contains("Bearer"),
            "{case}: the detail should say how to authenticate: {problem}"
        );
        assert_challenge(&res, false, case);
        assert_unchanged(&before, &snapshot(&ctx, &app).await, case);
    }
}

#[actix_web::test]
async fn writes_with_a_malformed_or_unknown_key_are_401_invalid_token() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let admin = ctx.admin_key.clone();
    let mut tampered = admin.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let authorizations = [
        "Basic abc".to_owned(),
        "Basic Z2F6ZXR0ZTpzZWNyZXQ=".to_owned(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Bearer    ".to_owned(),
        "Token abc".to_owned(),
        format!("Token {admin}"),
        admin.clone(),
        "Bearer gazette_".to_owned(),
        "Bearer gazette_unknown".to_owned(),
        "Bearer gazette_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "Bearer not-even-a-gazette-key".to_owned(),
        format!("Bearer {tampered}"),
        format!("Bearer {admin}x"),
        format!("Bearer {}", &admin[..admin.len() - 1]),
        format!("Bearer {}", admin.trim_start_matches("gazette_")),
        format!("Bearer {}", admin.to_uppercase()),
    ];
    for auth in &authorizations {
        for (case, req, _) in writes() {
            let case = format!("{case} with `Authorization: {auth}`");
            let res = send(&app, with_auth(req, auth)).await;
            res.problem(401);
            assert_challenge(&res, true, &case);
        }
        assert_unchanged(&before, &snapshot(&ctx, &app).await, auth);
    }
}

#[actix_web::test]
async fn writes_with_a_content_key_are_403_and_change_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let auth = format!("Bearer {}", ctx.content_key);
    for (case, req, _) in writes() {
        let res = send(&app, with_auth(req, &auth)).await;
        res.problem(403);
        assert!(
            res.header("www-authenticate").is_none(),
            "{case}: a 403 is no challenge: {res:?}"
        );
        assert_unchanged(&before, &snapshot(&ctx, &app).await, case);
    }
}

#[actix_web::test]
async fn every_write_succeeds_with_the_admin_key() {
    // The control for the tests above: the very same requests do work with an admin key.
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for (case, req, status) in writes() {
        let res = send(&app, ctx.admin(req)).await;
        assert_eq!(
            res.status.as_u16(),
            status,
            "{case}: {}",
            String::from_utf8_lossy(&res.body)
        );
    }
}

#[actix_web::test]
async fn bearer_scheme_is_case_insensitive() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (i, scheme) in ["bearer", "BEARER", "Bearer"].iter().enumerate() {
        let req = post_article_req(json!({"title": format!("Scheme {i}")}));
        let auth = format!("{scheme} {}", ctx.admin_key);
        send(&app, with_auth(req, &auth)).await.ok(201);
    }
}

// ---------------------------------------------------------------------------------------
// Authentication before validation

#[actix_web::test]
async fn auth_failure_wins_over_an_invalid_body() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let json_ct = Some("application/json");
    let huge = format!(r#"{{"title": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let bad: Vec<(&str, Method, &str, Option<&str>, String)> = vec![
        (
            "empty title",
            Method::POST,
            "/api/v1/articles",
            json_ct,
            r#"{"title": ""}"#.into(),
        ),
        (
            "missing title",
            Method::POST,
            "/api/v1/articles",
            json_ct,
            "{}".into(),
        ),
        (
            "unknown field",
            Method::POST,
            "/api/v1/articles",
            json_ct,
            r#"{"tittle": "x"}"#.into(),
        ),
        (
            "not JSON",
            Method::POST,
            "/api/v1/articles",
            json_ct,
            "not json".into(),
        ),
        (
            "truncated",
            Method::POST,
            "/api/v1/articles",
            json_ct,
            r#"{"title": "#.into(),
        ),
        (
            "text/plain",
            Method::POST,
            "/api/v1/articles",
            Some("text/plain"),
            r#"{"title": "x"}"#.into(),
        ),
        (
            "no content type",
            Method::POST,
            "/api/v1/articles",
            None,
            r#"{"title": "x"}"#.into(),
        ),
        ("too large", Method::POST, "/api/v1/articles", json_ct, huge),
        (
            "bad slug",
            Method::PATCH,
            "/api/v1/articles/alpha",
            json_ct,
            r#"{"slug": "Not A Slug"}"#.into(),
        ),
        (
            "title null",
            Method::PATCH,
            "/api/v1/articles/alpha",
            json_ct,
            r#"{"title": null}"#.into(),
        ),
        (
            "unknown article",
            Method::PATCH,
            "/api/v1/articles/no-such",
            json_ct,
            r#"{"title": "x"}"#.into(),
        ),
        (
            "not an array",
            Method::PUT,
            "/api/v1/articles/beta/related",
            json_ct,
            r#"{"slug": "alpha"}"#.into(),
        ),
        (
            "unknown target",
            Method::PUT,
            "/api/v1/articles/beta/related",
            json_ct,
            r#"[{"slug": "nope"}]"#.into(),
        ),
        (
            "empty tag name",
            Method::POST,
            "/api/v1/tags",
            json_ct,
            r#"{"name": ""}"#.into(),
        ),
        (
            "duplicate tag",
            Method::POST,
            "/api/v1/tags",
            json_ct,
            r#"{"name": "Transport"}"#.into(),
        ),
        (
            "unknown tag",
            Method::DELETE,
            "/api/v1/tags/no-such",
            None,
            String::new(),
        ),
        (
            "unknown article",
            Method::DELETE,
            "/api/v1/articles/no-such",
            None,
            String::new(),
        ),
    ];
    for (case, method, uri, content_type, body) in bad {
        let make = || raw(method.clone(), uri, content_type, body.clone());
        let case = format!("{case} ({method} {uri})");
        let res = send(&app, make()).await;
        res.problem(401);
        assert_challenge(&res, false, &case);
        let res = send(&app, with_auth(make(), "Bearer gazette_unknown")).await;
        res.problem(401);
        assert_challenge(&res, true, &case);
        let res = send(
            &app,
            with_auth(make(), &format!("Bearer {}", ctx.content_key)),
        )
        .await;
        assert_eq!(
            res.status.as_u16(),
            403,
            "{case} with a content key: {res:?}"
        );
        res.problem(403);
        assert_unchanged(&before, &snapshot(&ctx, &app).await, &case);
    }
}

// ---------------------------------------------------------------------------------------
// Reads

/// Every public read endpoint.
const READS: [&str; 7] = [
    "/api/v1/articles",
    "/api/v1/articles?limit=1&sort=-updated_at",
    "/api/v1/articles/alpha",
    "/api/v1/articles/1",
    "/api/v1/articles/beta/related",
    "/api/v1/tags",
    "/api/v1/tags/transport",
];

#[actix_web::test]
async fn reads_need_no_key_by_default() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for uri in READS {
        get_json(&app, uri).await;
        send(
            &app,
            with_auth(get(uri), &format!("Bearer {}", ctx.content_key)),
        )
        .await
        .ok(200);
        send(&app, ctx.admin(get(uri))).await.ok(200);
    }
}

#[actix_web::test]
async fn an_invalid_key_on_a_public_read_is_401() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for uri in READS {
        for auth in [
            "Bearer gazette_unknown",
            "Basic abc",
            "Bearer",
            "Bearer nonsense",
        ] {
            let case = format!("GET {uri} with `Authorization: {auth}`");
            let res = send(&app, with_auth(get(uri), auth)).await;
            assert_eq!(res.status.as_u16(), 401, "{case}: {res:?}");
            res.problem(401);
            assert_challenge(&res, true, &case);
        }
    }
    // Even for an article that does not exist: the key is judged first.
    send(
        &app,
        with_auth(get("/api/v1/articles/no-such"), "Bearer gazette_unknown"),
    )
    .await
    .problem(401);
}

fn locked() -> Settings {
    Settings {
        require_content_key: true,
        ..Default::default()
    }
}

#[actix_web::test]
async fn required_content_key_guards_every_read() {
    let ctx = Ctx::with_settings(locked());
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for uri in READS {
        let res = send(&app, get(uri)).await;
        res.problem(401);
        assert_challenge(&res, false, uri);
        let res = send(&app, with_auth(get(uri), "Bearer gazette_unknown")).await;
        res.problem(401);
        assert_challenge(&res, true, uri);
        let content = send(
            &app,
            with_auth(get(uri), &format!("Bearer {}", ctx.content_key)),
        )
        .await
        .ok(200);
        let admin = send(&app, ctx.admin(get(uri))).await.ok(200);
        assert_eq!(
            content["data"].is_array(),
            admin["data"].is_array(),
            "{uri}"
        );
    }
    // A missing article is not revealed to a caller without a key.
    send(&app, get("/api/v1/articles/no-such"))
        .await
        .problem(401);
    send(
        &app,
        with_auth(
            get("/api/v1/articles/no-such"),
            &format!("Bearer {}", ctx.content_key),
        ),
    )
    .await
    .problem(404);
    // The health check stays open.
    let health = get_json(&app, "/healthz").await;
    assert_eq!(health["status"], "ok");
}

/// The service endpoints and the docs UI (its page, its assets and the bare `/docs`
/// redirect), each with the status a caller with a key gets.
const SERVICE_READS: [(&str, u16); 6] = [
    ("/metrics", 200),
    ("/readyz", 200),
    ("/docs", 307),
    ("/docs/", 200),
    ("/docs/swagger-ui.css", 200),
    ("/docs/swagger-initializer.js", 200),
];

#[actix_web::test]
async fn required_content_key_guards_metrics_readiness_and_docs() {
    let ctx = Ctx::with_settings(locked());
    let app = ctx.app().await;
    for (uri, status) in SERVICE_READS {
        let res = send(&app, get(uri)).await;
        res.problem(401);
        assert_challenge(&res, false, uri);
        let res = send(&app, with_auth(get(uri), "Bearer gazette_unknown")).await;
        res.problem(401);
        assert_challenge(&res, true, uri);
        for key in [&ctx.content_key, &ctx.admin_key] {
            let res = send(&app, with_auth(get(uri), &format!("Bearer {key}"))).await;
            assert_eq!(res.status.as_u16(), status, "{uri} with a key: {res:?}");
        }
    }
    // The liveness probe and the API description stay open.
    for uri in ["/healthz", "/openapi.json"] {
        send(&app, get(uri)).await.ok(200);
    }
}

#[actix_web::test]
async fn metrics_readiness_and_docs_need_no_key_by_default() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (uri, status) in SERVICE_READS {
        let res = send(&app, get(uri)).await;
        assert_eq!(res.status.as_u16(), status, "{uri}: {res:?}");
    }
}

#[actix_web::test]
async fn required_content_key_changes_nothing_for_writes() {
    let ctx = Ctx::with_settings(locked());
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    for (case, req, _) in writes() {
        let res = send(&app, with_auth(req, &format!("Bearer {}", ctx.content_key))).await;
        res.problem(403);
        assert_unchanged(&before, &snapshot(&ctx, &app).await, case);
    }
    for (case, req, status) in writes() {
        let res = send(&app, ctx.admin(req)).await;
        assert_eq!(res.status.as_u16(), status, "{case}: {res:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Revocation

#[actix_web::test]
async fn a_revoked_admin_key_fails_on_its_next_request() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let (row, key) = {
        let conn = &mut *ctx.pool.get().unwrap();
        db::keys::create(conn, "short-lived", "admin", db::now()).unwrap()
    };
    let auth = format!("Bearer {key}");
    let post = |title: &str| with_auth(post_article_req(json!({"title": title})), &auth);
    send(&app, post("Before revocation")).await.ok(201);
    {
        let conn = &mut *ctx.pool.get().unwrap();
        db::keys::revoke(conn, &row.id.to_string(), db::now()).unwrap();
    }
    let before = snapshot(&ctx, &app).await;
    let res = send(&app, post("After revocation")).await;
    res.problem(401);
    assert_challenge(&res, true, "revoked admin key");
    // It is no good for reading either.
    send(&app, with_auth(get("/api/v1/articles"), &auth))
        .await
        .problem(401);
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "revoked key");
    // The other keys still work.
    create_article(&ctx, &app, json!({"title": "Still fine"})).await;
}

#[actix_web::test]
async fn a_content_key_revoked_by_prefix_fails_on_its_next_read() {
    let ctx = Ctx::with_settings(locked());
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let auth = format!("Bearer {}", ctx.content_key);
    send(&app, with_auth(get("/api/v1/articles"), &auth))
        .await
        .ok(200);
    let prefix = {
        let conn = &mut *ctx.pool.get().unwrap();
        let keys = db::keys::list(conn).unwrap();
        let row = keys
            .iter()
            .find(|k| {
                ctx.content_key
                    .starts_with(&format!("gazette_{}", k.prefix))
            })
            .expect("the content key is listed");
        assert_eq!(row.scope, "content");
        db::keys::revoke(conn, &row.prefix, db::now()).unwrap();
        row.prefix.clone()
    };
    let res = send(&app, with_auth(get("/api/v1/articles"), &auth)).await;
    res.problem(401);
    assert_challenge(
        &res,
        true,
        &format!("content key revoked by prefix {prefix}"),
    );
    send(&app, ctx.admin(get("/api/v1/articles"))).await.ok(200);
}

// ---------------------------------------------------------------------------------------
// Storage

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[actix_web::test]
async fn keys_are_stored_only_as_hashes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let (_, extra) = {
        let conn = &mut *ctx.pool.get().unwrap();
        db::keys::create(conn, "findable key name", "admin", db::now()).unwrap()
    };
    // Use the keys, so that anything a request might store is stored.
    for key in [&ctx.admin_key, &ctx.content_key, &extra] {
        let req = post_article_req(json!({"title": "Hello"}));
        send(&app, with_auth(req, &format!("Bearer {key}"))).await;
        send(
            &app,
            with_auth(get("/api/v1/articles"), &format!("Bearer {key}")),
        )
        .await;
    }
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: this test reads the SQLite file itself");
        return;
    }
    let db_path = std::path::PathBuf::from(ctx.db_url());
    let wal = db_path.with_extension("db-wal");
    let shm = db_path.with_extension("db-shm");
    let read_all = || {
        let mut bytes = std::fs::read(&db_path).expect("the database file");
        for extra in [&wal, &shm] {
            if let Ok(more) = std::fs::read(extra) {
                bytes.extend(more);
            }
        }
        bytes
    };
    let check = |bytes: &[u8], when: &str| {
        assert!(
            contains(bytes, "findable key name"),
            "{when}: the key's name should be in the files read (wrong files?)"
        );
        for key in [&ctx.admin_key, &ctx.content_key, &extra] {
            assert!(key.starts_with("gazette_"), "{key}");
            let secret = key.trim_start_matches("gazette_");
            assert!(
                !contains(bytes, key),
                "{when}: a raw key is in the database files"
            );
            assert!(
                !contains(bytes, secret),
                "{when}: a key's secret part is in the database files"
            );
        }
    };
    check(&read_all(), "before a checkpoint");
    ctx.pool
        .get()
        .unwrap()
        .batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    check(&read_all(), "after a checkpoint");
}
