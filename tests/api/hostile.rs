//! Hostile requests. A table of several hundred malformed, mistyped, oversized and malicious
//! requests against every resource that takes input (articles, related links, tags,
//! webhooks, import, list and search parameters, paths and headers). The property: each one
//! gets the exact 4xx status it deserves as RFC 9457 problem details, none of them crashes or
//! wedges the server, and none of them writes anything.
//!
//! A second table holds inputs that look hostile but are valid (search operators, SQL-like
//! filter values): they must be an ordinary 200, not an error. Limits on header size belong
//! to actix's HTTP/1 parser, which the in-process app skips, so those cases go to the real
//! binary.

use crate::support::binary;
use crate::support::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use binary::{free_port, gazette};
use common::*;

// ---------------------------------------------------------------------------------------
// The table's row and how one is sent and judged.
// ---------------------------------------------------------------------------------------

/// Who sends a case's request.
#[derive(Debug, Clone)]
enum Key {
    Admin,
    Content,
    Anonymous,
    /// This exact `Authorization` header value.
    Raw(Vec<u8>),
}

/// One request and the answer it must get.
#[derive(Debug)]
struct Case {
    name: String,
    method: Method,
    uri: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Option<Vec<u8>>,
    key: Key,
    status: u16,
    /// Text the problem must mention in `errors` or `detail` (an unknown field's name).
    names: Option<String>,
    /// Methods a 405 must list in `Allow`.
    allow: &'static [&'static str],
    /// For a 200 list: whether `data` must be empty.
    empty: bool,
}

impl Case {
    /// A request sent with the admin key, so that it is refused for its input alone.
    fn new(name: impl Into<String>, method: Method, uri: impl Into<String>, status: u16) -> Self {
        Self {
            name: name.into(),
            method,
            uri: uri.into(),
            headers: Vec::new(),
            body: None,
            key: Key::Admin,
            status,
            names: None,
            allow: &[],
            empty: false,
        }
    }

    fn get(name: impl Into<String>, uri: impl Into<String>, status: u16) -> Self {
        Self::new(name, Method::GET, uri, status)
    }

    /// A body sent as `application/json`.
    fn json(self, body: impl Into<Vec<u8>>) -> Self {
        self.body(Some("application/json"), body)
    }

    fn body(mut self, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Self {
        if let Some(ct) = content_type {
            self = self.header("content-type", ct);
        }
        self.body = Some(body.into());
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn key(mut self, key: Key) -> Self {
        self.key = key;
        self
    }

    fn naming(mut self, text: impl Into<String>) -> Self {
        self.names = Some(text.into());
        self
    }

    fn allow(mut self, methods: &'static [&'static str]) -> Self {
        self.allow = methods;
        self
    }

    fn empty(mut self) -> Self {
        self.empty = true;
        self
    }

    fn label(&self) -> String {
        let uri: String = self.uri.chars().take(120).collect();
        let more = if uri.len() < self.uri.len() {
            "…"
        } else {
            ""
        };
        format!("[{}] {} {uri}{more}", self.name, self.method)
    }

    fn request(&self, ctx: &Ctx) -> Result<TestRequest, String> {
        // TestRequest panics on a URI it cannot parse; say which case has one instead.
        Uri::try_from(self.uri.as_str()).map_err(|e| format!("the table's URI is invalid: {e}"))?;
        let mut req = TestRequest::default()
            .method(self.method.clone())
            .uri(&self.uri);
        if let Some(body) = &self.body {
            req = req.set_payload(body.clone());
        }
        req = match &self.key {
            Key::Admin => ctx.admin(req),
            Key::Content => {
                req.insert_header(("Authorization", format!("Bearer {}", ctx.content_key)))
            }
            Key::Anonymous => req,
            Key::Raw(value) => req.insert_header(("Authorization", header_value(value)?)),
        };
        // After the payload, so that a case can overrule the Content-Length it set.
        for (name, value) in &self.headers {
            req = req.insert_header((HeaderName::from_static(name), header_value(value)?));
        }
        Ok(req)
    }

    /// What is wrong with `res` as this case's answer, if anything.
    fn verify(&self, res: &Resp) -> Result<(), String> {
        let status = res.status.as_u16();
        if status != self.status {
            return Err(format!("expected status {}", self.status));
        }
        if self.status >= 400 {
            self.verify_problem(res)
        } else {
            self.verify_list(res)
        }
    }

    fn verify_problem(&self, res: &Resp) -> Result<(), String> {
        let content_type = res.header("content-type");
        if content_type != Some("application/problem+json") {
            return Err(format!("Content-Type {content_type:?}, not problem+json"));
        }
        let problem: Value = serde_json::from_slice(&res.body)
            .map_err(|e| format!("the problem is not JSON: {e}"))?;
        for member in ["type", "title", "detail"] {
            if problem[member].as_str().is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("the problem has no `{member}` string"));
            }
        }
        if problem["status"] != self.status {
            return Err(format!(
                "the problem's `status` {} is not the HTTP status",
                problem["status"]
            ));
        }
        if let Some(text) = &self.names {
            let errors = problem.get("errors").map(Value::to_string);
            let detail = problem["detail"].as_str().unwrap_or("");
            if !detail.contains(text.as_str()) && !errors.is_some_and(|e| e.contains(text.as_str()))
            {
                return Err(format!("the problem does not name `{text}`"));
            }
        }
        if !self.allow.is_empty() {
            let allow = res.header("allow").unwrap_or("");
            let listed: Vec<&str> = allow.split(',').map(str::trim).collect();
            if let Some(missing) = self.allow.iter().find(|m| !listed.contains(m)) {
                return Err(format!("Allow: {allow:?} does not list {missing}"));
            }
        }
        Ok(())
    }

    fn verify_list(&self, res: &Resp) -> Result<(), String> {
        let list: Value = serde_json::from_slice(&res.body)
            .map_err(|e| format!("the answer is not JSON: {e}"))?;
        let data = list["data"]
            .as_array()
            .ok_or_else(|| "the answer has no `data` array".to_owned())?;
        if self.empty && !data.is_empty() {
            return Err(format!(
                "the filter matched {} articles; it names no tag",
                data.len()
            ));
        }
        Ok(())
    }
}

fn header_value(bytes: &[u8]) -> Result<HeaderValue, String> {
    HeaderValue::from_bytes(bytes).map_err(|e| format!("the table's header is invalid: {e}"))
}

/// Sends `req`, turning a service error into the response a server would send for it.
async fn call(app: &TestApp, req: TestRequest) -> Resp {
    match app.call(req.to_request()).await {
        Ok(res) => {
            let status = res.status();
            let headers = res.headers().clone();
            let body = actix_web::test::read_body(res).await.to_vec();
            Resp {
                status,
                headers,
                body,
            }
        }
        Err(err) => {
            let res = err.error_response();
            let status = res.status();
            let headers = res.headers().clone();
            let body = actix_web::body::to_bytes(res.into_body())
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Resp {
                status,
                headers,
                body,
            }
        }
    }
}

/// Names the case being sent when a panic unwinds through it (a panic in the app surfaces in
/// the test thread, far from the table row that caused it).
struct Announce<'a>(&'a str);

impl Drop for Announce<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the panic happened while sending {}", self.0);
        }
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// How many cases run between checks that the server is healthy and unchanged.
const CHECK_EVERY: usize = 20;

/// Sends every case; returns a line for each failure (the case, what was wrong and the
/// actual answer), and for each window of cases after which the server was unhealthy or
/// the stored content had changed.
async fn run_table(ctx: &Ctx, app: &TestApp, cases: &[Case]) -> Vec<String> {
    let original = snapshot(ctx, app).await;
    let mut before = original.clone();
    let mut failures = Vec::new();
    for (n, chunk) in cases.chunks(CHECK_EVERY).enumerate() {
        for case in chunk {
            let label = case.label();
            let req = match case.request(ctx) {
                Ok(req) => req,
                Err(e) => {
                    failures.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let guard = Announce(&label);
            let res = call(app, req).await;
            drop(guard);
            if let Err(why) = case.verify(&res) {
                failures.push(format!(
                    "{label}: {why}\n      got {} {:?}: {}",
                    res.status.as_u16(),
                    res.header("content-type").unwrap_or("no content type"),
                    excerpt(&res.body)
                ));
            }
        }
        let first = n * CHECK_EVERY;
        let window = format!(
            "cases {first}..{} (last: {})",
            first + chunk.len(),
            chunk.last().map(Case::label).unwrap_or_default()
        );
        if let Err(e) = healthy(app).await {
            failures.push(format!("after {window}: the server is unhealthy: {e}"));
        }
        let after = snapshot(ctx, app).await;
        if let Some(diff) = first_difference(&before, &after, "") {
            failures.push(format!("after {window}: something was written: {diff}"));
            before = after;
        }
    }
    if let Some(diff) = first_difference(&original, &snapshot(ctx, app).await, "") {
        failures.push(format!(
            "after the whole table the stored content differs: {diff}"
        ));
    }
    failures
}

/// `/healthz` answers, and a normal article read still works.
async fn healthy(app: &TestApp) -> Result<(), String> {
    let health = call(app, get("/healthz")).await;
    if health.status != 200 {
        return Err(format!(
            "/healthz: {} {}",
            health.status,
            excerpt(&health.body)
        ));
    }
    let probe = call(app, get("/api/v1/articles/probe")).await;
    let title = serde_json::from_slice::<Value>(&probe.body).ok();
    if probe.status != 200 || title.as_ref().map(|t| &t["title"]) != Some(&json!("Probe")) {
        return Err(format!(
            "reading the probe article: {} {}",
            probe.status,
            excerpt(&probe.body)
        ));
    }
    Ok(())
}

/// Everything a stray write would change: the content (article and tag lists and counts,
/// every article in full), the probe article, its revisions, the draft, the webhook
/// subscriptions and the deliveries queued for them (every write queues an event).
async fn snapshot(ctx: &Ctx, app: &TestApp) -> Value {
    let admin_read = |uri: &str| ctx.admin(get(uri));
    let mut reads = serde_json::Map::new();
    for uri in [
        "/api/v1/articles/probe",
        "/api/v1/articles/probe/revisions?limit=100",
        "/api/v1/articles/draft-one",
        "/api/v1/articles?status=draft&limit=100",
        "/api/v1/webhooks?limit=100",
        "/api/v1/webhooks/1/deliveries?limit=100",
    ] {
        // Kept whatever the answer, so that a case that deleted something is reported as a
        // change rather than stopping the run.
        let res = call(app, admin_read(uri)).await;
        let body = serde_json::from_slice(&res.body).unwrap_or_else(|_| json!(excerpt(&res.body)));
        reads.insert(
            uri.to_owned(),
            json!({"status": res.status.as_u16(), "body": body}),
        );
    }
    json!({"content": content_snapshot(ctx, app, Lists::Admin).await, "reads": reads})
}

/// Two published articles (`probe`, with an external link; `other`, linking to `probe`), a
/// draft, the tags `transport` and `city-hall`, and webhook 1 subscribed to every event.
async fn seed(ctx: &Ctx, app: &TestApp) {
    create_article(
        ctx,
        app,
        json!({"title": "Probe", "slug": "probe", "status": "published",
               "published_at": "2026-01-01T10:00:00Z", "summary": "The probe article.",
               "body": "Probe *body* about the harbour.", "tags": ["Transport"],
               "related": [{"url": "https://example.org/report", "summary": "The report."}]}),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({"title": "Other", "slug": "other", "status": "published",
               "published_at": "2026-01-02T10:00:00Z", "tags": ["City Hall", "transport"],
               "related": [{"slug": "probe"}]}),
    )
    .await;
    create_article(ctx, app, json!({"title": "Draft", "slug": "draft-one"})).await;
    let hook = send(
        app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/webhooks",
            &json!({"url": "https://hooks.example.org/in", "events": ["*"]}),
        )),
    )
    .await
    .ok(201);
    assert_eq!(hook["id"], 1, "the table addresses webhook 1");
}

// ---------------------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------------------

const MIB: usize = 1024 * 1024;

/// A JSON write endpoint and a body it accepts, which the cases break one way at a time.
struct Target {
    method: Method,
    uri: &'static str,
    valid: Value,
    /// A text field of the body (empty for the array of related links).
    field: &'static str,
}

fn targets() -> Vec<Target> {
    let t = |method, uri, valid, field| Target {
        method,
        uri,
        valid,
        field,
    };
    vec![
        t(
            Method::POST,
            "/api/v1/articles",
            json!({"title": "Never stored", "slug": "never-stored", "summary": "S.",
                   "body": "B *b*.", "status": "published", "tags": ["Never Tag"],
                   "related": [{"slug": "other"}]}),
            "title",
        ),
        t(
            Method::PATCH,
            "/api/v1/articles/probe",
            json!({"title": "Changed", "tags": ["Never Tag"]}),
            "title",
        ),
        t(
            Method::PUT,
            "/api/v1/articles/probe/related",
            json!([{"slug": "other"}, {"url": "https://example.org/x", "summary": "X."}]),
            "",
        ),
        t(
            Method::POST,
            "/api/v1/tags",
            json!({"name": "Another Tag", "description": "D."}),
            "name",
        ),
        t(
            Method::PATCH,
            "/api/v1/tags/transport",
            json!({"name": "Changed"}),
            "name",
        ),
        t(
            Method::POST,
            "/api/v1/webhooks",
            json!({"url": "https://hooks.example.org/new", "events": ["tag.*"]}),
            "url",
        ),
        t(
            Method::PATCH,
            "/api/v1/webhooks/1",
            json!({"url": "https://hooks.example.org/changed"}),
            "url",
        ),
    ]
}

impl Target {
    fn case(&self, name: impl Into<String>, status: u16) -> Case {
        Case::new(name, self.method.clone(), self.uri, status)
    }

    /// The valid body with `text` as its text field, serialized by hand so that `text` may
    /// be any bytes at all.
    fn with_text(&self, text: &[u8]) -> Vec<u8> {
        let (head, tail) = if self.field.is_empty() {
            (br#"[{"slug": ""#.as_slice(), br#""}]"#.as_slice())
        } else {
            (br#"{"FIELD": ""#.as_slice(), br#""}"#.as_slice())
        };
        let head = String::from_utf8_lossy(head).replace("FIELD", self.field);
        [head.as_bytes(), text, tail].concat()
    }
}

/// `valid` with `field` set to `value`.
fn with(valid: &Value, field: &str, value: Value) -> Value {
    let mut body = valid.clone();
    body[field] = value;
    body
}

fn malformed_json() -> Vec<Case> {
    let bodies: &[(&str, &str)] = &[
        ("empty body", ""),
        ("white space only", " \n\t "),
        ("bare word", "hello"),
        ("single quotes", "{'a': 'b'}"),
        ("unquoted key", "{a: 1}"),
        ("trailing comma", r#"{"a": 1,}"#),
        ("two documents", "{}{}"),
        ("trailing garbage", "{} x"),
        ("comment", "{/* c */}"),
        ("NaN", r#"{"a": NaN}"#),
        ("leading zero", r#"{"a": 01}"#),
        ("invalid escape", r#"{"a": "\q"}"#),
        ("lone low surrogate", r#"{"a": "\udc00"}"#),
        ("unclosed string", r#"{"a": "b}"#),
        ("form encoding", "title=x&name=y"),
    ];
    let mut cases = Vec::new();
    for target in targets() {
        for (what, body) in bodies {
            cases.push(
                target
                    .case(format!("malformed JSON: {what}"), 400)
                    .json(*body),
            );
        }
    }
    cases
}

fn truncated_json() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, target) in targets().iter().enumerate() {
        let body = target.valid.to_string();
        // Every cut of the article, a third of the cuts of the others: no proper prefix of a
        // JSON document is one.
        let step = if i == 0 { 1 } else { 3 };
        for cut in (0..body.len()).step_by(step).chain([body.len() - 1]) {
            cases.push(
                target
                    .case(format!("truncated at byte {cut}"), 400)
                    .json(&body.as_bytes()[..cut]),
            );
        }
    }
    cases
}

#[rustfmt::skip]
fn wrong_types() -> Vec<Case> {
    let mut cases = Vec::new();
    // `valid` with `field` set to each of `values`: a 422 naming the field.
    let mut add = |method: &Method, uri: &str, valid: &Value, field: &str, values: &[Value]| {
        for value in values {
            cases.push(
                Case::new(format!("wrong type: {field} = {value}"), method.clone(), uri, 422)
                    .json(with(valid, field, value.clone()).to_string())
                    .naming(field),
            );
        }
    };
    let (post, patch) = (Method::POST, Method::PATCH);
    let articles = "/api/v1/articles";
    let article = json!({"title": "Typed"});
    add(&post, articles, &article, "title", &[json!(5), json!(true), json!([]), json!({}), json!(["a"])]);
    for field in ["slug", "summary", "body", "byline", "feature_image_url"] {
        add(&post, articles, &article, field, &[json!(5), json!(true), json!({}), json!(["x"])]);
    }
    add(&post, articles, &article, "status", &[json!(1), json!("bogus"), json!("PUBLISHED"), json!(""), json!({})]);
    add(&post, articles, &article, "published_at", &[
        json!(1_700_000_000), json!(true), json!("yesterday"), json!("2026-13-01T00:00:00Z"),
        json!("2026-02-30T10:00:00Z"), json!("2026-01-01"), json!("2026-01-01T10:00:00"), json!({}),
    ]);
    add(&post, articles, &article, "tags", &[
        json!("Transport"), json!(5), json!({}), json!([5]), json!([null]), json!([{"name": "x"}]),
        json!([true]), json!([["x"]]),
    ]);
    add(&post, articles, &article, "related", &[
        json!("other"), json!(5), json!({}), json!([5]), json!(["other"]), json!([[{"slug": "other"}]]),
    ]);
    let empty = json!({});
    for field in [
        "title", "slug", "summary", "body", "status", "published_at", "tags", "related", "byline",
        "feature_image_url",
    ] {
        add(&patch, "/api/v1/articles/probe", &empty, field, &[json!(5), json!({})]);
    }
    let tag = json!({"name": "Typed"});
    add(&post, "/api/v1/tags", &tag, "name", &[json!(5), json!(true), json!([]), json!({})]);
    add(&post, "/api/v1/tags", &tag, "slug", &[json!(5), json!({})]);
    add(&post, "/api/v1/tags", &tag, "description", &[json!(5), json!([])]);
    add(&patch, "/api/v1/tags/transport", &empty, "name", &[json!(5)]);
    add(&patch, "/api/v1/tags/transport", &empty, "slug", &[json!(true)]);
    add(&patch, "/api/v1/tags/transport", &empty, "description", &[json!(5)]);
    let hooks = "/api/v1/webhooks";
    let hook = json!({"url": "https://hooks.example.org/t", "events": ["*"]});
    add(&post, hooks, &hook, "url", &[json!(5), json!(true), json!([]), json!({})]);
    add(&post, hooks, &hook, "events", &[json!("*"), json!(5), json!({}), json!([5]), json!([null]), json!([["*"]])]);
    add(&post, hooks, &hook, "secret", &[json!(5), json!(true), json!([])]);
    add(&post, hooks, &hook, "active", &[json!("yes"), json!(1), json!("true"), json!([]), json!({})]);
    for field in ["url", "events", "secret", "active"] {
        add(&patch, "/api/v1/webhooks/1", &empty, field, &[json!(5)]);
    }
    // Links: a wrong member type is named by its path; a body that is not an array is the
    // body's fault.
    for (what, body, field) in [
        ("slug a number", json!([{"slug": 5}]), "[0].slug"),
        ("url a number", json!([{"url": 5, "summary": "S."}]), "[0].url"),
        ("summary a number", json!([{"url": "https://example.org/", "summary": 5}]), "[0].summary"),
        ("title a number", json!([{"url": "https://example.org/", "summary": "S.", "title": 5}]), "[0].title"),
        ("link a number", json!([5]), "[0]"),
        ("link a string", json!(["other"]), "[0]"),
        ("link a boolean", json!([true]), "[0]"),
        ("link in an array", json!([[{"slug": "other"}]]), "[0]"),
        ("an object", json!({"slug": "other"}), "body"),
        ("a string", json!("other"), "body"),
    ] {
        cases.push(
            Case::new(format!("wrong type: {what}"), Method::PUT, "/api/v1/articles/probe/related", 422)
                .json(body.to_string())
                .naming(field),
        );
    }
    // An object endpoint given any other JSON value.
    for target in targets().iter().filter(|t| !t.field.is_empty()) {
        for body in ["[]", "[{}]", "\"title\"", "5", "null", "true"] {
            cases.push(target.case(format!("wrong type: body is {body}"), 422).json(body).naming("body"));
        }
    }
    cases
}

fn nulls() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut null = |method: Method, uri: &str, base: Value, field: &str| {
        cases.push(
            Case::new(format!("null {field}"), method, uri, 422)
                .json(with(&base, field, Value::Null).to_string())
                .naming(field),
        );
    };
    null(Method::POST, "/api/v1/articles", json!({}), "title");
    for field in [
        "title", "slug", "summary", "body", "status", "tags", "related",
    ] {
        null(Method::PATCH, "/api/v1/articles/probe", json!({}), field);
    }
    null(Method::POST, "/api/v1/tags", json!({}), "name");
    for field in ["name", "slug"] {
        null(Method::PATCH, "/api/v1/tags/transport", json!({}), field);
    }
    let hook = json!({"url": "https://hooks.example.org/t", "events": ["*"]});
    for field in ["url", "events"] {
        null(Method::POST, "/api/v1/webhooks", hook.clone(), field);
    }
    for field in ["url", "events", "secret", "active"] {
        null(Method::PATCH, "/api/v1/webhooks/1", json!({}), field);
    }
    for body in [
        json!([null]),
        json!([{"slug": null}]),
        json!([{"url": null, "summary": "S."}]),
        json!([{"url": "https://example.org/", "summary": null}]),
    ] {
        let related = "/api/v1/articles/probe/related";
        cases.push(
            Case::new(format!("null in a link: {body}"), Method::PUT, related, 422)
                .json(body.to_string())
                .naming("[0]"),
        );
    }
    cases
}

#[rustfmt::skip]
fn numbers_and_dates() -> Vec<Case> {
    let mut cases = Vec::new();
    // Out of any float's range: serde_json refuses it as syntax.
    cases.push(Case::new("number out of range", Method::POST, "/api/v1/articles", 400).json(r#"{"title": 1e400}"#));
    let article = |what: &str, method: Method, uri: &str, body: &str, field: &str| {
        Case::new(what, method, uri, 422).json(body).naming(field)
    };
    let post = |what: &str, published_at: &str| {
        let body = format!(r#"{{"title": "T", "published_at": {published_at}}}"#);
        article(what, Method::POST, "/api/v1/articles", &body, "published_at")
    };
    cases.extend([
        article("huge title", Method::POST, "/api/v1/articles", r#"{"title": 99999999999999999999999}"#, "title"),
        article("negative title", Method::POST, "/api/v1/articles", r#"{"title": -1}"#, "title"),
        post("huge published_at", "99999999999999999999999"),
        post("negative published_at", "-1"),
        // Dates a strict RFC 3339 reader refuses, and that the query parameters refuse too.
        post("year -1", r#""-0001-01-01T00:00:00Z""#),
        post("year 99999", r#""99999-01-01T00:00:00Z""#),
        post("year +275760", r#""+275760-09-13T00:00:00Z""#),
        // Year 0 is RFC 3339, but east of UTC it falls in year -1, which is not.
        post("year 0 east of UTC", r#""0000-01-01T00:00:00+01:00""#),
        post("offset +99:00", r#""2026-01-01T00:00:00+99:00""#),
        post("hour 25", r#""2026-01-01T25:00:00Z""#),
        article("year -1", Method::PATCH, "/api/v1/articles/probe", r#"{"published_at": "-0001-01-01T00:00:00Z"}"#, "published_at"),
        Case::new("year -1", Method::POST, "/api/v1/import", 422)
            .body(Some("application/x-ndjson"), r#"{"type":"article","slug":"never-stored","title":"T","status":"published","published_at":"-0001-01-01T00:00:00Z"}"#)
            .naming("published_at"),
    ]);
    let hook = |what: &str, extra: &str, field: &str| {
        let body = format!(r#"{{"url": "https://hooks.example.org/n", "events": ["*"], {extra}}}"#);
        article(what, Method::POST, "/api/v1/webhooks", &body, field)
    };
    cases.extend([
        hook("negative active", r#""active": -1"#, "active"),
        hook("huge secret", r#""secret": 1e308"#, "secret"),
        article("port 99999", Method::POST, "/api/v1/webhooks", r#"{"url": "https://hooks.example.org:99999/n", "events": ["*"]}"#, "url"),
    ]);
    for list in [
        "/api/v1/articles", "/api/v1/tags", "/api/v1/webhooks", "/api/v1/webhooks/1/deliveries",
        "/api/v1/articles/probe/revisions",
    ] {
        for limit in [
            "0", "-1", "101", "99999999999999999999", "-99999999999999999999", "1e2", "1.5", "0x10",
            "%2B%2B1", "%205", "five",
        ] {
            cases.push(Case::get(format!("limit {limit}"), format!("{list}?limit={limit}"), 400).naming("limit"));
        }
    }
    for limit in ["0", "-1", "51", "99999999999999999999", "abc"] {
        let uri = format!("/api/v1/articles/probe/related?limit={limit}");
        cases.push(Case::get(format!("related limit {limit}"), uri, 400).naming("limit"));
    }
    for id in ["-1", "0", "99999999999999999999", "-99999999999999999999"] {
        for uri in [
            format!("/api/v1/articles/{id}"),
            format!("/api/v1/articles/{id}/related"),
            format!("/api/v1/webhooks/{id}"),
            format!("/api/v1/webhooks/{id}/deliveries"),
            format!("/api/v1/articles/probe/revisions/{id}"),
        ] {
            cases.push(Case::get(format!("id {id}"), uri, 404));
        }
        for (method, uri) in [
            (Method::DELETE, format!("/api/v1/articles/{id}")),
            (Method::DELETE, format!("/api/v1/webhooks/{id}")),
            (Method::POST, format!("/api/v1/articles/probe/revisions/{id}/restore")),
            (Method::POST, format!("/api/v1/webhooks/1/deliveries/{id}/redeliver")),
        ] {
            cases.push(Case::new(format!("id {id}"), method, uri, 404));
        }
        let uri = format!("/api/v1/articles/{id}");
        cases.push(Case::new(format!("id {id}"), Method::PATCH, uri, 404).json(r#"{"title": "Changed"}"#));
    }
    for param in ["published_after", "published_before"] {
        for date in [
            "-1", "0", "now", "1700000000", "99999-01-01T00:00:00Z", "+275760-09-13T00:00:00Z",
            "-0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T24:00:01Z",
            "2026-01-01T00:00:00+99:00", "2026-01-01", "2026-01-01T00:00:00",
        ] {
            let uri = format!("/api/v1/articles?{param}={}", enc(date));
            cases.push(Case::get(format!("{param} {date}"), uri, 400).naming(param));
        }
    }
    cases
}

#[rustfmt::skip]
fn overlong_strings() -> Vec<Case> {
    let long = |n: usize| "x".repeat(n);
    let url = |n: usize| format!("https://example.org/{}", "a".repeat(n - 20));
    let link = |link: Value| json!({"title": "T", "related": [link]});
    let mut cases = Vec::new();
    let cut = |what: &str, method: Method, uri: &str, body: Value, field: &str| {
        let case = Case::new(format!("overlong: {what}"), method, uri, 422).json(body.to_string());
        if field.is_empty() { case } else { case.naming(field) }
    };
    let (post, patch, put) = (Method::POST, Method::PATCH, Method::PUT);
    let articles = "/api/v1/articles";
    cases.extend([
        cut("title of 301", post.clone(), articles, json!({"title": long(301)}), "title"),
        cut("title of 301 two-byte characters", post.clone(), articles, json!({"title": "é".repeat(301)}), "title"),
        cut("title of 100,000", post.clone(), articles, json!({"title": long(100_000)}), "title"),
        cut("slug of 81", post.clone(), articles, json!({"title": "T", "slug": "a".repeat(81)}), "slug"),
        cut("summary of 2001", post.clone(), articles, json!({"title": "T", "summary": long(2001)}), "summary"),
        cut("byline of 201", post.clone(), articles, json!({"title": "T", "byline": long(201)}), "byline"),
        cut("image URL of 2049", post.clone(), articles, json!({"title": "T", "feature_image_url": url(2049)}), "feature_image_url"),
        cut("tag of 201", post.clone(), articles, json!({"title": "T", "tags": [long(201)]}), "tags[0]"),
        cut("21 tags", post.clone(), articles, json!({"title": "T", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}), "tags"),
        cut("51 links", post.clone(), articles, json!({"title": "T", "related": vec![json!({"slug": "other"}); 51]}), "related"),
        cut("link URL of 2049", post.clone(), articles, link(json!({"url": url(2049), "summary": "S."})), "related[0].url"),
        cut("link summary of 2001", post.clone(), articles, link(json!({"url": "https://example.org/", "summary": long(2001)})), "related[0].summary"),
        cut("link title of 301", post.clone(), articles, link(json!({"url": "https://example.org/", "summary": "S.", "title": long(301)})), "related[0].title"),
        cut("title of 301", patch.clone(), "/api/v1/articles/probe", json!({"title": long(301)}), "title"),
        cut("summary of 2001", patch.clone(), "/api/v1/articles/probe", json!({"summary": long(2001)}), "summary"),
        cut("slug of 81", patch.clone(), "/api/v1/articles/probe", json!({"slug": "a".repeat(81)}), "slug"),
        cut("tag name of 201", post.clone(), "/api/v1/tags", json!({"name": long(201)}), "name"),
        cut("tag slug of 81", post.clone(), "/api/v1/tags", json!({"name": "N", "slug": "a".repeat(81)}), "slug"),
        cut("tag description of 2001", post.clone(), "/api/v1/tags", json!({"name": "N", "description": long(2001)}), "description"),
        cut("tag name of 201", patch.clone(), "/api/v1/tags/transport", json!({"name": long(201)}), "name"),
        cut("webhook URL of 2049", post.clone(), "/api/v1/webhooks", json!({"url": url(2049), "events": ["*"]}), "url"),
        cut("webhook secret of 257", post.clone(), "/api/v1/webhooks", json!({"url": "https://hooks.example.org/s", "events": ["*"], "secret": long(257)}), "secret"),
        cut("webhook secret of 15", post.clone(), "/api/v1/webhooks", json!({"url": "https://hooks.example.org/s", "events": ["*"], "secret": long(15)}), "secret"),
        cut("webhook URL of 2049", patch.clone(), "/api/v1/webhooks/1", json!({"url": url(2049)}), "url"),
        cut("51 links", put.clone(), "/api/v1/articles/probe/related", json!(vec![json!({"slug": "other"}); 51]), ""),
        cut("link summary of 2001", put, "/api/v1/articles/probe/related", json!([{"url": "https://example.org/", "summary": long(2001)}]), "[0].summary"),
        Case::get("51 tag filters", format!("/api/v1/articles?{}", (0..51).map(|i| format!("tag=t{i}")).collect::<Vec<_>>().join("&")), 400).naming("tag"),
        Case::get("1,000 tag filters in a search", format!("/api/v1/articles?q=probe{}", (0..1000).map(|i| format!("&tag=t{i}")).collect::<String>()), 400).naming("tag"),
        Case::get("overlong: q of 201", format!("/api/v1/articles?q={}", long(201)), 400).naming("q"),
        Case::get("overlong: q of 10,000", format!("/api/v1/articles?q={}", "word+".repeat(2000)), 400).naming("q"),
        Case::get("overlong: slug of 5,000 in the path", format!("/api/v1/articles/{}", long(5000)), 404),
        Case::get("overlong: tag slug of 5,000 in the path", format!("/api/v1/tags/{}", long(5000)), 404),
    ]);
    cases
}

#[rustfmt::skip]
fn invalid_utf8() -> Vec<Case> {
    let texts: &[(&str, &[u8])] = &[
        ("lone continuation byte", b"a\x80b"),
        ("byte FF", b"a\xffb"),
        ("overlong slash", b"a\xc0\xafb"),
        ("encoded surrogate", b"a\xed\xa0\x80b"),
        ("cut multi-byte character", b"a\xe2\x82"),
    ];
    let mut cases = Vec::new();
    for target in targets() {
        for (what, text) in texts {
            cases.push(target.case(format!("invalid UTF-8: {what}"), 400).json(target.with_text(text)));
        }
        let body = target.valid.to_string();
        let bom = [b"\xef\xbb\xbf".as_slice(), body.as_bytes()].concat();
        cases.push(target.case("a UTF-8 byte order mark", 400).json(bom));
        let utf16: Vec<u8> = body.encode_utf16().flat_map(u16::to_le_bytes).collect();
        cases.push(target.case("UTF-16 text", 400).json(utf16));
    }
    for uri in [
        "/api/v1/articles/%ff", "/api/v1/articles/%c0%ae%c0%ae", "/api/v1/articles/%ed%a0%80",
        "/api/v1/tags/%ff%fe", "/api/v1/articles/probe%ff",
    ] {
        cases.push(Case::get("invalid UTF-8 in the path", uri, 404));
    }
    for param in ["cursor", "limit", "sort", "fields", "published_after"] {
        let uri = format!("/api/v1/articles?{param}=%ff");
        cases.push(Case::get("invalid UTF-8 in the query", uri, 400).naming(param));
    }
    cases.push(Case::get("invalid UTF-8 as a parameter name", "/api/v1/articles?%ff=1", 400));
    cases
}

#[rustfmt::skip]
fn control_characters() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut escaped = |method: Method, uri: &str, body: Value, field: &str, what: &str| {
        cases.push(
            Case::new(format!("control character: {what} in {field}"), method, uri, 422)
                .json(body.to_string())
                .naming(field),
        );
    };
    let (post, patch) = (Method::POST, Method::PATCH);
    for (what, c) in [("NUL", "\u{0}"), ("ESC", "\u{1b}"), ("DEL", "\u{7f}"), ("NEL (C1)", "\u{85}"), ("backspace", "\u{8}")] {
        escaped(post.clone(), "/api/v1/articles", json!({"title": format!("a{c}b")}), "title", what);
        escaped(patch.clone(), "/api/v1/articles/probe", json!({"body": format!("a{c}b")}), "body", what);
    }
    let nul = "a\u{0}b";
    for (body, field) in [
        (json!({"title": "T", "summary": nul}), "summary"),
        (json!({"title": "T", "body": nul}), "body"),
        (json!({"title": "T", "byline": nul}), "byline"),
        (json!({"title": "T", "slug": nul}), "slug"),
        (json!({"title": "T", "tags": [nul]}), "tags[0]"),
        (json!({"title": "T", "feature_image_url": "https://example.org/\u{0}"}), "feature_image_url"),
        (json!({"title": "T", "related": [{"url": "https://example.org/", "summary": nul}]}), "related[0].summary"),
        (json!({"title": "T", "related": [{"url": "https://example.org/", "summary": "S.", "title": nul}]}), "related[0].title"),
    ] {
        escaped(post.clone(), "/api/v1/articles", body, field, "NUL");
    }
    escaped(post.clone(), "/api/v1/tags", json!({"name": nul}), "name", "NUL");
    escaped(post.clone(), "/api/v1/tags", json!({"name": "N", "description": nul}), "description", "NUL");
    escaped(patch.clone(), "/api/v1/tags/transport", json!({"name": "\u{1}"}), "name", "SOH");
    escaped(post.clone(), "/api/v1/webhooks", json!({"url": "https://hooks.example.org/\u{0}", "events": ["*"]}), "url", "NUL");
    escaped(post.clone(), "/api/v1/webhooks", json!({"url": "https://hooks.example.org/s", "events": ["*"], "secret": "0123456789abcdef\u{0}"}), "secret", "NUL");
    escaped(patch, "/api/v1/webhooks/1", json!({"secret": "0123456789 abcdef"}), "secret", "a space");
    // Nothing but white space is no title, whichever white space it is.
    for (what, title) in [("line separator", "\u{2028}"), ("no-break space", "\u{a0}"), ("ideographic space", "\u{3000}")] {
        escaped(post.clone(), "/api/v1/articles", json!({"title": title}), "title", what);
    }
    // Unescaped, a control character inside a JSON string is a syntax error.
    for (what, byte) in [("NUL", 0u8), ("US", 0x1f), ("newline", b'\n')] {
        let body = [br#"{"title": "a"#.as_slice(), &[byte], br#"b"}"#].concat();
        cases.push(Case::new(format!("raw {what} inside a JSON string"), post.clone(), "/api/v1/articles", 400).json(body));
    }
    cases
}

#[rustfmt::skip]
fn hostile_paths() -> Vec<Case> {
    let mut cases = Vec::new();
    for key in [
        "..%2F..%2Fetc%2Fpasswd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e", "%2e%2e%2f%2e%2e%2fhealthz",
        "%00", "probe%00", "probe%00.json", "%c0%ae%c0%ae%c0%af", "%", "%2", "%zz", "probe%",
        "..%5C..%5Cwindows", "%252e%252e%252f", "probe%2F..%2Fother", "probe%3Bother", "~root",
        "probe.json",
    ] {
        cases.push(Case::get(format!("path {key}"), format!("/api/v1/articles/{key}"), 404));
        cases.push(Case::get(format!("path {key}"), format!("/api/v1/tags/{key}"), 404));
    }
    // Writes to such paths must reach no article, above all not the probe.
    for key in ["..%2Fprobe", "probe%00", "%2e%2e", "..%2F..%2Fetc%2Fpasswd"] {
        cases.extend([
            Case::new(format!("delete {key}"), Method::DELETE, format!("/api/v1/articles/{key}"), 404),
            Case::new(format!("delete {key}"), Method::DELETE, format!("/api/v1/tags/{key}"), 404),
            Case::new(format!("patch {key}"), Method::PATCH, format!("/api/v1/articles/{key}"), 404)
                .json(r#"{"summary": "Changed."}"#),
            Case::new(format!("replace links of {key}"), Method::PUT, format!("/api/v1/articles/{key}/related"), 404)
                .json("[]"),
            Case::get(format!("webhook {key}"), format!("/api/v1/webhooks/{key}"), 404),
        ]);
    }
    for uri in [
        "/api/v1/articles/../../etc/passwd", "/api/v1/../../etc/passwd",
        "/api/v1/articles/probe/../../../etc/passwd", "/api/v1/webhooks/1%2F..%2F2", "/api/v1/webhooks/1.0",
        "/api/v1/webhooks/1%00", "/api/v1/webhooks/0x1", "/api/v1/articles/probe/revisions/1%00",
        "/api/v1/articles/probe/revisions/one", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
    ] {
        cases.push(Case::get("path", uri, 404));
    }
    cases
}

#[rustfmt::skip]
fn sql_like() -> Vec<Case> {
    let mut cases = Vec::new();
    for sql in [
        "' OR 1=1 --",
        "\"; DROP TABLE articles; --",
        "1 OR 1=1",
        "probe' --",
        "') UNION SELECT key_hash FROM api_keys --",
        "%' OR slug LIKE '%",
    ] {
        let e = enc(sql);
        cases.extend([
            Case::get(format!("SQL in the path: {sql}"), format!("/api/v1/articles/{e}"), 404),
            Case::get(format!("SQL in the path: {sql}"), format!("/api/v1/tags/{e}"), 404),
            Case::new(format!("SQL in a delete: {sql}"), Method::DELETE, format!("/api/v1/articles/{e}"), 404),
            Case::new(format!("SQL in a delete: {sql}"), Method::DELETE, format!("/api/v1/tags/{e}"), 404),
            Case::new(format!("SQL as a slug: {sql}"), Method::POST, "/api/v1/articles", 422)
                .json(json!({"title": "T", "slug": sql}).to_string())
                .naming("slug"),
            Case::new(format!("SQL as a tag slug: {sql}"), Method::POST, "/api/v1/tags", 422)
                .json(json!({"name": "N", "slug": sql}).to_string())
                .naming("slug"),
            Case::new(format!("SQL as a link: {sql}"), Method::PUT, "/api/v1/articles/probe/related", 422)
                .json(json!([{"slug": sql}]).to_string())
                .naming("[0].slug"),
        ]);
        for param in ["sort", "cursor", "fields", "published_after", "status", "limit"] {
            let uri = format!("/api/v1/articles?{param}={e}");
            cases.push(Case::get(format!("SQL in {param}: {sql}"), uri, 400).naming(param));
        }
    }
    cases
}

#[rustfmt::skip]
fn cursors() -> Vec<Case> {
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let mut cases = Vec::new();
    for cursor in [
        "not-a-cursor!".to_owned(),
        "====".to_owned(),
        "A".repeat(10_000),
        b64("pd|abc|1"),
        b64("pd|99999999999999999999|1"),
        b64("pd|9223372036854775807|1"),
        b64("pd|-9223372036854775808|1"),
        b64("pd|0|99999999999999999999"),
        b64("pd|0|1|extra"),
        b64("pa|0|1"),
        b64("slug|probe"),
        URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x7c]),
    ] {
        let shown: String = cursor.chars().take(24).collect();
        let uri = format!("/api/v1/articles?cursor={}", enc(&cursor));
        cases.push(Case::get(format!("cursor {shown}"), uri, 400).naming("cursor"));
    }
    // A search by relevance has cursors of its own: a rank that must be a finite number.
    for cursor in [b64("s|zz|1"), b64("s|7ff8000000000000|1"), b64("s|7ff0000000000000|1"), b64("pd|0|1")] {
        let uri = format!("/api/v1/articles?q=probe&cursor={cursor}");
        cases.push(Case::get(format!("search cursor {cursor}"), uri, 400).naming("cursor"));
    }
    for (list, cursor) in [
        ("/api/v1/tags", b64("pd|0|1")),
        ("/api/v1/tags", "%ff".to_owned()),
        ("/api/v1/webhooks", b64("webhook-id|one")),
        ("/api/v1/webhooks", b64("-delivery-id|1")),
        ("/api/v1/webhooks/1/deliveries", b64("-delivery-id|99999999999999999999")),
        ("/api/v1/webhooks/1/deliveries", b64("slug|1")),
        ("/api/v1/articles/probe/revisions", "garbage".to_owned()),
    ] {
        cases.push(Case::get(format!("cursor {cursor}"), format!("{list}?cursor={cursor}"), 400).naming("cursor"));
    }
    cases
}

#[rustfmt::skip]
fn query_parameters() -> Vec<Case> {
    let mut cases = Vec::new();
    // Only `tag` may repeat: any other parameter given twice is ambiguous.
    for (uri, name) in [
        ("/api/v1/articles?limit=5&limit=6", "limit"),
        ("/api/v1/articles?limit=5&limit=5", "limit"),
        ("/api/v1/articles?sort=published_at&sort=-updated_at", "sort"),
        ("/api/v1/articles?q=probe&q=other", "q"),
        ("/api/v1/articles?fields=slug&fields=title", "fields"),
        ("/api/v1/articles?cursor=a&cursor=b", "cursor"),
        ("/api/v1/articles?published_after=2026-01-01T00:00:00Z&published_after=2026-01-02T00:00:00Z", "published_after"),
        ("/api/v1/articles?status=draft&status=published", "status"),
        ("/api/v1/tags?limit=1&limit=2", "limit"),
        ("/api/v1/webhooks?limit=1&limit=2", "limit"),
        ("/api/v1/webhooks/1/deliveries?limit=1&limit=2", "limit"),
        ("/api/v1/articles/probe/related?limit=1&limit=2", "limit"),
        ("/api/v1/articles/probe?fields=slug&fields=title", "fields"),
        ("/api/v1/articles/probe/revisions?limit=1&limit=2", "limit"),
    ] {
        cases.push(Case::get("duplicate parameter", uri, 400).naming(name));
    }
    for (uri, name) in [
        ("/api/v1/articles?page=2", "page"),
        ("/api/v1/articles?limit%5B%5D=5", "limit[]"),
        ("/api/v1/articles?LIMIT=5", "LIMIT"),
        ("/api/v1/articles/probe?limit=5", "limit"),
        ("/api/v1/tags?q=probe", "q"),
        ("/api/v1/articles/probe/related?cursor=x", "cursor"),
        ("/api/v1/articles?fields=", "fields"),
        ("/api/v1/articles?fields=slug,,title", "fields"),
        ("/api/v1/articles?status=bogus", "status"),
    ] {
        cases.push(Case::get("unknown or empty parameter", uri, 400).naming(name));
    }
    cases
}

#[rustfmt::skip]
fn sizes() -> Vec<Case> {
    let mut cases = Vec::new();
    for target in targets() {
        // Valid JSON in every other respect, so that only the size is wrong.
        let padding = vec![b'a'; MIB + 1];
        cases.push(target.case("body of 1 MiB + 1", 413).json(target.with_text(&padding)));
    }
    // The limit holds for a body whose Content-Length lies or is not a number.
    for uri in ["/api/v1/articles", "/api/v1/tags"] {
        let small = r#"{"title": "T", "name": "N"}"#;
        cases.push(
            Case::new("Content-Length says 2 MiB", Method::POST, uri, 413)
                .json(small)
                .header("content-length", (2 * MIB).to_string()),
        );
        for length in ["abc", "-1"] {
            cases.push(Case::new(format!("Content-Length {length}"), Method::POST, uri, 400).json(small).header("content-length", length));
        }
    }
    // No content coding is decoded: a compressed body is refused unread, even one that
    // would inflate past the limit (tests/encoded_bodies.rs sends real bombs).
    let inflated = [br#"{"title": ""#.as_slice(), &vec![b' '; 2 * MIB], br#""}"#].concat();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&inflated).unwrap();
    let gz = gz.finish().unwrap();
    cases.extend([
        Case::new("gzip bomb", Method::POST, "/api/v1/articles", 415).json(gz).header("content-encoding", "gzip"),
        Case::new("gzip that is not gzip", Method::POST, "/api/v1/articles", 415)
            .json(r#"{"title": "Not gzip"}"#)
            .header("content-encoding", "gzip"),
        Case::new("import declaring 300 MiB", Method::POST, "/api/v1/import", 413)
            .body(Some("application/x-ndjson"), "{}\n")
            .header("content-length", (300 * MIB).to_string()),
    ]);
    cases
}

#[rustfmt::skip]
fn deep_nesting() -> Vec<Case> {
    let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = |n: usize| format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    let mut cases = Vec::new();
    for target in targets() {
        cases.push(target.case("10,000 nested arrays", 400).json(arrays(10_000)));
        cases.push(target.case("10,000 nested objects", 400).json(objects(10_000)));
    }
    let articles = "/api/v1/articles";
    cases.extend([
        Case::new("10,000 nested arrays as the title", Method::POST, articles, 400)
            .json(format!(r#"{{"title": {}}}"#, arrays(10_000))),
        // Shallow enough to parse: then it is the field's type that is wrong.
        Case::new("100 nested arrays as the tags", Method::POST, articles, 422)
            .json(format!(r#"{{"title": "T", "tags": {}}}"#, arrays(100)))
            .naming("tags"),
        Case::new("100 nested objects as the summary", Method::POST, articles, 422)
            .json(format!(r#"{{"title": "T", "summary": {}}}"#, objects(100)))
            .naming("summary"),
        Case::new("10,000 nested arrays in an import line", Method::POST, "/api/v1/import", 422)
            .body(Some("application/x-ndjson"), arrays(10_000))
            .naming("line 1"),
    ]);
    cases
}

#[rustfmt::skip]
fn unknown_fields() -> Vec<Case> {
    let (post, patch, put) = (Method::POST, Method::PATCH, Method::PUT);
    let articles = "/api/v1/articles";
    let cases = [
        (&post, articles, json!({"title": "T", "tittle": "x"}), "tittle"),
        (&post, articles, json!({"title": "T", "id": 99}), "id"),
        (&post, articles, json!({"title": "T", "body_html": "<script>alert(1)</script>"}), "body_html"),
        (&post, articles, json!({"title": "T", "created_at": "2020-01-01T00:00:00Z"}), "created_at"),
        (&post, articles, json!({"title": "T", "word_count": 1}), "word_count"),
        (&post, articles, json!({"title": "T", "__proto__": {"admin": true}}), "__proto__"),
        (&post, articles, json!({"Title": "T"}), "Title"),
        (&patch, "/api/v1/articles/probe", json!({"id": 2}), "id"),
        (&patch, "/api/v1/articles/probe", json!({"updated_at": "2020-01-01T00:00:00Z"}), "updated_at"),
        (&patch, "/api/v1/articles/probe", json!({"share": {}}), "share"),
        (&put, "/api/v1/articles/probe/related", json!([{"slug": "other", "position": 1}]), "position"),
        (&put, "/api/v1/articles/probe/related", json!([{"url": "https://example.org/", "summary": "S.", "kind": "external"}]), "kind"),
        (&post, "/api/v1/tags", json!({"name": "N", "color": "red"}), "color"),
        (&post, "/api/v1/tags", json!({"name": "N", "article_count": 5}), "article_count"),
        (&patch, "/api/v1/tags/transport", json!({"id": 1}), "id"),
        (&post, "/api/v1/webhooks", json!({"url": "https://hooks.example.org/u", "events": ["*"], "headers": {}}), "headers"),
        (&patch, "/api/v1/webhooks/1", json!({"id": 2}), "id"),
    ];
    cases
        .into_iter()
        .map(|(method, uri, body, field)| {
            Case::new(format!("unknown field {field}"), method.clone(), uri, 422)
                .json(body.to_string())
                .naming(field)
        })
        .collect()
}

fn content_types() -> Vec<Case> {
    let types: &[&[u8]] = &[
        b"text/plain",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=x",
        b"application/xml",
        b"application/x-json",
        b"json",
        b"!!!",
        b"application/\xff",
    ];
    let mut cases = Vec::new();
    for target in targets() {
        let body = target.valid.to_string();
        for ct in types {
            let name = format!("Content-Type {}", String::from_utf8_lossy(ct));
            cases.push(
                target
                    .case(name, 415)
                    .body(None, body.clone())
                    .header("content-type", *ct),
            );
        }
        cases.push(target.case("no Content-Type", 415).body(None, body));
    }
    let line = r#"{"type":"tag","slug":"never-tag","name":"Never Tag"}"#;
    for ct in [
        Some("application/json"),
        Some("text/plain"),
        Some("application/x-ndjsonx"),
        None,
    ] {
        let name = format!("import as {ct:?}");
        cases.push(Case::new(name, Method::POST, "/api/v1/import", 415).body(ct, line));
    }
    cases
}

#[rustfmt::skip]
fn methods() -> Vec<Case> {
    let purge = Method::from_bytes(b"PURGE").unwrap();
    let cases: [(Method, &str, &'static [&'static str]); 17] = [
        (Method::PUT, "/api/v1/articles", &["GET", "POST"]),
        (Method::DELETE, "/api/v1/articles", &["GET", "POST"]),
        (Method::TRACE, "/api/v1/articles", &["GET", "POST"]),
        (Method::POST, "/api/v1/articles/probe", &["GET", "PATCH", "DELETE"]),
        (purge, "/api/v1/articles/probe", &["GET", "PATCH", "DELETE"]),
        (Method::DELETE, "/api/v1/articles/probe/related", &["GET", "PUT"]),
        (Method::PATCH, "/api/v1/tags", &["GET", "POST"]),
        (Method::POST, "/api/v1/tags/transport", &["GET", "PATCH", "DELETE"]),
        (Method::PUT, "/api/v1/webhooks", &["GET", "POST"]),
        (Method::POST, "/api/v1/webhooks/1", &["GET", "PATCH", "DELETE"]),
        (Method::DELETE, "/api/v1/webhooks/1/deliveries", &["GET"]),
        (Method::GET, "/api/v1/webhooks/1/deliveries/1/redeliver", &["POST"]),
        (Method::GET, "/api/v1/import", &["POST"]),
        (Method::DELETE, "/api/v1/import", &["POST"]),
        (Method::DELETE, "/api/v1/articles/probe/revisions", &["GET"]),
        (Method::DELETE, "/healthz", &["GET"]),
        (Method::PUT, "/feed.atom", &["GET"]),
    ];
    cases
        .into_iter()
        .map(|(method, uri, allow)| {
            // With the admin key and a body, so that only the method is wrong.
            Case::new(format!("method {method}"), method, uri, 405)
                .json(r#"{"title": "Sneaky", "name": "Sneaky"}"#)
                .allow(allow)
        })
        .collect()
}

#[rustfmt::skip]
fn import() -> Vec<Case> {
    let tag = r#"{"type":"tag","slug":"never-tag","name":"Never Tag"}"#;
    // All or nothing: where a valid line comes first, the import must not keep it.
    let lines: Vec<(&str, String, &str)> = vec![
        ("truncated line", tag[..30].to_owned(), "line 1"),
        ("valid line then a truncated one", format!("{tag}\n{}", &tag[..30]), "line 2"),
        ("a raw NUL in a string", format!("{tag}\n{{\"type\":\"tag\",\"slug\":\"x\",\"name\":\"a\u{0}b\"}}"), "line 2"),
        ("unknown field", r#"{"type":"tag","slug":"never-tag","name":"N","colour":"red"}"#.to_owned(), "colour"),
        ("slug a number", r#"{"type":"tag","slug":5,"name":"N"}"#.to_owned(), "slug"),
        ("NUL in a name", r#"{"type":"tag","slug":"never-tag","name":"a\u0000b"}"#.to_owned(), "name"),
        ("SQL as a slug", r#"{"type":"tag","slug":"' OR 1=1 --","name":"N"}"#.to_owned(), "slug"),
        ("version 2", r#"{"type":"gazette-export","version":2}"#.to_owned(), "version"),
        ("header not first", format!("{tag}\n{{\"type\":\"gazette-export\",\"version\":1}}"), "line 2"),
        ("unknown type", r#"{"type":"user","name":"root"}"#.to_owned(), "type"),
        ("no type", r#"{"slug":"never-tag","name":"N"}"#.to_owned(), "type"),
        ("an array", "[1,2]".to_owned(), "line 1"),
        ("published without a date", r#"{"type":"article","slug":"never-stored","title":"T","status":"published"}"#.to_owned(), "published_at"),
        ("unknown tag", r#"{"type":"article","slug":"never-stored","title":"T","tags":["no-such-tag"]}"#.to_owned(), "line 1"),
        ("title of 301", format!(r#"{{"type":"article","slug":"never-stored","title":"{}"}}"#, "x".repeat(301)), "title"),
        ("a link as an array", r#"{"type":"article","slug":"never-stored","title":"T","related":[["other"]]}"#.to_owned(), "related[0]"),
        ("valid tag, then an invalid article", format!("{tag}\n{{\"type\":\"article\",\"slug\":\"Bad Slug\",\"title\":\"T\"}}"), "line 2"),
    ];
    let mut cases: Vec<Case> = lines
        .into_iter()
        .map(|(what, body, field)| {
            Case::new(format!("import: {what}"), Method::POST, "/api/v1/import", 422)
                .body(Some("application/x-ndjson"), body)
                .naming(field)
        })
        .collect();
    let not_utf8 = [tag.as_bytes(), b"\n{\"type\":\"tag\",\"slug\":\"x\",\"name\":\"\xff\"}"].concat();
    cases.push(
        Case::new("import: invalid UTF-8", Method::POST, "/api/v1/import", 422)
            .body(Some("application/x-ndjson"), not_utf8)
            .naming("line 2"),
    );
    cases
}

#[rustfmt::skip]
fn auth() -> Vec<Case> {
    let post = |name: &str, key: Key, status| {
        Case::new(name, Method::POST, "/api/v1/articles", status).json(r#"{"title": "Unauthorized"}"#).key(key)
    };
    let raw = |value: &[u8]| Key::Raw(value.to_vec());
    vec![
        post("no key", Key::Anonymous, 401),
        post("content key", Key::Content, 403),
        post("Bearer without a key", raw(b"Bearer"), 401),
        post("Bearer and spaces", raw(b"Bearer    "), 401),
        post("Basic credentials", raw(b"Basic YWRtaW46YWRtaW4="), 401),
        post("SQL as the key", raw(b"Bearer ' OR 1=1 --"), 401),
        post("a non-UTF-8 key", raw(b"Bearer \xff\xfe"), 401),
        post("a key of 10,000", Key::Raw(format!("Bearer gz_{}", "a".repeat(10_000)).into_bytes()), 401),
        Case::new("delete without a key", Method::DELETE, "/api/v1/articles/probe", 401).key(Key::Anonymous),
        Case::new("delete with a content key", Method::DELETE, "/api/v1/articles/probe", 403).key(Key::Content),
        Case::new("import without a key", Method::POST, "/api/v1/import", 401)
            .body(Some("application/x-ndjson"), r#"{"type":"tag","slug":"never-tag","name":"N"}"#)
            .key(Key::Anonymous),
        Case::get("webhooks with a content key", "/api/v1/webhooks", 403).key(Key::Content),
        Case::get("drafts without a key", "/api/v1/articles?status=draft", 401).key(Key::Anonymous),
        Case::get("a draft without a key", "/api/v1/articles/draft-one", 404).key(Key::Anonymous),
    ]
}

#[rustfmt::skip]
fn conflicts_and_preconditions() -> Vec<Case> {
    let (post, patch, put) = (Method::POST, Method::PATCH, Method::PUT);
    let related = "/api/v1/articles/probe/related";
    vec![
        Case::new("taken slug", post.clone(), "/api/v1/articles", 409)
            .json(r#"{"title": "Again", "slug": "probe", "tags": ["Never Tag"]}"#),
        Case::new("rename onto a taken slug", patch.clone(), "/api/v1/articles/other", 409).json(r#"{"slug": "probe"}"#),
        Case::new("taken tag name", post.clone(), "/api/v1/tags", 409).json(r#"{"name": "Transport"}"#),
        Case::new("link to itself", put.clone(), related, 422).json(r#"[{"slug": "probe"}]"#).naming("[0]"),
        Case::new("link to nothing", put.clone(), related, 422).json(r#"[{"slug": "no-such-article"}]"#).naming("[0]"),
        Case::new("stale If-Match", patch.clone(), "/api/v1/articles/probe", 412)
            .json(r#"{"summary": "Stale."}"#)
            .header("if-match", "\"stale\""),
        Case::new("non-UTF-8 If-Match", patch, "/api/v1/articles/probe", 412)
            .json(r#"{"summary": "Stale."}"#)
            .header("if-match", b"\"\xff\xfe\"".to_vec()),
        Case::new("stale If-Match on a delete", Method::DELETE, "/api/v1/articles/probe", 412).header("if-match", "W/\"x\""),
        Case::new("stale If-Match on links", put.clone(), related, 412).json("[]").header("if-match", "\"x\""),
        Case::new("file: webhook", post.clone(), "/api/v1/webhooks", 422)
            .json(r#"{"url": "file:///etc/passwd", "events": ["*"]}"#)
            .naming("url"),
        Case::new("javascript: image", post.clone(), "/api/v1/articles", 422)
            .json(r#"{"title": "T", "feature_image_url": "javascript:alert(1)"}"#)
            .naming("feature_image_url"),
        Case::new("data: link", put, related, 422)
            .json(r#"[{"url": "data:text/html,<script>alert(1)</script>", "summary": "S."}]"#)
            .naming("[0].url"),
        Case::new("unknown event", post.clone(), "/api/v1/webhooks", 422)
            .json(r#"{"url": "https://hooks.example.org/e", "events": ["article.*", "user.created"]}"#)
            .naming("events[1]"),
        Case::new("no events", post, "/api/v1/webhooks", 422)
            .json(r#"{"url": "https://hooks.example.org/e", "events": []}"#)
            .naming("events"),
    ]
}

/// Every hostile case, grouped by what it tries.
fn table() -> Vec<Case> {
    [
        malformed_json(),
        truncated_json(),
        wrong_types(),
        nulls(),
        numbers_and_dates(),
        overlong_strings(),
        invalid_utf8(),
        control_characters(),
        hostile_paths(),
        sql_like(),
        cursors(),
        query_parameters(),
        sizes(),
        deep_nesting(),
        unknown_fields(),
        content_types(),
        methods(),
        import(),
        auth(),
        conflicts_and_preconditions(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[track_caller]
fn assert_no_failures(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn hostile_requests_are_4xx_problems_that_write_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = table();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let failures = run_table(&ctx, &app, &cases).await;
    assert_no_failures(&failures, cases.len());
}

/// The table breaks valid bodies one way at a time; were those bodies not valid to begin
/// with, a case could pass for the wrong reason.
#[actix_web::test]
async fn the_bodies_the_table_breaks_are_accepted_when_whole() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for target in targets() {
        let req = ctx.admin(json(target.method.clone(), target.uri, &target.valid));
        let res = send(&app, req).await;
        assert!(
            res.status.is_success(),
            "{} {} with {}: {} {}",
            target.method,
            target.uri,
            target.valid,
            res.status,
            excerpt(&res.body)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Odd but valid.
// ---------------------------------------------------------------------------------------

/// Inputs that look like attacks on the search or the filters but are ordinary text: each is
/// a 200 list (search operators are words to look for, not syntax), and a filter by a tag
/// no article has finds nothing.
#[rustfmt::skip]
fn odd_but_valid() -> Vec<Case> {
    let queries = [
        "NEAR(", "NEAR(probe harbour, 2)", "probe NEAR/2 harbour", "\"", "\"unbalanced", "\"probe\"",
        "*", "harb*", "*harb", "AND OR NOT", "probe AND", "OR", "NOT probe", "title:probe", "body:",
        "{title body}: probe", "^probe", "(", ")", "((probe", "probe)", "-probe", "+probe",
        "' OR 1=1 --", "\"; DROP TABLE articles; --", "SELECT * FROM api_keys", "%", "_", "\\", ";",
        "/*", "\u{0}", "\u{202e}probe", "🦀 probe", "ｐｒｏｂｅ",
    ];
    let search = |q: &str| format!("/api/v1/articles?q={}", enc(q));
    let mut cases: Vec<Case> = queries.iter().map(|q| Case::get(format!("search {q:?}"), search(q), 200)).collect();
    cases.extend([
        Case::get("search of exactly 200", search(&"a".repeat(200)), 200),
        Case::get("search of 200 two-byte characters", search(&"é".repeat(200)), 200),
        Case::get("search, sorted, with operators", format!("{}&sort=-updated_at", search("probe OR *")), 200),
        Case::get("search with a SQL tag", format!("{}&tag={}", search("probe"), enc("' OR 1=1 --")), 200).empty(),
    ]);
    for tag in ["' OR 1=1 --", "\"; DROP TABLE articles; --", "transport' --", "%", "_", "*", "\u{0}", "transport OR 1=1"] {
        cases.push(Case::get(format!("tag {tag:?}"), format!("/api/v1/articles?tag={}", enc(tag)), 200).empty());
    }
    for date in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-01-01T10:00:00.999999999+14:00"] {
        let uri = format!("/api/v1/articles?published_after={}", enc(date));
        cases.push(Case::get(format!("published_after {date}"), uri, 200));
    }
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    // Each tag filter is a condition of its own; the most the API takes is still a query.
    let tags: String = (0..50).map(|i| format!("&tag=t{i}")).collect();
    cases.extend([
        Case::get("tag of invalid UTF-8", "/api/v1/articles?tag=%ff", 200).empty(),
        Case::get("empty tag", "/api/v1/articles?tag=", 200).empty(),
        Case::get("an empty cursor: the first page", "/api/v1/articles?cursor=", 200),
        Case::get("a cursor with a negative id", format!("/api/v1/articles?cursor={}", b64("pd|0|-1")), 200),
        Case::get("a tag cursor holding SQL", format!("/api/v1/tags?cursor={}", b64("slug|' OR 1=1 --")), 200),
        Case::get("limit +5", "/api/v1/articles?limit=%2B5", 200),
        Case::get("a bare ampersand", "/api/v1/articles?&&", 200),
        Case::get("50 tag filters", format!("/api/v1/articles?limit=5{tags}"), 200).empty(),
        Case::get("50 tag filters in a search", format!("/api/v1/articles?q=probe{tags}"), 200).empty(),
    ]);
    cases
}

#[actix_web::test]
async fn odd_but_valid_inputs_are_ordinary_answers() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = odd_but_valid();
    let failures = run_table(&ctx, &app, &cases).await;
    assert_no_failures(&failures, cases.len());
}

// ---------------------------------------------------------------------------------------
// Header limits, on the real server.
// ---------------------------------------------------------------------------------------

/// A running `gazette serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    log: std::path::PathBuf,
}

impl Server {
    fn start(dir: &std::path::Path) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join("server.log");
        let child = gazette(dir, &dir.join("hostile.db"))
            .args(["serve", "--bind", &addr])
            .env("WORKERS", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("gazette serve starts");
        let mut server = Self { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited early ({status}):\n{}", server.log());
            }
            if server
                .raw(&server.head("/healthz", ""))
                .is_ok_and(|r| r.status == 200)
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not come up:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A GET of `path` with `extra` header lines (each ending in CRLF).
    fn head(&self, path: &str, extra: &str) -> String {
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{extra}\r\n",
            self.addr
        )
    }

    /// Sends `request` as it is and reads the answer until the server closes.
    fn raw(&self, request: &str) -> std::io::Result<RawResponse> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        // The server may answer and close before reading all of an oversized head; what
        // matters is what it answered.
        let written = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let read = stream.read_to_end(&mut answer);
        if answer.is_empty() {
            written?;
            read?;
        }
        RawResponse::parse(&answer)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Debug)]
struct RawResponse {
    status: u16,
    content_type: Option<String>,
    body: String,
}

impl RawResponse {
    fn parse(bytes: &[u8]) -> std::io::Result<Self> {
        let text = String::from_utf8_lossy(bytes);
        let invalid = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not HTTP: {text:?}"),
            )
        };
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(invalid)?;
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(invalid)?;
        let content_type = lines.find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        });
        Ok(Self {
            status,
            content_type,
            body: body.to_owned(),
        })
    }

    fn is_problem(&self, status: u16) -> bool {
        self.content_type.as_deref() == Some("application/problem+json")
            && serde_json::from_str::<Value>(&self.body).is_ok_and(|p| p["status"] == status)
    }
}

/// Oversized request heads: each must be refused with 431, and the server must go on
/// answering. Actix's own parser refuses heads past its buffer (128 KiB) or with more than
/// 96 headers; a head below that reaches the app, which must refuse an oversized header
/// itself, as problem details.
#[test]
fn oversized_headers_are_431_and_the_server_survives() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let big = |kib: usize| format!("X-Big: {}\r\n", "a".repeat(kib * 1024));
    let many: String = (0..200)
        .map(|i| format!("X-Header-{i}: value\r\n"))
        .collect();
    // (case, extra header lines, whether the answer must be problem details)
    let cases = [
        ("a 20 KiB header value", big(20), true),
        ("a 100 KiB header value", big(100), false),
        ("200 headers", many, false),
        (
            "a 200 KiB header value (past actix's buffer)",
            big(200),
            false,
        ),
    ];
    let mut failures = Vec::new();
    for (case, extra, problem) in cases {
        match server.raw(&server.head("/api/v1/articles", &extra)) {
            Ok(res) => {
                eprintln!(
                    "{case}: {} {:?} {}",
                    res.status,
                    res.content_type,
                    excerpt(res.body.as_bytes())
                );
                if res.status != 431 {
                    failures.push(format!("{case}: expected 431, got {res:?}"));
                } else if problem && !res.is_problem(431) {
                    failures.push(format!("{case}: 431 but not problem details: {res:?}"));
                }
            }
            Err(e) => failures.push(format!("{case}: no answer: {e}")),
        }
        match server.raw(&server.head("/healthz", "")) {
            Ok(res) if res.status == 200 => {}
            other => failures.push(format!("after {case}: /healthz answers {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}\nserver log:\n{}",
        failures.len(),
        failures.join("\n"),
        server.log()
    );
}
