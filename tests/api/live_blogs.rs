//! Live blogs: a live article tells a breaking story as timestamped blocks, read whole or
//! incrementally (`blocks=latest:N|since:<cursor>|around:<id>|key-events`), page by page and
//! one by one; block writes go through the article's write path (change log, webhooks,
//! search) and a scheduled block shows nothing of itself until its time.

use crate::support::common;
use common::*;

use std::collections::BTreeSet;

use actix_web::http::Method;
use chrono::Utc;
use gazette::db::{self, changes};
use serde_json::{Value, json};

/// Creates a published live article titled `title`.
pub async fn live_article(ctx: &Ctx, app: &TestApp, title: &str) -> Value {
    let body = json!({"title": title, "status": "published", "format": "live"});
    create_article(ctx, app, body).await
}

/// Adds a block to article `key`; the block as answered.
pub async fn add_block(ctx: &Ctx, app: &TestApp, key: &str, body: Value) -> Value {
    let uri = format!("/api/v1/articles/{key}/blocks");
    send(app, ctx.admin(json(Method::POST, &uri, &body)))
        .await
        .ok(201)
}

fn ids(blocks: &Value) -> Vec<i64> {
    blocks
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect()
}

fn block_uri(slug: &str, id: i64) -> String {
    format!("/api/v1/articles/{slug}/blocks/{id}")
}

#[actix_web::test]
async fn a_live_article_tells_its_story_in_blocks() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let article = live_article(&ctx, &app, "Storm live").await;
    assert_eq!(article["format"], "live");
    assert_eq!(article["live"], true);
    assert_eq!(article["blocks"], json!([]));
    assert_eq!(article["live_summary"]["block_count"], 0);
    let slug = article["slug"].as_str().unwrap();

    let first = add_block(
        &ctx,
        &app,
        slug,
        json!({"title": "What we know", "body": "Gales *tonight*.", "pinned": true}),
    )
    .await;
    assert_eq!(first["body_html"], "<p>Gales <em>tonight</em>.</p>\n");
    assert_eq!(first["body_text"], "Gales tonight.");
    assert_eq!(first["pinned"], true);
    let key = add_block(
        &ctx,
        &app,
        slug,
        json!({"title": "Harbour wall breached", "body": "Water over the wall.", "key_event": true}),
    )
    .await;
    let plain = add_block(&ctx, &app, slug, json!({"body": "Ferries cancelled."})).await;
    assert_eq!(plain["title"], Value::Null);
    assert_eq!(plain["key_event"], false);

    let read = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    assert_eq!(
        ids(&read["blocks"]),
        [&plain, &key, &first].map(|b| b["id"].as_i64().unwrap()),
        "newest first"
    );
    let summary = &read["live_summary"];
    assert_eq!(summary["open"], true);
    assert_eq!(summary["block_count"], 3);
    assert_eq!(summary["pinned"]["id"], first["id"]);
    assert_eq!(summary["key_events"].as_array().unwrap().len(), 1);
    assert_eq!(summary["key_events"][0]["id"], key["id"]);
    assert_eq!(summary["key_events"][0]["title"], "Harbour wall breached");
    assert_eq!(summary["latest_block_at"], plain["published_at"]);

    // The teaser says the article is live and when its newest block came.
    let list = list_articles(&app, "").await;
    let teaser = &list["data"][0];
    assert_eq!(teaser["slug"], slug);
    assert_eq!(teaser["format"], "live");
    assert_eq!(teaser["live"], true);
    assert_eq!(teaser["latest_block_at"], plain["published_at"]);

    // Pinning another block takes the pin from the first.
    let uri = block_uri(slug, key["id"].as_i64().unwrap());
    send(
        &app,
        ctx.admin(json(Method::PATCH, &uri, &json!({"pinned": true}))),
    )
    .await
    .ok(200);
    let read = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    assert_eq!(read["live_summary"]["pinned"]["id"], key["id"]);
    let pinned: Vec<_> = read["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["pinned"] == true)
        .collect();
    assert_eq!(pinned.len(), 1, "one pinned block");

    // Closing coverage.
    let closed = patch_article(&ctx, &app, slug, json!({"live": false})).await;
    assert_eq!(closed["live"], false);
    assert_eq!(closed["live_summary"]["open"], false);
    assert_eq!(closed["format"], "live");
}

#[actix_web::test]
async fn since_gives_only_what_changed_after_a_look() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Election night").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = add_block(&ctx, &app, &slug, json!({"body": "Polls close."})).await;
    let b = add_block(&ctx, &app, &slug, json!({"body": "First count."})).await;
    let look = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    let cursor = look["live_summary"]["cursor"].as_str().unwrap().to_owned();
    let since = format!("/api/v1/articles/{slug}?blocks=since:{cursor}");

    let nothing = get_json(&app, &since).await;
    assert_eq!(nothing["blocks"], json!([]));
    assert_eq!(nothing["removed_blocks"], json!([]));
    assert_eq!(nothing["live_summary"]["cursor"], cursor.as_str());

    let c = add_block(&ctx, &app, &slug, json!({"body": "Second count."})).await;
    let uri = block_uri(&slug, a["id"].as_i64().unwrap());
    send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            &uri,
            &json!({"body": "Polls closed at ten."}),
        )),
    )
    .await
    .ok(200);
    send(
        &app,
        ctx.admin(delete(&block_uri(&slug, b["id"].as_i64().unwrap()))),
    )
    .await;

    let news = get_json(&app, &since).await;
    assert_eq!(
        ids(&news["blocks"]),
        [c["id"].as_i64().unwrap(), a["id"].as_i64().unwrap()],
        "new and edited blocks, in the order they changed"
    );
    assert_eq!(news["blocks"][1]["body"], "Polls closed at ten.");
    assert_eq!(news["removed_blocks"], json!([b["id"]]));
    let next = news["live_summary"]["cursor"].as_str().unwrap();
    assert_ne!(next, cursor);
    let after = get_json(
        &app,
        &format!("/api/v1/articles/{slug}?blocks=since:{next}"),
    )
    .await;
    assert_eq!(after["blocks"], json!([]));
    assert_eq!(after["removed_blocks"], json!([]));
    // The deleted block is gone from every other read.
    let read = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    assert_eq!(read["live_summary"]["block_count"], 2);
    assert!(!ids(&read["blocks"]).contains(&b["id"].as_i64().unwrap()));
    assert_eq!(
        send(&app, get(&block_uri(&slug, b["id"].as_i64().unwrap())))
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn latest_around_key_events_and_the_block_list() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Marathon day").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut all = Vec::new();
    for i in 0..25 {
        let body = json!({"body": format!("Update {i}."), "key_event": i % 10 == 0,
                          "title": format!("Mile {i}")});
        all.push(
            add_block(&ctx, &app, &slug, body).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let newest_first: Vec<i64> = all.iter().rev().copied().collect();
    let read = |q: String| {
        let app = &app;
        async move { get_json(app, &format!("/api/v1/articles/{}?{q}", "marathon-day")).await }
    };
    assert_eq!(
        ids(&read(String::new()).await["blocks"]),
        newest_first[..20]
    );
    assert_eq!(
        ids(&read("blocks=latest:5".into()).await["blocks"]),
        newest_first[..5]
    );
    let around = read(format!("blocks=around:{}", all[12])).await;
    assert_eq!(
        ids(&around["blocks"]),
        newest_first[2..23],
        "ten either side"
    );
    let keys = read("blocks=key-events".into()).await;
    assert_eq!(ids(&keys["blocks"]), [all[20], all[10], all[0]]);
    assert_eq!(keys["live_summary"]["block_count"], 25);

    for bad in [
        "latest:0",
        "latest:101",
        "latest:x",
        "since:nonsense",
        "around:x",
        "around:-3",
        "newest",
        "",
    ] {
        let resp = send(
            &app,
            get(&format!("/api/v1/articles/{slug}?blocks={}", enc(bad))),
        )
        .await;
        let problem = resp.problem(400);
        assert!(
            problem["detail"].as_str().unwrap().contains("blocks")
                || problem["errors"].to_string().contains("blocks"),
            "{bad}: {problem}"
        );
    }
    let missing = send(
        &app,
        get(&format!("/api/v1/articles/{slug}?blocks=around:999999")),
    )
    .await;
    missing.problem(404);

    // The list pages through every block, newest first.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get_json(
            &app,
            &format!("/api/v1/articles/{slug}/blocks?limit=10&cursor={cursor}"),
        )
        .await;
        assert_eq!(page["meta"]["total"], 25);
        seen.extend(ids(&page["data"]));
        match page["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);
}

#[actix_web::test]
async fn a_block_alone_has_its_etag_and_writes_honour_if_match() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Budget day").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/api/v1/articles/{slug}/blocks");
    let created = send(
        &app,
        ctx.admin(json(
            Method::POST,
            &uri,
            &json!({"body": "The chancellor rises."}),
        )),
    )
    .await;
    let written_etag = created.header("etag").unwrap().to_owned();
    let block = created.ok(201);
    let id = block["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location").unwrap(),
        block_uri(&slug, id).as_str()
    );
    let read = send(&app, get(&block_uri(&slug, id))).await;
    assert_eq!(read.header("etag").unwrap(), written_etag, "the GET's ETag");
    assert_eq!(read.ok(200), block);

    let stale = send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            &block_uri(&slug, id),
            &json!({"body": "Edited."}),
        ))
        .insert_header(("If-Match", "\"not-it\"")),
    )
    .await;
    stale.problem(412);
    let fresh = send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            &block_uri(&slug, id),
            &json!({"body": "Edited."}),
        ))
        .insert_header(("If-Match", written_etag.as_str())),
    )
    .await;
    let new_etag = fresh.header("etag").unwrap().to_owned();
    assert_eq!(fresh.ok(200)["body"], "Edited.");
    let gone = send(
        &app,
        ctx.admin(delete(&block_uri(&slug, id)))
            .insert_header(("If-Match", written_etag.as_str())),
    )
    .await;
    gone.problem(412);
    let gone = send(
        &app,
        ctx.admin(delete(&block_uri(&slug, id)))
            .insert_header(("If-Match", new_etag.as_str())),
    )
    .await;
    assert_eq!(gone.status, 204);
    send(&app, ctx.admin(delete(&block_uri(&slug, id))))
        .await
        .problem(404);
}

#[actix_web::test]
async fn bad_block_input_is_a_4xx_and_changes_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let standard = publish(&ctx, &app, "Plain story").await;
    let plain = standard["slug"].as_str().unwrap();
    assert_eq!(standard["format"], "standard");
    assert_eq!(standard["live_summary"], Value::Null);
    assert_eq!(standard["blocks"], Value::Null);
    let uri = format!("/api/v1/articles/{plain}/blocks");
    send(
        &app,
        ctx.admin(json(Method::POST, &uri, &json!({"body": "x"}))),
    )
    .await
    .problem(409);
    send(&app, get(&uri)).await.problem(404);
    // A standard article cannot have open coverage.
    send(
        &app,
        ctx.admin(patch_article_req(plain, json!({"live": true}))),
    )
    .await
    .problem(422);
    send(
        &app,
        ctx.admin(post_article_req(json!({"title": "T", "live": true}))),
    )
    .await
    .problem(422);

    let slug = live_article(&ctx, &app, "Live one").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/api/v1/articles/{slug}/blocks");
    for body in [
        json!({}),
        json!({"body": ""}),
        json!({"body": "x".repeat(20_001)}),
        json!({"body": "x", "title": "t".repeat(301)}),
        json!({"body": "x", "pinned": "yes"}),
        json!({"body": "x", "extra": 1}),
    ] {
        let resp = send(&app, ctx.admin(json(Method::POST, &uri, &body))).await;
        assert!(
            resp.status == 422 || resp.status == 400,
            "{body}: {}",
            resp.status
        );
    }
    send(&app, json(Method::POST, &uri, &json!({"body": "x"})))
        .await
        .problem(401);
    let read = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
    assert_eq!(read["live_summary"]["block_count"], 0, "nothing was added");

    // A live blog with blocks stays live.
    add_block(&ctx, &app, &slug, json!({"body": "First."})).await;
    send(
        &app,
        ctx.admin(patch_article_req(&slug, json!({"format": "standard"}))),
    )
    .await
    .problem(409);
}

/// An RFC 3339 time `secs` seconds from now.
fn in_secs(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

#[actix_web::test]
async fn a_scheduled_block_shows_nothing_until_its_time() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Verdict live").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    add_block(&ctx, &app, &slug, json!({"body": "The jury is out."})).await;
    let uri = format!("/api/v1/articles/{slug}");
    let before = send(&app, get(&uri)).await;
    let search_before = get_json(&app, "/api/v1/articles?q=unanimous").await;
    let list_before = send(&app, get(&format!("{uri}/blocks"))).await;

    let scheduled = add_block(
        &ctx,
        &app,
        &slug,
        json!({"body": "Guilty: the verdict is unanimous.", "published_at": in_secs(3600),
               "key_event": true, "title": "Verdict"}),
    )
    .await;
    let id = scheduled["id"].as_i64().unwrap();
    // Nothing public moves: not the article, its ETag, the list of blocks, search.
    let after = send(&app, get(&uri)).await;
    assert_eq!(after.body, before.body);
    assert_eq!(after.header("etag"), before.header("etag"));
    let list_after = send(&app, get(&format!("{uri}/blocks"))).await;
    assert_eq!(list_after.body, list_before.body);
    send(&app, get(&block_uri(&slug, id))).await.problem(404);
    assert_eq!(
        get_json(&app, "/api/v1/articles?q=unanimous").await,
        search_before
    );
    // An editor sees it.
    let admin = send(&app, ctx.admin(get(&uri))).await.ok(200);
    assert!(ids(&admin["blocks"]).contains(&id));
    send(&app, ctx.admin(get(&block_uri(&slug, id))))
        .await
        .ok(200);

    // Its time comes: the go-live step announces it.
    let later = db::now() + chrono::Duration::seconds(3601);
    let step = db::articles::go_live(&mut ctx.pool.get().unwrap(), later, 100).unwrap();
    assert_eq!(step.published, 1);
    let shown = eventually("the block shows once due", || async {
        let read = get_json(&app, &uri).await;
        ids(&read["blocks"]).contains(&id).then_some(read)
    })
    .await
    .0;
    assert_eq!(shown["live_summary"]["key_events"][0]["id"], id);
    send(&app, get(&block_uri(&slug, id))).await.ok(200);
    let found = get_json(&app, "/api/v1/articles?q=unanimous").await;
    assert_eq!(slugs(&found), [slug.as_str()], "its text finds the article");
}

#[actix_web::test]
async fn block_words_find_the_live_article() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Storm coverage").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    publish(&ctx, &app, "Another story").await;
    assert_eq!(
        get_json(&app, "/api/v1/articles?q=anemometer").await["data"],
        json!([])
    );
    let block = add_block(
        &ctx,
        &app,
        &slug,
        json!({"body": "The anemometer on the pier read 94 mph."}),
    )
    .await;
    let found = get_json(&app, "/api/v1/articles?q=anemometer").await;
    assert_eq!(slugs(&found), [slug.as_str()]);
    send(
        &app,
        ctx.admin(delete(&block_uri(&slug, block["id"].as_i64().unwrap()))),
    )
    .await;
    let found = get_json(&app, "/api/v1/articles?q=anemometer").await;
    assert_eq!(found["data"], json!([]), "a deleted block's words go");
}

/// The changes recorded after `seq`: (kind, keys, public, block).
fn recorded_since(ctx: &Ctx, seq: i64) -> Vec<(String, BTreeSet<String>, bool, Option<i64>)> {
    let conn = &mut *ctx.pool.get().unwrap();
    changes::since(conn, seq, 1000)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.kind,
                c.keys.0.into_iter().collect(),
                c.public_seq.is_some(),
                c.block_id,
            )
        })
        .collect()
}

#[actix_web::test]
async fn block_writes_record_their_change_and_events() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    subscribe(&ctx, &app, &["block.*"]).await;
    let article = live_article(&ctx, &app, "Fire at the docks").await;
    let id = article["id"].as_i64().unwrap();
    let slug = article["slug"].as_str().unwrap().to_owned();
    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();
    let block = add_block(&ctx, &app, &slug, json!({"body": "Smoke over the docks."})).await;
    let block_id = block["id"].as_i64().unwrap();
    send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            &block_uri(&slug, block_id),
            &json!({"title": "Smoke"}),
        )),
    )
    .await
    .ok(200);
    send(&app, ctx.admin(delete(&block_uri(&slug, block_id)))).await;

    // A block purges the live article (its page, its teaser in lists) and search: nothing
    // else.
    let expected: BTreeSet<String> = [format!("a:{id}"), "a:all".into(), "l:search".into()]
        .into_iter()
        .collect();
    let made = recorded_since(&ctx, seq);
    assert_eq!(
        made,
        ["block.created", "block.updated", "block.deleted"].map(|kind| (
            kind.to_owned(),
            expected.clone(),
            true,
            Some(block_id)
        ))
    );

    use diesel::prelude::*;
    use gazette::schema::webhook_deliveries as d;
    let events: Vec<(String, String)> = d::table
        .order(d::id)
        .select((d::event, d::payload))
        .load(&mut ctx.pool.get().unwrap())
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(kinds, ["block.created", "block.updated", "block.deleted"]);
    let payload: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(payload["data"]["id"], block_id);
    assert_eq!(payload["data"]["article_slug"], slug.as_str());
}

#[actix_web::test]
async fn a_drafts_blocks_are_not_public_changes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let draft = create_article(
        &ctx,
        &app,
        json!({"title": "Embargoed live", "format": "live"}),
    )
    .await;
    let slug = draft["slug"].as_str().unwrap().to_owned();
    let seq = changes::last(&mut ctx.pool.get().unwrap()).unwrap();
    add_block(&ctx, &app, &slug, json!({"body": "Secret."})).await;
    let made = recorded_since(&ctx, seq);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].1, BTreeSet::new(), "no keys");
    assert!(!made[0].2, "no public position");
    fetch_article(&app, &slug).await.problem(404);
    send(&app, get(&format!("/api/v1/articles/{slug}/blocks")))
        .await
        .problem(404);
}

/// The blocks of `article` without what differs between databases (ids, write times).
fn block_contents(article: &Value) -> Vec<Value> {
    article["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            json!([
                b["title"],
                b["body_html"],
                b["key_event"],
                b["pinned"],
                b["published_at"]
            ])
        })
        .collect()
}

#[actix_web::test]
async fn export_and_import_carry_the_blocks() {
    let source = Ctx::new();
    let app = source.app().await;
    let slug = live_article(&source, &app, "Count live").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in [
        json!({"body": "Doors open.", "pinned": true, "published_at": "2026-11-01T18:00:00Z"}),
        json!({"body": "First box.", "title": "First result", "key_event": true}),
        json!({"body": "Later.", "published_at": in_secs(3600)}),
    ] {
        add_block(&source, &app, &slug, body).await;
    }
    let deleted = add_block(&source, &app, &slug, json!({"body": "Wrong."})).await;
    send(
        &app,
        source.admin(delete(&block_uri(&slug, deleted["id"].as_i64().unwrap()))),
    )
    .await;
    patch_article(&source, &app, &slug, json!({"live": false})).await;
    let mut exported = Vec::new();
    db::transfer::export(&mut source.pool.get().unwrap(), &mut exported).unwrap();
    let exported = String::from_utf8(exported).unwrap();
    let record: Value = exported
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["slug"] == slug.as_str())
        .unwrap();
    assert_eq!(record["format"], "live");
    assert_eq!(record["live"], false);
    assert_eq!(
        record["blocks"].as_array().unwrap().len(),
        3,
        "not the deleted one"
    );

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
    for admin in [false, true] {
        let request = |ctx: &Ctx| {
            let req = get(&format!("/api/v1/articles/{slug}"));
            if admin { ctx.admin(req) } else { req }
        };
        let there = send(&target_app, request(&target)).await.ok(200);
        let here = send(&app, request(&source)).await.ok(200);
        assert_eq!(
            block_contents(&there),
            block_contents(&here),
            "admin {admin}"
        );
        assert_eq!(there["live"], false);
        assert_eq!(
            there["live_summary"]["key_events"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(
        import(&target).unchanged,
        1,
        "importing again changes nothing"
    );
    let mut again = Vec::new();
    db::transfer::export(&mut target.pool.get().unwrap(), &mut again).unwrap();
    let again: Value = String::from_utf8(again)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["slug"] == slug.as_str())
        .unwrap();
    assert_eq!(again["blocks"], record["blocks"]);
    // Blocks belong to a live article: a standard article's record with blocks is refused.
    let standard = exported.replace("\"format\":\"live\"", "\"format\":\"standard\"");
    let refused = gazette::api::transfer::import_ndjson(
        &mut Ctx::new().pool.get().unwrap(),
        standard.as_bytes(),
        gazette::config::Limits::DEFAULT,
        db::now(),
    )
    .unwrap_err()
    .to_string();
    assert!(refused.contains("blocks"), "{refused}");
    let found = get_json(&target_app, "/api/v1/articles?q=doors").await;
    assert_eq!(
        slugs(&found),
        [slug.as_str()],
        "imported blocks are searchable"
    );
}

#[actix_web::test]
async fn the_feed_of_a_live_article_has_an_entry_per_block() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Gale live").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = add_block(
        &ctx,
        &app,
        &slug,
        json!({"body": "Wind \"rising\" & gusting."}),
    )
    .await;
    let second = add_block(
        &ctx,
        &app,
        &slug,
        json!({"title": "Red warning", "body": "Stay indoors.", "key_event": true}),
    )
    .await;
    add_block(
        &ctx,
        &app,
        &slug,
        json!({"body": "Not yet.", "published_at": in_secs(3600)}),
    )
    .await;
    let resp = send(&app, get(&format!("/feed.atom?article={slug}"))).await;
    assert_eq!(resp.status, 200);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = String::from_utf8(resp.body.clone()).unwrap();
    assert_eq!(feed.matches("<entry>").count(), 2, "{feed}");
    let newest = feed.find("<title>Red warning</title>").unwrap();
    let older = feed
        .find("<title>Wind &quot;rising&quot; &amp; gusting.</title>")
        .unwrap();
    assert!(newest < older, "newest first");
    for block in [&first, &second] {
        assert!(feed.contains(&format!(
            "/articles/{slug}#block-{}</id>",
            block["id"].as_i64().unwrap()
        )));
    }
    assert!(feed.contains("<category term=\"key-event\""));
    assert!(!feed.contains("Not yet"), "no scheduled block");

    let plain = publish(&ctx, &app, "Plain").await;
    let plain = plain["slug"].as_str().unwrap();
    send(&app, get(&format!("/feed.atom?article={plain}")))
        .await
        .problem(404);
    send(&app, get(&format!("/feed.atom?article={slug}&tag=weather")))
        .await
        .problem(400);
}

#[actix_web::test]
async fn a_live_articles_revision_records_its_blocks() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = live_article(&ctx, &app, "Derby live").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let kick_off = add_block(
        &ctx,
        &app,
        &slug,
        json!({"body": "Kick-off.", "key_event": true}),
    )
    .await;
    patch_article(&ctx, &app, &slug, json!({"title": "Derby live: 1-0"})).await;
    add_block(&ctx, &app, &slug, json!({"body": "Goal."})).await;
    patch_article(&ctx, &app, &slug, json!({"live": false})).await;
    let read = |n: i64| {
        let req = ctx.admin(get(&format!("/api/v1/articles/{slug}/revisions/{n}")));
        let app = &app;
        async move { send(app, req).await.ok(200) }
    };
    let second = read(2).await;
    assert_eq!(second["format"], "live");
    assert_eq!(second["live"], true);
    assert_eq!(
        second["blocks"],
        json!([{"id": kick_off["id"], "title": null, "body": "Kick-off.", "key_event": true,
                "pinned": false, "published_at": kick_off["published_at"]}])
    );
    let third = read(3).await;
    assert_eq!(third["live"], false);
    assert_eq!(third["blocks"].as_array().unwrap().len(), 2);
    // Restoring the headline leaves the coverage as it is.
    let restored = send(
        &app,
        ctx.admin(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/articles/{slug}/revisions/1/restore")),
        ),
    )
    .await
    .ok(200);
    assert_eq!(restored["title"], "Derby live");
    assert_eq!(restored["live_summary"]["block_count"], 2);
    assert_eq!(restored["live"], false);
}
