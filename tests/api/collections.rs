//! Collections: curated fronts. The public sees the published items in the editors' order,
//! hidden ones left out and back once published; a reorder is one write that honours
//! `If-Match` and names only that collection; moving hidden items changes nothing public.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use gazette::db::changes;
use serde_json::{Value, json};

async fn create_collection(ctx: &Ctx, app: &TestApp, body: Value) -> Value {
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/collections", &body)),
    )
    .await
    .ok(201)
}

fn put_items(slug: &str, articles: &[&str]) -> actix_web::test::TestRequest {
    json(
        Method::PUT,
        &format!("/api/v1/collections/{slug}/items"),
        &json!({ "articles": articles }),
    )
}

#[actix_web::test]
async fn the_public_sees_published_items_in_order_and_hidden_ones_when_published() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Storm warning").await;
    publish(&ctx, &app, "Tram vote").await;
    create_article(&ctx, &app, json!({"title": "Ferry strike"})).await;
    let made = create_collection(
        &ctx,
        &app,
        json!({"name": "Top stories", "articles": ["tram-vote", "ferry-strike", "storm-warning"]}),
    )
    .await;
    assert_eq!(made["slug"], "top-stories");
    // The admin's answer has every item; the public's only the published ones.
    assert_eq!(
        slugs(&json!({"data": made["items"]})),
        ["tram-vote", "ferry-strike", "storm-warning"]
    );
    let public = get_json(&app, "/api/v1/collections/top-stories").await;
    assert_eq!(
        slugs(&json!({"data": public["items"]})),
        ["tram-vote", "storm-warning"]
    );
    assert!(public["items"][0]["canonical_url"].is_string());
    let list = get_json(&app, "/api/v1/collections").await;
    assert_eq!(
        list["data"],
        json!([{"slug": "top-stories", "name": "Top stories", "description": null}])
    );

    // Publishing the hidden one brings it into its place (through the cached answer).
    patch_article(&ctx, &app, "ferry-strike", json!({"status": "published"})).await;
    let public = get_json(&app, "/api/v1/collections/top-stories").await;
    assert_eq!(
        slugs(&json!({"data": public["items"]})),
        ["tram-vote", "ferry-strike", "storm-warning"]
    );
    // Unpublishing takes it out again.
    patch_article(&ctx, &app, "tram-vote", json!({"status": "draft"})).await;
    let public = get_json(&app, "/api/v1/collections/top-stories").await;
    assert_eq!(
        slugs(&json!({"data": public["items"]})),
        ["ferry-strike", "storm-warning"]
    );
    send(&app, get("/api/v1/collections/nothing"))
        .await
        .problem(404);
}

#[actix_web::test]
async fn a_reorder_is_one_write_that_honours_if_match_and_names_only_its_collection() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    subscribe(&ctx, &app, &["collection.*"]).await;
    for title in ["One", "Two", "Three"] {
        publish(&ctx, &app, title).await;
    }
    create_collection(
        &ctx,
        &app,
        json!({"name": "Top stories", "articles": ["one", "two"]}),
    )
    .await;
    create_collection(&ctx, &app, json!({"name": "Picks", "articles": ["three"]})).await;
    let picks = send(&app, get("/api/v1/collections/picks")).await;
    let admin = send(&app, ctx.admin(get("/api/v1/collections/top-stories"))).await;
    let etag = admin.header("etag").unwrap().to_owned();

    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();
    let reordered = send(
        &app,
        ctx.admin(
            put_items("top-stories", &["three", "one"]).insert_header(("If-Match", etag.as_str())),
        ),
    )
    .await
    .ok(200);
    assert_eq!(
        slugs(&json!({"data": reordered["items"]})),
        ["three", "one"]
    );
    let conn = &mut *ctx.pool.get().unwrap();
    let made = changes::since(conn, seq, 10).unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].kind, "collection.updated");
    assert_eq!(made[0].keys.0, ["c:top-stories"]);
    // The other collection's answer is untouched.
    let again = send(&app, get("/api/v1/collections/picks")).await;
    assert_eq!(again.body, picks.body);

    // A stale ETag: 412, and nothing changes.
    let stale = send(
        &app,
        ctx.admin(put_items("top-stories", &["two"]).insert_header(("If-Match", etag.as_str()))),
    )
    .await;
    assert_eq!(stale.status, 412);
    let public = get_json(&app, "/api/v1/collections/top-stories").await;
    assert_eq!(slugs(&json!({"data": public["items"]})), ["three", "one"]);
    // An unknown article: 422 naming it, nothing changes.
    let problem = send(&app, ctx.admin(put_items("top-stories", &["one", "ghost"])))
        .await
        .problem(422);
    assert_eq!(problem["errors"][0]["field"], "articles[1]");
    let public = get_json(&app, "/api/v1/collections/top-stories").await;
    assert_eq!(slugs(&json!({"data": public["items"]})), ["three", "one"]);

    use diesel::prelude::*;
    use gazette::schema::webhook_deliveries as d;
    let events: Vec<String> = d::table.select(d::event).order(d::id).load(conn).unwrap();
    assert_eq!(
        events,
        [
            "collection.created",
            "collection.created",
            "collection.updated"
        ]
    );
}

#[actix_web::test]
async fn moving_hidden_items_changes_nothing_public() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Public").await;
    create_article(&ctx, &app, json!({"title": "Draft one"})).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Embargoed", "status": "published", "published_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    create_collection(
        &ctx,
        &app,
        json!({"name": "Front", "articles": ["public", "draft-one"]}),
    )
    .await;
    let before = send(&app, get("/api/v1/collections/front")).await;
    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();
    send(
        &app,
        ctx.admin(put_items("front", &["embargoed", "public", "draft-one"])),
    )
    .await
    .ok(200);
    send(
        &app,
        ctx.admin(put_items("front", &["draft-one", "public"])),
    )
    .await
    .ok(200);
    let conn = &mut *ctx.pool.get().unwrap();
    for change in changes::since(conn, seq, 10).unwrap() {
        assert!(
            change.keys.0.is_empty() && change.public_seq.is_none(),
            "{change:?}"
        );
    }
    let after = send(&app, get("/api/v1/collections/front")).await;
    assert_eq!(after.body, before.body);
    assert_eq!(after.header("etag"), before.header("etag"));
}

#[actix_web::test]
async fn collections_are_renamed_deleted_exported_and_imported() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "One").await;
    publish(&ctx, &app, "Two").await;
    create_collection(
        &ctx,
        &app,
        json!({"name": "Picks", "description": "Ours.", "articles": ["two", "one"]}),
    )
    .await;
    let renamed = send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            "/api/v1/collections/picks",
            &json!({"name": "Editors' picks", "slug": "editors-picks"}),
        )),
    )
    .await
    .ok(200);
    assert_eq!(renamed["slug"], "editors-picks");
    send(&app, get("/api/v1/collections/picks"))
        .await
        .problem(404);

    let mut out = Vec::new();
    gazette::db::transfer::export(&mut ctx.pool.get().unwrap(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\"type\":\"collection\",\"slug\":\"editors-picks\",\"name\":\"Editors' picks\",\"description\":\"Ours.\",\"articles\":[\"two\",\"one\"]"),
        "{text}"
    );
    let import = |pool: &gazette::db::Pool| {
        gazette::api::transfer::import_ndjson(
            &mut pool.get().unwrap(),
            text.as_bytes(),
            gazette::config::Limits::DEFAULT,
            gazette::db::now(),
        )
        .unwrap()
    };
    let other = Ctx::new();
    let app2 = other.app().await;
    assert_eq!(import(&other.pool).collections_written, 1);
    let copy = get_json(&app2, "/api/v1/collections/editors-picks").await;
    assert_eq!(slugs(&json!({"data": copy["items"]})), ["two", "one"]);
    assert_eq!(import(&other.pool).collections_written, 0);

    send(&app, ctx.admin(delete("/api/v1/collections/editors-picks")))
        .await
        .ok(204);
    send(&app, get("/api/v1/collections/editors-picks"))
        .await
        .problem(404);
    // Its articles stay.
    assert_eq!(list_articles(&app, "").await["meta"]["total"], 2);
}
