//! Limits on what one request may carry and how often a client may write or fail a key
//! check:
//!
//! - field and list limits come from the settings (`Limits`): a value exactly at its limit
//!   is accepted and one over is a 422 naming the field, for article creates and patches and
//!   tag descriptions; `limit` and the default page follow the configured page size; a body
//!   over the configured bytes is a 413; the served OpenAPI document states the configured
//!   values, and with the defaults it is the committed `openapi/openapi.json`;
//! - the defaults are the documented ones (1 MiB bodies, pages of at most 100);
//! - rate limits (`RateLimits`): writes are counted per admin key, and only once the key is
//!   valid, so refused writes spend no one's allowance; past it a write is a 429 with
//!   `Retry-After` that writes nothing. Failed key checks are counted per client address;
//!   past theirs, wrong keys from that address are 429 while valid keys still work. `0`
//!   turns a limit off, `X-Forwarded-For` counts only when the proxy is trusted, and a
//!   browser can read the 429 (CORS);
//! - request headers over 16 KiB are a 431.

use crate::support::common;
use common::*;

use actix_http::HttpMessage;
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::test::{self, TestRequest};
use gazette::config::{Limits, RateLimits, Settings};
use gazette::db;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Field and list limits.
// ---------------------------------------------------------------------------------------

/// Limits small enough to reach in a test, each a different number so that a limit applied
/// to the wrong field shows.
const SMALL: Limits = Limits {
    title_chars: 10,
    summary_chars: 20,
    article_chars: 50,
    tags_per_article: 2,
    related_per_article: 1,
    page_size: 5,
    body_bytes: 4096,
    import_line_bytes: 600,
};

fn small() -> Ctx {
    Ctx::with_settings(Settings {
        limits: SMALL,
        ..Default::default()
    })
}

/// `n` copies of `c`. Multi-byte characters make a limit in characters differ from one in
/// bytes.
fn chars(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// `n` external related links (each within the small limits).
fn links(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"url": format!("https://example.com/{i}"), "summary": "Elsewhere"}))
        .collect()
}

/// For each limited field of an article: a value exactly at the small limit and one over.
fn article_cases() -> Vec<(&'static str, Value, Value)> {
    vec![
        ("title", json!(chars('é', 10)), json!(chars('é', 11))),
        ("summary", json!(chars('ü', 20)), json!(chars('ü', 21))),
        ("body", json!(chars('ß', 50)), json!(chars('ß', 51))),
        (
            "tags",
            json!(["One", "Two"]),
            json!(["One", "Two", "Three"]),
        ),
        ("related", links(1), links(2)),
    ]
}

/// Asserts `res` is a 422 whose only error names `field`.
#[track_caller]
fn assert_refused(res: &Resp, field: &str, case: &str) {
    let body = res.problem(422);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}: no errors: {body}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, [field], "{case}: {body}");
}

fn article_count(ctx: &Ctx) -> i64 {
    db::articles::count_all(&mut ctx.pool.get().unwrap()).unwrap()
}

#[actix_web::test]
async fn article_fields_are_accepted_at_their_limit_and_refused_one_over() {
    let ctx = small();
    let app = ctx.app().await;
    for (field, at_limit, over) in article_cases() {
        let mut body = json!({"title": "Limits"});
        body[field] = at_limit;
        let res = send(&app, ctx.admin(post_article_req(body))).await;
        res.ok(201);

        let before = article_count(&ctx);
        let mut body = json!({"title": "Limits"});
        body[field] = over;
        let res = send(&app, ctx.admin(post_article_req(body))).await;
        assert_refused(&res, field, &format!("POST with {field} over its limit"));
        assert_eq!(
            article_count(&ctx),
            before,
            "a refused POST wrote an article"
        );
    }

    let article = create_article(&ctx, &app, json!({"title": "Patched"})).await;
    let slug = article["slug"].as_str().unwrap();
    for (field, at_limit, over) in article_cases() {
        let res = send(
            &app,
            ctx.admin(patch_article_req(slug, json!({ field: over }))),
        )
        .await;
        assert_refused(&res, field, &format!("PATCH with {field} over its limit"));
        send(
            &app,
            ctx.admin(patch_article_req(slug, json!({ field: at_limit }))),
        )
        .await
        .ok(200);
    }
}

/// Related links' own title and summary follow the title and summary limits.
#[actix_web::test]
async fn external_link_title_and_summary_follow_the_limits() {
    let ctx = small();
    let app = ctx.app().await;
    let link = |title: String, summary: String| json!({"title": "Linked", "related": [{"url": "https://example.com/", "title": title, "summary": summary}]});
    send(
        &app,
        ctx.admin(post_article_req(link(chars('é', 10), chars('ü', 20)))),
    )
    .await
    .ok(201);
    let res = send(
        &app,
        ctx.admin(post_article_req(link(chars('é', 11), chars('ü', 20)))),
    )
    .await;
    assert_refused(&res, "related[0].title", "link title over the title limit");
    let res = send(
        &app,
        ctx.admin(post_article_req(link(chars('é', 10), chars('ü', 21)))),
    )
    .await;
    assert_refused(
        &res,
        "related[0].summary",
        "link summary over the summary limit",
    );
}

#[actix_web::test]
async fn tag_descriptions_follow_the_summary_limit() {
    let ctx = small();
    let app = ctx.app().await;
    let post = |description: String| {
        ctx.admin(json(
            Method::POST,
            "/api/v1/tags",
            &json!({"name": "Topic", "description": description}),
        ))
    };
    let res = send(&app, post(chars('ü', 21))).await;
    assert_refused(&res, "description", "POST /tags over the limit");
    send(&app, post(chars('ü', 20))).await.ok(201);

    let patch = |description: String| {
        ctx.admin(json(
            Method::PATCH,
            "/api/v1/tags/topic",
            &json!({ "description": description }),
        ))
    };
    let res = send(&app, patch(chars('a', 21))).await;
    assert_refused(&res, "description", "PATCH /tags over the limit");
    let tag = send(&app, patch(chars('a', 20))).await.ok(200);
    assert_eq!(tag["description"], chars('a', 20));
}

#[actix_web::test]
async fn pages_follow_the_configured_page_size() {
    let ctx = small();
    let app = ctx.app().await;
    for i in 0..6 {
        publish(&ctx, &app, &format!("Story {i}")).await;
    }
    let page = list_articles(&app, "limit=5").await;
    assert_eq!(slugs(&page).len(), 5);
    for uri in ["/api/v1/articles?limit=6", "/api/v1/tags?limit=6"] {
        let body = send(&app, get(uri)).await.problem(400);
        assert_eq!(body["errors"][0]["field"], "limit", "{uri}: {body}");
    }
    // Without `limit`, the default page (20) is capped by the configured maximum.
    let page = list_articles(&app, "").await;
    assert_eq!(slugs(&page).len(), 5, "{page}");
    assert_eq!(page["meta"]["limit"], 5, "{page}");
    assert_eq!(page["meta"]["has_more"], true, "{page}");
}

/// A JSON object `{"title": …}` padded with whitespace to exactly `bytes` bytes.
fn padded_article(bytes: usize) -> Vec<u8> {
    let mut body = br#"{"title": "Padded"}"#.to_vec();
    let tail = body.pop().unwrap();
    body.resize(bytes - 1, b' ');
    body.push(tail);
    assert_eq!(body.len(), bytes);
    body
}

fn post_raw_article(ctx: &Ctx, body: Vec<u8>) -> TestRequest {
    ctx.admin(raw(
        Method::POST,
        "/api/v1/articles",
        Some("application/json"),
        body,
    ))
}

#[actix_web::test]
async fn bodies_over_the_configured_size_are_413() {
    let ctx = small();
    let app = ctx.app().await;
    send(&app, post_raw_article(&ctx, padded_article(4096)))
        .await
        .ok(201);
    let before = article_count(&ctx);
    send(&app, post_raw_article(&ctx, padded_article(4097)))
        .await
        .problem(413);
    assert_eq!(article_count(&ctx), before);
}

/// The schema node at JSON pointer `pointer`, which must exist.
#[track_caller]
fn at<'a>(spec: &'a Value, pointer: &str) -> &'a Value {
    spec.pointer(pointer)
        .unwrap_or_else(|| panic!("the spec has nothing at {pointer}"))
}

/// The schema of the query parameter `name` of `GET path`.
#[track_caller]
fn query_param<'a>(spec: &'a Value, path: &str, name: &str) -> &'a Value {
    let params = &spec["paths"][path]["get"]["parameters"];
    params
        .as_array()
        .unwrap_or_else(|| panic!("GET {path} has no parameters"))
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("GET {path} has no parameter {name}"))
}

async fn served_spec(ctx: &Ctx) -> Value {
    let app = ctx.app().await;
    get_json(&app, "/openapi.json").await
}

#[actix_web::test]
async fn served_spec_states_the_configured_limits() {
    let spec = served_spec(&small()).await;
    let schemas = "/components/schemas";
    for schema in ["ArticleCreate", "ArticlePatch"] {
        let props = format!("{schemas}/{schema}/properties");
        assert_eq!(
            at(&spec, &format!("{props}/title/maxLength")),
            10,
            "{schema}"
        );
        assert_eq!(
            at(&spec, &format!("{props}/summary/maxLength")),
            20,
            "{schema}"
        );
        assert_eq!(
            at(&spec, &format!("{props}/body/maxLength")),
            50,
            "{schema}"
        );
        assert_eq!(at(&spec, &format!("{props}/tags/maxItems")), 2, "{schema}");
        assert_eq!(
            at(&spec, &format!("{props}/related/maxItems")),
            1,
            "{schema}"
        );
        // Limits that are not configurable keep their values.
        assert_eq!(
            at(&spec, &format!("{props}/slug/maxLength")),
            80,
            "{schema}"
        );
        assert_eq!(
            at(&spec, &format!("{props}/byline/maxLength")),
            200,
            "{schema}"
        );
    }
    let link = format!("{schemas}/ExternalLinkInput/properties");
    assert_eq!(at(&spec, &format!("{link}/title/maxLength")), 10);
    assert_eq!(at(&spec, &format!("{link}/summary/maxLength")), 20);
    for schema in ["TagCreate", "TagPatch"] {
        let description = format!("{schemas}/{schema}/properties/description/maxLength");
        assert_eq!(at(&spec, &description), 20, "{schema}");
    }
    assert_eq!(
        at(
            &spec,
            &format!("{schemas}/ListMeta/properties/limit/maximum")
        ),
        5
    );
    for path in ["/api/v1/articles", "/api/v1/tags", "/api/v1/webhooks"] {
        let limit = query_param(&spec, path, "limit");
        assert_eq!(limit["maximum"], 5, "{path}: {limit}");
        assert_eq!(limit["default"], 5, "{path}: {limit}");
    }
    // The related-links list has its own, smaller bounds, not the page size.
    let related = query_param(&spec, "/api/v1/articles/{slug_or_id}/related", "limit");
    assert_eq!(related["maximum"], 50, "{related}");
    assert_eq!(related["default"], 8, "{related}");
}

/// Each configured value lands on its own field even when it equals another limit's
/// default (the document is written with the defaults, then rewritten).
#[actix_web::test]
async fn served_spec_limits_do_not_bleed_into_each_other() {
    let defaults = Limits::DEFAULT;
    let limits = Limits {
        // The default summary and related-link limits, given to title and tags.
        title_chars: defaults.summary_chars,
        summary_chars: 100,
        tags_per_article: defaults.related_per_article,
        related_per_article: 5,
        ..defaults
    };
    let spec = served_spec(&Ctx::with_settings(Settings {
        limits,
        ..Default::default()
    }))
    .await;
    let props = "/components/schemas/ArticleCreate/properties";
    let stated = json!({
        "title": at(&spec, &format!("{props}/title/maxLength")),
        "summary": at(&spec, &format!("{props}/summary/maxLength")),
        "tags": at(&spec, &format!("{props}/tags/maxItems")),
        "related": at(&spec, &format!("{props}/related/maxItems")),
    });
    assert_eq!(
        stated,
        json!({
            "title": limits.title_chars,
            "summary": limits.summary_chars,
            "tags": limits.tags_per_article,
            "related": limits.related_per_article,
        })
    );
}

#[actix_web::test]
async fn default_served_spec_is_the_committed_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        served_spec(&Ctx::new()).await == committed,
        "the default app serves a different document than openapi/openapi.json"
    );
}

/// The documented defaults: bodies up to 1 MiB, pages of 1 to 100.
#[actix_web::test]
async fn defaults_are_the_documented_ones() {
    let defaults = Settings::default().limits;
    assert_eq!(defaults.body_bytes, 1024 * 1024);
    assert_eq!(defaults.page_size, 100);

    let ctx = Ctx::new();
    let app = ctx.app().await;
    list_articles(&app, "limit=100").await;
    send(&app, get("/api/v1/articles?limit=101"))
        .await
        .problem(400);
    send(&app, post_raw_article(&ctx, padded_article(1024 * 1024)))
        .await
        .ok(201);
    send(
        &app,
        post_raw_article(&ctx, padded_article(1024 * 1024 + 1)),
    )
    .await
    .problem(413);
}

// ---------------------------------------------------------------------------------------
// Rate limits.
// ---------------------------------------------------------------------------------------

const A: &str = "192.0.2.1";
const B: &str = "192.0.2.2";
const C: &str = "192.0.2.3";

fn rate_limited(rate_limits: RateLimits) -> Settings {
    Settings {
        rate_limits,
        ..Default::default()
    }
}

/// Three writes a minute per admin key, two failed key checks a minute per address.
fn strict() -> Settings {
    rate_limited(RateLimits {
        writes_per_minute: 3,
        auth_failures_per_minute: 2,
    })
}

/// Asserts `res` is a 429 problem with a whole number of seconds in `Retry-After` that is
/// at least 1 and at most the one-minute window.
#[track_caller]
fn assert_429(res: &Resp, case: &str) {
    res.problem(429);
    let retry = res
        .header("retry-after")
        .unwrap_or_else(|| panic!("{case}: 429 without Retry-After: {res:?}"));
    let secs: u64 = retry
        .parse()
        .unwrap_or_else(|_| panic!("{case}: Retry-After {retry:?} is not whole seconds"));
    assert!((1..=60).contains(&secs), "{case}: Retry-After {secs}");
}

fn wrong_key(req: TestRequest) -> TestRequest {
    req.insert_header((
        "Authorization",
        "Bearer gazette_wrongwrongwrongwrongwrongwrongwrongwrong",
    ))
}

/// A second admin key on `ctx`'s database.
fn another_admin_key(ctx: &Ctx) -> String {
    let conn = &mut *ctx.pool.get().unwrap();
    db::keys::create(conn, "second admin", "admin", db::now())
        .unwrap()
        .1
}

fn with_key(req: TestRequest, key: &str) -> TestRequest {
    req.insert_header(("Authorization", format!("Bearer {key}")))
}

/// A write of each method, on the article `kept`, and one on tags.
fn every_kind_of_write() -> Vec<(&'static str, TestRequest)> {
    vec![
        (
            "POST",
            post_article_req(json!({"title": "Too many", "status": "published"})),
        ),
        (
            "PATCH",
            patch_article_req("kept", json!({"title": "Too many"})),
        ),
        (
            "PUT",
            json(
                Method::PUT,
                "/api/v1/articles/kept/related",
                &json!([{"url": "https://example.com/", "summary": "Too many"}]),
            ),
        ),
        ("DELETE", delete("/api/v1/articles/kept")),
        (
            "POST /tags",
            json(Method::POST, "/api/v1/tags", &json!({"name": "Too many"})),
        ),
    ]
}

#[actix_web::test]
async fn writes_past_a_keys_rate_are_429_and_write_nothing() {
    let ctx = Ctx::with_settings(strict());
    let app = ctx.app().await;
    // Written without a peer address, so not counted.
    create_article(
        &ctx,
        &app,
        json!({"title": "Kept", "slug": "kept", "status": "published"}),
    )
    .await;

    // Three writes use up the key's allowance, whatever they are answered: a write the key
    // may make but whose input is refused counts too.
    send(
        &app,
        from_ip(ctx.admin(post_article_req(json!({"title": "One"}))), A),
    )
    .await
    .ok(201);
    send(
        &app,
        from_ip(
            ctx.admin(patch_article_req("kept", json!({"title": ""}))),
            A,
        ),
    )
    .await
    .problem(422);
    send(
        &app,
        from_ip(
            ctx.admin(json(
                Method::PUT,
                "/api/v1/articles/kept/related",
                &json!([]),
            )),
            A,
        ),
    )
    .await
    .ok(200);

    let before = content_snapshot(&ctx, &app, Lists::Admin).await;
    let count = article_count(&ctx);
    // From another address too: the allowance is the key's, wherever it writes from.
    for ip in [A, B] {
        for (case, req) in every_kind_of_write() {
            let res = send(&app, from_ip(ctx.admin(req), ip)).await;
            assert_429(&res, &format!("{case} from {ip}"));
        }
    }
    assert_eq!(article_count(&ctx), count);
    assert_eq!(content_snapshot(&ctx, &app, Lists::Admin).await, before);

    // Reads with the same key are not writes.
    send(&app, from_ip(ctx.admin(get("/api/v1/articles/kept")), A))
        .await
        .ok(200);
    send(&app, from_ip(ctx.admin(get("/api/v1/articles")), A))
        .await
        .ok(200);
}

/// Each admin key has its own write allowance, even from one address.
#[actix_web::test]
async fn two_admin_keys_have_separate_write_budgets() {
    let ctx = Ctx::with_settings(strict());
    let app = ctx.app().await;
    let second = another_admin_key(&ctx);
    let write = |key: &str, i: usize| {
        from_ip(
            with_key(
                post_article_req(json!({ "title": format!("Story {i}") })),
                key,
            ),
            A,
        )
    };
    for i in 0..3 {
        send(&app, write(&ctx.admin_key, i)).await.ok(201);
    }
    assert_429(
        &send(&app, write(&ctx.admin_key, 3)).await,
        "first key's 4th",
    );
    for i in 0..3 {
        send(&app, write(&second, 10 + i)).await.ok(201);
    }
    assert_429(&send(&app, write(&second, 13)).await, "second key's 4th");
    assert_eq!(article_count(&ctx), 6);
}

/// Writes without a valid admin key (401) or with a content key (403) are refused before
/// they are counted: they spend no one's write allowance, however many there are.
#[actix_web::test]
async fn refused_writes_spend_no_write_budget() {
    // The default limits: 300 writes a minute.
    let ctx = Ctx::with_settings(rate_limited(RateLimits::default()));
    assert_eq!(RateLimits::default().writes_per_minute, 300);
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Kept", "slug": "kept", "status": "published"}),
    )
    .await;
    let before = content_snapshot(&ctx, &app, Lists::Admin).await;
    for _ in 0..301 {
        send(&app, from_ip(delete("/api/v1/articles/kept"), A))
            .await
            .problem(401);
    }
    for _ in 0..301 {
        let req = with_key(delete("/api/v1/articles/kept"), &ctx.content_key);
        send(&app, from_ip(req, A)).await.problem(403);
    }
    assert_eq!(content_snapshot(&ctx, &app, Lists::Admin).await, before);
    // The admin's whole allowance is left, from the same address: 299 writes refused for
    // their input (they count, and are quicker than stored ones), then one stored.
    for i in 0..299 {
        let req = ctx.admin(post_article_req(json!({ "title": "" })));
        let res = send(&app, from_ip(req, A)).await;
        assert_eq!(res.status, 422, "admin write {i}: {res:?}");
    }
    send(
        &app,
        from_ip(ctx.admin(post_article_req(json!({"title": "Stored"}))), A),
    )
    .await
    .ok(201);
}

/// A read with a wrong key.
fn wrong_key_read() -> TestRequest {
    wrong_key(get("/api/v1/articles"))
}

#[actix_web::test]
async fn wrong_keys_past_the_rate_are_429_and_valid_keys_still_work() {
    // The default limits: 10 failed key checks a minute.
    let ctx = Ctx::with_settings(rate_limited(RateLimits::default()));
    assert_eq!(RateLimits::default().auth_failures_per_minute, 10);
    let app = ctx.app().await;
    // Requests without a key are not failed key checks.
    for _ in 0..20 {
        send(&app, from_ip(get("/api/v1/articles"), A))
            .await
            .ok(200);
    }
    for _ in 0..10 {
        send(&app, from_ip(wrong_key_read(), A)).await.problem(401);
    }
    for i in 0..5 {
        let res = send(&app, from_ip(wrong_key_read(), A)).await;
        assert_429(&res, &format!("wrong key {} from A", 11 + i));
        let res = send(
            &app,
            from_ip(wrong_key(post_article_req(json!({"title": "x"}))), A),
        )
        .await;
        assert_429(&res, "a write with a wrong key from A");
    }
    // The right keys work from that very address: a bad client sharing it (a NAT, a proxy)
    // locks no one out.
    send(&app, from_ip(ctx.admin(get("/api/v1/articles")), A))
        .await
        .ok(200);
    send(
        &app,
        from_ip(ctx.admin(post_article_req(json!({"title": "Fine"}))), A),
    )
    .await
    .ok(201);
    let content = with_key(get("/api/v1/articles"), &ctx.content_key);
    send(&app, from_ip(content, A)).await.ok(200);
    // Reads without a key still work there, and wrong keys are still refused.
    send(&app, from_ip(get("/api/v1/articles"), A))
        .await
        .ok(200);
    assert_429(
        &send(&app, from_ip(wrong_key_read(), A)).await,
        "wrong key after the valid ones",
    );
    // Another address has its own allowance.
    send(&app, from_ip(wrong_key_read(), B)).await.problem(401);
}

#[actix_web::test]
async fn malformed_authorization_counts_as_a_failed_key_check() {
    let ctx = Ctx::with_settings(strict());
    let app = ctx.app().await;
    for value in ["Basic ZWRpdG9yOmh1bnRlcjI=", "gazette_no_scheme"] {
        let req = get("/api/v1/articles").insert_header(("Authorization", value));
        send(&app, from_ip(req, C)).await.problem(401);
    }
    let res = send(&app, from_ip(wrong_key_read(), C)).await;
    assert_429(&res, "a wrong key after two malformed headers");
    let req = get("/api/v1/articles").insert_header(("Authorization", "Bearer"));
    assert_429(
        &send(&app, from_ip(req, C)).await,
        "a third malformed header",
    );
    send(&app, from_ip(ctx.admin(get("/api/v1/articles")), C))
        .await
        .ok(200);
}

#[actix_web::test]
async fn zero_turns_the_limits_off() {
    let ctx = Ctx::with_settings(rate_limited(RateLimits {
        writes_per_minute: 0,
        auth_failures_per_minute: 0,
    }));
    let app = ctx.app().await;
    // Far past what any limit above would allow.
    for _ in 0..10 {
        send(
            &app,
            from_ip(wrong_key(post_article_req(json!({"title": "x"}))), A),
        )
        .await
        .problem(401);
    }
    for i in 0..10 {
        let req = ctx.admin(post_article_req(json!({ "title": format!("Story {i}") })));
        send(&app, from_ip(req, A)).await.ok(201);
    }
}

fn forwarded(req: TestRequest, client: &str) -> TestRequest {
    from_ip(req.insert_header(("X-Forwarded-For", client)), A)
}

#[actix_web::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    for trust_proxy in [true, false] {
        let ctx = Ctx::with_settings(Settings {
            trust_proxy,
            ..strict()
        });
        let app = ctx.app().await;
        for _ in 0..2 {
            let req = forwarded(wrong_key_read(), "203.0.113.1");
            send(&app, req).await.problem(401);
        }
        let res = send(&app, forwarded(wrong_key_read(), "203.0.113.1")).await;
        assert_429(&res, "the third wrong key from one forwarded client");
        let res = send(&app, forwarded(wrong_key_read(), "203.0.113.2")).await;
        if trust_proxy {
            // Another client behind the same proxy has its own allowance.
            res.problem(401);
        } else {
            // An untrusted header is the client's word: the peer's allowance is spent.
            assert_429(&res, "a different X-Forwarded-For from an untrusted peer");
        }
    }
}

/// A forwarded address that is not an IP address (`unknown`, an obfuscated identifier, a
/// typo) must not exempt its request from the limits: the peer's address counts instead.
#[actix_web::test]
async fn unreadable_forwarded_addresses_are_still_limited() {
    let ctx = Ctx::with_settings(Settings {
        trust_proxy: true,
        ..strict()
    });
    let app = ctx.app().await;
    let attempt = |forwarded: &str| {
        from_ip(
            wrong_key_read()
                .insert_header(("Forwarded", forwarded))
                .insert_header(("X-Forwarded-For", forwarded)),
            A,
        )
    };
    for value in ["for=unknown", "_hidden"] {
        send(&app, attempt(value)).await.problem(401);
    }
    let res = send(&app, attempt("not an address")).await;
    assert_429(
        &res,
        "the third wrong key with an unreadable forwarded address",
    );
}

/// Behind a trusted proxy the client still writes its own `Forwarded` header and the start
/// of `X-Forwarded-For` (a proxy that appends keeps them): neither may pick the address a
/// request is counted under. Only the entry the proxy added, the last one, counts.
#[actix_web::test]
async fn a_client_cannot_choose_its_address_behind_a_trusted_proxy() {
    let ctx = Ctx::with_settings(Settings {
        trust_proxy: true,
        ..strict()
    });
    let app = ctx.app().await;
    for i in 0..3 {
        let req = from_ip(
            wrong_key_read()
                .insert_header(("Forwarded", format!("for=198.51.100.{i}")))
                .insert_header(("X-Forwarded-For", format!("198.51.100.{i}, 203.0.113.9"))),
            A,
        );
        let res = send(&app, req).await;
        if i < 2 {
            res.problem(401);
        } else {
            assert_429(
                &res,
                "the third wrong key from one client with spoofed headers",
            );
        }
    }
}

/// Asserts `res` lets a script read it (allowing `origin`: the writer's, or `*` for a
/// read), `Retry-After` included.
#[track_caller]
fn assert_cors(res: &Resp, origin: &str, case: &str) {
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some(origin),
        "{case}: {res:?}"
    );
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.split(',').any(|h| h.trim() == "retry-after"),
        "{case}: Retry-After is not exposed: {res:?}"
    );
}

/// A browser's script can only read `Retry-After` if the 429 carries CORS headers that
/// allow its origin and expose the header.
#[actix_web::test]
async fn browsers_can_read_429s() {
    let editor = "https://editor.example";
    let reader = "https://reader.example";
    let ctx = Ctx::with_settings(Settings {
        cors_allowed_origins: vec![editor.to_owned()],
        rate_limits: RateLimits {
            writes_per_minute: 1,
            auth_failures_per_minute: 1,
        },
        ..Default::default()
    });
    let app = ctx.app().await;
    let from = |req: TestRequest, origin: &str| from_ip(req.insert_header(("Origin", origin)), A);

    // A write from the origin allowed to write.
    let write = || ctx.admin(post_article_req(json!({"title": "x"})));
    send(&app, from(write(), editor)).await.ok(201);
    let res = send(&app, from(write(), editor)).await;
    assert_429(&res, "second write");
    assert_cors(&res, editor, "write 429");

    // A read with a wrong key from any origin (all may read).
    send(&app, from(wrong_key(get("/api/v1/articles")), reader))
        .await
        .problem(401);
    let res = send(&app, from(wrong_key(get("/api/v1/articles")), reader)).await;
    assert_429(&res, "second wrong key");
    assert_cors(&res, "*", "failed-key 429");
}

// ---------------------------------------------------------------------------------------
// Header size.
// ---------------------------------------------------------------------------------------

/// The documented limit on the request headers, in bytes (written out rather than taken
/// from `gazette::middleware::screen`, so that a changed limit fails here).
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The bytes of `req`'s headers as sent on the wire: `name: value\r\n` each.
fn header_bytes(req: &actix_http::Request) -> usize {
    req.headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + ": \r\n".len() + value.len())
        .sum()
}

/// `GET /api/v1/articles` with `count` padding headers, the last one sized so that the
/// headers total exactly `total` bytes.
fn with_headers_of(total: usize, count: usize) -> actix_http::Request {
    let mut req = get("/api/v1/articles");
    for i in 1..count {
        req = req.insert_header((format!("x-pad-{i}"), "p".repeat(1000)));
    }
    let mut req = req.to_request();
    let name = HeaderName::from_static("x-pad-last");
    let base = header_bytes(&req) + name.as_str().len() + ": \r\n".len();
    let value = HeaderValue::from_str(&"p".repeat(total - base)).unwrap();
    req.headers_mut().insert(name, value);
    assert_eq!(header_bytes(&req), total);
    req
}

async fn call(app: &TestApp, req: actix_http::Request) -> Resp {
    let res = test::call_service(app, req).await;
    Resp {
        status: res.status(),
        headers: res.headers().clone(),
        body: test::read_body(res).await.to_vec(),
    }
}

#[actix_web::test]
async fn headers_over_16_kib_are_431() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for count in [1, 17] {
        let case = format!("{count} headers");
        let res = call(&app, with_headers_of(MAX_HEADER_BYTES, count)).await;
        assert_eq!(res.status, 200, "{case} at the limit: {res:?}");
        let res = call(&app, with_headers_of(MAX_HEADER_BYTES + 1, count)).await;
        res.problem(431);
    }
}
