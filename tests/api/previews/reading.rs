//! Minting links and reading by them: who may mint, what a link shows and how it is sent,
//! the bounds of `expires_in`, how tokens are stored, and the write budget.

use super::*;

use chrono::{Duration, Utc};
use gazette::config::RateLimits;
use serde_json::json;
use sha2::{Digest, Sha256};

#[actix_web::test]
async fn minting_needs_an_admin_key_and_an_article() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;

    send(&app, mint_req("draft", None)).await.problem(401);
    let content = mint_req("draft", Some(json!({"expires_in": 3600})))
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    let wrong = mint_req("draft", None).insert_header((
        "Authorization",
        "Bearer gazette_wrongwrongwrongwrongwrongwrongwrongwrong",
    ));
    send(&app, wrong).await.problem(401);
    // Listing and revoking need the admin key too.
    send(&app, get("/api/v1/articles/draft/previews"))
        .await
        .problem(401);
    let content = get("/api/v1/articles/draft/previews")
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    send(&app, delete("/api/v1/articles/draft/previews/1"))
        .await
        .problem(401);
    assert_eq!(live_count(&ctx), 0, "a refused request minted nothing");

    send(&app, ctx.admin(mint_req("no-such-article", None)))
        .await
        .problem(404);
    send(
        &app,
        ctx.admin(get("/api/v1/articles/no-such-article/previews")),
    )
    .await
    .problem(404);
    assert_eq!(live_count(&ctx), 0);
}

#[actix_web::test]
async fn a_preview_reads_like_the_admin_read_with_no_key_and_privately() {
    let ctx = context();
    let app = ctx.app().await;
    publish(&ctx, &app, "Ferry Returns").await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Secret Plan", "slug": "secret-plan"}),
    )
    .await;
    let draft = create_article(
        &ctx,
        &app,
        json!({"title": "Budget Day", "slug": "budget-day", "body": "The *numbers*.",
               "tags": ["City Hall"],
               "related": [{"slug": "secret-plan"}, {"slug": "ferry-returns"},
                           {"url": "https://example.org/budget", "summary": "The budget."}]}),
    )
    .await;
    let before = Utc::now();
    let link = mint(&ctx, &app, "budget-day", None).await;
    let token = token_of(&link);
    assert!(
        token.len() >= 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "a URL-safe token of 256 bits: {token}"
    );
    assert_eq!(link["url"], format!("{SITE}/preview/{token}"));
    // Seven days by default.
    let lifetime = ts(&link["expires_at"]) - ts(&link["created_at"]);
    assert_eq!(lifetime, Duration::days(7), "{link}");
    assert!(ts(&link["created_at"]) >= before - Duration::seconds(1));
    assert_ne!(
        mint(&ctx, &app, &draft["id"].to_string(), None).await["token"],
        token
    );

    // The public still sees nothing of the draft.
    fetch_article(&app, "budget-day").await.problem(404);

    let res = open(&app, &token).await;
    let shown = res.ok(200);
    assert_private(&res, "a live link");
    let admin = send(&app, ctx.admin(get("/api/v1/articles/budget-day")))
        .await
        .ok(200);
    assert_eq!(
        shown, admin,
        "the preview is the article as an admin reads it"
    );
    assert_eq!(shown["status"], "draft");
    assert_eq!(shown["body_html"], "<p>The <em>numbers</em>.</p>\n");
    assert_eq!(
        shown["canonical_url"],
        format!("{SITE}/articles/budget-day")
    );
    assert_eq!(shown["tags"][0]["slug"], "city-hall");
    // Another unpublished article it links to stays hidden.
    let related: Vec<&str> = shown["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        related,
        [
            format!("{SITE}/articles/ferry-returns").as_str(),
            "https://example.org/budget"
        ]
    );

    // Conditional and compressed reads get no validator and no 304 either, and a key sent
    // along changes nothing.
    for req in [
        get(&format!("/api/v1/preview/{token}")).insert_header(("If-None-Match", "*")),
        get(&format!("/api/v1/preview/{token}")).insert_header(("Accept-Encoding", "gzip")),
        get(&format!("/api/v1/preview/{token}"))
            .insert_header(("If-Modified-Since", "Sun, 01 Jan 2090 00:00:00 GMT")),
        ctx.admin(get(&format!("/api/v1/preview/{token}"))),
    ] {
        let res = send(&app, req).await;
        assert_eq!(res.status.as_u16(), 200, "{res:?}");
        assert_private(&res, "a conditional, compressed or keyed read");
    }
}

#[actix_web::test]
async fn expires_in_is_bounded_and_named_when_out_of_range() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    for bad in [
        json!(0),
        json!(59),
        json!(2_592_001),
        json!(-1),
        json!("3600"),
        json!(1.5),
        json!(1e300),
    ] {
        let res = send(
            &app,
            ctx.admin(mint_req("draft", Some(json!({"expires_in": bad})))),
        )
        .await;
        let problem = res.problem(422);
        assert_eq!(
            problem["errors"][0]["field"], "expires_in",
            "{bad}: {problem}"
        );
    }
    let typo = send(
        &app,
        ctx.admin(mint_req("draft", Some(json!({"expires": 60})))),
    )
    .await
    .problem(422);
    assert_eq!(typo["errors"][0]["field"], "expires", "{typo}");
    let not_json = raw(
        Method::POST,
        "/api/v1/articles/draft/preview",
        Some("text/plain"),
        "60",
    );
    send(&app, ctx.admin(not_json)).await.problem(415);
    assert_eq!(live_count(&ctx), 0, "refused requests minted nothing");

    for (seconds, expected) in [
        (json!(60), Duration::minutes(1)),
        (json!(2_592_000), Duration::days(30)),
        (json!(3600.0), Duration::hours(1)),
    ] {
        let link = mint(&ctx, &app, "draft", Some(json!({"expires_in": seconds}))).await;
        assert_eq!(ts(&link["expires_at"]) - ts(&link["created_at"]), expected);
    }
    let link = mint(&ctx, &app, "draft", Some(json!({}))).await;
    assert_eq!(
        ts(&link["expires_at"]) - ts(&link["created_at"]),
        Duration::days(7)
    );
}

#[actix_web::test]
async fn tokens_are_stored_only_as_their_hashes() {
    let ctx = context();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let link = mint(&ctx, &app, "draft", None).await;
    let token = token_of(&link);
    let stored: Vec<(i64, i64, String)> = article_previews::table
        .select((
            article_previews::id,
            article_previews::article_id,
            article_previews::token_hash,
        ))
        .load(&mut *ctx.pool.get().unwrap())
        .unwrap();
    assert_eq!(stored.len(), 1);
    let (_, _, hash) = &stored[0];
    assert_ne!(hash, &token);
    assert!(!hash.contains(&token[..12]), "{hash}");
    assert_eq!(
        hash,
        &URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
    );
    // Nowhere in the database files either.
    if !on_postgres() {
        for suffix in ["", "-wal"] {
            let bytes = std::fs::read(format!("{}{suffix}", ctx.db_url())).unwrap_or_default();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "the token is in the database file{suffix}"
            );
        }
    }
}

#[actix_web::test]
async fn minting_and_revoking_count_as_writes() {
    let ctx = Ctx::with_settings(Settings {
        rate_limits: RateLimits {
            writes_per_minute: 3,
            auth_failures_per_minute: 0,
        },
        ..Settings::default()
    });
    let app = ctx.app().await;
    // The article is written from another address: the budget below is the minting's own.
    create_article(&ctx, &app, json!({"title": "Draft", "slug": "draft"})).await;
    let ip = "192.0.2.9";
    let link = send(&app, from_ip(ctx.admin(mint_req("draft", None)), ip))
        .await
        .ok(201);
    send(&app, from_ip(ctx.admin(mint_req("draft", None)), ip))
        .await
        .ok(201);
    let revoke = delete(&format!("/api/v1/articles/draft/previews/{}", link["id"]));
    send(&app, from_ip(ctx.admin(revoke), ip)).await.ok(204);
    let res = send(&app, from_ip(ctx.admin(mint_req("draft", None)), ip)).await;
    res.problem(429);
    assert!(res.header("retry-after").is_some());
    assert_eq!(live_count(&ctx), 1, "the refused mint minted nothing");
}
