//! What operators rely on:
//!
//! - `/readyz` is 200 on a migrated database and 503 (problem details) when a migration is
//!   missing, while `/healthz` stays 200;
//! - `/metrics` is OpenMetrics text, never cached, counting requests by method, route
//!   template (never the concrete path) and status, with latency histograms that agree with
//!   the counts, and the database pool's gauges;
//! - every response carries an `X-Request-Id`: the client's when it is a plain token, a new
//!   random one otherwise;
//! - the real binary's access log carries the request id, and neither its log nor any
//!   response ever contains an API key, a wrong key or a malformed `Authorization` value;
//! - every response carries `nosniff`, `X-Frame-Options: DENY` and a Content-Security-Policy
//!   that allows nothing, except the docs UI's, which allows its own scripts only;
//! - on PostgreSQL, the app's connections never JIT-compile a statement.

use crate::support::binary;
use crate::support::common;
use common::*;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::test::TestRequest;
use diesel::RunQueryDsl;
use serde_json::json;

// ---------------------------------------------------------------------------------------
// Readiness.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn readiness_requires_every_migration() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let ready = send(&app, get("/readyz")).await.ok(200);
    assert_eq!(ready, json!({"status": "ready", "editors_search": true}));

    // As if the binary were newer than its database: the last migration is not recorded.
    let removed = diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations \
         WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
    )
    .execute(&mut *ctx.pool.get().unwrap())
    .unwrap();
    assert_eq!(removed, 1);

    send(&app, get("/readyz")).await.problem(503);
    // Alive, though not ready: a restart would not help, a migration would.
    let health = send(&app, get("/healthz")).await.ok(200);
    assert_eq!(health["status"], "ok");
}

/// A statement PostgreSQL JIT-compiles costs ~40 ms more: a table just filled has no
/// statistics, and its estimates pass the threshold for 400-row reads (`PG_SETTINGS`).
#[actix_web::test]
async fn postgres_connections_never_jit_compile() {
    if !crate::support::backend::on_postgres() {
        return;
    }
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        jit: String,
    }
    let ctx = Ctx::new();
    let setting = diesel::sql_query("SHOW jit")
        .get_result::<Setting>(&mut *ctx.pool.get().unwrap())
        .unwrap();
    assert_eq!(setting.jit, "off");
}

// ---------------------------------------------------------------------------------------
// Metrics.
// ---------------------------------------------------------------------------------------

/// One sample of the exposition: its metric name and labels.
type Series = (String, BTreeMap<String, String>);

/// Parses the samples of an OpenMetrics text exposition (comments skipped).
fn parse_metrics(text: &str) -> BTreeMap<Series, f64> {
    let mut samples = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let labels = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                (name, parse_labels(labels, line))
            }
            None => (series, BTreeMap::new()),
        };
        let previous = samples.insert((name.to_owned(), labels), value);
        assert!(previous.is_none(), "a series appears twice: {line}");
    }
    samples
}

/// `k="v",…` with `\"`, `\\` and `\n` escapes in values.
fn parse_labels(mut rest: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad labels: {line}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("bad escape: {line}"),
                },
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value: {line}"),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The value of `name` with exactly `pairs` as labels; 0 when absent (not yet counted).
fn sample(samples: &BTreeMap<Series, f64>, name: &str, pairs: &[(&str, &str)]) -> f64 {
    samples
        .get(&(name.to_owned(), labels(pairs)))
        .copied()
        .unwrap_or(0.0)
}

async fn metrics(app: &TestApp) -> (Resp, BTreeMap<Series, f64>) {
    let res = send(app, get("/metrics")).await;
    assert_eq!(res.status, 200, "{res:?}");
    let text = String::from_utf8(res.body.clone()).expect("metrics are UTF-8");
    let samples = parse_metrics(&text);
    (res, samples)
}

const REQUESTS: &str = "gazette_http_requests_total";
const BUCKET: &str = "gazette_http_request_duration_seconds_bucket";
const LATENCY_COUNT: &str = "gazette_http_request_duration_seconds_count";

#[actix_web::test]
async fn metrics_count_requests_by_route_template() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Metered Story").await;
    let (_, before) = metrics(&app).await;

    fetch_article(&app, "metered-story").await.ok(200);
    fetch_article(&app, "metered-story").await.ok(200);
    fetch_article(&app, "no-such-story").await.problem(404);
    create_article(&ctx, &app, json!({"title": "Counted Story"})).await;
    send(&app, get("/no/such/place")).await.problem(404);
    // Inside the API's scope, but no route of it.
    send(&app, get("/api/v1/no-such-place")).await.problem(404);

    let (res, after) = metrics(&app).await;
    let content_type = res.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(
        res.header("etag"),
        None,
        "live figures must not be revalidated"
    );
    let text = String::from_utf8_lossy(&res.body);
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    // Concrete paths would make a series per article: only templates are labels.
    for path in [
        "metered-story",
        "no-such-story",
        "counted-story",
        "/no/such",
    ] {
        assert!(
            !text.contains(path),
            "{path} appears in the metrics:\n{text}"
        );
    }

    let single = "/api/v1/articles/{slug_or_id}";
    let expected = [
        (("GET", single, "200"), 2.0),
        (("GET", single, "404"), 1.0),
        (("POST", "/api/v1/articles", "201"), 1.0),
        (("GET", "unmatched", "404"), 2.0),
    ];
    for ((method, route, status), delta) in expected {
        let series = [("method", method), ("route", route), ("status", status)];
        let count = sample(&after, REQUESTS, &series);
        assert_eq!(
            count - sample(&before, REQUESTS, &series),
            delta,
            "{method} {route} {status}:\n{text}"
        );
        // Every request is in the latency histogram once.
        let mut inf = series.to_vec();
        inf.push(("le", "+Inf"));
        assert_eq!(sample(&after, BUCKET, &inf), count, "{series:?}");
        assert_eq!(sample(&after, LATENCY_COUNT, &series), count, "{series:?}");
    }

    let gauge = |name: &str| {
        *after
            .get(&(name.to_owned(), BTreeMap::new()))
            .unwrap_or_else(|| panic!("no {name}:\n{text}"))
    };
    let max = gauge("gazette_db_pool_max_connections");
    let open = gauge("gazette_db_pool_connections");
    let idle = gauge("gazette_db_pool_idle_connections");
    // tests/common opens its pool with 4 connections.
    assert_eq!(max, 4.0);
    assert!((1.0..=max).contains(&open), "{open} of {max} open");
    assert!((0.0..=open).contains(&idle), "{idle} idle of {open}");
}

// ---------------------------------------------------------------------------------------
// Request ids.
// ---------------------------------------------------------------------------------------

fn is_generated_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[track_caller]
fn request_id(res: &Resp, case: &str) -> String {
    res.header("x-request-id")
        .unwrap_or_else(|| panic!("{case}: no X-Request-Id: {res:?}"))
        .to_owned()
}

#[actix_web::test]
async fn every_response_has_a_request_id() {
    let ctx = Ctx::with_settings(gazette::config::Settings {
        limits: gazette::config::Limits {
            body_bytes: 1024,
            ..Default::default()
        },
        ..Default::default()
    });
    let app = ctx.app().await;
    publish(&ctx, &app, "Identified").await;
    let etag = fetch_article(&app, "identified")
        .await
        .header("etag")
        .expect("articles have an ETag")
        .to_owned();
    let cases: Vec<(u16, TestRequest)> = vec![
        (200, get("/api/v1/articles/identified")),
        (404, get("/api/v1/articles/nowhere")),
        (401, post_article_req(json!({"title": "No key"}))),
        (405, delete("/api/v1/articles")),
        (
            413,
            ctx.admin(raw(
                Method::POST,
                "/api/v1/articles",
                Some("application/json"),
                vec![b' '; 1025],
            )),
        ),
        (
            304,
            get("/api/v1/articles/identified").insert_header(("If-None-Match", etag)),
        ),
        (
            431,
            get("/api/v1/articles").insert_header(("X-Padding", "p".repeat(17 * 1024))),
        ),
    ];
    for (status, req) in cases {
        let res = send(&app, req).await;
        assert_eq!(res.status.as_u16(), status, "{res:?}");
        let id = request_id(&res, &status.to_string());
        assert!(is_generated_id(&id), "{status}: {id:?}");
    }
}

#[actix_web::test]
async fn request_ids_from_clients_are_echoed_when_plain() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let with_id = |id: &[u8]| {
        get("/healthz").insert_header((
            "X-Request-Id",
            actix_web::http::header::HeaderValue::from_bytes(id).unwrap(),
        ))
    };
    let longest = "a".repeat(128);
    for id in [
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "req-2026-11-26.001:edge/7+x=y@z_",
        longest.as_str(),
    ] {
        let res = send(&app, with_id(id.as_bytes())).await;
        assert_eq!(request_id(&res, id), id);
    }
    // What could forge or break a log line is replaced, not echoed.
    let too_long = "a".repeat(129);
    let odd: [&[u8]; 5] = [
        b"two words",
        too_long.as_bytes(),
        b"tab\there",
        "caf\u{e9}".as_bytes(),
        b"quote\"d",
    ];
    for id in odd {
        let res = send(&app, with_id(id)).await;
        let got = request_id(&res, &String::from_utf8_lossy(id));
        assert!(is_generated_id(&got), "{id:?} became {got:?}");
    }
    let first = request_id(&send(&app, get("/healthz")).await, "first");
    let second = request_id(&send(&app, get("/healthz")).await, "second");
    assert!(is_generated_id(&first) && is_generated_id(&second));
    assert_ne!(first, second);
}

// ---------------------------------------------------------------------------------------
// Logs (the real binary).
// ---------------------------------------------------------------------------------------

/// `n` random bytes as lowercase hex.
fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Polls the server's log until `line` holds for one of its lines; that line.
#[track_caller]
fn wait_log_line(server: &binary::Server, what: &str, line: impl Fn(&str) -> bool) -> String {
    // The access log is written when a response is complete, which the client may see
    // first; poll rather than guess a delay.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = server.log().lines().find(|l| line(l)) {
            return found.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no log line {what}:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn access_log_has_request_ids_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = std::path::PathBuf::from(fresh_database(dir.path(), "gazette"));
    let admin = binary::admin_key(dir.path(), &db, "logs");
    let mut server =
        binary::Server::start(dir.path(), &db, &[("RUST_LOG", "info"), ("WORKERS", "1")]);
    let agent = binary::client();
    let run = random_hex(8);

    // A key of the real shape that was never minted.
    let wrong = format!("gazette_{}", random_hex(16));
    let basic_secret = format!("hunter2-{}", random_hex(8));
    let bare_secret = format!("gazette_{}", random_hex(16));
    let body_secret = format!("body-secret-{}", random_hex(8));
    let secrets = [
        admin.as_str(),
        &wrong,
        &basic_secret,
        &bare_secret,
        &body_secret,
    ];

    let traced = format!("test-rid-{run}");
    let path = "/api/v1/tags?limit=7";
    let res = agent
        .get(server.url(path))
        .header("X-Request-Id", &traced)
        .call()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("x-request-id").unwrap().to_str().unwrap(),
        traced
    );
    let line = wait_log_line(&server, "with the sent request id", |l| {
        l.contains(&format!("request_id={traced}"))
    });
    assert!(
        line.contains(path),
        "the access log line lacks the path: {line}"
    );

    // Requests carrying secrets, each with its own id so that its log line can be awaited.
    let auth = [
        (format!("Bearer {admin}"), 200),
        (format!("Bearer {wrong}"), 401),
        (format!("Basic {basic_secret}"), 401),
        (bare_secret.clone(), 401),
    ];
    let mut ids = Vec::new();
    let mut bodies = Vec::new();
    for (i, (authorization, status)) in auth.iter().enumerate() {
        let id = format!("secret-{run}-{i}");
        let mut res = agent
            .get(server.url("/api/v1/articles?status=draft"))
            .header("Authorization", authorization)
            .header("X-Request-Id", &id)
            .call()
            .unwrap();
        // A draft list needs the admin key; wrong keys are 401 (rate limits are off).
        assert_eq!(res.status(), *status, "{authorization}");
        bodies.push(res.body_mut().read_to_string().unwrap());
        ids.push(id);
    }
    let id = format!("secret-{run}-body");
    let mut res = agent
        .post(server.url("/api/v1/articles"))
        .header("Authorization", &format!("Bearer {admin}"))
        .header("Content-Type", "application/json")
        .header("X-Request-Id", &id)
        .send(format!(r#"{{"title": "{body_secret}", "tags": [1, "#))
        .unwrap();
    assert_eq!(res.status(), 400);
    bodies.push(res.body_mut().read_to_string().unwrap());
    ids.push(id);

    for id in &ids {
        wait_log_line(&server, &format!("for {id}"), |l| {
            l.contains(&format!("request_id={id}"))
        });
    }
    // Stopped, the server has written everything it will.
    server.terminate();
    let log = server.log();
    for secret in secrets {
        assert!(!log.contains(secret), "the log contains {secret}:\n{log}");
        for body in &bodies {
            assert!(
                !body.contains(secret),
                "a response contains {secret}: {body}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Security headers.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_response_has_security_headers() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Headline").await;
    let cases = [
        ("/api/v1/articles", 200, false),
        ("/feed.atom", 200, false),
        ("/sitemap.xml", 200, false),
        ("/api/v1/articles/nowhere", 404, false),
        ("/docs/", 200, true),
    ];
    for (path, status, docs) in cases {
        let res = send(&app, get(path)).await;
        assert_eq!(res.status.as_u16(), status, "{path}: {res:?}");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
        let csp = res
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(
            directives.contains(&"frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        if docs {
            assert!(directives.contains(&"script-src 'self'"), "{path}: {csp}");
            assert!(!csp.contains("'unsafe-eval'"), "{path}: {csp}");
        } else {
            assert!(directives.contains(&"default-src 'none'"), "{path}: {csp}");
            assert!(
                !directives.iter().any(|d| d.starts_with("script-src")),
                "{path}: {csp}"
            );
        }
    }
}

/// The docs policy allows only scripts the page loads from its own origin, so the page
/// must not depend on inline scripts, which a browser would refuse to run.
#[actix_web::test]
async fn docs_ui_runs_under_its_policy() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let res = send(&app, get("/docs/")).await;
    assert_eq!(res.status, 200);
    let html = String::from_utf8_lossy(&res.body).to_ascii_lowercase();
    let mut scripts = 0;
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').expect("a closed script tag")];
        assert!(
            open.contains("src="),
            "an inline script in /docs/: <script{open}>"
        );
        scripts += 1;
        let src = open
            .split("src=")
            .nth(1)
            .unwrap()
            .trim_matches(['"', '\'', ' ', '/']);
        let src = src
            .split(['"', '\''])
            .next()
            .unwrap()
            .trim_start_matches("./");
        let script = send(&app, get(&format!("/docs/{src}"))).await;
        assert_eq!(script.status, 200, "/docs/{src}");
    }
    assert!(scripts > 0, "the docs page loads no scripts:\n{html}");
}
