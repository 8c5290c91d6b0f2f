//! Tags through the HTTP API: creating, reading, listing with cursor pagination, the count of
//! published articles, renaming and deleting (and what that does to the articles carrying
//! them), and tags created implicitly by article writes. Every test runs on its own fresh
//! database.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------------------

async fn create_tag(ctx: &Ctx, app: &TestApp, body: Value) -> Value {
    send(app, ctx.admin(json(Method::POST, "/api/v1/tags", &body)))
        .await
        .ok(201)
}

async fn patch_tag(ctx: &Ctx, app: &TestApp, slug: &str, body: Value) -> Value {
    let uri = format!("/api/v1/tags/{slug}");
    send(app, ctx.admin(json(Method::PATCH, &uri, &body)))
        .await
        .ok(200)
}

/// A public GET of one tag; the response, whatever its status.
async fn fetch_tag(app: &TestApp, slug: &str) -> Resp {
    send(app, get(&format!("/api/v1/tags/{slug}"))).await
}

/// A GET of one tag with the admin key, which sees tags no published article carries.
async fn fetch_tag_as_admin(ctx: &Ctx, app: &TestApp, slug: &str) -> Resp {
    send(app, ctx.admin(get(&format!("/api/v1/tags/{slug}")))).await
}

/// The article count of tag `slug`, from the tag itself and from the tag list (which must
/// agree).
async fn article_count(app: &TestApp, slug: &str) -> i64 {
    let one = fetch_tag(app, slug).await.ok(200)["article_count"]
        .as_i64()
        .unwrap();
    let all = get_json(app, "/api/v1/tags?limit=100").await;
    let listed = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} not listed: {all}"))["article_count"]
        .as_i64()
        .unwrap();
    assert_eq!(one, listed, "GET and list disagree on {slug}");
    one
}

fn tags_of(article: &Value) -> Value {
    article["tags"].clone()
}

// ---------------------------------------------------------------------------------------
// Creating and reading.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn create_tag_returns_201_with_location_and_the_tag() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let before = Utc::now();
    let res = send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/tags",
            &json!({"name": "Middle East", "description": "The region."}),
        )),
    )
    .await;
    let after = Utc::now();
    let tag = res.ok(201);
    assert_eq!(res.header("location"), Some("/api/v1/tags/middle-east"));
    assert_eq!(tag["slug"], "middle-east");
    assert_eq!(tag["name"], "Middle East");
    assert_eq!(tag["description"], "The region.");
    assert_eq!(tag["article_count"], 0);
    let created = ts(&tag["created_at"]);
    let slack = Duration::seconds(1);
    assert!(
        created >= before - slack && created <= after + slack,
        "{tag}"
    );
    assert_eq!(ts(&tag["updated_at"]), created);

    // No published article carries it yet: only an admin sees it.
    let location = res.header("location").unwrap();
    let got = send(&app, ctx.admin(get(location))).await.ok(200);
    assert_eq!(got, tag);
    fetch_tag(&app, "middle-east").await.problem(404);
}

#[actix_web::test]
async fn tag_slug_is_derived_from_the_name() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (name, slug) in [
        ("Iran’s Proxies", "irans-proxies"),
        ("  Café Zürich  ", "cafe-zurich"),
        ("U.S. Policy", "u-s-policy"),
    ] {
        let tag = create_tag(&ctx, &app, json!({"name": name})).await;
        assert_eq!(tag["slug"], slug, "{name:?}");
        assert_eq!(tag["name"], name.trim(), "{name:?}");
        assert!(tag["description"].is_null(), "{tag}");
    }
}

#[actix_web::test]
async fn explicit_tag_slug_is_used_as_given() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let res = send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/tags",
            &json!({"name": "Middle East", "slug": "mideast"}),
        )),
    )
    .await;
    assert_eq!(res.ok(201)["slug"], "mideast");
    assert_eq!(res.header("location"), Some("/api/v1/tags/mideast"));
    assert_eq!(
        fetch_tag_as_admin(&ctx, &app, "mideast").await.ok(200)["name"],
        "Middle East"
    );
    fetch_tag_as_admin(&ctx, &app, "middle-east")
        .await
        .problem(404);
}

#[actix_web::test]
async fn get_unknown_tag_is_404() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    fetch_tag(&app, "nowhere").await.problem(404);
}

// ---------------------------------------------------------------------------------------
// Listing.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn tag_list_is_in_slug_order() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for name in ["Zeta", "alpha", "Middle East", "Beta", "Middle"] {
        create_tag(&ctx, &app, json!({"name": name})).await;
    }
    // Tags no published article carries: listed for an admin only.
    let all = send(&app, ctx.admin(get("/api/v1/tags"))).await.ok(200);
    assert_eq!(
        slugs(&all),
        ["alpha", "beta", "middle", "middle-east", "zeta"]
    );
    assert_eq!(
        all["meta"],
        json!({"limit": 20, "total": 5, "has_more": false, "next_cursor": null})
    );
}

#[actix_web::test]
async fn tag_list_paginates_with_a_cursor_to_the_last_page() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for name in ["Gaza", "Yemen", "Iran", "Hezbollah", "Israel"] {
        create_tag(&ctx, &app, json!({"name": name})).await;
    }
    // Published, so that the public lists them.
    create_article(
        &ctx,
        &app,
        json!({"title": "Region", "status": "published",
               "tags": ["Gaza", "Yemen", "Iran", "Hezbollah", "Israel"]}),
    )
    .await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/tags?limit=2&cursor={}", enc(c)),
            None => "/api/v1/tags?limit=2".to_owned(),
        };
        let page = get_json(&app, &uri).await;
        pages += 1;
        let meta = &page["meta"];
        assert_eq!(meta["limit"], 2, "{meta}");
        assert_eq!(meta["total"], 5, "{meta}");
        seen.extend(slugs(&page));
        cursor = meta["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            assert_eq!(meta["has_more"], false, "{meta}");
            assert!(meta["next_cursor"].is_null(), "{meta}");
            assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");
            break;
        }
        assert_eq!(meta["has_more"], true, "{meta}");
        assert_eq!(page["data"].as_array().unwrap().len(), 2, "{page}");
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["gaza", "hezbollah", "iran", "israel", "yemen"]);
}

#[actix_web::test]
async fn article_count_counts_only_published_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    for body in [
        json!({"title": "Published One", "status": "published", "tags": ["Iran"]}),
        json!({"title": "Published Two", "status": "published", "tags": ["Iran", "Yemen"]}),
        json!({"title": "A Draft", "tags": ["Iran", "Yemen"]}),
        json!({"title": "Archived", "status": "archived", "tags": ["Iran"]}),
        json!({"title": "Scheduled", "status": "published", "published_at": tomorrow,
               "tags": ["Iran"]}),
    ] {
        create_article(&ctx, &app, body).await;
    }
    assert_eq!(article_count(&app, "iran").await, 2);
    assert_eq!(article_count(&app, "yemen").await, 1);

    patch_article(&ctx, &app, "a-draft", json!({"status": "published"})).await;
    assert_eq!(article_count(&app, "iran").await, 3);
    assert_eq!(article_count(&app, "yemen").await, 2);

    patch_article(&ctx, &app, "published-one", json!({"status": "archived"})).await;
    assert_eq!(article_count(&app, "iran").await, 2);

    let res = send(&app, ctx.admin(delete("/api/v1/articles/published-two"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert_eq!(article_count(&app, "iran").await, 1);
    assert_eq!(article_count(&app, "yemen").await, 1);
    // The count is what the public list filtered by the tag holds.
    for slug in ["iran", "yemen"] {
        let listed = list_articles(&app, &format!("tag={slug}")).await;
        assert_eq!(listed["meta"]["total"], 1, "{slug}: {listed}");
    }
}

// ---------------------------------------------------------------------------------------
// Updating.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn patching_a_tag_name_shows_the_new_name_on_its_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Story", "status": "published", "tags": ["Iran", "Middle East"]}),
    )
    .await;
    let tag = patch_tag(
        &ctx,
        &app,
        "middle-east",
        json!({"name": "The Middle East"}),
    )
    .await;
    assert_eq!(tag["slug"], "middle-east");
    assert_eq!(tag["name"], "The Middle East");
    assert_eq!(tag["article_count"], 1);
    let expected = json!([
        {"slug": "iran", "name": "Iran"},
        {"slug": "middle-east", "name": "The Middle East"}
    ]);
    assert_eq!(
        tags_of(&fetch_article(&app, "story").await.ok(200)),
        expected
    );
    let listed = get_json(&app, "/api/v1/articles").await;
    assert_eq!(listed["data"][0]["tags"], expected);
}

#[actix_web::test]
async fn patching_a_tag_slug_keeps_it_on_its_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Story", "status": "published", "tags": ["Middle East", "Iran"]}),
    )
    .await;
    let tag = patch_tag(&ctx, &app, "middle-east", json!({"slug": "mideast"})).await;
    assert_eq!(tag["slug"], "mideast");
    assert_eq!(tag["name"], "Middle East");
    assert_eq!(tag["article_count"], 1);
    fetch_tag(&app, "middle-east").await.problem(404);
    assert_eq!(fetch_tag(&app, "mideast").await.ok(200), tag);
    assert_eq!(
        tags_of(&fetch_article(&app, "story").await.ok(200)),
        json!([{"slug": "mideast", "name": "Middle East"}, {"slug": "iran", "name": "Iran"}])
    );
    assert_eq!(slugs(&list_articles(&app, "tag=mideast").await), ["story"]);
    assert_eq!(
        list_articles(&app, "tag=middle-east").await["meta"]["total"],
        0
    );
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/tags").await),
        ["iran", "mideast"]
    );
}

#[actix_web::test]
async fn patching_a_tag_description_sets_it_and_null_clears_it() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let created = create_tag(
        &ctx,
        &app,
        json!({"name": "Gaza", "description": "The strip."}),
    )
    .await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    let tag = patch_tag(
        &ctx,
        &app,
        "gaza",
        json!({"description": "The Gaza Strip."}),
    )
    .await;
    assert_eq!(tag["description"], "The Gaza Strip.");
    assert_eq!(tag["name"], "Gaza", "name untouched");
    assert_eq!(tag["slug"], "gaza", "slug untouched");
    assert_eq!(tag["created_at"], created["created_at"]);
    assert!(ts(&tag["updated_at"]) > ts(&created["updated_at"]), "{tag}");

    let tag = patch_tag(&ctx, &app, "gaza", json!({"name": "Gaza Strip"})).await;
    assert_eq!(
        tag["description"], "The Gaza Strip.",
        "omitted description stays"
    );

    let tag = patch_tag(&ctx, &app, "gaza", json!({"description": null})).await;
    assert!(tag["description"].is_null(), "{tag}");
    assert_eq!(tag["name"], "Gaza Strip");
    assert!(fetch_tag_as_admin(&ctx, &app, "gaza").await.ok(200)["description"].is_null());
}

// ---------------------------------------------------------------------------------------
// Deleting.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn deleting_a_tag_is_204_and_removes_it_from_its_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Story", "status": "published", "tags": ["Iran", "Hezbollah", "Israel"]}),
    )
    .await;
    create_article(&ctx, &app, json!({"title": "Draft", "tags": ["Hezbollah"]})).await;
    let res = send(&app, ctx.admin(delete("/api/v1/tags/hezbollah"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert!(res.body.is_empty(), "{res:?}");
    fetch_tag(&app, "hezbollah").await.problem(404);
    assert_eq!(
        tags_of(&fetch_article(&app, "story").await.ok(200)),
        json!([{"slug": "iran", "name": "Iran"}, {"slug": "israel", "name": "Israel"}])
    );
    let draft = send(&app, ctx.admin(get("/api/v1/articles/draft")))
        .await
        .ok(200);
    assert_eq!(tags_of(&draft), json!([]));
    assert_eq!(
        list_articles(&app, "tag=hezbollah").await["meta"]["total"],
        0
    );
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/tags").await),
        ["iran", "israel"]
    );
    // Deleting it again finds nothing.
    send(&app, ctx.admin(delete("/api/v1/tags/hezbollah")))
        .await
        .problem(404);
    // Referencing it again creates a fresh tag.
    patch_article(&ctx, &app, "story", json!({"tags": ["Hezbollah"]})).await;
    assert_eq!(article_count(&app, "hezbollah").await, 1);
}

// ---------------------------------------------------------------------------------------
// Tags created by article writes.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn article_writes_create_unknown_tags_and_reuse_known_ones() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "First", "status": "published", "tags": ["Middle East"]}),
    )
    .await;
    assert_eq!(
        tags_of(&a),
        json!([{"slug": "middle-east", "name": "Middle East"}])
    );
    let tag = fetch_tag(&app, "middle-east").await.ok(200);
    assert_eq!(tag["name"], "Middle East");
    assert!(tag["description"].is_null(), "{tag}");
    assert_eq!(tag["article_count"], 1);

    // By slug, and by the name in another case: the same tag, its name unchanged.
    for (title, reference) in [("Second", "middle-east"), ("Third", "MIDDLE EAST")] {
        let b = create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "tags": [reference]}),
        )
        .await;
        assert_eq!(
            tags_of(&b),
            json!([{"slug": "middle-east", "name": "Middle East"}]),
            "{reference:?}"
        );
    }
    let all = get_json(&app, "/api/v1/tags").await;
    assert_eq!(slugs(&all), ["middle-east"]);
    assert_eq!(all["meta"]["total"], 1);
    assert_eq!(all["data"][0]["article_count"], 3);

    // PATCH creates them too.
    let c = patch_article(
        &ctx,
        &app,
        "first",
        json!({"tags": ["middle-east", "Yemen"]}),
    )
    .await;
    assert_eq!(
        tags_of(&c),
        json!([
            {"slug": "middle-east", "name": "Middle East"},
            {"slug": "yemen", "name": "Yemen"}
        ])
    );
    assert_eq!(fetch_tag(&app, "yemen").await.ok(200)["article_count"], 1);
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/tags").await),
        ["middle-east", "yemen"]
    );
}

#[actix_web::test]
async fn the_same_tag_twice_on_one_article_is_listed_once() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Twice", "status": "published",
               "tags": ["Middle East", "Iran", "middle-east"]}),
    )
    .await;
    assert_eq!(
        tags_of(&a),
        json!([{"slug": "middle-east", "name": "Middle East"}, {"slug": "iran", "name": "Iran"}])
    );
    assert_eq!(article_count(&app, "middle-east").await, 1);
}

#[actix_web::test]
async fn article_writes_reuse_a_tag_created_through_the_tag_api() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_tag(
        &ctx,
        &app,
        json!({"name": "Hezbollah", "description": "Lebanese militia."}),
    )
    .await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Story", "status": "published", "tags": ["hezbollah"]}),
    )
    .await;
    assert_eq!(
        tags_of(&a),
        json!([{"slug": "hezbollah", "name": "Hezbollah"}])
    );
    let tag = fetch_tag(&app, "hezbollah").await.ok(200);
    assert_eq!(tag["description"], "Lebanese militia.", "not overwritten");
    assert_eq!(tag["article_count"], 1);
    assert_eq!(get_json(&app, "/api/v1/tags").await["meta"]["total"], 1);
}

#[actix_web::test]

async fn article_writes_find_a_tag_by_its_name_when_its_slug_differs() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_tag(
        &ctx,
        &app,
        json!({"name": "Middle East", "slug": "mideast"}),
    )
    .await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Story", "status": "published", "tags": ["Middle East"]}),
    )
    .await;
    // "Middle East" is the name of a known tag: it must not become a second tag.
    assert_eq!(
        tags_of(&a),
        json!([{"slug": "mideast", "name": "Middle East"}])
    );
    assert_eq!(slugs(&get_json(&app, "/api/v1/tags").await), ["mideast"]);
    assert_eq!(article_count(&app, "mideast").await, 1);
}

// ---------------------------------------------------------------------------------------
// Embargo: a tag shows once a published article carries it.
// ---------------------------------------------------------------------------------------

/// A public GET of `uri`: its status and body, as bytes.
async fn public_answer(app: &TestApp, uri: &str) -> (u16, Vec<u8>) {
    let res = send(app, get(uri)).await;
    (res.status.as_u16(), res.body)
}

#[actix_web::test]
async fn tags_only_unpublished_articles_carry_are_not_public() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Out", "status": "published", "tags": ["Transport"]}),
    )
    .await;
    let hidden = ["secret-plan", "embargo", "old-news", "lonely"];
    let uris: Vec<String> = hidden
        .iter()
        .flat_map(|slug| {
            [
                format!("/api/v1/tags/{slug}"),
                format!("/feed.atom?tag={slug}"),
            ]
        })
        .chain(["/api/v1/tags".to_owned(), "/api/v1/tags?limit=1".to_owned()])
        .collect();
    let mut before = Vec::new();
    for uri in &uris {
        before.push(public_answer(&app, uri).await);
    }

    // Tags made for a draft, a scheduled and an archived article, and one on its own; an
    // unpublished article also carries the public tag.
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    for body in [
        json!({"title": "Draft", "tags": ["Secret Plan", "Transport"]}),
        json!({"title": "Later", "status": "published", "published_at": tomorrow,
               "tags": ["Embargo"]}),
        json!({"title": "Gone", "status": "archived", "tags": ["Old News"]}),
    ] {
        create_article(&ctx, &app, body).await;
    }
    create_tag(&ctx, &app, json!({"name": "Lonely"})).await;

    for (uri, was) in uris.iter().zip(&before) {
        let now = public_answer(&app, uri).await;
        assert_eq!(
            &now,
            was,
            "{uri} changed: {} -> {}",
            String::from_utf8_lossy(&was.1),
            String::from_utf8_lossy(&now.1)
        );
    }
    let listed = get_json(&app, "/api/v1/tags").await;
    assert_eq!(slugs(&listed), ["transport"]);
    assert_eq!(listed["meta"]["total"], 1);
    assert_eq!(listed["data"][0]["article_count"], 1);
    fetch_tag(&app, "secret-plan").await.problem(404);
    send(&app, get("/feed.atom?tag=embargo")).await.problem(404);

    // An admin sees every tag, and a feed of one (empty) to preview.
    let all = send(&app, ctx.admin(get("/api/v1/tags"))).await.ok(200);
    assert_eq!(
        slugs(&all),
        ["embargo", "lonely", "old-news", "secret-plan", "transport"]
    );
    assert_eq!(all["meta"]["total"], 5);
    for slug in hidden {
        let tag = fetch_tag_as_admin(&ctx, &app, slug).await.ok(200);
        assert_eq!(tag["article_count"], 0, "{tag}");
    }
    let feed = send(&app, ctx.admin(get("/feed.atom?tag=secret-plan"))).await;
    assert_eq!(feed.status.as_u16(), 200, "{feed:?}");

    // Published, the draft brings its tag out.
    patch_article(&ctx, &app, "draft", json!({"status": "published"})).await;
    assert_eq!(article_count(&app, "secret-plan").await, 1);
    assert_eq!(article_count(&app, "transport").await, 2);
    let feed = send(&app, get("/feed.atom?tag=secret-plan")).await;
    assert_eq!(feed.status.as_u16(), 200, "{feed:?}");
}
