//! The OpenAPI document: committed, complete, and true to the routes the app serves.

use crate::support::common;

use std::path::Path;

use actix_web::http::Method;
use common::*;
use serde_json::Value;

const REGENERATE: &str = "cargo run -q -- openapi > openapi/openapi.json";

fn spec() -> Value {
    serde_json::from_str(&gazette::app::openapi().to_pretty_json().unwrap()).unwrap()
}

fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut op = op.clone();
            // Shared responses (`#/components/responses/…`) are checked where they are used.
            if let Some(responses) = op["responses"].as_object_mut() {
                for response in responses.values_mut() {
                    if let Some(name) = response["$ref"]
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/responses/"))
                    {
                        *response = spec["components"]["responses"][name].clone();
                    }
                }
            }
            ops.push((method.to_uppercase(), path.clone(), op));
        }
    }
    ops
}

#[test]
fn committed_spec_matches_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = gazette::app::openapi_json(&gazette::config::Limits::DEFAULT);
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is not the spec the server generates; regenerate it with `{REGENERATE}`"
    );
}

/// Every `#[get]`, `#[post]`, … handler under src/api is in the spec.
#[test]
fn every_handler_route_is_in_the_spec() {
    let spec = spec();
    let ops: Vec<(String, String)> = operations(&spec)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let mut found = 0;
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for line in source.lines().map(str::trim) {
                for method in ["get", "post", "put", "patch", "delete"] {
                    let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) else {
                        continue;
                    };
                    let route = &rest[..rest.find('"').unwrap()];
                    found += 1;
                    let method = method.to_uppercase();
                    assert!(
                        ops.iter().any(|(m, p)| *m == method
                            && (p == route || *p == format!("/api/v1{route}"))),
                        "{method} {route} (in {}) is missing from the OpenAPI document",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(
        found >= ops.len(),
        "found {found} handlers for {} operations",
        ops.len()
    );
}

/// Every operation in the spec is answered by a handler (not the 404/405 fallback).
#[actix_web::test]
async fn every_spec_operation_is_served() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (method, path, _) in operations(&spec()) {
        let uri = path
            .replace("{slug_or_id}", "no-such-article")
            .replace("{slug}", "no-such-tag");
        let req = raw(
            Method::from_bytes(method.as_bytes()).unwrap(),
            &uri,
            Some("application/json"),
            "{}",
        );
        let resp = send(&app, ctx.admin(req)).await;
        assert_ne!(resp.status.as_u16(), 405, "{method} {path}");
        let fallback = String::from_utf8_lossy(&resp.body).contains("No resource lives at");
        assert!(
            !fallback,
            "{method} {path} fell through to the fallback: {resp:?}"
        );
    }
}

#[test]
fn every_operation_is_documented() {
    let spec = spec();
    let mut ids = Vec::new();
    for (method, path, op) in operations(&spec) {
        let at = format!("{method} {path}");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: no operationId"));
        assert!(
            id.chars().next().unwrap().is_ascii_lowercase()
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{at}: operationId {id} is not camelCase"
        );
        assert!(
            !ids.contains(&id.to_owned()),
            "{at}: duplicate operationId {id}"
        );
        ids.push(id.to_owned());
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{at}: no summary"
        );
        assert!(
            op["description"].as_str().is_some_and(|s| !s.is_empty()),
            "{at}: no description"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{at}: no tag"
        );
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{at} {status}: no description"
            );
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Problem",
                    "{at} {status}: not problem details"
                );
            }
        }
        // Writes need the admin key; reads work without a key (or with a content key).
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{at}: no security"));
        let public = security
            .iter()
            .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
        let bearer = security.iter().any(|s| s.get("bearer").is_some());
        // Reads are public but for the editorial ones (revisions, webhooks, an article's
        // preview links): those need the key.
        let editorial =
            path.contains("/revisions") || path.contains("/webhooks") || path.contains("/previews");
        if method == "GET" && !editorial {
            assert!(public, "{at}: a read should be public");
        } else {
            assert!(
                bearer && !public,
                "{at}: a write must require the bearer key"
            );
            for status in ["401", "403"] {
                assert!(
                    responses.contains_key(status),
                    "{at}: {status} undocumented"
                );
            }
        }
    }
    for expected in [
        "listArticles",
        "getArticle",
        "createArticle",
        "updateArticle",
        "deleteArticle",
        "listTags",
    ] {
        assert!(ids.contains(&expected.to_owned()), "no {expected}");
    }
}

/// Whether a schema, or everything it is made of, carries an example.
fn exemplified(spec: &Value, schema: &Value) -> bool {
    if schema.get("example").is_some()
        || schema.get("examples").is_some()
        || schema.get("enum").is_some()
    {
        return true;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return exemplified(spec, &spec["components"]["schemas"][name]);
    }
    if let Some(alternatives) = schema["oneOf"].as_array() {
        return alternatives
            .iter()
            .all(|s| s["type"] == "null" || exemplified(spec, s));
    }
    let types = schema["type"].to_string();
    if types.contains("array") {
        return exemplified(spec, &schema["items"]);
    }
    if let Some(properties) = schema["properties"].as_object() {
        return properties.values().all(|p| exemplified(spec, p));
    }
    types.contains("boolean")
}

#[test]
fn request_and_response_bodies_have_examples() {
    let spec = spec();
    for (method, path, op) in operations(&spec) {
        let at = format!("{method} {path}");
        if let Some(media) = op["requestBody"]["content"]["application/json"].as_object() {
            let has = media.contains_key("example") || exemplified(&spec, &media["schema"]);
            assert!(has, "{at}: the request body has no example");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            let Some(content) = response["content"].as_object() else {
                continue;
            };
            for (media_type, media) in content {
                let has = media.get("example").is_some() || exemplified(&spec, &media["schema"]);
                assert!(has, "{at} {status} {media_type}: no example");
            }
        }
    }
}

/// Every read documents its conditional requests and caching headers.
#[test]
fn every_read_documents_caching() {
    let spec = spec();
    for (method, path, op) in operations(&spec) {
        if method != "GET" {
            continue;
        }
        let at = format!("GET {path}");
        // Metrics and the event stream are live state and a preview is for its link's holder
        // alone: never cached or revalidated.
        if ["getMetrics", "getPreview", "streamChanges"]
            .contains(&op["operationId"].as_str().unwrap_or(""))
        {
            let cache_control = &op["responses"]["200"]["headers"]["Cache-Control"];
            assert!(
                cache_control.is_object(),
                "{at}: Cache-Control undocumented"
            );
            assert!(op["responses"]["304"].is_null(), "{at}: documents a 304");
            continue;
        }
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for header in ["If-None-Match", "If-Modified-Since"] {
            assert!(params.contains(&header), "{at}: no {header} parameter");
        }
        assert!(op["responses"]["304"].is_object(), "{at}: no 304 response");
        let headers = &op["responses"]["200"]["headers"];
        for header in ["ETag", "Cache-Control"] {
            assert!(
                headers[header].is_object(),
                "{at}: 200 does not document {header}"
            );
        }
    }
}

#[test]
fn parameters_carry_their_constraints() {
    let spec = spec();
    let params = spec["paths"]["/api/v1/articles"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let find = |name: &str| params.iter().find(|p| p["name"] == name).unwrap().clone();
    let limit = find("limit");
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 100);
    assert_eq!(
        find("sort")["schema"]["$ref"],
        "#/components/schemas/ArticleSort"
    );
    let sorts = &spec["components"]["schemas"]["ArticleSort"]["enum"];
    assert_eq!(
        sorts,
        &serde_json::json!(["-published_at", "published_at", "-updated_at", "relevance"])
    );
    let statuses = &spec["components"]["schemas"]["ArticleStatus"]["enum"];
    assert_eq!(
        statuses,
        &serde_json::json!(["draft", "published", "archived"])
    );
}
