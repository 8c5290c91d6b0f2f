//! Every request example in the OpenAPI document, sent as it is (as Swagger UI's "Try it
//! out" sends it) to the demo newsroom that `serve --demo` loads, succeeds.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use serde_json::Value;

/// What "Try it out" puts in a path parameter: an article, tag or subscription the demo has.
fn path_value(path: &str, name: &str, webhook: Option<i64>) -> String {
    match name {
        // A preview is of an unpublished article.
        "slug_or_id" if path.ends_with("/preview") => "old-cannery-startup-hub".to_owned(),
        // Blocks are a live article's.
        "slug_or_id" if path.contains("/blocks") => "storm-night-live".to_owned(),
        // The demo's first block (the live blog's).
        "id" if path.contains("/blocks/") => "1".to_owned(),
        "slug_or_id" => "council-approves-tram-extension".to_owned(),
        "slug" if path.starts_with("/api/v1/authors/") => "mara-okafor".to_owned(),
        "slug" if path.ends_with("/items") => "top-stories".to_owned(),
        "slug" if path.starts_with("/api/v1/collections/") => "editors-picks".to_owned(),
        "slug" => "transport".to_owned(),
        "id" => webhook.expect("a subscription made first").to_string(),
        other => panic!("{path}: no demo value for the path parameter {other}"),
    }
}

/// Each operation with a request-body example: method, path template, content type, body.
fn examples(spec: &Value) -> Vec<(Method, String, String, String)> {
    let schema_example = |schema: &Value| -> Option<Value> {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                spec["components"]["schemas"][name].get("example").cloned()
            }
            None => schema.get("example").cloned(),
        }
    };
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for (content_type, media) in content {
                let Some(example) = media
                    .get("example")
                    .cloned()
                    .or_else(|| schema_example(&media["schema"]))
                else {
                    continue;
                };
                let body = match example {
                    Value::String(text) => text,
                    json => json.to_string(),
                };
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                found.push((method, path.clone(), content_type.clone(), body));
            }
        }
    }
    // Subscriptions are made before they are changed.
    found.sort_by_key(|(method, path, _, _)| (path.contains("{id}"), method != Method::POST));
    found
}

#[actix_web::test]
async fn every_request_example_succeeds_against_the_demo() {
    let ctx = Ctx::new();
    gazette::demo::load(&mut ctx.pool.get().unwrap(), "http://127.0.0.1:8080")
        .expect("the demo loads");
    let app = ctx.app().await;
    let spec = get_json(&app, "/openapi.json").await;
    let cases = examples(&spec);
    assert!(cases.len() >= 9, "{} examples", cases.len());
    let mut webhook = None;
    let mut failures = Vec::new();
    for (method, template, content_type, body) in cases {
        let mut path = template.clone();
        while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
            let value = path_value(&template, &path[open + 1..close], webhook);
            path.replace_range(open..=close, &value);
        }
        let res = send(
            &app,
            ctx.admin(raw(
                method.clone(),
                &path,
                Some(&content_type),
                body.clone(),
            )),
        )
        .await;
        if !res.status.is_success() {
            failures.push(format!(
                "{method} {path}: {} {}",
                res.status,
                String::from_utf8_lossy(&res.body)
            ));
        } else if method == Method::POST && template == "/api/v1/webhooks" {
            webhook = res.json()["id"].as_i64();
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
