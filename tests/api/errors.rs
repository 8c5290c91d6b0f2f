//! Error responses: every failure is RFC 9457 problem details with the right 4xx status, names
//! the offending field where it can, and leaves the stored content exactly as it was.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

/// The stored content as the public lists show it (see [`content_snapshot`]).
async fn snapshot(ctx: &Ctx, app: &TestApp) -> Value {
    content_snapshot(ctx, app, Lists::Public).await
}

/// Three published articles (`alpha`, `beta` relating to `alpha` and an external page,
/// `gamma`) and the tags `transport` and `city-hall`.
async fn seed(ctx: &Ctx, app: &TestApp) {
    create_article(
        ctx,
        app,
        json!({"title": "Alpha", "slug": "alpha", "status": "published",
               "published_at": "2026-01-01T10:00:00Z", "tags": ["Transport"]}),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({"title": "Beta", "slug": "beta", "status": "published",
               "published_at": "2026-01-02T10:00:00Z", "tags": ["City Hall", "transport"],
               "related": [{"slug": "alpha"},
                           {"url": "https://example.org/report", "summary": "The report."}]}),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({"title": "Gamma", "slug": "gamma", "status": "published",
               "published_at": "2026-01-03T10:00:00Z", "body": "Some *words*."}),
    )
    .await;
}

/// The `field` of every `errors[]` entry, checking each has a message.
#[track_caller]
fn error_fields(problem: &Value) -> Vec<String> {
    let errors = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors[] in {problem}"));
    assert!(!errors.is_empty(), "empty errors[] in {problem}");
    errors
        .iter()
        .map(|e| {
            let message = e["message"].as_str().unwrap_or("");
            assert!(!message.trim().is_empty(), "error without a message: {e}");
            e["field"]
                .as_str()
                .unwrap_or_else(|| panic!("error without a field: {e}"))
                .to_owned()
        })
        .collect()
}

#[track_caller]
fn assert_fields(problem: &Value, expected: &[&str], case: &str) {
    let fields = error_fields(problem);
    for want in expected {
        assert!(
            fields.iter().any(|f| f == want),
            "{case}: expected an error for field `{want}`, got {fields:?} in {problem}"
        );
    }
}

/// Asserts the stored content did not change.
#[track_caller]
fn assert_unchanged(before: &Value, after: &Value, case: &str) {
    if let Some(diff) = first_difference(before, after, "") {
        panic!("{case}: a rejected request changed the stored content at {diff}");
    }
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// 400: bodies that are not JSON

#[actix_web::test]
async fn malformed_json_bodies_are_400() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;

    // Syntax errors before anything could be judged by shape.
    let anywhere: &[(&str, &str)] = &[
        ("not json at all", "title=hello"),
        ("bare word", "hello"),
        ("empty body", ""),
        ("only whitespace", "  \n "),
        ("unclosed string", "\"abc"),
    ];
    // Object-shaped bodies; `KEY` becomes a field the endpoint knows (`title` or `name`) so
    // that only the syntax is wrong.
    let objects: &[(&str, &str)] = &[
        ("malformed", r#"{"KEY": }"#),
        ("single quotes", "{'KEY': 'x'}"),
        ("unquoted key", "{KEY: \"x\"}"),
        ("trailing comma", r#"{"KEY": "x",}"#),
        ("truncated", r#"{"KEY": "Truncated head"#),
        ("truncated after a key", r#"{"KEY""#),
        ("trailing garbage", r#"{"KEY": "Garbage after"} xyz"#),
        ("two documents", r#"{"KEY": "One"}{"KEY": "Two"}"#),
        ("comment", r#"{"KEY": "x" /* comment */}"#),
        ("NaN", r#"{"KEY": NaN}"#),
        ("invalid escape", r#"{"KEY": "\q"}"#),
        ("lone surrogate", r#"{"KEY": "\ud800"}"#),
    ];
    let arrays: &[(&str, &str)] = &[
        ("malformed link", r#"[{"slug": }]"#),
        ("truncated", r#"[{"slug": "alpha"}"#),
        ("trailing comma", r#"[{"slug": "alpha"},]"#),
        ("trailing garbage", r#"[] xyz"#),
        ("two documents", r#"[][]"#),
    ];
    let object_endpoints = [
        (Method::POST, "/api/v1/articles", "title"),
        (Method::PATCH, "/api/v1/articles/alpha", "title"),
        (Method::POST, "/api/v1/tags", "name"),
        (Method::PATCH, "/api/v1/tags/transport", "name"),
    ];
    let related = (Method::PUT, "/api/v1/articles/beta/related");
    let mut cases = Vec::new();
    for (case, body) in anywhere {
        for (method, uri, _) in &object_endpoints {
            cases.push((*case, method.clone(), *uri, (*body).to_owned()));
        }
        cases.push((*case, related.0.clone(), related.1, (*body).to_owned()));
    }
    for (case, body) in objects {
        for (method, uri, key) in &object_endpoints {
            cases.push((*case, method.clone(), *uri, body.replace("KEY", key)));
        }
    }
    for (case, body) in arrays {
        cases.push((*case, related.0.clone(), related.1, (*body).to_owned()));
    }
    for (case, method, uri, body) in cases {
        let req = ctx.admin(raw(
            method.clone(),
            uri,
            Some("application/json"),
            body.clone(),
        ));
        let res = send(&app, req).await;
        assert!(
            res.status.as_u16() == 400,
            "{case} on {method} {uri} with {body}: expected 400, got {} {}",
            res.status,
            String::from_utf8_lossy(&res.body)
        );
        let problem = res.problem(400);
        assert!(
            detail(&problem).contains("not valid JSON"),
            "{case}: the detail should say the body is not valid JSON: {problem}"
        );
    }
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "malformed JSON");
}

// ---------------------------------------------------------------------------------------
// 400: query strings

#[actix_web::test]
async fn bad_limit_values_are_400_naming_limit() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for list in ["/api/v1/articles", "/api/v1/tags"] {
        for bad in [
            "0",
            "101",
            "-1",
            "abc",
            "1.5",
            "20x",
            "%201",
            "99999999999999999999",
        ] {
            let uri = format!("{list}?limit={bad}");
            let problem = send(&app, get(&uri)).await.problem(400);
            assert_fields(&problem, &["limit"], &uri);
            assert!(detail(&problem).contains("limit"), "{uri}: {problem}");
        }
        // The bounds themselves are fine.
        for good in ["1", "100"] {
            get_json(&app, &format!("{list}?limit={good}")).await;
        }
    }
}

#[actix_web::test]
async fn bad_sort_is_400_naming_sort() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for bad in [
        "bogus",
        "title",
        "-title",
        "PUBLISHED_AT",
        "updated_at",
        "%20-published_at",
    ] {
        let uri = format!("/api/v1/articles?sort={bad}");
        let problem = send(&app, get(&uri)).await.problem(400);
        assert_fields(&problem, &["sort"], &uri);
    }
    for good in ["-published_at", "published_at", "-updated_at"] {
        get_json(&app, &format!("/api/v1/articles?sort={good}")).await;
    }
}

#[actix_web::test]
async fn invalid_cursors_are_400_naming_cursor() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    // A tag cursor is valid base64 of the right shape for another list.
    let tag_page = get_json(&app, "/api/v1/tags?limit=1").await;
    let tag_cursor = tag_page["meta"]["next_cursor"]
        .as_str()
        .expect("a next tag page")
        .to_owned();
    let article_page = get_json(&app, "/api/v1/articles?limit=1").await;
    let article_cursor = article_page["meta"]["next_cursor"]
        .as_str()
        .expect("a next article page")
        .to_owned();

    let mut cases = vec![
        ("/api/v1/articles".to_owned(), "not-a-cursor!".to_owned()),
        ("/api/v1/articles".to_owned(), "AAAA".to_owned()),
        ("/api/v1/articles".to_owned(), "cGR8eHx5".to_owned()), // "pd|x|y"
        ("/api/v1/articles".to_owned(), tag_cursor.clone()),
        ("/api/v1/tags".to_owned(), "not-a-cursor!".to_owned()),
        ("/api/v1/tags".to_owned(), article_cursor.clone()),
    ];
    // A cursor issued for one sort order is not valid for another.
    cases.push((
        "/api/v1/articles?sort=published_at".to_owned(),
        article_cursor.clone(),
    ));
    cases.push((
        "/api/v1/articles?sort=-updated_at".to_owned(),
        article_cursor.clone(),
    ));
    for (list, cursor) in cases {
        let sep = if list.contains('?') { '&' } else { '?' };
        let uri = format!("{list}{sep}limit=1&cursor={cursor}");
        let problem = send(&app, get(&uri)).await.problem(400);
        assert_fields(&problem, &["cursor"], &uri);
    }
    // The cursor does work with the order that issued it.
    let next = send(
        &app,
        get(&format!("/api/v1/articles?limit=1&cursor={article_cursor}")),
    )
    .await
    .ok(200);
    assert_eq!(next["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn cursor_from_descending_sort_is_rejected_by_ascending_sort() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let page = get_json(&app, "/api/v1/articles?sort=-published_at&limit=1").await;
    let cursor = page["meta"]["next_cursor"].as_str().unwrap();
    let uri = format!("/api/v1/articles?sort=published_at&limit=1&cursor={cursor}");
    let problem = send(&app, get(&uri)).await.problem(400);
    assert_fields(&problem, &["cursor"], &uri);
}

#[actix_web::test]
async fn unknown_and_repeated_query_parameters_are_400() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for uri in [
        "/api/v1/articles?foo=1",
        "/api/v1/articles?limit=5&page=2",
        "/api/v1/articles?Limit=5",
        "/api/v1/tags?tag=transport",
        "/api/v1/tags?sort=slug",
    ] {
        let problem = send(&app, get(uri)).await.problem(400);
        let name = uri
            .rsplit('&')
            .next()
            .unwrap()
            .split('?')
            .next_back()
            .unwrap();
        let name = name.split('=').next().unwrap();
        assert!(
            detail(&problem).contains(name),
            "{uri}: the detail should name `{name}`: {problem}"
        );
    }
    for (uri, name) in [
        ("/api/v1/articles?limit=5&limit=6", "limit"),
        ("/api/v1/articles?limit=5&limit=5", "limit"),
        (
            "/api/v1/articles?sort=published_at&sort=-updated_at",
            "sort",
        ),
        ("/api/v1/tags?limit=1&limit=2", "limit"),
    ] {
        let problem = send(&app, get(uri)).await.problem(400);
        assert!(
            detail(&problem).contains(name),
            "{uri}: the detail should name `{name}`: {problem}"
        );
    }
    // `tag` is the one parameter that may repeat.
    get_json(&app, "/api/v1/articles?tag=a&tag=b").await;
}

#[actix_web::test]
async fn empty_query_values_are_400() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (uri, field) in [
        ("/api/v1/articles?limit=", "limit"),
        ("/api/v1/tags?limit=", "limit"),
        ("/api/v1/articles?sort=", "sort"),
    ] {
        let problem = send(&app, get(uri)).await.problem(400);
        assert_fields(&problem, &[field], uri);
    }
}

/// An empty `cursor=` is schema-valid, and clients that always send the parameter send it:
/// it asks for the first page, on every paged list.
#[actix_web::test]
async fn an_empty_cursor_is_the_first_page() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for list in ["/api/v1/articles?limit=1", "/api/v1/tags?limit=1"] {
        let first = get_json(&app, list).await;
        assert!(first["meta"]["has_more"] == true, "{list}: {first}");
        assert_eq!(
            get_json(&app, &format!("{list}&cursor=")).await,
            first,
            "{list}"
        );
    }
    let admin = [
        "/api/v1/articles/1/revisions?limit=1",
        "/api/v1/webhooks?limit=1",
    ];
    for list in admin {
        let first = send(&app, ctx.admin(get(list))).await.ok(200);
        let empty = send(&app, ctx.admin(get(&format!("{list}&cursor="))))
            .await
            .ok(200);
        assert_eq!(empty, first, "{list}");
    }
}

// ---------------------------------------------------------------------------------------
// 404

#[actix_web::test]
async fn unknown_resources_are_404_problems() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for uri in [
        "/api/v1/articles/no-such-article",
        "/api/v1/articles/999999",
        "/api/v1/articles/0",
        "/api/v1/articles/-1",
        "/api/v1/articles/99999999999999999999999",
        "/api/v1/articles/no-such-article/related",
        "/api/v1/articles/999999/related",
        "/api/v1/tags/no-such-tag",
        "/nope",
        "/api/v1/nope",
        "/api/v1",
        "/api/v2/articles",
        "/api/v1/articles/alpha/nope",
    ] {
        send(&app, get(uri)).await.problem(404);
        // An admin key does not make them exist either.
        send(&app, ctx.admin(get(uri))).await.problem(404);
    }
}

#[actix_web::test]
async fn writes_to_unknown_resources_are_404_and_change_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let cases = [
        patch_article_req("no-such", json!({"title": "X"})),
        patch_article_req("999999", json!({"title": "X"})),
        json(Method::PUT, "/api/v1/articles/no-such/related", &json!([])),
        delete("/api/v1/articles/no-such"),
        delete("/api/v1/articles/999999"),
        json(Method::PATCH, "/api/v1/tags/no-such", &json!({"name": "X"})),
        delete("/api/v1/tags/no-such"),
    ];
    for req in cases {
        send(&app, ctx.admin(req)).await.problem(404);
    }
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "404 on a write");
}

// ---------------------------------------------------------------------------------------
// 405

#[track_caller]
fn assert_allow(res: &Resp, expected: &[&str], case: &str) {
    res.problem(405);
    let allow = res
        .header("allow")
        .unwrap_or_else(|| panic!("{case}: 405 without an Allow header: {res:?}"));
    let mut got: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
    got.sort();
    got.retain(|m| m != "HEAD" && m != "OPTIONS");
    let mut want: Vec<String> = expected.iter().map(|m| (*m).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "{case}: Allow: {allow}");
}

#[actix_web::test]
async fn wrong_methods_are_405_with_allow() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let cases: &[(Method, &str, &[&str])] = &[
        (Method::PUT, "/api/v1/articles", &["GET", "POST"]),
        (Method::DELETE, "/api/v1/articles", &["GET", "POST"]),
        (Method::PATCH, "/api/v1/articles", &["GET", "POST"]),
        (
            Method::POST,
            "/api/v1/articles/alpha",
            &["GET", "PATCH", "DELETE"],
        ),
        (
            Method::PUT,
            "/api/v1/articles/alpha",
            &["GET", "PATCH", "DELETE"],
        ),
        (
            Method::POST,
            "/api/v1/articles/alpha/related",
            &["GET", "PUT"],
        ),
        (
            Method::DELETE,
            "/api/v1/articles/alpha/related",
            &["GET", "PUT"],
        ),
        (Method::DELETE, "/api/v1/tags", &["GET", "POST"]),
        (Method::PUT, "/api/v1/tags", &["GET", "POST"]),
        (
            Method::POST,
            "/api/v1/tags/transport",
            &["GET", "PATCH", "DELETE"],
        ),
        (Method::POST, "/healthz", &["GET"]),
    ];
    for (method, uri, allow) in cases {
        let case = format!("{method} {uri}");
        // With a JSON body and the admin key, so nothing but the method is wrong.
        let req = ctx.admin(json(method.clone(), uri, &json!({"title": "Sneaky"})));
        assert_allow(&send(&app, req).await, allow, &case);
        // And without a key or body.
        let req = TestRequest::default().method(method.clone()).uri(uri);
        assert_allow(&send(&app, req).await, allow, &case);
    }
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "405");
}

// ---------------------------------------------------------------------------------------
// 409

#[actix_web::test]
async fn duplicate_article_slug_on_post_is_409() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let body = json!({"title": "Another Alpha", "slug": "alpha", "status": "published",
                      "tags": ["brand-new-tag"]});
    let problem = send(&app, ctx.admin(post_article_req(body)))
        .await
        .problem(409);
    assert!(detail(&problem).contains("alpha"), "{problem}");
    // A draft with a taken slug conflicts too (slugs are unique across statuses).
    let draft = json!({"title": "Hidden", "slug": "hidden"});
    send(&app, ctx.admin(post_article_req(draft))).await.ok(201);
    let after_draft = snapshot(&ctx, &app).await;
    assert_eq!(after_draft["count"], before["count"].as_i64().unwrap() + 1);
    let again = json!({"title": "Hidden again", "slug": "hidden", "status": "published"});
    send(&app, ctx.admin(post_article_req(again)))
        .await
        .problem(409);
    assert_unchanged(&after_draft, &snapshot(&ctx, &app).await, "409");
}

#[actix_web::test]
async fn duplicate_article_slug_on_patch_is_409() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    for key in ["gamma", "3"] {
        let body = json!({"slug": "alpha", "title": "Gamma renamed", "tags": ["brand-new-tag"]});
        send(&app, ctx.admin(patch_article_req(key, body)))
            .await
            .problem(409);
    }
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "409");
    // Keeping one's own slug is no conflict.
    patch_article(&ctx, &app, "gamma", json!({"slug": "gamma"})).await;
}

#[actix_web::test]
async fn duplicate_tag_slug_or_name_is_409() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    for body in [
        json!({"name": "Transport"}),
        json!({"name": "transport"}),
        json!({"name": "Something else", "slug": "transport"}),
        json!({"name": "City Hall"}),
        json!({"name": "City  Hall!"}),
    ] {
        let problem = send(&app, ctx.admin(json(Method::POST, "/api/v1/tags", &body)))
            .await
            .problem(409);
        assert!(!detail(&problem).is_empty());
    }
    // Renaming a tag's slug onto another tag's is a conflict too.
    send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            "/api/v1/tags/city-hall",
            &json!({"slug": "transport"}),
        )),
    )
    .await
    .problem(409);
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "409");
}

// ---------------------------------------------------------------------------------------
// 413

/// A valid article body of exactly `len` bytes.
fn article_of_size(len: usize) -> Vec<u8> {
    let head = r#"{"title": "Big", "body": ""#;
    let tail = r#""}"#;
    let pad = len - head.len() - tail.len();
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(head.as_bytes());
    body.extend(std::iter::repeat_n(b'a', pad));
    body.extend_from_slice(tail.as_bytes());
    assert_eq!(body.len(), len);
    body
}

const MIB: usize = 1024 * 1024;

#[actix_web::test]
async fn body_over_one_mib_is_413() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    for (method, uri) in [
        (Method::POST, "/api/v1/articles"),
        (Method::PATCH, "/api/v1/articles/alpha"),
        (Method::PUT, "/api/v1/articles/alpha/related"),
        (Method::POST, "/api/v1/tags"),
    ] {
        for len in [MIB + 1, 2 * MIB] {
            let req = ctx.admin(raw(
                method.clone(),
                uri,
                Some("application/json"),
                article_of_size(len),
            ));
            let problem = send(&app, req).await.problem(413);
            assert!(detail(&problem).contains("1048576"), "{problem}");
        }
    }
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "413");
}

#[actix_web::test]
async fn body_of_exactly_one_mib_is_accepted() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let req = ctx.admin(raw(
        Method::POST,
        "/api/v1/articles",
        Some("application/json"),
        article_of_size(MIB),
    ));
    let article = send(&app, req).await.ok(201);
    assert_eq!(article["title"], "Big");
}

// ---------------------------------------------------------------------------------------
// 415

#[actix_web::test]
async fn non_json_content_types_are_415() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let body = r#"{"title": "Looks like JSON"}"#;
    for content_type in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("text/json"),
        Some("application/xml"),
        None,
    ] {
        for (method, uri) in [
            (Method::POST, "/api/v1/articles"),
            (Method::PATCH, "/api/v1/articles/alpha"),
            (Method::PUT, "/api/v1/articles/alpha/related"),
            (Method::POST, "/api/v1/tags"),
            (Method::PATCH, "/api/v1/tags/transport"),
        ] {
            let req = ctx.admin(raw(method.clone(), uri, content_type, body));
            let res = send(&app, req).await;
            assert_eq!(
                res.status.as_u16(),
                415,
                "{content_type:?} on {method} {uri}: {res:?}"
            );
            let problem = res.problem(415);
            assert!(detail(&problem).contains("application/json"), "{problem}");
        }
    }
    // The form-encoded twin of a valid article is refused too.
    let req = ctx.admin(raw(
        Method::POST,
        "/api/v1/articles",
        Some("application/x-www-form-urlencoded"),
        "title=Form+post",
    ));
    send(&app, req).await.problem(415);
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "415");
    // JSON with a charset or a +json suffix is JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ] {
        let req = ctx.admin(raw(
            Method::PATCH,
            "/api/v1/articles/gamma",
            Some(content_type),
            r#"{"summary": "Fine."}"#,
        ));
        send(&app, req).await.ok(200);
    }
}

// ---------------------------------------------------------------------------------------
// 422

/// Sends each case with the admin key and checks a 422 naming the expected fields, and that
/// nothing changed.
async fn expect_422(ctx: &Ctx, app: &TestApp, cases: Vec<(&str, TestRequest, Vec<&str>)>) {
    let mut before = snapshot(ctx, app).await;
    let mut failures = Vec::new();
    for (case, req, fields) in cases {
        let res = send(app, ctx.admin(req)).await;
        if res.status.as_u16() != 422 {
            failures.push(format!(
                "{case}: expected 422, got {} {}",
                res.status,
                String::from_utf8_lossy(&res.body)
            ));
        } else {
            let problem = res.problem(422);
            let got = error_fields(&problem);
            if let Some(missing) = fields.iter().find(|f| !got.iter().any(|g| g == *f)) {
                failures.push(format!("{case}: no error for `{missing}` in {problem}"));
            }
        }
        let after = snapshot(ctx, app).await;
        if let Some(diff) = first_difference(&before, &after, "") {
            failures.push(format!("{case}: the stored content changed at {diff}"));
            before = after;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn title_errors_are_422_naming_title() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let long = "x".repeat(301);
    let cases = vec![
        ("missing title", post_article_req(json!({})), vec!["title"]),
        (
            "missing title with other fields",
            post_article_req(json!({"summary": "No headline", "tags": ["new-tag"]})),
            vec!["title"],
        ),
        (
            "empty title",
            post_article_req(json!({"title": ""})),
            vec!["title"],
        ),
        (
            "blank title",
            post_article_req(json!({"title": "   \n\t "})),
            vec!["title"],
        ),
        (
            "title is a number",
            post_article_req(json!({"title": 5})),
            vec!["title"],
        ),
        (
            "title is an array",
            post_article_req(json!({"title": ["a"]})),
            vec!["title"],
        ),
        (
            "title is null",
            post_article_req(json!({"title": null})),
            vec!["title"],
        ),
        (
            "title too long",
            post_article_req(json!({"title": long})),
            vec!["title"],
        ),
        (
            "title with control characters",
            post_article_req(json!({"title": "Bell\u{7}"})),
            vec!["title"],
        ),
        (
            "patch: title null",
            patch_article_req("alpha", json!({"title": null})),
            vec!["title"],
        ),
        (
            "patch: title empty",
            patch_article_req("alpha", json!({"title": ""})),
            vec!["title"],
        ),
        (
            "patch: title blank",
            patch_article_req("alpha", json!({"title": "  "})),
            vec!["title"],
        ),
        (
            "patch: title number",
            patch_article_req("alpha", json!({"title": 1})),
            vec!["title"],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
}

#[actix_web::test]
async fn body_that_is_not_an_object_is_422() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = vec![
        (
            "array body",
            post_article_req(json!([{"title": "x"}])),
            vec![],
        ),
        ("string body", post_article_req(json!("title")), vec![]),
        ("null body", post_article_req(json!(null)), vec![]),
        (
            "tag as array",
            json(Method::POST, "/api/v1/tags", &json!(["Transport"])),
            vec![],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
}

#[actix_web::test]
async fn unknown_field_is_rejected_and_named() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let cases = [
        post_article_req(json!({"tittle": "Typo"})),
        post_article_req(json!({"title": "Fine", "tittle": "Typo"})),
        patch_article_req("alpha", json!({"tittle": "Typo"})),
        json(
            Method::POST,
            "/api/v1/tags",
            &json!({"name": "Ok", "tittle": "Typo"}),
        ),
        json(
            Method::PATCH,
            "/api/v1/tags/transport",
            &json!({"tittle": "Typo"}),
        ),
        json(
            Method::PUT,
            "/api/v1/articles/alpha/related",
            &json!([{"url": "https://example.org/", "summary": "s", "tittle": "Typo"}]),
        ),
    ];
    for req in cases {
        let problem = send(&app, ctx.admin(req)).await.problem(422);
        let errors = problem["errors"].as_array().expect("errors[]");
        assert!(
            errors.iter().any(|e| {
                e["field"].as_str().unwrap_or("").contains("tittle")
                    || e["message"].as_str().unwrap_or("").contains("tittle")
            }),
            "the unknown field is not named: {problem}"
        );
        assert!(detail(&problem).contains("tittle"), "{problem}");
    }
    assert_unchanged(&before, &snapshot(&ctx, &app).await, "unknown field");
}

#[actix_web::test]
async fn unknown_field_is_reported_at_its_own_path() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let problem = send(
        &app,
        ctx.admin(post_article_req(json!({"title": "Fine", "tittle": "Typo"}))),
    )
    .await
    .problem(422);
    assert_fields(&problem, &["tittle"], "unknown top-level field");
}

#[actix_web::test]
async fn status_published_at_and_slug_errors_are_422() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = vec![
        (
            "invalid status",
            post_article_req(json!({"title": "T", "status": "live"})),
            vec!["status"],
        ),
        (
            "status wrong case",
            post_article_req(json!({"title": "T", "status": "Published"})),
            vec!["status"],
        ),
        (
            "patch: invalid status",
            patch_article_req("alpha", json!({"status": "deleted"})),
            vec!["status"],
        ),
        (
            "invalid published_at",
            post_article_req(json!({"title": "T", "published_at": "yesterday"})),
            vec!["published_at"],
        ),
        (
            "published_at without zone",
            post_article_req(json!({"title": "T", "published_at": "2026-01-01 10:00"})),
            vec!["published_at"],
        ),
        (
            "published_at impossible date",
            post_article_req(json!({"title": "T", "published_at": "2026-02-30T10:00:00Z"})),
            vec!["published_at"],
        ),
        (
            "published_at number",
            post_article_req(json!({"title": "T", "published_at": 1700000000})),
            vec!["published_at"],
        ),
        (
            "patch: invalid published_at",
            patch_article_req("alpha", json!({"published_at": "soon"})),
            vec!["published_at"],
        ),
        (
            "slug with spaces",
            post_article_req(json!({"title": "T", "slug": "Not A Slug"})),
            vec!["slug"],
        ),
        (
            "all-digit slug",
            post_article_req(json!({"title": "T", "slug": "12345"})),
            vec!["slug"],
        ),
        (
            "empty slug",
            post_article_req(json!({"title": "T", "slug": ""})),
            vec!["slug"],
        ),
        (
            "slug double hyphen",
            post_article_req(json!({"title": "T", "slug": "a--b"})),
            vec!["slug"],
        ),
        (
            "slug leading hyphen",
            post_article_req(json!({"title": "T", "slug": "-ab"})),
            vec!["slug"],
        ),
        (
            "slug with slash",
            post_article_req(json!({"title": "T", "slug": "a/b"})),
            vec!["slug"],
        ),
        (
            "slug uppercase",
            post_article_req(json!({"title": "T", "slug": "Alpha"})),
            vec!["slug"],
        ),
        (
            "patch: slug with spaces",
            patch_article_req("alpha", json!({"slug": "Not A Slug"})),
            vec!["slug"],
        ),
        (
            "patch: all-digit slug",
            patch_article_req("alpha", json!({"slug": "12345"})),
            vec!["slug"],
        ),
        (
            "patch: slug null",
            patch_article_req("alpha", json!({"slug": null})),
            vec!["slug"],
        ),
        (
            "feature image javascript url",
            post_article_req(json!({"title": "T", "feature_image_url": "javascript:alert(1)"})),
            vec!["feature_image_url"],
        ),
        (
            "feature image relative url",
            post_article_req(json!({"title": "T", "feature_image_url": "/img.png"})),
            vec!["feature_image_url"],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
}

#[actix_web::test]
async fn tag_errors_are_422() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let too_many: Vec<String> = (0..21).map(|i| format!("tag-{i}")).collect();
    let cases = vec![
        (
            "too many tags",
            post_article_req(json!({"title": "T", "tags": too_many})),
            vec!["tags"],
        ),
        (
            "patch: too many tags",
            patch_article_req("alpha", json!({"tags": too_many})),
            vec!["tags"],
        ),
        (
            "empty tag",
            post_article_req(json!({"title": "T", "tags": [""]})),
            vec!["tags[0]"],
        ),
        (
            "blank tag",
            post_article_req(json!({"title": "T", "tags": ["ok", "  "]})),
            vec!["tags[1]"],
        ),
        (
            "tag number",
            post_article_req(json!({"title": "T", "tags": [5]})),
            vec!["tags[0]"],
        ),
        (
            "tags not a list",
            post_article_req(json!({"title": "T", "tags": "a,b"})),
            vec!["tags"],
        ),
        (
            "patch: tags null",
            patch_article_req("alpha", json!({"tags": null})),
            vec!["tags"],
        ),
        (
            "tag resource: empty name",
            json(Method::POST, "/api/v1/tags", &json!({"name": ""})),
            vec!["name"],
        ),
        (
            "tag resource: missing name",
            json(Method::POST, "/api/v1/tags", &json!({})),
            vec!["name"],
        ),
        (
            "tag resource: bad slug",
            json(
                Method::POST,
                "/api/v1/tags",
                &json!({"name": "Fine", "slug": "Not A Slug"}),
            ),
            vec!["slug"],
        ),
        (
            "tag resource: patch name null",
            json(
                Method::PATCH,
                "/api/v1/tags/transport",
                &json!({"name": null}),
            ),
            vec!["name"],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
    // Exactly 20 tags is fine.
    let twenty: Vec<String> = (0..20).map(|i| format!("tag-{i}")).collect();
    send(
        &app,
        ctx.admin(post_article_req(json!({"title": "Twenty", "tags": twenty}))),
    )
    .await
    .ok(201);
}

#[actix_web::test]
async fn related_link_errors_are_422() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let ext = |url: &str| json!({"url": url, "summary": "A page."});
    let cases = vec![
        (
            "both slug and url",
            post_article_req(
                json!({"title": "T", "related": [{"slug": "alpha", "url": "https://example.org/", "summary": "s"}]}),
            ),
            vec!["related[0]"],
        ),
        (
            "neither slug nor url",
            post_article_req(json!({"title": "T", "related": [{"summary": "s"}]})),
            vec!["related[0]"],
        ),
        (
            "empty link",
            post_article_req(json!({"title": "T", "related": [{}]})),
            vec!["related[0]"],
        ),
        (
            "external without summary",
            post_article_req(json!({"title": "T", "related": [{"url": "https://example.org/x"}]})),
            vec!["related[0].summary"],
        ),
        (
            "external with blank summary",
            post_article_req(
                json!({"title": "T", "related": [{"url": "https://example.org/x", "summary": " "}]}),
            ),
            vec!["related[0].summary"],
        ),
        (
            "javascript url",
            post_article_req(json!({"title": "T", "related": [ext("javascript:alert(1)")]})),
            vec!["related[0].url"],
        ),
        (
            "ftp url",
            post_article_req(json!({"title": "T", "related": [ext("ftp://x")]})),
            vec!["related[0].url"],
        ),
        (
            "data url",
            post_article_req(
                json!({"title": "T", "related": [ext("data:text/html,<script>alert(1)</script>")]}),
            ),
            vec!["related[0].url"],
        ),
        (
            "relative url",
            post_article_req(json!({"title": "T", "related": [ext("/local/page")]})),
            vec!["related[0].url"],
        ),
        (
            "url without host",
            post_article_req(json!({"title": "T", "related": [ext("http://")]})),
            vec!["related[0].url"],
        ),
        (
            "second link bad",
            post_article_req(json!({"title": "T", "related": [{"slug": "alpha"}, ext("ftp://x")]})),
            vec!["related[1].url"],
        ),
        (
            "link is a string",
            post_article_req(json!({"title": "T", "related": ["alpha"]})),
            vec!["related[0]"],
        ),
        (
            "unknown related slug",
            post_article_req(
                json!({"title": "T", "tags": ["fresh-tag"], "related": [{"slug": "no-such-article"}]}),
            ),
            vec!["related[0].slug"],
        ),
        (
            "unknown related slug after a good one",
            post_article_req(
                json!({"title": "T", "related": [{"slug": "alpha"}, {"slug": "nope"}]}),
            ),
            vec!["related[1].slug"],
        ),
        (
            "patch: unknown related slug",
            patch_article_req(
                "gamma",
                json!({"title": "Changed", "related": [{"slug": "nope"}]}),
            ),
            vec!["related[0].slug"],
        ),
        (
            "patch: related to itself",
            patch_article_req("gamma", json!({"related": [{"slug": "gamma"}]})),
            vec!["related[0].slug"],
        ),
        (
            "patch by id: related to itself",
            patch_article_req(
                "3",
                json!({"summary": "Changed", "related": [{"slug": "alpha"}, {"slug": "gamma"}]}),
            ),
            vec!["related[1].slug"],
        ),
        (
            "patch: related null",
            patch_article_req("beta", json!({"related": null})),
            vec!["related"],
        ),
        (
            "put related: not an array",
            json(
                Method::PUT,
                "/api/v1/articles/beta/related",
                &json!({"slug": "alpha"}),
            ),
            vec![],
        ),
        (
            "put related: string",
            json(
                Method::PUT,
                "/api/v1/articles/beta/related",
                &json!("alpha"),
            ),
            vec![],
        ),
        (
            "put related: null",
            json(Method::PUT, "/api/v1/articles/beta/related", &json!(null)),
            vec![],
        ),
        (
            "put related: to itself",
            json(
                Method::PUT,
                "/api/v1/articles/beta/related",
                &json!([{"slug": "beta"}]),
            ),
            vec!["[0].slug"],
        ),
        (
            "put related: unknown slug",
            json(
                Method::PUT,
                "/api/v1/articles/beta/related",
                &json!([{"slug": "gamma"}, {"slug": "nope"}]),
            ),
            vec!["[1].slug"],
        ),
        (
            "put related: bad url",
            json(
                Method::PUT,
                "/api/v1/articles/beta/related",
                &json!([ext("javascript:alert(1)")]),
            ),
            vec!["[0].url"],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
}

#[actix_web::test]
async fn put_related_with_non_array_body_names_something() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let before = snapshot(&ctx, &app).await;
    let req = json(
        Method::PUT,
        "/api/v1/articles/beta/related",
        &json!({"slug": "alpha"}),
    );
    let problem = send(&app, ctx.admin(req)).await.problem(422);
    assert!(
        detail(&problem).contains("sequence") || detail(&problem).contains("array"),
        "the detail should say an array is expected: {problem}"
    );
    assert_unchanged(
        &before,
        &snapshot(&ctx, &app).await,
        "put related with a non-array body",
    );
}

#[actix_web::test]
async fn several_invalid_fields_give_several_errors() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = vec![
        (
            "post with four bad fields",
            post_article_req(json!({
                "title": "  ",
                "slug": "Not A Slug",
                "tags": ["ok", ""],
                "related": [{"url": "ftp://x", "summary": "s"}, {"url": "https://example.org/"}],
                "feature_image_url": "javascript:alert(1)"
            })),
            vec![
                "title",
                "slug",
                "tags[1]",
                "related[0].url",
                "related[1].summary",
                "feature_image_url",
            ],
        ),
        (
            "patch with three bad fields",
            patch_article_req("alpha", json!({"title": "", "slug": "12345", "tags": [""]})),
            vec!["title", "slug", "tags[0]"],
        ),
    ];
    for (case, req, fields) in cases {
        let problem = send(&app, ctx.admin(req)).await.problem(422);
        assert_fields(&problem, &fields, case);
        assert_eq!(
            error_fields(&problem).len(),
            fields.len(),
            "{case}: one error per bad field: {problem}"
        );
        assert!(
            detail(&problem).contains(&fields.len().to_string()),
            "{case}: the detail should count the errors: {problem}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// No 5xx for odd input

#[actix_web::test]
async fn odd_requests_never_cause_5xx() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let long_slug = "a".repeat(5000);
    let uris = [
        "/api/v1/articles/%FF".to_owned(),
        "/api/v1/articles/%00".to_owned(),
        "/api/v1/articles/a%2Fb".to_owned(),
        format!("/api/v1/articles/{long_slug}"),
        "/api/v1/articles/9223372036854775807".to_owned(),
        "/api/v1/articles/-9223372036854775808".to_owned(),
        "/api/v1/articles?limit=%FF".to_owned(),
        "/api/v1/articles?cursor=%00".to_owned(),
        "/api/v1/articles?tag=%FF".to_owned(),
        "/api/v1/articles?=".to_owned(),
        "/api/v1/articles?&&".to_owned(),
        "/api/v1/tags/%FF".to_owned(),
        "/api/v1/tags?cursor=dGFnfA".to_owned(),
    ];
    for uri in &uris {
        for req in [get(uri), ctx.admin(get(uri))] {
            let res = send(&app, req).await;
            assert!(res.status.as_u16() < 500, "GET {uri}: {res:?}");
            if res.status.as_u16() >= 400 {
                res.problem(res.status.as_u16());
            }
        }
    }
    let too_many_links: Vec<Value> = (0..51)
        .map(|i| json!({"url": format!("https://example.org/{i}"), "summary": "s"}))
        .collect();
    let bodies = [
        json!({"title": "T", "published_at": "9999-12-31T23:59:59Z"}),
        json!({"title": "T", "published_at": "0001-01-01T00:00:00Z"}),
        json!({"title": "T", "published_at": "+275760-09-13T00:00:00Z"}),
        json!({"title": "\u{0}"}),
        json!({"title": "T", "body": "\u{0}"}),
        json!({"title": "T", "tags": ["\u{1F600}"]}),
        json!({"title": "\u{1F600}"}),
        json!({"title": "T", "related": [{"url": "https://example.org/", "summary": "s", "title": 5}]}),
        json!({"title": "T", "slug": "a".repeat(5000)}),
        json!({"title": "T", "byline": 5}),
        json!({"title": "T", "summary": "x".repeat(2001)}),
        json!({"title": "T", "related": too_many_links}),
    ];
    for body in &bodies {
        for req in [
            post_article_req(body.clone()),
            patch_article_req("gamma", body.clone()),
            json(
                Method::POST,
                "/api/v1/tags",
                &json!({"name": body["title"]}),
            ),
        ] {
            let res = send(&app, ctx.admin(req)).await;
            assert!(res.status.as_u16() < 500, "{body}: {res:?}");
            if res.status.as_u16() >= 400 {
                res.problem(res.status.as_u16());
            }
        }
    }
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = send(
        &app,
        ctx.admin(raw(
            Method::POST,
            "/api/v1/articles",
            Some("application/json"),
            nested,
        )),
    )
    .await;
    assert!(res.status.is_client_error(), "deeply nested JSON: {res:?}");
    res.problem(res.status.as_u16());
}

// ---------------------------------------------------------------------------------------
// Found bugs: each test states the behaviour the brief asks for.

#[actix_web::test]
async fn array_bodies_are_not_taken_for_objects() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = vec![
        (
            "patch article with []",
            patch_article_req("alpha", json!([])),
            vec![],
        ),
        (
            "patch article with [title]",
            patch_article_req("alpha", json!(["Renamed by array"])),
            vec![],
        ),
        (
            "patch tag with [name]",
            json(Method::PATCH, "/api/v1/tags/transport", &json!(["Renamed"])),
            vec![],
        ),
        (
            "post article with all ten fields positionally",
            post_article_req(json!([
                "Positional",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null
            ])),
            vec![],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
}

#[actix_web::test]
async fn status_of_the_wrong_type_is_422_naming_status() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let cases = vec![
        (
            "status number",
            post_article_req(json!({"title": "T", "status": 1})),
            vec!["status"],
        ),
        (
            "status bool",
            post_article_req(json!({"title": "T", "status": true})),
            vec!["status"],
        ),
        (
            "status object",
            post_article_req(json!({"title": "T", "status": {}})),
            vec!["status"],
        ),
        (
            "patch: status null",
            patch_article_req("alpha", json!({"status": null})),
            vec!["status"],
        ),
        (
            "patch: status number",
            patch_article_req("alpha", json!({"status": 2})),
            vec!["status"],
        ),
    ];
    expect_422(&ctx, &app, cases).await;
}

#[actix_web::test]
async fn malformed_json_is_400_whatever_its_shape() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    for (method, uri, body) in [
        (
            Method::PUT,
            "/api/v1/articles/beta/related",
            r#"{"slug": }"#,
        ),
        (
            Method::PUT,
            "/api/v1/articles/beta/related",
            r#"{"slug": "alpha""#,
        ),
        (Method::POST, "/api/v1/articles", r#"{"title": 5, "x"#),
        (Method::POST, "/api/v1/articles", r#"{"tittle": "x", "#),
    ] {
        let req = ctx.admin(raw(method.clone(), uri, Some("application/json"), body));
        let res = send(&app, req).await;
        assert_eq!(res.status.as_u16(), 400, "{method} {uri} {body}: {res:?}");
        res.problem(400);
    }
}
