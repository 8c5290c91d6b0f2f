//! Public responses kept in memory are never served once what they show has changed: after
//! a write through another app on the same database, after a change made with no HTTP at
//! all, and when a scheduled article's time comes.

use crate::support::common;
use common::*;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::json;

/// The public reads a frontend makes, each read twice so that the second can come from
/// memory.
async fn read_all(app: &TestApp, slug: &str) -> Vec<(String, String)> {
    let uris = [
        "/api/v1/articles".to_owned(),
        "/api/v1/articles?tag=harbour".to_owned(),
        format!("/api/v1/articles/{slug}"),
        format!("/api/v1/articles/{slug}/related"),
        "/api/v1/articles?q=ferry".to_owned(),
        "/api/v1/tags".to_owned(),
        "/feed.atom".to_owned(),
    ];
    let mut out = Vec::new();
    for uri in uris {
        send(app, get(&uri)).await;
        let res = send(app, get(&uri)).await;
        assert_eq!(res.status.as_u16(), 200, "GET {uri}");
        out.push((uri, String::from_utf8_lossy(&res.body).into_owned()));
    }
    out
}

#[actix_web::test]
async fn a_write_through_another_app_is_seen_by_the_next_read() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let linked = create_article(
        &ctx,
        &app,
        json!({"title": "Ferry Timetable Cut", "status": "published", "tags": ["Harbour"]}),
    )
    .await;
    let article = create_article(
        &ctx,
        &app,
        json!({"title": "Harbour Ferry Returns", "status": "published", "tags": ["Harbour"],
               "related": [{"slug": linked["slug"]}]}),
    )
    .await;
    let slug = article["slug"].as_str().unwrap().to_owned();
    let before = read_all(&app, &slug).await;

    // Another replica: an app with caches of its own on the same database.
    let other = ctx.app().await;
    let renamed = "Ferry Timetable Restored";
    patch_article(
        &ctx,
        &other,
        linked["slug"].as_str().unwrap(),
        json!({"title": renamed}),
    )
    .await;
    let after = read_all(&app, &slug).await;
    for ((uri, old), (_, new)) in before.iter().zip(&after) {
        if uri.ends_with("/tags") {
            continue;
        }
        assert!(
            !old.contains(renamed) && new.contains(renamed),
            "GET {uri} shows the linked article's new title at once: {new}"
        );
    }

    // A change with no HTTP at all, as the CLI or another process makes it.
    {
        use diesel::{ExpressionMethods, RunQueryDsl};
        use gazette::schema::tags;
        let conn = &mut *ctx.pool.get().unwrap();
        diesel::update(tags::table)
            .set(tags::name.eq("Waterfront"))
            .execute(conn)
            .unwrap();
    }
    for (uri, body) in read_all(&app, &slug).await {
        // Related links and search hits show no tags.
        if uri.contains("q=") || uri.ends_with("/related") {
            continue;
        }
        assert!(
            body.contains("Waterfront"),
            "GET {uri} shows the new tag name: {body}"
        );
    }
}

#[actix_web::test]
async fn a_scheduled_article_appears_when_its_time_comes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Already Out").await;
    let due = Utc::now() + chrono::Duration::milliseconds(1500);
    create_article(
        &ctx,
        &app,
        json!({"title": "Embargoed Budget", "status": "published",
               "published_at": due.to_rfc3339_opts(SecondsFormat::Micros, true)}),
    )
    .await;
    let uris = ["/api/v1/articles", "/api/v1/articles/embargoed-budget"];
    for _ in 0..2 {
        assert_eq!(
            slugs(&get_json(&app, uris[0]).await),
            ["already-out"],
            "not yet"
        );
        assert_eq!(
            send(&app, get(uris[1])).await.status.as_u16(),
            404,
            "not yet"
        );
    }
    let wait = (due - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50);
    actix_web::rt::time::sleep(wait).await;
    assert_eq!(
        slugs(&get_json(&app, uris[0]).await),
        ["embargoed-budget", "already-out"],
        "published when due, with no write"
    );
    assert_eq!(send(&app, get(uris[1])).await.status.as_u16(), 200);
}

#[actix_web::test]
async fn keyed_reads_are_never_answered_from_memory() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Out Now").await;
    create_article(&ctx, &app, json!({"title": "Still a Draft"})).await;
    let uri = "/api/v1/articles?status=draft";
    for _ in 0..2 {
        assert_eq!(
            send(&app, get(uri)).await.status.as_u16(),
            401,
            "the public may not"
        );
    }
    let uri = "/api/v1/articles/still-a-draft";
    send(&app, get(uri)).await;
    for _ in 0..2 {
        let res = send(&app, ctx.admin(get(uri))).await;
        assert_eq!(res.status.as_u16(), 200, "the key sees the draft");
        assert!(res.header("cache-control").unwrap().contains("private"));
    }
    assert_eq!(
        send(&app, get(uri)).await.status.as_u16(),
        404,
        "what the key read stays hidden from the public"
    );
    let public = get_json(&app, "/api/v1/articles").await;
    let keyed = send(&app, ctx.admin(get("/api/v1/articles?status=draft"))).await;
    assert_eq!(slugs(&public), ["out-now"]);
    assert_eq!(slugs(&keyed.ok(200)), ["still-a-draft"]);
    let again = send(&app, get("/api/v1/articles?status=draft")).await;
    assert_eq!(
        again.status.as_u16(),
        401,
        "what the key listed stays hidden"
    );
}

/// Moves every date of the database an hour back, so that what is read now may be kept (an
/// article changed within the current second is not: its Last-Modified would be unsure).
fn age_everything(ctx: &Ctx) {
    use diesel::{ExpressionMethods, RunQueryDsl};
    use gazette::schema::{articles, tags};
    let then = (Utc::now() - chrono::Duration::hours(1)).naive_utc();
    let conn = &mut *ctx.pool.get().unwrap();
    diesel::update(articles::table)
        .set((
            articles::created_at.eq(then),
            articles::updated_at.eq(then),
            articles::published_at.eq(then),
        ))
        .execute(conn)
        .unwrap();
    diesel::update(tags::table)
        .set((tags::created_at.eq(then), tags::updated_at.eq(then)))
        .execute(conn)
        .unwrap();
}

#[actix_web::test]
async fn a_kept_article_is_rendered_again_when_a_linked_article_changes() {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use gazette::schema::articles;
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, related) in [
        ("Ferry Timetable Cut", json!([])),
        (
            "Harbour Ferry Returns",
            json!([{"slug": "ferry-timetable-cut"}]),
        ),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "tags": ["Harbour"], "related": related}),
        )
        .await;
    }
    age_everything(&ctx);
    let uri = "/api/v1/articles/harbour-ferry-returns";
    let title = |body: &serde_json::Value| body["related"][0]["title"].as_str().map(str::to_owned);
    assert_eq!(
        title(&get_json(&app, uri).await).as_deref(),
        Some("Ferry Timetable Cut")
    );

    let linked = articles::table.filter(articles::slug.eq("ferry-timetable-cut"));
    let conn = &mut *ctx.pool.get().unwrap();
    // A change that leaves the linked article's dates alone (no write of Gazette's does) shows
    // the article is kept: rendered from the database, it would show the new title.
    diesel::update(linked)
        .set(articles::title.eq("Ferry Timetable Kept"))
        .execute(conn)
        .unwrap();
    assert_eq!(
        title(&get_json(&app, uri).await).as_deref(),
        Some("Ferry Timetable Cut"),
        "the article is kept in memory"
    );
    // The linked article changes, as any write of it does: the article is rendered again.
    let now = Utc::now().naive_utc();
    diesel::update(linked)
        .set((
            articles::title.eq("Ferry Timetable Restored"),
            articles::updated_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    assert_eq!(
        title(&get_json(&app, uri).await).as_deref(),
        Some("Ferry Timetable Restored"),
        "the linked article's change is seen"
    );
    // Withdrawals change no date: kept again, the article must still notice them.
    age_everything(&ctx);
    assert!(title(&get_json(&app, uri).await).is_some());
    // The linked article is withdrawn: the link goes.
    diesel::update(linked)
        .set(articles::status.eq("draft"))
        .execute(conn)
        .unwrap();
    assert_eq!(
        title(&get_json(&app, uri).await),
        None,
        "a draft is not linked"
    );
    // The article itself is withdrawn.
    diesel::update(articles::table.filter(articles::slug.eq("harbour-ferry-returns")))
        .set(articles::status.eq("draft"))
        .execute(conn)
        .unwrap();
    assert_eq!(send(&app, get(uri)).await.status.as_u16(), 404);
}
