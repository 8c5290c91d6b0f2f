//! Shared helpers: a fresh database per test, the real app in process, and request helpers.

use std::future::Future;
use std::pin::Pin;

use actix_http::Request;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceResponse, forward_ready};
use actix_web::http::{Method, StatusCode, header::HeaderMap};
use actix_web::test::{self, TestRequest};
use chrono::{DateTime, Utc};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::backend;
pub use backend::{fresh_database, on_postgres};

use gazette::app::{self, Prepared};
use gazette::config::Settings;
use gazette::db::{self, Pool};

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The application under test, its response bodies boxed so that its type has a name.
pub type TestApp = Box<
    dyn Service<
            Request,
            Response = ServiceResponse<BoxBody>,
            Error = actix_web::Error,
            Future = LocalBoxFuture<Result<ServiceResponse<BoxBody>, actix_web::Error>>,
        >,
>;

/// A fresh database in a temporary folder, with an admin and a content key.
pub struct Ctx {
    pub pool: Pool,
    pub admin_key: String,
    pub content_key: String,
    pub settings: Settings,
    url: String,
    /// Held for its lifetime: the folder (and a SQLite database in it) goes with the context.
    _dir: tempfile::TempDir,
}

impl Ctx {
    pub fn new() -> Self {
        Self::with_settings(Settings::default())
    }

    pub fn with_settings(settings: Settings) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(dir.path(), "test");
        let pool = db::open(&url, 4).expect("open database");
        let conn = &mut *pool.get().unwrap();
        let (_, admin_key) = db::keys::create(conn, "test admin", "admin", db::now()).unwrap();
        let (_, content_key) =
            db::keys::create(conn, "test content", "content", db::now()).unwrap();
        Self {
            pool,
            admin_key,
            content_key,
            settings,
            url,
            _dir: dir,
        }
    }

    /// The `DATABASE_URL` of this context's database.
    pub fn db_url(&self) -> &str {
        &self.url
    }

    /// The application exactly as `gazette serve` builds it, on this context's database.
    pub async fn app(&self) -> TestApp {
        self.app_on(self.pool.clone()).await
    }

    /// The application with `settings` instead of this context's, on its database.
    pub async fn app_with(&self, settings: Settings) -> TestApp {
        let service = test::init_service(app::build(
            filled(Prepared::new(self.pool.clone(), settings)).await,
        ))
        .await;
        Box::new(BoxedBody { service })
    }

    /// The application on `pool` (of this context's database, sized for the test).
    pub async fn app_on(&self, pool: Pool) -> TestApp {
        let prepared = filled(Prepared::new(pool, self.settings.clone())).await;
        let service = test::init_service(app::build(prepared)).await;
        Box::new(BoxedBody { service })
    }

    pub fn admin(&self, req: TestRequest) -> TestRequest {
        req.insert_header(("Authorization", format!("Bearer {}", self.admin_key)))
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        backend::drop_database(&self.url);
    }
}

/// A service whose responses are those of `service` with the body boxed.
struct BoxedBody<S> {
    service: S,
}

impl<S, B> Service<Request> for BoxedBody<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: Request) -> Self::Future {
        let res = self.service.call(req);
        Box::pin(async move { res.await.map(ServiceResponse::map_into_boxed_body) })
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
    }

    /// Asserts this is a problem-details response with `status`; returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> Value {
        self.assert_status(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        let body = self.json();
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["type"].is_string() && body["title"].is_string(),
            "{body}"
        );
        assert!(!body["detail"].as_str().unwrap_or("").is_empty(), "{body}");
        body
    }

    /// Asserts the status is `status`; returns the JSON body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        self.assert_status(status);
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }
}

pub async fn send(app: &TestApp, req: TestRequest) -> Resp {
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let streaming = headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    // An event stream never ends: what it sends at once is its body here.
    let body = match streaming {
        true => first_chunks(res).await,
        false => test::read_body(res).await.to_vec(),
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// The chunks a streaming body sends within a moment.
async fn first_chunks(res: ServiceResponse<BoxBody>) -> Vec<u8> {
    let mut body = res.into_body();
    let mut read = Vec::new();
    let moment = std::time::Duration::from_millis(200);
    while let Ok(Some(Ok(chunk))) = actix_web::rt::time::timeout(
        moment,
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_next(cx)),
    )
    .await
    {
        read.extend_from_slice(&chunk);
    }
    read
}

/// `prepared` once its search indexes are filled (the public one is once `/readyz` says so):
/// a test's searches are then answered by one index throughout.
pub async fn filled(prepared: Prepared) -> Prepared {
    let index = prepared.search_index();
    let started = std::time::Instant::now();
    while !index.is_filled() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the search indexes are not filled after a minute"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    prepared
}

// ---------------------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------------------

pub fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

pub fn delete(uri: &str) -> TestRequest {
    TestRequest::delete().uri(uri)
}

pub fn json(method: Method, uri: &str, body: &Value) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

/// `req` as sent from `ip`: in-process requests have no peer address, and the rate
/// limiters leave requests without one alone.
pub fn from_ip(req: TestRequest, ip: &str) -> TestRequest {
    req.peer_addr(std::net::SocketAddr::new(
        ip.parse().expect("an IP address"),
        1234,
    ))
}

/// A request with a raw body and an optional `Content-Type`.
pub fn raw(
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Vec<u8>>,
) -> TestRequest {
    let req = TestRequest::default().method(method).uri(uri);
    let req = match content_type {
        Some(ct) => req.insert_header(("Content-Type", ct)),
        None => req,
    };
    req.set_payload(body.into())
}

/// `POST /api/v1/articles` with `body`, without a key.
pub fn post_article_req(body: Value) -> TestRequest {
    json(Method::POST, "/api/v1/articles", &body)
}

/// `PATCH /api/v1/articles/{key}` with `body`, without a key.
pub fn patch_article_req(key: &str, body: Value) -> TestRequest {
    json(Method::PATCH, &format!("/api/v1/articles/{key}"), &body)
}

// ---------------------------------------------------------------------------------------
// Calls through the API.
// ---------------------------------------------------------------------------------------

/// How long a change made outside an app (another replica, the CLI, the go-live worker) may
/// take to reach the app's cache in a test: far above the bound the server keeps (the
/// follower reads the log every 10 ms on SQLite, at a notification on PostgreSQL), so that a
/// slow machine does not fail the test; the bound itself is measured by the replica test.
pub const PROPAGATION: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `check` until it returns `Some`, for at most [`PROPAGATION`]; panics with `what`
/// otherwise. Returns the value and how long it took.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> (T, std::time::Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return (value, start.elapsed());
        }
        assert!(
            start.elapsed() < PROPAGATION,
            "not within {PROPAGATION:?}: {what}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// A public GET of `uri`, asserting 200; the JSON body.
pub async fn get_json(app: &TestApp, uri: &str) -> Value {
    send(app, get(uri)).await.ok(200)
}

/// Creates an article through the API with the admin key; returns the article as read.
pub async fn create_article(ctx: &Ctx, app: &TestApp, body: Value) -> Value {
    send(app, ctx.admin(post_article_req(body))).await.ok(201)
}

/// Subscribes a webhook receiver that is never reached to `events`: each event leaves a
/// delivery in the outbox (no worker sends them in a test).
pub async fn subscribe(ctx: &Ctx, app: &TestApp, events: &[&str]) {
    let body = json!({"url": "https://hooks.example.org/in", "events": events,
                      "secret": "a-test-secret-of-some-length"});
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/webhooks", &body)),
    )
    .await
    .ok(201);
}

/// Creates a published article with just a title.
pub async fn publish(ctx: &Ctx, app: &TestApp, title: &str) -> Value {
    create_article(ctx, app, json!({"title": title, "status": "published"})).await
}

/// Patches article `key` (slug or id) with the admin key; returns the article as read.
pub async fn patch_article(ctx: &Ctx, app: &TestApp, key: &str, body: Value) -> Value {
    send(app, ctx.admin(patch_article_req(key, body)))
        .await
        .ok(200)
}

/// A public GET of one article; the response, whatever its status.
pub async fn fetch_article(app: &TestApp, key: &str) -> Resp {
    send(app, get(&format!("/api/v1/articles/{key}"))).await
}

/// A public GET of the article list with `query` (without the leading `?`).
pub async fn list_articles(app: &TestApp, query: &str) -> Value {
    get_json(app, &format!("/api/v1/articles?{query}")).await
}

/// Which key reads the lists in a [`content_snapshot`].
#[derive(Clone, Copy)]
pub enum Lists {
    Public,
    Admin,
}

/// Everything observable about the stored content: the article and tag lists (read as
/// `lists` says), every listed article as an admin reads it (with related links) and the
/// number of articles of any status.
pub async fn content_snapshot(ctx: &Ctx, app: &TestApp, lists: Lists) -> Value {
    let read = |uri: &str| match lists {
        Lists::Public => get(uri),
        Lists::Admin => ctx.admin(get(uri)),
    };
    let list = send(app, read("/api/v1/articles?limit=100")).await.ok(200);
    let tags = send(app, read("/api/v1/tags?limit=100")).await.ok(200);
    let mut full = Vec::new();
    for teaser in list["data"].as_array().expect("data is an array") {
        let uri = format!("/api/v1/articles/{}", teaser["id"]);
        full.push(send(app, ctx.admin(get(&uri))).await.ok(200));
    }
    let count = db::articles::count_all(&mut ctx.pool.get().unwrap()).unwrap();
    json!({"list": list, "tags": tags, "full": full, "count": count})
}

// ---------------------------------------------------------------------------------------
// Reading answers.
// ---------------------------------------------------------------------------------------

/// Parses an API timestamp, asserting it is RFC 3339 in UTC (`Z`).
#[track_caller]
pub fn ts(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}"));
    assert!(s.ends_with('Z'), "timestamp {s:?} is not in UTC (…Z)");
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("timestamp {s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// The string `field` of every item of the array `items`, in order.
pub fn strs<'a>(items: &'a Value, field: &str) -> Vec<&'a str> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {items}"))
        .iter()
        .map(|item| item[field].as_str().unwrap())
        .collect()
}

/// The slugs of a list page's `data`, in order.
pub fn slugs(list: &Value) -> Vec<String> {
    let data = &list["data"];
    assert!(data.is_array(), "no data array: {list}");
    strs(data, "slug").into_iter().map(str::to_owned).collect()
}

/// `s` percent-encoded for a query value.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// The first place where two JSON values differ, as a JSON pointer, with both values there.
pub fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let (l, r) = (
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(l, r, &format!("{at}/{key}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r, &format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} became {b}")),
    }
}
