//! Public responses kept in memory are dropped exactly when a change names what they show
//! (`db::changes`): at once for a write this app answered, within moments for a write through
//! another app on the same database, a change made with no HTTP at all (as the CLI makes
//! it), and a scheduled article's time coming; and only those: an answer showing nothing a
//! write changed stays kept.

use crate::support::common;
use common::*;

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

/// Waits until every read of `read_all` passes `shows`.
async fn until_all(app: &TestApp, slug: &str, what: &str, shows: impl Fn(&str, &str) -> bool) {
    eventually(what, || async {
        let all = read_all(app, slug).await;
        all.iter().all(|(uri, body)| shows(uri, body)).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_write_through_another_app_or_none_at_all_is_seen_within_moments() {
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
    let renamed = "Ferry Timetable Restored";
    assert!(before.iter().all(|(_, body)| !body.contains(renamed)));

    // Another replica: an app with a cache of its own on the same database.
    let other = ctx.app().await;
    patch_article(
        &ctx,
        &other,
        linked["slug"].as_str().unwrap(),
        json!({"title": renamed}),
    )
    .await;
    until_all(&app, &slug, "the other app's write", |uri, body| {
        uri.ends_with("/tags") || body.contains(renamed)
    })
    .await;

    // A change with no HTTP at all, through the storage layer as the CLI makes it.
    {
        let conn = &mut *ctx.pool.get().unwrap();
        let changes = gazette::db::tags::TagChanges {
            name: Some("Waterfront".to_owned()),
            slug: None,
            description: None,
        };
        gazette::db::tags::update(conn, "harbour", &changes, gazette::db::now()).unwrap();
    }
    // Related links and search hits show no tags.
    until_all(&app, &slug, "the change made without HTTP", |uri, body| {
        uri.contains("q=") || uri.ends_with("/related") || body.contains("Waterfront")
    })
    .await;
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
    // The worker `gazette serve` runs: it records the article's change when it comes due.
    let worker = gazette::golive::GoLiveWorker::start(ctx.pool.clone());
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
    let wait = (due - Utc::now()).to_std().unwrap_or_default();
    actix_web::rt::time::sleep(wait).await;
    eventually("the list shows the article come due", || async {
        (slugs(&get_json(&app, uris[0]).await) == ["embargoed-budget", "already-out"]).then_some(())
    })
    .await;
    assert_eq!(send(&app, get(uris[1])).await.status.as_u16(), 200);
    worker.stop().await;
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

/// Changes a row with no change recorded, as nothing of Gazette's does: what is read from
/// the database afterwards shows it, what is kept in memory does not.
fn behind_gazettes_back(ctx: &Ctx, slug: &str, title: &str) {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use gazette::schema::articles;
    let conn = &mut *ctx.pool.get().unwrap();
    diesel::update(articles::table.filter(articles::slug.eq(slug)))
        .set(articles::title.eq(title))
        .execute(conn)
        .unwrap();
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
async fn a_write_drops_exactly_the_answers_that_show_what_it_changed() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, tags, related) in [
        ("Ferry Timetable Cut", json!(["Harbour"]), json!([])),
        (
            "Harbour Ferry Returns",
            json!(["Harbour"]),
            json!([{"slug": "ferry-timetable-cut"}]),
        ),
        ("Budget Vote Delayed", json!(["City Hall"]), json!([])),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "tags": tags, "related": related}),
        )
        .await;
    }
    age_everything(&ctx);
    let linking = "/api/v1/articles/harbour-ferry-returns";
    let unrelated = "/api/v1/articles/budget-vote-delayed";
    let city_hall = "/api/v1/articles?tag=city-hall";
    let related_title =
        |body: &serde_json::Value| body["related"][0]["title"].as_str().map(str::to_owned);
    for uri in [linking, unrelated, city_hall] {
        get_json(&app, uri).await;
    }
    // Kept: a change Gazette does not know of is not seen.
    behind_gazettes_back(&ctx, "budget-vote-delayed", "Budget Vote Kept");
    behind_gazettes_back(&ctx, "harbour-ferry-returns", "Harbour Ferry Kept");
    assert_eq!(
        get_json(&app, unrelated).await["title"],
        "Budget Vote Delayed"
    );
    assert_eq!(
        get_json(&app, linking).await["title"],
        "Harbour Ferry Returns"
    );

    // A write of the linked article: the article linking to it is read again (and shows the
    // other change too); the unrelated article and the list it is in stay kept.
    patch_article(
        &ctx,
        &app,
        "ferry-timetable-cut",
        json!({"title": "Ferry Timetable Restored"}),
    )
    .await;
    let read = get_json(&app, linking).await;
    assert_eq!(
        related_title(&read).as_deref(),
        Some("Ferry Timetable Restored")
    );
    assert_eq!(
        read["title"], "Harbour Ferry Kept",
        "read from the database"
    );
    assert_eq!(
        get_json(&app, unrelated).await["title"],
        "Budget Vote Delayed",
        "kept: the write changed nothing it shows"
    );
    assert_eq!(
        get_json(&app, city_hall).await["data"][0]["title"],
        "Budget Vote Delayed",
        "kept: the write changed nothing it shows"
    );

    // The linked article is withdrawn: the link goes at once.
    patch_article(
        &ctx,
        &app,
        "ferry-timetable-cut",
        json!({"status": "draft"}),
    )
    .await;
    assert_eq!(related_title(&get_json(&app, linking).await), None);
    // A retag into City Hall changes that tag's list.
    patch_article(
        &ctx,
        &app,
        "harbour-ferry-returns",
        json!({"tags": ["City Hall"]}),
    )
    .await;
    let listed = slugs(&get_json(&app, city_hall).await);
    assert_eq!(listed.len(), 2, "{listed:?}");
    // The article itself is withdrawn.
    patch_article(
        &ctx,
        &app,
        "harbour-ferry-returns",
        json!({"status": "draft"}),
    )
    .await;
    assert_eq!(send(&app, get(linking)).await.status.as_u16(), 404);
    assert_eq!(
        slugs(&get_json(&app, city_hall).await),
        ["budget-vote-delayed"]
    );
}
