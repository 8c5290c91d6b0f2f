//! Authors: profiles with a rendered bio, a portrait and links; articles credit them in
//! order (a byline made from their names unless the article has its own); `author=` filters
//! lists and the feed; a rename shows on every article at once; counts and lists see only
//! public articles; the change log, events, revisions, export and import carry them.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use diesel::prelude::*;
use gazette::db::changes;
use serde_json::{Value, json};

pub async fn create_author(ctx: &Ctx, app: &TestApp, body: Value) -> Value {
    send(app, ctx.admin(json(Method::POST, "/api/v1/authors", &body)))
        .await
        .ok(201)
}

async fn newsroom(ctx: &Ctx, app: &TestApp) {
    create_author(
        ctx,
        app,
        json!({
            "name": "Mara Okafor",
            "role": "City hall reporter",
            "bio": "Covers the *council*.<script>alert(1)</script>",
            "image": {"url": "https://cdn.example.com/mara.jpg", "alt": "Mara Okafor", "width": 400, "height": 400},
            "links": [{"label": "Website", "url": "https://example.org/mara"}]
        }),
    )
    .await;
    create_author(ctx, app, json!({"name": "Dev Whitcombe", "slug": "dev"})).await;
}

#[actix_web::test]
async fn authors_have_profiles_and_articles_credit_them_in_order() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    newsroom(&ctx, &app).await;
    let mara = get_json(&app, "/api/v1/authors/mara-okafor").await;
    assert_eq!(mara["name"], "Mara Okafor");
    assert_eq!(mara["bio_html"], "<p>Covers the <em>council</em>.</p>\n");
    assert_eq!(mara["image"]["alt"], "Mara Okafor");
    assert_eq!(mara["links"][0]["url"], "https://example.org/mara");
    assert_eq!(mara["article_count"], 0);

    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Tram vote", "status": "published", "authors": ["dev", "mara-okafor"]}),
    )
    .await;
    assert_eq!(strs(&a["authors"], "slug"), ["dev", "mara-okafor"]);
    assert_eq!(a["authors"][1]["role"], "City hall reporter");
    assert_eq!(
        a["authors"][1]["image"]["url"],
        "https://cdn.example.com/mara.jpg"
    );
    assert_eq!(a["byline"], "By Dev Whitcombe and Mara Okafor");
    // Teasers carry them too.
    let list = list_articles(&app, "").await;
    assert_eq!(
        list["data"][0]["byline"],
        "By Dev Whitcombe and Mara Okafor"
    );
    assert_eq!(
        strs(&list["data"][0]["authors"], "name"),
        ["Dev Whitcombe", "Mara Okafor"]
    );
    // An article's own byline (wire copy) wins.
    let wire = create_article(
        &ctx,
        &app,
        json!({"title": "Wire", "status": "published", "byline": "Harbour Press", "authors": ["dev"]}),
    )
    .await;
    assert_eq!(wire["byline"], "Harbour Press");
    // A draft of Mara's.
    create_article(
        &ctx,
        &app,
        json!({"title": "Secret", "authors": ["mara-okafor"]}),
    )
    .await;

    // Counts and lists: public articles only.
    let authors = get_json(&app, "/api/v1/authors").await;
    assert_eq!(strs(&authors["data"], "slug"), ["dev", "mara-okafor"]);
    let counts: Vec<i64> = authors["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["article_count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [2, 1]);
    assert_eq!(
        slugs(&list_articles(&app, "author=mara-okafor").await),
        ["tram-vote"]
    );
    assert_eq!(
        slugs(&list_articles(&app, "author=dev").await),
        ["wire", "tram-vote"]
    );
    assert_eq!(
        slugs(&list_articles(&app, "author=dev&author=mara-okafor").await),
        ["tram-vote"]
    );
    assert_eq!(
        list_articles(&app, "author=nobody").await["meta"]["total"],
        0
    );
    assert_eq!(
        slugs(&list_articles(&app, "author=mara-okafor&q=tram").await),
        ["tram-vote"]
    );
    // The feed by author.
    let feed = String::from_utf8(send(&app, get("/feed.atom?author=dev")).await.body).unwrap();
    assert!(
        feed.contains("<title>Gazette: Dev Whitcombe</title>"),
        "{feed}"
    );
    assert_eq!(feed.matches("<entry>").count(), 2);
    send(&app, get("/feed.atom?author=nobody"))
        .await
        .problem(404);

    // Changing the order is an edit of the article.
    let again = patch_article(&ctx, &app, "tram-vote", json!({"authors": ["mara-okafor"]})).await;
    assert_eq!(again["byline"], "By Mara Okafor");
}

#[actix_web::test]
async fn a_rename_shows_on_every_article_at_once_and_deletion_takes_them_off() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    newsroom(&ctx, &app).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram vote", "status": "published", "authors": ["mara-okafor"]}),
    )
    .await;
    // Read (and so cached) first.
    assert_eq!(
        fetch_article(&app, "tram-vote").await.ok(200)["byline"],
        "By Mara Okafor"
    );
    assert_eq!(
        list_articles(&app, "").await["data"][0]["authors"][0]["name"],
        "Mara Okafor"
    );
    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();
    send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            "/api/v1/authors/mara-okafor",
            &json!({"name": "Mara Okafor-Lind", "role": null}),
        )),
    )
    .await
    .ok(200);
    let read = fetch_article(&app, "tram-vote").await.ok(200);
    assert_eq!(read["byline"], "By Mara Okafor-Lind");
    assert_eq!(read["authors"][0]["role"], Value::Null);
    assert_eq!(
        list_articles(&app, "").await["data"][0]["authors"][0]["name"],
        "Mara Okafor-Lind"
    );
    // The change names the author and the author list, nothing about articles.
    let conn = &mut *ctx.pool.get().unwrap();
    let made = changes::since(conn, seq, 10).unwrap();
    assert_eq!(made.len(), 1);
    let id: i64 = gazette::schema::authors::table
        .filter(gazette::schema::authors::slug.eq("mara-okafor"))
        .select(gazette::schema::authors::id)
        .first(conn)
        .unwrap();
    assert_eq!(made[0].keys.0, [format!("au:{id}"), "authors".to_owned()]);
    assert!(made[0].public_seq.is_some());

    // Deleting the author takes them off the article, which counts as changed.
    send(&app, ctx.admin(delete("/api/v1/authors/mara-okafor")))
        .await
        .ok(204);
    let read = fetch_article(&app, "tram-vote").await.ok(200);
    assert_eq!(read["authors"], json!([]));
    assert_eq!(read["byline"], Value::Null);
    send(&app, get("/api/v1/authors/mara-okafor"))
        .await
        .problem(404);
}

#[actix_web::test]
async fn an_unknown_author_is_a_422_and_writes_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    newsroom(&ctx, &app).await;
    let problem = send(
        &app,
        ctx.admin(post_article_req(
            json!({"title": "T", "authors": ["dev", "ghost"]}),
        )),
    )
    .await
    .problem(422);
    assert_eq!(problem["errors"][0]["field"], "authors[1]");
    assert_eq!(
        gazette::db::articles::count_all(&mut ctx.pool.get().unwrap()).unwrap(),
        0
    );
    // Bad profiles.
    for (body, field) in [
        (json!({"name": " "}), "name"),
        (
            json!({"name": "A", "links": [{"label": "X", "url": "javascript:1"}]}),
            "links[0].url",
        ),
        (
            json!({"name": "A", "image": {"url": "https://a.example/x.jpg"}}),
            "image.alt",
        ),
        (json!({"name": "A", "bio": "x".repeat(5001)}), "bio"),
    ] {
        let problem = send(
            &app,
            ctx.admin(json(Method::POST, "/api/v1/authors", &body)),
        )
        .await
        .problem(422);
        assert!(problem.to_string().contains(field), "{field}: {problem}");
    }
    send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/authors",
            &json!({"name": "Dev", "slug": "dev"}),
        )),
    )
    .await
    .problem(409);
    assert_eq!(get_json(&app, "/api/v1/authors").await["meta"]["total"], 2);
}

#[actix_web::test]
async fn a_draft_crediting_an_author_changes_nothing_public() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    newsroom(&ctx, &app).await;
    publish(&ctx, &app, "Public").await;
    let profile = send(&app, get("/api/v1/authors/mara-okafor")).await;
    let listed = send(&app, get("/api/v1/articles?author=mara-okafor")).await;
    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();
    create_article(
        &ctx,
        &app,
        json!({"title": "Embargoed", "authors": ["mara-okafor"],
               "status": "published", "published_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let conn = &mut *ctx.pool.get().unwrap();
    for change in changes::since(conn, seq, 10).unwrap() {
        assert!(
            change.keys.0.is_empty() && change.public_seq.is_none(),
            "{change:?}"
        );
    }
    let after = send(&app, get("/api/v1/authors/mara-okafor")).await;
    assert_eq!(after.body, profile.body);
    assert_eq!(after.header("etag"), profile.header("etag"));
    let after = send(&app, get("/api/v1/articles?author=mara-okafor")).await;
    assert_eq!(after.body, listed.body);
}

#[actix_web::test]
async fn revisions_export_and_import_carry_authors() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    subscribe(&ctx, &app, &["author.*"]).await;
    newsroom(&ctx, &app).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram vote", "status": "published", "authors": ["mara-okafor", "dev"]}),
    )
    .await;
    patch_article(&ctx, &app, "tram-vote", json!({"authors": []})).await;
    let restored = send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/articles/tram-vote/revisions/1/restore",
            &json!({}),
        )),
    )
    .await
    .ok(200);
    assert_eq!(strs(&restored["authors"], "slug"), ["mara-okafor", "dev"]);

    let conn = &mut *ctx.pool.get().unwrap();
    use gazette::schema::webhook_deliveries as d;
    let events: Vec<String> = d::table.select(d::event).order(d::id).load(conn).unwrap();
    assert_eq!(events, ["author.created", "author.created"]);

    let mut out = Vec::new();
    gazette::db::transfer::export(conn, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\"type\":\"author\",\"slug\":\"dev\""),
        "{text}"
    );
    assert!(
        text.contains("\"authors\":[\"mara-okafor\",\"dev\"]"),
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
    let counts = import(&other.pool);
    assert_eq!((counts.authors_written, counts.articles_created), (2, 1));
    let mara = get_json(&app2, "/api/v1/authors/mara-okafor").await;
    assert_eq!(mara["bio_html"], "<p>Covers the <em>council</em>.</p>\n");
    assert_eq!(mara["article_count"], 1);
    let read = fetch_article(&app2, "tram-vote").await.ok(200);
    assert_eq!(read["byline"], "By Mara Okafor and Dev Whitcombe");
    // Twice: nothing changes.
    let again = import(&other.pool);
    assert_eq!((again.authors_written, again.unchanged), (0, 1));
}
