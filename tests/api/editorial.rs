//! The editorial workflow: scheduling and editorial lists, optimistic concurrency with
//! If-Match, revisions, slug history.

use crate::support::common;

use std::rc::Rc;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use common::*;
use gazette::config::Settings;
use serde_json::{Value, json};

fn future(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339()
}

async fn admin_get(ctx: &Ctx, app: &TestApp, uri: &str) -> Resp {
    send(app, ctx.admin(get(uri))).await
}

/// The ETag an admin GET of the article sends.
async fn etag(ctx: &Ctx, app: &TestApp, key: &str) -> String {
    let resp = admin_get(ctx, app, &format!("/api/v1/articles/{key}")).await;
    resp.ok(200);
    resp.header("etag").expect("an ETag").to_owned()
}

fn with_if_match(req: TestRequest, etag: &str) -> TestRequest {
    req.insert_header(("If-Match", etag.to_owned()))
}

#[actix_web::test]
async fn scheduled_articles_are_listed_by_status_for_admins_only() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Live", "status": "published"})).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tomorrow", "status": "published", "published_at": future(1)}),
    )
    .await;
    create_article(&ctx, &app, json!({"title": "Idea"})).await;
    create_article(&ctx, &app, json!({"title": "Old", "status": "archived"})).await;

    // The public sees only what is live, nowhere else either.
    assert_eq!(slugs(&list_articles(&app, "").await), ["live"]);
    fetch_article(&app, "tomorrow").await.problem(404);
    let tag_free_search = list_articles(&app, "q=tomorrow").await;
    assert_eq!(tag_free_search["meta"]["total"], 0);

    for (status, expected) in [
        ("scheduled", "tomorrow"),
        ("draft", "idea"),
        ("published", "live"),
        ("archived", "old"),
    ] {
        let list = admin_get(&ctx, &app, &format!("/api/v1/articles?status={status}"))
            .await
            .ok(200);
        assert_eq!(slugs(&list), [expected], "status={status}");
    }
    // Preview: an admin reads a scheduled article and a draft.
    assert_eq!(
        admin_get(&ctx, &app, "/api/v1/articles/tomorrow")
            .await
            .ok(200)["title"],
        "Tomorrow"
    );
    assert_eq!(
        admin_get(&ctx, &app, "/api/v1/articles/idea").await.ok(200)["status"],
        "draft"
    );

    // Without an admin key, `status` is refused.
    send(&app, get("/api/v1/articles?status=draft"))
        .await
        .problem(401);
    let content = get("/api/v1/articles?status=draft")
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    admin_get(&ctx, &app, "/api/v1/articles?status=pending")
        .await
        .problem(400);
}

#[actix_web::test]
async fn editorial_lists_of_undated_drafts_paginate() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for i in 0..5 {
        create_article(&ctx, &app, json!({"title": format!("Draft {i}")})).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/v1/articles?status=draft&limit=2".to_owned();
    loop {
        let page = admin_get(&ctx, &app, &uri).await.ok(200);
        seen.extend(slugs(&page));
        match page["meta"]["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/articles?status=draft&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["draft-4", "draft-3", "draft-2", "draft-1", "draft-0"]
    );
}

#[actix_web::test]
async fn if_match_guards_updates_related_and_deletes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Story", "status": "published"})).await;
    let first = etag(&ctx, &app, "story").await;

    let patch = |body: Value| patch_article_req("story", body);
    send(
        &app,
        ctx.admin(with_if_match(patch(json!({"summary": "One"})), &first)),
    )
    .await
    .ok(200);
    let current = etag(&ctx, &app, "story").await;
    assert_ne!(current, first);

    // A stale ETag: 412 with the current one, and nothing changes.
    let stale = send(
        &app,
        ctx.admin(with_if_match(patch(json!({"summary": "Two"})), &first)),
    )
    .await;
    let problem = stale.problem(412);
    assert_eq!(problem["current_etag"], current.as_str());
    assert_eq!(stale.header("etag"), Some(current.as_str()));
    assert_eq!(fetch_article(&app, "story").await.ok(200)["summary"], "One");

    let put = json(Method::PUT, "/api/v1/articles/story/related", &json!([]));
    send(&app, ctx.admin(with_if_match(put, &first)))
        .await
        .problem(412);
    send(
        &app,
        ctx.admin(with_if_match(delete("/api/v1/articles/story"), &first)),
    )
    .await
    .problem(412);
    fetch_article(&app, "story").await.ok(200);

    // The ETag of a compressed read names the same version.
    let gzip = current.trim_end_matches('"').to_owned() + "-gzip\"";
    send(
        &app,
        ctx.admin(with_if_match(patch(json!({"summary": "Three"})), &gzip)),
    )
    .await
    .ok(200);
    // A weak validator never matches If-Match; `*` always does.
    let now = etag(&ctx, &app, "story").await;
    send(
        &app,
        ctx.admin(with_if_match(
            patch(json!({"summary": "Four"})),
            &format!("W/{now}"),
        )),
    )
    .await
    .problem(412);
    send(
        &app,
        ctx.admin(with_if_match(delete("/api/v1/articles/story"), "*")),
    )
    .await
    .ok(204);
}

#[actix_web::test]
async fn if_match_can_be_required() {
    let ctx = Ctx::with_settings(Settings {
        require_if_match: true,
        ..Settings::default()
    });
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Story"})).await;
    send(
        &app,
        ctx.admin(patch_article_req("story", json!({"summary": "x"}))),
    )
    .await
    .problem(428);
    send(&app, ctx.admin(delete("/api/v1/articles/story")))
        .await
        .problem(428);
    // Authorization is decided first: no key is a 401, not a 428.
    send(&app, patch_article_req("story", json!({"summary": "x"})))
        .await
        .problem(401);
    let current = etag(&ctx, &app, "story").await;
    send(
        &app,
        ctx.admin(with_if_match(
            patch_article_req("story", json!({"summary": "x"})),
            &current,
        )),
    )
    .await
    .ok(200);
}

#[actix_web::test]
async fn of_two_concurrent_patches_with_one_etag_exactly_one_wins() {
    let ctx = Ctx::new();
    let app = Rc::new(ctx.app().await);
    create_article(
        &ctx,
        &app,
        json!({"title": "Contested", "status": "published"}),
    )
    .await;
    let tag = etag(&ctx, &app, "contested").await;
    for round in 0..5 {
        let tag = if round == 0 {
            tag.clone()
        } else {
            etag(&ctx, &app, "contested").await
        };
        let tasks: Vec<_> = (0..2)
            .map(|editor| {
                let app = Rc::clone(&app);
                let req = ctx.admin(with_if_match(
                    patch_article_req(
                        "contested",
                        json!({"summary": format!("editor {editor} round {round}")}),
                    ),
                    &tag,
                ));
                actix_web::rt::spawn(async move { send(&app, req).await.status.as_u16() })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        statuses.sort();
        assert_eq!(statuses, [200, 412], "round {round}");
    }
}

#[actix_web::test]
async fn every_change_is_a_revision_and_restore_adds_one() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "First", "slug": "story", "body": "Version *one*.", "tags": ["Alpha"]}),
    )
    .await;
    create_article(&ctx, &app, json!({"title": "Other", "status": "published"})).await;
    patch_article(
        &ctx,
        &app,
        "story",
        json!({"title": "Second", "status": "published", "tags": ["Beta"]}),
    )
    .await;
    send(
        &app,
        ctx.admin(json(
            Method::PUT,
            "/api/v1/articles/story/related",
            &json!([{"slug": "other"}]),
        )),
    )
    .await
    .ok(200);

    let list = admin_get(&ctx, &app, "/api/v1/articles/story/revisions")
        .await
        .ok(200);
    assert_eq!(list["meta"]["total"], 3);
    let numbers: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1], "newest first");
    assert_eq!(list["data"][2]["title"], "First");

    let one = admin_get(&ctx, &app, "/api/v1/articles/story/revisions/1")
        .await
        .ok(200);
    assert_eq!(one["title"], "First");
    assert_eq!(one["body"], "Version *one*.");
    assert_eq!(one["status"], "draft");
    assert_eq!(one["tags"], json!([{"slug": "alpha", "name": "Alpha"}]));
    assert_eq!(one["related"], json!([]));
    let three = admin_get(&ctx, &app, "/api/v1/articles/story/revisions/3")
        .await
        .ok(200);
    assert_eq!(three["related"], json!([{"slug": "other"}]));

    // Paginated.
    let page = admin_get(&ctx, &app, "/api/v1/articles/story/revisions?limit=2")
        .await
        .ok(200);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let cursor = page["meta"]["next_cursor"].as_str().unwrap();
    let rest = admin_get(
        &ctx,
        &app,
        &format!("/api/v1/articles/story/revisions?limit=2&cursor={cursor}"),
    )
    .await
    .ok(200);
    assert_eq!(rest["data"][0]["number"], 1);
    assert_eq!(rest["meta"]["has_more"], false);

    // Restore version 1: its content is current again, as revision 4.
    let restored = send(
        &app,
        ctx.admin(TestRequest::post().uri("/api/v1/articles/story/revisions/1/restore")),
    )
    .await
    .ok(200);
    assert_eq!(restored["title"], "First");
    assert_eq!(restored["status"], "draft");
    assert_eq!(restored["body_html"], "<p>Version <em>one</em>.</p>\n");
    assert_eq!(strs(&restored["tags"], "slug"), ["alpha"]);
    assert_eq!(restored["related"], json!([]));
    let after = admin_get(&ctx, &app, "/api/v1/articles/story/revisions")
        .await
        .ok(200);
    assert_eq!(after["meta"]["total"], 4);
    assert_eq!(after["data"][0]["title"], "First");

    // Errors: unknown revision, no key, a content key.
    admin_get(&ctx, &app, "/api/v1/articles/story/revisions/99")
        .await
        .problem(404);
    send(&app, get("/api/v1/articles/story/revisions"))
        .await
        .problem(401);
    let content = get("/api/v1/articles/story/revisions")
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
}

#[actix_web::test]
async fn a_published_articles_old_slug_redirects_and_stays_reserved() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Old Name", "status": "published"}),
    )
    .await;
    patch_article(&ctx, &app, "old-name", json!({"slug": "new-name"})).await;

    let moved = send(&app, get("/api/v1/articles/old-name?fields=title")).await;
    assert_eq!(moved.status.as_u16(), 301, "{moved:?}");
    assert_eq!(
        moved.header("location"),
        Some("/api/v1/articles/new-name?fields=title")
    );
    let related = send(&app, get("/api/v1/articles/old-name/related")).await;
    assert_eq!(related.status.as_u16(), 301);
    assert_eq!(
        related.header("location"),
        Some("/api/v1/articles/new-name/related")
    );

    // Nobody else may take the old slug, by name or by derivation.
    send(
        &app,
        ctx.admin(post_article_req(json!({"title": "X", "slug": "old-name"}))),
    )
    .await
    .problem(409);
    let derived = create_article(&ctx, &app, json!({"title": "Old Name"})).await;
    assert_eq!(derived["slug"], "old-name-2");
    send(
        &app,
        ctx.admin(patch_article_req("old-name-2", json!({"slug": "old-name"}))),
    )
    .await
    .problem(409);
    // The article itself may take it back.
    patch_article(&ctx, &app, "new-name", json!({"slug": "old-name"})).await;
    fetch_article(&app, "old-name").await.ok(200);
    assert_eq!(
        send(&app, get("/api/v1/articles/new-name"))
            .await
            .status
            .as_u16(),
        301
    );

    // Deleting the article frees all its slugs.
    send(&app, ctx.admin(delete("/api/v1/articles/old-name")))
        .await
        .ok(204);
    fetch_article(&app, "new-name").await.problem(404);
    create_article(&ctx, &app, json!({"title": "Y", "slug": "new-name"})).await;
    create_article(&ctx, &app, json!({"title": "Z", "slug": "old-name"})).await;
}

#[actix_web::test]
async fn a_drafts_old_slug_is_simply_gone() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Working Title"})).await;
    patch_article(
        &ctx,
        &app,
        "working-title",
        json!({"slug": "final-title", "status": "published"}),
    )
    .await;
    admin_get(&ctx, &app, "/api/v1/articles/working-title")
        .await
        .problem(404);
    create_article(&ctx, &app, json!({"title": "Working Title"})).await;
}

#[actix_web::test]
async fn restoring_follows_a_renamed_link_target() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Bee Old", "status": "published"}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Ay", "status": "published", "related": [{"slug": "bee-old"}]}),
    )
    .await;
    patch_article(&ctx, &app, "bee-old", json!({"slug": "bee-new"})).await;
    patch_article(&ctx, &app, "ay", json!({"related": []})).await;
    let restored = send(
        &app,
        ctx.admin(TestRequest::post().uri("/api/v1/articles/ay/revisions/1/restore")),
    )
    .await
    .ok(200);
    assert_eq!(strs(&restored["related"], "slug"), ["bee-new"]);
}

#[actix_web::test]
async fn an_unreadable_if_match_is_a_failed_condition() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Story"})).await;
    let req = patch_article_req("story", json!({"summary": "x"})).insert_header((
        "If-Match",
        actix_web::http::header::HeaderValue::from_bytes(b"\"\xc3\xa9\"").unwrap(),
    ));
    send(&app, ctx.admin(req)).await.problem(412);
    assert_eq!(
        fetch_article(&app, "story").await.status.as_u16(),
        404,
        "a draft; unchanged either way"
    );
    assert_eq!(
        admin_get(&ctx, &app, "/api/v1/articles/story")
            .await
            .ok(200)["summary"],
        ""
    );
}

#[actix_web::test]
async fn the_feeds_self_link_ignores_forwarded_headers() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let req = get("/feed.atom")
        .insert_header(("X-Forwarded-Host", "evil.example"))
        .insert_header(("X-Forwarded-Proto", "javascript"));
    let feed = String::from_utf8(send(&app, req).await.body).unwrap();
    assert!(
        feed.contains("rel=\"self\" type=\"application/atom+xml\" href=\"/feed.atom\""),
        "{feed}"
    );
    assert!(!feed.contains("evil.example"));
}

#[actix_web::test]
async fn a_write_answers_with_the_etag_the_next_write_sends() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let created = send(
        &app,
        ctx.admin(post_article_req(
            json!({"title": "Tram Vote", "summary": "Soon."}),
        )),
    )
    .await;
    assert_eq!(created.status.as_u16(), 201);
    let first = created.header("etag").expect("an ETag on 201").to_owned();
    assert_eq!(
        first,
        etag(&ctx, &app, "tram-vote").await,
        "as an admin GET sends it"
    );

    // Chained writes, each with the ETag the one before answered with: no read between.
    let patched = send(
        &app,
        with_if_match(
            ctx.admin(patch_article_req(
                "tram-vote",
                json!({"summary": "Passed."}),
            )),
            &first,
        ),
    )
    .await;
    assert_eq!(patched.status.as_u16(), 200, "{patched:?}");
    let second = patched.header("etag").expect("an ETag on 200").to_owned();
    assert_ne!(second, first);
    let again = send(
        &app,
        with_if_match(
            ctx.admin(patch_article_req("tram-vote", json!({"summary": "Again."}))),
            &second,
        ),
    )
    .await;
    assert_eq!(again.status.as_u16(), 200);
    let stale = send(
        &app,
        with_if_match(
            ctx.admin(patch_article_req("tram-vote", json!({"summary": "Stale."}))),
            &second,
        ),
    )
    .await;
    assert_eq!(stale.status.as_u16(), 412);
    let restored = send(
        &app,
        with_if_match(
            ctx.admin(raw(
                actix_web::http::Method::POST,
                "/api/v1/articles/tram-vote/revisions/1/restore",
                None,
                "",
            )),
            again.header("etag").unwrap(),
        ),
    )
    .await;
    assert_eq!(restored.status.as_u16(), 200, "{restored:?}");
    assert_eq!(
        restored.header("etag").unwrap(),
        etag(&ctx, &app, "tram-vote").await
    );
}
