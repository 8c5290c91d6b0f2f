//! The end of a link: expiry, revocation, the article's deletion or publication (by a write
//! or by its time coming), and tokens that never were.

use super::*;

use chrono::{Duration, Utc};
use diesel::ExpressionMethods;
use gazette::db;
use gazette::schema::articles;
use serde_json::json;

#[actix_web::test]
async fn expired_links_are_dead_and_unlisted() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let link = mint(&ctx, &app, "draft", Some(json!({"expires_in": 60}))).await;
    let token = token_of(&link);
    open(&app, &token).await.ok(200);

    // The link's minute passes.
    diesel::update(article_previews::table)
        .set(article_previews::expires_at.eq(db::now() - Duration::seconds(1)))
        .execute(&mut *ctx.pool.get().unwrap())
        .unwrap();
    assert_dead(&app, &token, "an expired link").await;
    let list = send(&app, ctx.admin(get("/api/v1/articles/draft/previews")))
        .await
        .ok(200);
    assert_eq!(list["data"], json!([]), "an expired link is not listed");
    send(
        &app,
        ctx.admin(delete(&format!(
            "/api/v1/articles/draft/previews/{}",
            link["id"]
        ))),
    )
    .await
    .problem(404);
    // Minting again clears expired links away.
    mint(&ctx, &app, "draft", None).await;
    assert_eq!(live_count(&ctx), 1);
}

#[actix_web::test]
async fn revoked_links_are_dead_and_listed_links_have_no_token() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    create_article(&ctx, &app, json!({"title": "Other", "slug": "other"})).await;
    let first = mint(&ctx, &app, "draft", None).await;
    let second = mint(&ctx, &app, "draft", Some(json!({"expires_in": 3600}))).await;
    let other = mint(&ctx, &app, "other", None).await;

    let res = send(&app, ctx.admin(get("/api/v1/articles/draft/previews"))).await;
    let list = res.ok(200);
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let ids: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [&second["id"], &first["id"]], "newest first: {list}");
    for item in list["data"].as_array().unwrap() {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["created_at", "expires_at", "id"],
            "no token listed: {item}"
        );
    }
    assert!(!list.to_string().contains(&token_of(&first)));

    let revoke =
        |key: &str, id: &Value| ctx.admin(delete(&format!("/api/v1/articles/{key}/previews/{id}")));
    // A link of another article, or no link, is not revoked through this one.
    send(&app, revoke("draft", &other["id"])).await.problem(404);
    send(&app, revoke("draft", &json!("x"))).await.problem(404);
    send(&app, revoke("draft", &json!(0))).await.problem(404);
    let content = delete(&format!("/api/v1/articles/draft/previews/{}", first["id"]))
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    open(&app, &token_of(&first)).await.ok(200);

    send(&app, revoke("draft", &first["id"])).await.ok(204);
    assert_dead(&app, &token_of(&first), "a revoked link").await;
    send(&app, revoke("draft", &first["id"])).await.problem(404);
    open(&app, &token_of(&second)).await.ok(200);
    open(&app, &token_of(&other)).await.ok(200);
    let list = send(&app, ctx.admin(get("/api/v1/articles/draft/previews")))
        .await
        .ok(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_deleted_article_takes_its_links_with_it() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let token = token_of(&mint(&ctx, &app, "draft", None).await);
    open(&app, &token).await.ok(200);
    send(&app, ctx.admin(delete("/api/v1/articles/draft")))
        .await
        .ok(204);
    assert_dead(&app, &token, "the link of a deleted article").await;
    assert_eq!(live_count(&ctx), 0, "the links went with the article");
    // A new article with the same slug is not shown by the old link.
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    assert_dead(&app, &token, "the old link of a reused slug").await;
}

#[actix_web::test]
async fn publishing_kills_links_for_good() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let token = token_of(&mint(&ctx, &app, "draft", None).await);
    open(&app, &token).await.ok(200);

    patch_article(&ctx, &app, "draft", json!({"status": "published"})).await;
    assert_dead(&app, &token, "the link of a published article").await;
    let refused = send(&app, ctx.admin(mint_req("draft", None))).await;
    refused.problem(409);
    // Unpublished again, it is not shown by a link minted before its publication.
    patch_article(&ctx, &app, "draft", json!({"status": "archived"})).await;
    assert_dead(&app, &token, "the old link of an article unpublished again").await;
    assert_eq!(live_count(&ctx), 0);
    // A new link shows it.
    let fresh = token_of(&mint(&ctx, &app, "draft", None).await);
    assert_eq!(open(&app, &fresh).await.ok(200)["status"], "archived");
}

#[actix_web::test]
async fn a_scheduled_article_is_previewed_until_its_time_comes() {
    let ctx = context();
    let app = ctx.app().await;
    let at = (Utc::now() + Duration::days(1)).to_rfc3339();
    create_article(
        &ctx,
        &app,
        json!({"title": "Tomorrow", "slug": "tomorrow", "status": "published", "published_at": at}),
    )
    .await;
    let token = token_of(&mint(&ctx, &app, "tomorrow", None).await);
    assert_eq!(open(&app, &token).await.ok(200)["status"], "published");

    // Its time comes, with no write at that moment.
    diesel::update(articles::table.filter(articles::slug.eq("tomorrow")))
        .set(articles::published_at.eq(db::now() - Duration::seconds(1)))
        .execute(&mut *ctx.pool.get().unwrap())
        .unwrap();
    fetch_article(&app, "tomorrow").await.ok(200);
    assert_dead(&app, &token, "the link of a scheduled article gone live").await;
    // Withdrawn after it was public, it stays dead.
    patch_article(&ctx, &app, "tomorrow", json!({"status": "draft"})).await;
    assert_dead(
        &app,
        &token,
        "the link of an article withdrawn after going live",
    )
    .await;
}

#[actix_web::test]
async fn malformed_and_unknown_tokens_answer_alike() {
    let ctx = context();
    let app = ctx.app().await;
    let long = "a".repeat(2000);
    for token in [
        "x",
        "not-a-token",
        &unknown_token()[1..],
        long.as_str(),
        "%2e%2e",
        "...",
    ] {
        assert_dead(&app, token, &format!("token {token:?}")).await;
    }
    // The route takes GET (and HEAD) only.
    let res = send(&app, TestRequest::post().uri("/api/v1/preview/x")).await;
    res.problem(405);
}
