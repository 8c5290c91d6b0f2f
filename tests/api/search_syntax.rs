//! What a search box's text means: any form of a word (stemming), "exact phrases",
//! -excluded words, the last word as a prefix, and the default order that weighs relevance
//! with freshness. The same answers on either backend (the suite runs on both).

use crate::support::common;
use common::*;

use gazette::config::Settings;
use serde_json::{Value, json};

async fn published(ctx: &Ctx, app: &TestApp, title: &str, body: &str, at: &str) -> String {
    create_article(
        ctx,
        app,
        json!({"title": title, "body": body, "status": "published", "published_at": at}),
    )
    .await["slug"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn search(app: &TestApp, q: &str, extra: &str) -> Value {
    list_articles(app, &format!("q={}&limit=100{extra}", enc(q))).await
}

/// The slugs `q` finds, in order.
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    slugs(&search(app, q, "").await)
}

/// The slugs `q` finds, sorted: for what is found, whatever the order.
async fn found_set(app: &TestApp, q: &str) -> Vec<String> {
    let mut found = found(app, q).await;
    found.sort();
    found
}

fn sorted(slugs: &[&String]) -> Vec<String> {
    let mut out: Vec<String> = slugs.iter().map(|s| (*s).clone()).collect();
    out.sort();
    out
}

#[actix_web::test]
async fn any_form_of_a_word_finds_the_others() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let at = "2026-11-02T09:00:00Z";
    let election = published(&ctx, &app, "Election night", "Counting went on.", at).await;
    let flooded = published(&ctx, &app, "Streets flooded", "Water rose.", at).await;
    let flooding = published(&ctx, &app, "Valley news", "Flooding closed the road.", at).await;
    let floods = published(&ctx, &app, "Floods return", "Again.", at).await;
    let floodlights = published(&ctx, &app, "Stadium", "New floodlights.", at).await;
    published(&ctx, &app, "Electricity prices", "Electric trams.", at).await;

    // A whole word form is no prefix: "elections" is not "elect…".
    assert_eq!(found(&app, "elections").await, [election.as_str()]);
    assert_eq!(found(&app, "election").await, [election.as_str()]);
    assert_eq!(found(&app, "ELECTION").await, [election.as_str()]);
    let every_flood = sorted(&[&flooded, &flooding, &floods]);
    for form in ["flood", "floods", "flooding", "flooded"] {
        // Quoted, the word is no prefix: "floodlights" is not found.
        let quoted = format!("\"{form}\"");
        assert_eq!(found_set(&app, &quoted).await, every_flood, "{quoted}");
    }
    // The last word is also a prefix.
    let mut with_lights = every_flood.clone();
    with_lights.push(floodlights.clone());
    with_lights.sort();
    assert_eq!(found_set(&app, "flood").await, with_lights);

    // The highlight marks the form the article has.
    let hit = search(&app, "\"floods\"", "").await;
    let highlights: Vec<&str> = hit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["highlight"].as_str().unwrap())
        .collect();
    assert!(
        highlights
            .iter()
            .any(|h| h.contains("<mark>Flooding</mark>")),
        "{highlights:?}"
    );
}

#[actix_web::test]
async fn phrases_match_words_in_order_and_exclusions_leave_articles_out() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let at = "2026-11-02T09:00:00Z";
    let strike = published(&ctx, &app, "Tram strike called", "Drivers walk out.", at).await;
    let apart = published(&ctx, &app, "Strike ends", "The tram runs again.", at).await;
    let bus = published(&ctx, &app, "Tram and bus lane", "A new bus lane.", at).await;

    assert_eq!(found(&app, "\"tram strike\"").await, [strike.as_str()]);
    // Stemmed too, and closed by the end of the text.
    assert_eq!(found(&app, "\"trams striking").await, [strike.as_str()]);
    assert_eq!(
        found_set(&app, "tram strike").await,
        sorted(&[&strike, &apart])
    );
    assert_eq!(found_set(&app, "tram -strike").await, [bus.as_str()]);
    assert_eq!(
        found_set(&app, "tram -\"bus lane\"").await,
        sorted(&[&strike, &apart])
    );
    assert_eq!(
        found_set(&app, "tram -\"lane bus\"").await,
        sorted(&[&strike, &apart, &bus])
    );
    // A hyphen inside a word only separates.
    assert_eq!(
        found_set(&app, "tram-strike").await,
        sorted(&[&strike, &apart])
    );
    // Exclusions alone are what is looked for.
    assert_eq!(found(&app, "-lane").await, [bus.as_str()]);
    // Neither a quoted nor an excluded last word is a prefix.
    assert_eq!(found_set(&app, "tra").await.len(), 3);
    assert!(found(&app, "\"tra\"").await.is_empty());
    assert_eq!(found_set(&app, "tram -stri").await.len(), 3);
}

/// Two stories on one subject: an old one that says "harbour" everywhere, and yesterday's,
/// which says it once.
async fn old_and_new(ctx: &Ctx, app: &TestApp) -> (String, String) {
    let old = published(
        ctx,
        app,
        "Harbour harbour harbour",
        "The harbour, the harbour and the harbour again.",
        "2023-06-01T09:00:00Z",
    )
    .await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let new = published(
        ctx,
        app,
        "Council meets",
        "The budget, the schools, and the harbour.",
        &yesterday,
    )
    .await;
    (old, new)
}

#[actix_web::test]
async fn fresh_stories_come_first_unless_relevance_alone_is_asked_for() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let (old, new) = old_and_new(&ctx, &app).await;

    assert_eq!(found(&app, "harbour").await, [new.clone(), old.clone()]);
    let by_text = search(&app, "harbour", "&sort=relevance").await;
    assert_eq!(slugs(&by_text), [old.clone(), new.clone()]);

    // Each order pages in its own order, one at a time, with its own cursors.
    for (extra, expected) in [
        ("", [new.clone(), old.clone()]),
        ("&sort=relevance", [old.clone(), new.clone()]),
    ] {
        let first = list_articles(&app, &format!("q=harbour&limit=1{extra}")).await;
        let cursor = first["meta"]["next_cursor"].as_str().unwrap();
        let second = list_articles(
            &app,
            &format!("q=harbour&limit=1{extra}&cursor={}", enc(cursor)),
        )
        .await;
        assert_eq!(
            [slugs(&first), slugs(&second)].concat(),
            expected,
            "{extra}"
        );
        assert_eq!(second["meta"]["next_cursor"], Value::Null);
    }
}

#[actix_web::test]
async fn a_half_life_of_zero_ranks_by_text_alone() {
    let ctx = Ctx::new();
    let app = ctx
        .app_with(Settings {
            search_half_life_days: 0,
            ..Settings::default()
        })
        .await;
    let (old, new) = old_and_new(&ctx, &app).await;
    assert_eq!(found(&app, "harbour").await, [old, new]);
}

/// Every page of `q` in the default order, `limit` at a time, following cursors.
async fn all_pages(app: &TestApp, q: &str, extra: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = list_articles(app, &format!("q={}&limit=7{extra}{cursor}", enc(q))).await;
        out.extend(slugs(&page));
        match page["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={}", enc(next)),
            None => return out,
        }
        assert!(out.len() <= 100, "pages never end");
    }
}

#[actix_web::test]
async fn the_fresh_order_stops_early_and_still_gives_every_match_in_order() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    // 40 stories over two months, a few half-lives, mentioning the word from once to many
    // times, in the title or not: relevance and age pull both ways.
    for i in 0..40i64 {
        let mentions = vec!["quarry"; (i * 7 % 9 + 1) as usize].join(" and ")
            + &" filler".repeat((i % 4 * 40) as usize);
        let title = match i % 3 {
            0 => format!("Quarry report {i}"),
            _ => format!("Report {i}"),
        };
        let at = chrono::Utc::now() - chrono::Duration::minutes(i * 1800 + 7);
        published(&ctx, &app, &title, &mentions, &at.to_rfc3339()).await;
    }
    published(
        &ctx,
        &app,
        "Elsewhere",
        "Nothing here.",
        "2026-01-01T00:00:00Z",
    )
    .await;
    // The filter that leaves nothing out takes the way that scores every match.
    let every = all_pages(&app, "quarry", "&published_after=1900-01-01T00:00:00Z").await;
    assert_eq!(every.len(), 40);
    assert_eq!(all_pages(&app, "quarry", "").await, every);
    let total = list_articles(&app, "q=quarry&limit=1").await["meta"]["total"].clone();
    assert_eq!(total, 40);

    // A story moved in time is found once, where its new time puts it.
    let moved = &every[39];
    patch_article(
        &ctx,
        &app,
        moved,
        json!({"published_at": (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339()}),
    )
    .await;
    let after = all_pages(&app, "quarry", "").await;
    assert_eq!(after.len(), 40);
    assert_eq!(after.iter().filter(|s| *s == moved).count(), 1);
    assert!(after.iter().position(|s| s == moved).unwrap() < 39);
    assert_eq!(
        all_pages(&app, "quarry", "&published_after=1900-01-01T00:00:00Z").await,
        after
    );
}
