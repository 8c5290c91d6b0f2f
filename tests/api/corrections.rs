//! Corrections: an editor appends a dated correction to an article; reads show them in
//! order, the article counts as updated (its feed entry too), subscriptions hear
//! `article.corrected`, and revisions, export and import carry them.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use gazette::db::{self, changes};
use serde_json::{Value, json};

fn correct_req(slug: &str, body: &str) -> actix_web::test::TestRequest {
    json(
        Method::POST,
        &format!("/api/v1/articles/{slug}/corrections"),
        &json!({ "body": body }),
    )
}

async fn correct(ctx: &Ctx, app: &TestApp, slug: &str, body: &str) -> Value {
    send(app, ctx.admin(correct_req(slug, body))).await.ok(201)
}

#[actix_web::test]
async fn corrections_are_appended_in_order_and_the_article_counts_as_updated() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    subscribe(&ctx, &app, &["article.corrected"]).await;
    let article = publish(&ctx, &app, "Tram vote").await;
    let slug = article["slug"].as_str().unwrap();
    assert_eq!(article["corrections"], json!([]));
    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();

    let first = correct(&ctx, &app, slug, "The vote was *nine* to four.").await;
    assert_eq!(first["corrections"].as_array().unwrap().len(), 1);
    assert_eq!(
        first["corrections"][0]["body_html"],
        "<p>The vote was <em>nine</em> to four.</p>\n"
    );
    assert!(ts(&first["updated_at"]) > ts(&article["updated_at"]));
    correct(&ctx, &app, slug, "The line opens in 2028.").await;

    let read = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    let bodies: Vec<&str> = read["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["The vote was *nine* to four.", "The line opens in 2028."]
    );
    assert!(ts(&read["corrections"][0]["created_at"]) <= ts(&read["corrections"][1]["created_at"]));

    // The change log: the article's data, not the lists.
    let conn = &mut *ctx.pool.get().unwrap();
    let made = changes::since(conn, seq, 100).unwrap();
    assert_eq!(made.len(), 2);
    for change in &made {
        assert_eq!(change.kind, "article.corrected");
        assert!(change.public_seq.is_some());
        assert!(change.keys.0.contains(&format!("a:{}", article["id"])));
        assert!(!change.keys.0.contains(&"l:articles".to_owned()));
    }
    // The event.
    use diesel::prelude::*;
    use gazette::schema::webhook_deliveries as d;
    let events: Vec<String> = d::table.select(d::event).load(conn).unwrap();
    assert_eq!(events, ["article.corrected", "article.corrected"]);

    // The feed entry's time follows.
    let feed = String::from_utf8(send(&app, get("/feed.atom")).await.body).unwrap();
    let updated = read["updated_at"].as_str().unwrap();
    assert!(
        feed.contains(&format!("<updated>{}Z</updated>", &updated[..19])),
        "{feed}"
    );

    // A revision records them.
    let revisions = send(
        &app,
        ctx.admin(get(&format!("/api/v1/articles/{slug}/revisions/3"))),
    )
    .await
    .ok(200);
    assert_eq!(revisions["corrections"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_bad_correction_changes_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let article = publish(&ctx, &app, "Budget").await;
    let slug = article["slug"].as_str().unwrap();
    send(&app, correct_req(slug, "x")).await.problem(401);
    send(&app, ctx.admin(correct_req(slug, "")))
        .await
        .problem(422);
    send(&app, ctx.admin(correct_req(slug, &"x".repeat(5001))))
        .await
        .problem(422);
    send(&app, ctx.admin(correct_req("no-such-article", "x")))
        .await
        .problem(404);
    send(
        &app,
        ctx.admin(correct_req(slug, "x"))
            .insert_header(("If-Match", "\"stale\"")),
    )
    .await
    .problem(412);
    let read = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    assert_eq!(read["corrections"], json!([]));
    assert_eq!(read["updated_at"], article["updated_at"]);
}

#[actix_web::test]
async fn export_and_import_carry_the_corrections() {
    let source = Ctx::new();
    let app = source.app().await;
    let slug = publish(&source, &app, "Harbour fees").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    correct(&source, &app, &slug, "Fees rise by 3%, not 4%.").await;
    let mut out = Vec::new();
    db::transfer::export(&mut source.pool.get().unwrap(), &mut out).unwrap();
    let exported = String::from_utf8(out).unwrap();
    assert!(exported.contains("\"corrections\":[{\"body\":\"Fees rise by 3%, not 4%.\""));

    let target = Ctx::new();
    let target_app = target.app().await;
    let import = |ctx: &Ctx| {
        gazette::api::transfer::import_ndjson(
            &mut ctx.pool.get().unwrap(),
            exported.as_bytes(),
            gazette::config::Limits::DEFAULT,
            db::now(),
        )
        .unwrap()
    };
    assert_eq!(import(&target).articles_created, 1);
    let there = get_json(&target_app, &format!("/api/v1/articles/{slug}")).await;
    let here = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    assert_eq!(there["corrections"], here["corrections"]);
    assert_eq!(
        import(&target).unchanged,
        1,
        "importing again changes nothing"
    );
}
