//! The search indexes (crate::search_index): public searches are answered from the public one,
//! in every order and with every filter, and editors' searches from the editors' one, which
//! holds every article.

use crate::support::common;
use common::*;

use serde_json::{Value, json};

#[actix_web::test]
async fn searches_are_answered_from_the_search_indexes_each_filled_as_an_app_starts() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, at, tags) in [
        (
            "Quarry floods again",
            "2026-11-02T09:00:00Z",
            vec!["Weather"],
        ),
        ("Quarry reopens", "2026-10-02T09:00:00Z", vec!["Business"]),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "published_at": at, "tags": tags}),
        )
        .await;
    }
    // A new app fills its indexes from the database.
    let app = ctx.app().await;

    // An editor's search by status reads the editors' index.
    let editors = send(
        &app,
        ctx.admin(get("/api/v1/articles?q=quarry&status=published")),
    )
    .await
    .ok(200);
    assert_eq!(editors["meta"]["total"], 2, "{editors}");

    // The public's reads the public index, in each order, filtered or not, with facets.
    let fresh = list_articles(&app, "q=quarry").await;
    assert_eq!(slugs(&fresh), ["quarry-floods-again", "quarry-reopens"]);
    assert_eq!(fresh["meta"]["total"], 2);
    let oldest = list_articles(&app, "q=quarry&sort=published_at").await;
    assert_eq!(slugs(&oldest), ["quarry-reopens", "quarry-floods-again"]);
    let tagged = list_articles(&app, "q=quarry&tag=business&sort=relevance").await;
    assert_eq!(slugs(&tagged), ["quarry-reopens"]);
    let dated = list_articles(&app, "q=quarr&published_after=2026-11-01T00:00:00Z").await;
    assert_eq!(slugs(&dated), ["quarry-floods-again"]);
    let faceted = list_articles(&app, "q=quarry&facets=tag,month").await;
    assert_eq!(
        faceted["facets"]["month"],
        json!([{"month": "2026-11", "count": 1}, {"month": "2026-10", "count": 1}])
    );
    assert_eq!(
        faceted["facets"]["tag"],
        json!([
            {"slug": "business", "name": "Business", "count": 1},
            {"slug": "weather", "name": "Weather", "count": 1}
        ])
    );
    let highlight = fresh["data"][0]["highlight"].as_str().unwrap_or("");
    assert!(highlight.contains("<mark>Quarry</mark>"), "{fresh}");
}

#[actix_web::test]
async fn the_public_index_follows_writes_and_unpublishing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let created = create_article(
        &ctx,
        &app,
        json!({"title": "Harbour crane falls", "status": "published",
               "published_at": "2026-11-02T09:00:00Z"}),
    )
    .await;
    let id = created["id"].as_i64().unwrap().to_string();
    assert_eq!(
        slugs(&list_articles(&app, "q=crane").await),
        ["harbour-crane-falls"]
    );

    // A new title: found by it, not by the old one.
    patch_article(&ctx, &app, &id, json!({"title": "Harbour gantry falls"})).await;
    assert_eq!(list_articles(&app, "q=crane").await["meta"]["total"], 0);
    assert_eq!(list_articles(&app, "q=gantry").await["meta"]["total"], 1);

    // Unpublished: gone from every public search, and from its facets.
    patch_article(&ctx, &app, &id, json!({"status": "draft"})).await;
    let gone = list_articles(&app, "q=gantry&facets=tag,month").await;
    assert_eq!(gone["meta"]["total"], 0);
    assert_eq!(gone["facets"]["month"], json!([]));
}

#[actix_web::test]
async fn a_public_page_is_continued_by_the_public_index_alone() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, at) in [
        ("Quarry floods", "2026-11-03T09:00:00Z"),
        ("Quarry reopens", "2026-11-02T09:00:00Z"),
        ("Quarry sold", "2026-11-01T09:00:00Z"),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "published_at": at}),
        )
        .await;
    }
    let first = list_articles(&app, "q=quarry&limit=1").await;
    let cursor = first["meta"]["next_cursor"].as_str().unwrap().to_owned();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(&cursor).unwrap()).unwrap();
    assert!(text.starts_with("fi|"), "the public index's cursor: {text}");

    // The index's cursor goes on in the index.
    let next = list_articles(&app, &format!("q=quarry&limit=1&cursor={}", enc(&cursor))).await;
    assert_eq!(slugs(&next), ["quarry-reopens"]);
    // A place ranked by the editors' index is no public search's, and the other way round.
    let editors = URL_SAFE_NO_PAD.encode(text.replacen("fi|", "fe|", 1));
    let path = format!("/api/v1/articles?q=quarry&limit=1&cursor={}", enc(&editors));
    let refused = send(&app, get(&path)).await;
    assert_eq!(refused.status.as_u16(), 400);
    let path = format!(
        "/api/v1/articles?q=quarry&status=published&limit=1&cursor={}",
        enc(&cursor)
    );
    let refused = send(&app, ctx.admin(get(&path))).await;
    assert_eq!(refused.status.as_u16(), 400);
    let path = format!(
        "/api/v1/articles?q=quarry&status=published&limit=1&cursor={}",
        enc(&editors)
    );
    let continued = send(&app, ctx.admin(get(&path))).await.ok(200);
    assert_eq!(slugs(&continued), ["quarry-reopens"]);
    // A cursor of the other order is refused, whichever index made it.
    let relevance = format!("q=quarry&sort=relevance&cursor={}", enc(&cursor));
    let refused = send(&app, get(&format!("/api/v1/articles?{relevance}"))).await;
    assert_eq!(refused.status.as_u16(), 400);
}

/// An editor's search for `query` (with its `status=`), as the admin.
async fn editors_search(ctx: &Ctx, app: &TestApp, query: &str) -> Value {
    send(app, ctx.admin(get(&format!("/api/v1/articles?{query}"))))
        .await
        .ok(200)
}

#[actix_web::test]
async fn the_editors_index_follows_drafts_that_the_public_index_never_holds() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let draft = create_article(&ctx, &app, json!({"title": "Embargoed merger talks"})).await;
    let id = draft["id"].as_i64().unwrap().to_string();
    create_article(
        &ctx,
        &app,
        json!({"title": "Merger vote scheduled", "status": "published",
               "published_at": "2999-01-01T09:00:00Z"}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Merger approved", "status": "published",
               "published_at": "2026-11-02T09:00:00Z"}),
    )
    .await;

    // Each status finds its own; the public finds the live one alone.
    let by = |status: &str| format!("q=merger&status={status}&sort=relevance");
    assert_eq!(
        slugs(&editors_search(&ctx, &app, &by("draft")).await),
        ["embargoed-merger-talks"]
    );
    assert_eq!(
        slugs(&editors_search(&ctx, &app, &by("scheduled")).await),
        ["merger-vote-scheduled"]
    );
    assert_eq!(
        slugs(&editors_search(&ctx, &app, &by("published")).await),
        ["merger-approved"]
    );
    assert_eq!(
        slugs(&list_articles(&app, "q=merger").await),
        ["merger-approved"]
    );
    // A date filter finds no draft, which has no publication time.
    let dated = editors_search(
        &ctx,
        &app,
        &format!("{}&published_after=2000-01-01T00:00:00Z", by("draft")),
    )
    .await;
    assert_eq!(dated["meta"]["total"], 0, "{dated}");

    // A draft's edit is searched at once: by its new words, not its old ones.
    patch_article(
        &ctx,
        &app,
        &id,
        json!({"title": "Embargoed takeover talks"}),
    )
    .await;
    assert_eq!(
        editors_search(&ctx, &app, &by("draft")).await["meta"]["total"],
        0
    );
    let takeover = editors_search(&ctx, &app, "q=takeover&status=draft").await;
    assert_eq!(
        slugs(&takeover),
        ["embargoed-merger-talks"],
        "its slug stays"
    );
    assert_eq!(list_articles(&app, "q=takeover").await["meta"]["total"], 0);

    // A deleted draft is gone from it.
    send(&app, ctx.admin(delete(&format!("/api/v1/articles/{id}"))))
        .await
        .ok(204);
    let gone = editors_search(&ctx, &app, "q=takeover&status=draft").await;
    assert_eq!(gone["meta"]["total"], 0, "{gone}");
}
