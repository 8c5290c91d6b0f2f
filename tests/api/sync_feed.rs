//! `GET /api/v1/changes`: an initial sync of everything a reader sees, then what changed
//! after a token, deletions included; nothing about an unpublished story moves a public
//! reader's feed; old tokens answer 410.

use crate::support::common;
use common::*;

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Every page from `since` (none: an initial sync) until `has_more` is false: the items and
/// the token to store.
async fn sync(
    app: &TestApp,
    auth: Option<&str>,
    query: &str,
    since: Option<&str>,
) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut token = since.map(str::to_owned);
    for _ in 0..100 {
        let mut uri = format!("/api/v1/changes?{query}");
        if let Some(t) = &token {
            uri.push_str(&format!("&since={t}"));
        }
        let mut req = get(&uri);
        if let Some(key) = auth {
            req = req.insert_header(("Authorization", format!("Bearer {key}")));
        }
        let page = send(app, req).await.ok(200);
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        token = Some(page["meta"]["next_token"].as_str().unwrap().to_owned());
        if !page["meta"]["has_more"].as_bool().unwrap() {
            return (items, token.unwrap());
        }
    }
    panic!("the feed never ended");
}

/// Publishes an article titled `title` with `tags`.
async fn publish_tagged(ctx: &Ctx, app: &TestApp, title: &str, tags: &[&str]) -> Value {
    let body = json!({"title": title, "status": "published", "tags": tags});
    create_article(ctx, app, body).await
}

/// (type, change, slug, reason) of each item.
fn summary(items: &[Value]) -> Vec<(String, String, String, Option<String>)> {
    items
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["change"].as_str().unwrap().to_owned(),
                i["slug"].as_str().unwrap().to_owned(),
                i["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn upsert(slug: &str) -> (String, String, String, Option<String>) {
    ("article".into(), "upsert".into(), slug.into(), None)
}

fn tag_upsert(slug: &str) -> (String, String, String, Option<String>) {
    ("tag".into(), "upsert".into(), slug.into(), None)
}

fn tag_deletion(slug: &str, reason: &str) -> (String, String, String, Option<String>) {
    (
        "tag".into(),
        "delete".into(),
        slug.into(),
        Some(reason.into()),
    )
}

fn deletion(slug: &str, reason: &str) -> (String, String, String, Option<String>) {
    (
        "article".into(),
        "delete".into(),
        slug.into(),
        Some(reason.into()),
    )
}

#[actix_web::test]
async fn an_initial_sync_gives_every_public_article_then_every_public_tag() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for title in ["Tram Vote", "Ferry Strike", "Harbour Fair"] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "tags": ["Transport"]}),
        )
        .await;
    }
    create_article(
        &ctx,
        &app,
        json!({"title": "Secret Merger", "tags": ["Embargoed Topic"]}),
    )
    .await;

    let (items, token) = sync(&app, None, "limit=2", None).await;
    let articles: BTreeSet<&str> = items
        .iter()
        .filter(|i| i["type"] == "article")
        .map(|i| i["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        articles,
        BTreeSet::from(["tram-vote", "ferry-strike", "harbour-fair"])
    );
    let tags: Vec<&str> = items
        .iter()
        .filter(|i| i["type"] == "tag")
        .map(|i| i["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["transport"],
        "a tag only a draft carries is not public"
    );
    for item in &items {
        assert_eq!(
            (item["change"].as_str(), item["kind"].as_str()),
            (Some("upsert"), Some("sync"))
        );
    }
    // An upsert carries the article as its public GET shows it.
    let tram = items.iter().find(|i| i["slug"] == "tram-vote").unwrap();
    let read = get_json(&app, "/api/v1/articles/tram-vote").await;
    assert_eq!(tram["article"], read);
    assert!(!token.is_empty());

    // Nothing changed since: an empty page with the same token.
    let (again, same) = sync(&app, None, "", Some(&token)).await;
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(same, token);
}

#[actix_web::test]
async fn a_delta_gives_upserts_and_deletions_with_reasons_in_order() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for title in [
        "Tram Vote",
        "Ferry Strike",
        "Harbour Fair",
        "Bridge Closure",
    ] {
        create_article(&ctx, &app, json!({"title": title, "status": "published"})).await;
    }
    let (_, token) = sync(&app, None, "", None).await;

    patch_article(&ctx, &app, "tram-vote", json!({"summary": "Passed."})).await;
    patch_article(
        &ctx,
        &app,
        "tram-vote",
        json!({"summary": "Passed at last."}),
    )
    .await;
    patch_article(&ctx, &app, "ferry-strike", json!({"status": "draft"})).await;
    patch_article(&ctx, &app, "harbour-fair", json!({"status": "archived"})).await;
    send(&app, ctx.admin(delete("/api/v1/articles/bridge-closure")))
        .await
        .ok(204);
    let fresh = create_article(
        &ctx,
        &app,
        json!({"title": "Night Buses", "status": "published"}),
    )
    .await;

    let (items, next) = sync(&app, None, "limit=2", Some(&token)).await;
    assert_eq!(
        summary(&items),
        [
            upsert("tram-vote"),
            deletion("ferry-strike", "unpublished"),
            deletion("harbour-fair", "archived"),
            deletion("bridge-closure", "deleted"),
            upsert("night-buses"),
        ]
    );
    assert_eq!(
        items[0]["article"]["summary"], "Passed at last.",
        "the article as it is now"
    );
    assert_eq!(items[0]["kind"], "article.updated");
    assert_eq!(items[1]["kind"], "article.unpublished");
    assert_eq!(items[4]["id"], fresh["id"]);
    assert!(items[1]["article"].is_null() && items[1]["id"].is_i64());
    assert_ne!(next, token);
}

#[actix_web::test]
async fn unpublished_work_moves_nothing_in_a_public_feed() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram Vote", "status": "published"}),
    )
    .await;
    let (_, token) = sync(&app, None, "", None).await;
    let before = send(&app, get(&format!("/api/v1/changes?since={token}"))).await;
    let before_initial = send(&app, get("/api/v1/changes")).await;

    // A draft is written, edited, renamed, tagged and deleted: the public sees none of it.
    create_article(
        &ctx,
        &app,
        json!({"title": "Secret Merger", "tags": ["Mergers"]}),
    )
    .await;
    patch_article(
        &ctx,
        &app,
        "secret-merger",
        json!({"slug": "merger-talks", "summary": "Soon."}),
    )
    .await;
    send(&app, ctx.admin(delete("/api/v1/articles/merger-talks")))
        .await
        .ok(204);

    // Asked of this app and of a fresh one (which has no copy of an earlier answer).
    let fresh = ctx.app().await;
    for app in [&app, &fresh] {
        let after = send(app, get(&format!("/api/v1/changes?since={token}"))).await;
        assert_eq!(after.body, before.body, "the same answer, the same token");
        assert_eq!(after.header("etag"), before.header("etag"));
        let after_initial = send(app, get("/api/v1/changes")).await;
        assert_eq!(
            after_initial.body, before_initial.body,
            "the initial sync's token too"
        );
    }

    // An admin's feed has them all.
    let (items, _) = sync(&app, Some(&ctx.admin_key), "", None).await;
    assert!(
        items.iter().all(|i| i["slug"] != "merger-talks"),
        "deleted before this sync"
    );
    let (_, admin_token) = sync(&app, Some(&ctx.admin_key), "", None).await;
    create_article(&ctx, &app, json!({"title": "Draft Two"})).await;
    let (items, _) = sync(&app, Some(&ctx.admin_key), "", Some(&admin_token)).await;
    assert_eq!(summary(&items), [upsert("draft-two")]);
    assert_eq!(items[0]["article"]["status"], "draft");

    // Tokens belong to their kind of reader.
    let wrong = send(&app, get(&format!("/api/v1/changes?since={admin_token}"))).await;
    assert_eq!(wrong.problem(400)["errors"][0]["field"], "since");
}

#[actix_web::test]
async fn a_tag_filtered_feed_says_when_an_article_leaves_the_tag() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish_tagged(&ctx, &app, "Tram Vote", &["Transport"]).await;
    publish_tagged(&ctx, &app, "Harbour Fair", &["Harbour"]).await;
    let (items, token) = sync(&app, None, "tag=transport", None).await;
    assert_eq!(
        summary(&items),
        [upsert("tram-vote"), tag_upsert("transport")]
    );

    patch_article(&ctx, &app, "tram-vote", json!({"tags": ["City Hall"]})).await;
    patch_article(&ctx, &app, "harbour-fair", json!({"summary": "Sunny."})).await;
    let (items, _) = sync(&app, None, "tag=transport", Some(&token)).await;
    // Its last public article gone, the tag is out of view too.
    assert_eq!(
        summary(&items),
        [
            deletion("tram-vote", "untagged"),
            tag_deletion("transport", "unpublished"),
        ]
    );

    let (tags_only, _) = sync(&app, None, "type=tag", None).await;
    assert!(
        tags_only.iter().all(|i| i["type"] == "tag"),
        "{tags_only:?}"
    );
    let (articles_only, _) = sync(&app, None, "type=article", Some(&token)).await;
    assert_eq!(
        summary(&articles_only),
        [upsert("tram-vote"), upsert("harbour-fair")]
    );
}

#[actix_web::test]
async fn tag_writes_come_as_tag_upserts_and_deletions() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish_tagged(&ctx, &app, "Tram Vote", &["Transport"]).await;
    let (_, token) = sync(&app, None, "type=tag", None).await;
    let renamed = json!({"slug": "transit", "name": "Transit"});
    send(
        &app,
        ctx.admin(json(
            actix_web::http::Method::PATCH,
            "/api/v1/tags/transport",
            &renamed,
        )),
    )
    .await
    .ok(200);
    let (items, token) = sync(&app, None, "type=tag", Some(&token)).await;
    assert_eq!(
        summary(&items),
        [tag_deletion("transport", "renamed"), tag_upsert("transit"),]
    );
    assert_eq!(items[1]["tag"]["name"], "Transit");
    send(&app, ctx.admin(delete("/api/v1/tags/transit")))
        .await
        .ok(204);
    let (items, _) = sync(&app, None, "type=tag", Some(&token)).await;
    assert_eq!(summary(&items), [tag_deletion("transit", "deleted")]);
    // The article that carried it shows it no more: an upsert, without the tag.
    let (items, _) = sync(&app, None, "type=article", Some(&token)).await;
    assert_eq!(summary(&items), [upsert("tram-vote")]);
    assert_eq!(items[0]["article"]["tags"], json!([]));
}

#[actix_web::test]
async fn a_scheduled_article_comes_as_an_upsert_when_it_is_due() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let (_, token) = sync(&app, None, "", None).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(1);
    create_article(
        &ctx,
        &app,
        json!({"title": "Embargoed Report", "status": "published", "published_at": at.to_rfc3339()}),
    )
    .await;
    let (items, _) = sync(&app, None, "", Some(&token)).await;
    assert!(items.is_empty(), "nothing before its time: {items:?}");
    let _worker = gazette::golive::GoLiveWorker::start(ctx.pool.clone());
    let (items, _) = eventually("the scheduled article in the feed", || async {
        let (items, _) = sync(&app, None, "", Some(&token)).await;
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(summary(&items), [upsert("embargoed-report")]);
    assert_eq!(items[0]["kind"], "article.published");
}

#[actix_web::test]
async fn a_token_older_than_the_log_keeps_answers_410_and_a_forged_one_400() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram Vote", "status": "published"}),
    )
    .await;
    let (_, old) = sync(&app, None, "", None).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Ferry Strike", "status": "published"}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Harbour Fair", "status": "published"}),
    )
    .await;
    let (_, newer) = sync(&app, None, "", Some(&old)).await;

    let future = gazette::db::now() + chrono::Duration::days(1);
    let forgotten = gazette::db::sync::prune(&mut ctx.pool.get().unwrap(), future).unwrap();
    assert!(forgotten >= 2, "{forgotten}");

    let gone = send(&app, get(&format!("/api/v1/changes?since={old}"))).await;
    let problem = gone.problem(410);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("sync from scratch"),
        "{problem}"
    );
    // The newest change is kept: a token at it still reads on.
    let (items, _) = sync(&app, None, "", Some(&newer)).await;
    assert!(items.is_empty());
    let (items, _) = sync(&app, None, "", None).await;
    assert_eq!(items.len(), 3, "an initial sync still works");

    for bad in ["nonsense", "ZzF8cHxsfC0x", "%00"] {
        send(&app, get(&format!("/api/v1/changes?since={bad}")))
            .await
            .problem(400);
    }
    send(&app, get("/api/v1/changes?type=author"))
        .await
        .problem(400);
    send(&app, get("/api/v1/changes?limit=101"))
        .await
        .problem(400);
    let long = "t".repeat(81);
    let refused = send(&app, get(&format!("/api/v1/changes?tag={long}"))).await;
    assert_eq!(refused.problem(400)["errors"][0]["field"], "tag");
}

#[actix_web::test]
async fn a_tag_comes_into_view_and_leaves_it_with_its_first_and_last_public_article() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram Vote", "status": "published"}),
    )
    .await;
    let (_, token) = sync(&app, None, "type=tag", None).await;
    publish_tagged(&ctx, &app, "Night Buses", &["Night Life"]).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Secret Merger", "tags": ["Mergers"]}),
    )
    .await;
    let (items, token) = sync(&app, None, "type=tag", Some(&token)).await;
    assert_eq!(summary(&items), [tag_upsert("night-life")]);
    assert_eq!(items[0]["tag"]["article_count"], 1);

    patch_article(
        &ctx,
        &app,
        "night-buses",
        json!({"status": "draft", "tags": ["Mergers"]}),
    )
    .await;
    let (items, _) = sync(&app, None, "", Some(&token)).await;
    assert_eq!(
        summary(&items),
        [
            deletion("night-buses", "unpublished"),
            tag_deletion("night-life", "unpublished"),
        ]
    );
    // A delta leaves a reader holding what an initial sync gives.
    let (fresh, _) = sync(&app, None, "type=tag", None).await;
    assert!(fresh.is_empty(), "{fresh:?}");
}
