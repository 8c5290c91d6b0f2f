//! A tag's article count comes from counts the database keeps (`tag_counts`), so that any
//! page of tags, forged cursor or not, costs a lookup per tag instead of a count of every
//! article carrying it: it stays what counting the public articles gives, through every kind
//! of write and as scheduled articles come due, and the public list shows exactly the tags a
//! public article carries.

use crate::support::common;
use common::*;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use gazette::db;
use serde_json::{Value, json};

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every tag's public article count, counted from the articles themselves.
fn counted(ctx: &Ctx) -> Vec<(String, i64)> {
    let conn = &mut *ctx.pool.get().unwrap();
    let sql = format!(
        "SELECT t.slug AS slug, CAST(COUNT(a.id) AS BIGINT) AS n FROM tags t \
         LEFT JOIN article_tags at ON at.tag_id = t.id \
         LEFT JOIN articles a ON a.id = at.article_id AND a.status = 'published' \
         AND a.published_at <= {} \
         GROUP BY t.slug ORDER BY t.slug",
        if on_postgres() { "$1" } else { "?" }
    );
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(db::now())
        .load::<Counted>(conn)
        .unwrap()
        .into_iter()
        .map(|c| (c.slug, c.n))
        .collect()
}

/// Every tag's `article_count` as the tag list shows it to an admin, read page by page with
/// the cursor; the public list must show the same, less the tags no public article carries.
async fn listed(ctx: &Ctx, app: &TestApp) -> Vec<(String, i64)> {
    let all = listed_as(ctx, app, true, true).await;
    let public: Vec<_> = all.iter().filter(|(_, n)| *n > 0).cloned().collect();
    assert_eq!(
        listed_as(ctx, app, false, true).await,
        public,
        "the public tag list"
    );
    all
}

/// With `each`, every tag is also read alone and must count the same (not while a change is
/// still on its way: the pages and the tags alone may drop from memory moments apart).
async fn listed_as(ctx: &Ctx, app: &TestApp, admin: bool, each: bool) -> Vec<(String, i64)> {
    let read = |uri: &str| if admin { ctx.admin(get(uri)) } else { get(uri) };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/tags?limit=2&cursor={c}"),
            None => "/api/v1/tags?limit=2".to_owned(),
        };
        let page = send(app, read(&uri)).await.ok(200);
        for tag in page["data"].as_array().unwrap() {
            let slug = tag["slug"].as_str().unwrap().to_owned();
            // One tag read alone counts the same.
            if each {
                let one = send(app, read(&format!("/api/v1/tags/{slug}")))
                    .await
                    .ok(200);
                assert_eq!(one["article_count"], tag["article_count"], "{slug}");
            }
            out.push((slug, tag["article_count"].as_i64().unwrap()));
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
}

#[track_caller]
fn assert_counts(listed: Vec<(String, i64)>, counted: Vec<(String, i64)>, after: &str) {
    assert_eq!(listed, counted, "tag counts after {after}");
}

#[actix_web::test]
async fn tag_counts_stay_what_counting_the_articles_gives() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let later = |days| (Utc::now() + Duration::days(days)).to_rfc3339();
    for body in [
        json!({"title": "One", "status": "published", "tags": ["red", "blue"]}),
        json!({"title": "Two", "status": "published", "tags": ["red"]}),
        json!({"title": "Draft", "tags": ["red", "green"]}),
        json!({"title": "Archived", "status": "archived", "tags": ["blue"]}),
        json!({"title": "Soon", "status": "published", "published_at": later(1),
               "tags": ["red", "green"]}),
        json!({"title": "Later", "status": "published", "published_at": later(30),
               "tags": ["green", "grey"]}),
    ] {
        create_article(&ctx, &app, body).await;
    }
    assert_counts(listed(&ctx, &app).await, counted(&ctx), "creating");
    assert_eq!(
        listed(&ctx, &app).await,
        [("blue", 1), ("green", 0), ("grey", 0), ("red", 2)].map(|(s, n)| (s.to_owned(), n))
    );

    let steps: Vec<(&str, Value)> = vec![
        ("publishing a draft", json!({"status": "published"})),
        ("retagging it", json!({"tags": ["blue", "grey"]})),
        ("archiving it", json!({"status": "archived"})),
        ("retagging it archived", json!({"tags": ["red"]})),
        ("publishing it again", json!({"status": "published"})),
        ("scheduling it", json!({"published_at": later(2)})),
    ];
    for (what, patch) in steps {
        patch_article(&ctx, &app, "draft", patch).await;
        assert_counts(listed(&ctx, &app).await, counted(&ctx), what);
    }

    // A scheduled article comes due with no write: the time of day alone changes the count.
    // (Its time is moved back here; the go-live step records the change, as the worker does.)
    {
        let conn = &mut *ctx.pool.get().unwrap();
        diesel::update(gazette::schema::articles::table)
            .filter(gazette::schema::articles::slug.eq("soon"))
            .set(gazette::schema::articles::published_at.eq(db::now() - Duration::hours(1)))
            .execute(conn)
            .unwrap();
        db::articles::go_live(conn, db::now(), 100).unwrap();
    }
    // Another process's change (the go-live step's, here) reaches this app's memory within
    // moments: wait until both the tag and the list show it, then check every count.
    eventually("the count of the article come due", || async {
        let one = send(&app, get("/api/v1/tags/green")).await.ok(200);
        let red = send(&app, get("/api/v1/tags/red")).await.ok(200);
        let all = send(&app, get("/api/v1/tags?limit=100")).await.ok(200);
        let listed = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["slug"] == "green");
        // The pages kept from before must be dropped too (an answer never kept shows the
        // database at once, before this app has applied the change).
        let paged = listed_as(&ctx, &app, false, false).await;
        let green_paged = paged.iter().any(|(s, n)| s == "green" && *n == 1);
        (one["article_count"] == 1
            && red["article_count"] == 3
            && listed.is_some_and(|t| t["article_count"] == 1)
            && green_paged)
            .then_some(())
    })
    .await;
    let now_due = listed(&ctx, &app).await;
    assert_eq!(now_due.iter().find(|(s, _)| s == "green").unwrap().1, 1);
    assert_counts(now_due, counted(&ctx), "an article coming due");

    let res = send(&app, ctx.admin(delete("/api/v1/articles/one"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert_counts(
        listed(&ctx, &app).await,
        counted(&ctx),
        "deleting an article",
    );

    let res = send(&app, ctx.admin(delete("/api/v1/tags/red"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert_counts(listed(&ctx, &app).await, counted(&ctx), "deleting a tag");

    // A new tag of that slug starts from nothing.
    create_article(
        &ctx,
        &app,
        json!({"title": "Three", "status": "published", "tags": ["red"]}),
    )
    .await;
    let after = listed(&ctx, &app).await;
    assert_eq!(after.iter().find(|(s, _)| s == "red").unwrap().1, 1);
    assert_counts(after, counted(&ctx), "reusing a deleted tag's slug");
}

/// How many articles each status holds, counted from the articles themselves.
fn counted_by_status(ctx: &Ctx) -> Vec<(String, i64)> {
    let conn = &mut *ctx.pool.get().unwrap();
    diesel::sql_query(
        "SELECT status AS slug, CAST(COUNT(*) AS BIGINT) AS n FROM articles \
         GROUP BY status ORDER BY status",
    )
    .load::<Counted>(conn)
    .unwrap()
    .into_iter()
    .map(|c| (c.slug, c.n))
    .collect()
}

/// The per-status counts the database keeps (`article_counts`), those not zero.
fn kept_by_status(ctx: &Ctx) -> Vec<(String, i64)> {
    let conn = &mut *ctx.pool.get().unwrap();
    diesel::sql_query("SELECT status AS slug, n FROM article_counts WHERE n <> 0 ORDER BY status")
        .load::<Counted>(conn)
        .unwrap()
        .into_iter()
        .map(|c| (c.slug, c.n))
        .collect()
}

/// An import (which on PostgreSQL sets the counting triggers aside and counts afresh at its
/// end, db::transfer::counters) leaves every count what counting gives: new articles and
/// tags, and stored ones whose status and tags it changes.
#[actix_web::test]
async fn an_import_leaves_the_counts_what_counting_gives() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Stored", "status": "published", "tags": ["red", "blue"]}),
    )
    .await;
    create_article(&ctx, &app, json!({"title": "Kept draft", "tags": ["red"]})).await;
    let records = [
        json!({"type": "tag", "slug": "green", "name": "Green"}),
        json!({"type": "article", "slug": "stored", "title": "Stored", "status": "archived",
               "tags": ["green"]}),
        json!({"type": "article", "slug": "new-one", "title": "New one", "status": "published",
               "published_at": "2026-01-01T00:00:00Z", "tags": ["red", "green"]}),
        json!({"type": "article", "slug": "new-two", "title": "New two", "status": "published",
               "published_at": "2026-01-02T00:00:00Z", "tags": ["green"]}),
        json!({"type": "article", "slug": "new-draft", "title": "New draft", "tags": ["blue"]}),
    ];
    let ndjson: String = records.iter().map(|r| format!("{r}\n")).collect();
    gazette::api::transfer::import_ndjson(
        &mut ctx.pool.get().unwrap(),
        ndjson.as_bytes(),
        gazette::config::Limits::DEFAULT,
        db::now(),
    )
    .unwrap();
    let app = ctx.app().await;
    assert_counts(listed(&ctx, &app).await, counted(&ctx), "an import");
    assert_eq!(
        listed(&ctx, &app).await,
        [("blue", 0), ("green", 2), ("red", 1)].map(|(s, n)| (s.to_owned(), n))
    );
    assert_eq!(kept_by_status(&ctx), counted_by_status(&ctx));
    let public = send(&app, get("/api/v1/articles")).await.ok(200);
    assert_eq!(public["meta"]["total"], 2);

    // And the triggers count the writes after it.
    patch_article(&ctx, &app, "new-draft", json!({"status": "published"})).await;
    assert_counts(
        listed(&ctx, &app).await,
        counted(&ctx),
        "a write after the import",
    );
    assert_eq!(kept_by_status(&ctx), counted_by_status(&ctx));
}
