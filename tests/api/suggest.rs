//! Search suggestions: public tags whose names begin with the typed text, then public
//! articles whose titles hold its words (the last as a prefix), newest first, eight at most.

use crate::support::common;
use common::*;

use serde_json::{Value, json};

async fn suggest(app: &TestApp, q: &str) -> Value {
    get_json(app, &format!("/api/v1/search/suggest?q={}", enc(q))).await
}

fn titles(found: &Value) -> Vec<&str> {
    strs(&found["articles"], "title")
}

#[actix_web::test]
async fn titles_and_tags_the_public_sees_begin_with_the_typed_words() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, published_at, tags) in [
        (
            "Harbour Dredging Begins",
            "2026-01-01T00:00:00Z",
            vec!["Harbour Life"],
        ),
        ("Harbour Lights Return", "2026-02-01T00:00:00Z", vec![]),
        ("Ferry Timetable", "2026-03-01T00:00:00Z", vec!["Transport"]),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "published_at": published_at,
                   "tags": tags, "body": "Nothing about the harbourmaster."}),
        )
        .await;
    }
    // Unpublished: a draft with a tag of its own, and a scheduled story.
    create_article(
        &ctx,
        &app,
        json!({"title": "Harbour Secret Plan", "tags": ["Harbour Hidden"]}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Harbour Future", "status": "published", "published_at": "2099-01-01T00:00:00Z"}),
    )
    .await;

    let found = suggest(&app, "harb").await;
    assert_eq!(
        found["tags"],
        json!([{"slug": "harbour-life", "name": "Harbour Life"}])
    );
    assert_eq!(
        titles(&found),
        ["Harbour Lights Return", "Harbour Dredging Begins"]
    );
    assert!(
        found["articles"][0]["canonical_url"]
            .as_str()
            .unwrap()
            .ends_with("/articles/harbour-lights-return")
    );
    // Every word must be in the title, the last one begun; any title word will do.
    assert_eq!(
        titles(&suggest(&app, "Harbour dre").await),
        ["Harbour Dredging Begins"]
    );
    assert_eq!(
        titles(&suggest(&app, "dredging").await),
        ["Harbour Dredging Begins"]
    );
    // Words of the body find nothing; nor does text with no word.
    assert_eq!(
        suggest(&app, "harbourmaster").await,
        json!({"tags": [], "articles": []})
    );
    assert_eq!(
        suggest(&app, "  !! ").await,
        json!({"tags": [], "articles": []})
    );
    // A tag by the start of its name.
    assert_eq!(
        strs(&suggest(&app, "trans").await["tags"], "slug"),
        ["transport"]
    );

    // A title published now shows in the (cached) suggestions at once.
    publish(&ctx, &app, "Harbour Wall Repaired").await;
    assert_eq!(
        titles(&suggest(&app, "harb").await)[0],
        "Harbour Wall Repaired"
    );
    // Words match as typed, not stemmed: a word begun is found before it ends, and one
    // letter is enough.
    assert_eq!(
        titles(&suggest(&app, "dredgi").await),
        ["Harbour Dredging Begins"]
    );
    assert_eq!(titles(&suggest(&app, "f").await), ["Ferry Timetable"]);
    // An article moved back in time moves down; one taken back leaves.
    patch_article(
        &ctx,
        &app,
        "harbour-wall-repaired",
        json!({"published_at": "2025-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        titles(&suggest(&app, "harb").await),
        [
            "Harbour Lights Return",
            "Harbour Dredging Begins",
            "Harbour Wall Repaired"
        ]
    );
    patch_article(
        &ctx,
        &app,
        "harbour-wall-repaired",
        json!({"status": "draft"}),
    )
    .await;
    assert_eq!(titles(&suggest(&app, "harb").await).len(), 2);
}

#[actix_web::test]
async fn eight_at_most_and_bad_text_is_a_400() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for n in 0..10 {
        publish(&ctx, &app, &format!("Tram news {n}")).await;
    }
    let found = suggest(&app, "tram").await;
    assert_eq!(found["articles"].as_array().unwrap().len(), 8);
    for uri in [
        "/api/v1/search/suggest".to_owned(),
        format!("/api/v1/search/suggest?q={}", "a".repeat(101)),
        "/api/v1/search/suggest?q=tram&limit=3".to_owned(),
    ] {
        let problem = send(&app, get(&uri)).await.problem(400);
        assert!(
            problem.to_string().contains('q') || problem.to_string().contains("limit"),
            "{problem}"
        );
    }
}
