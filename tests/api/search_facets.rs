//! Search facets: counts over a search's whole result set, per tag and per month of
//! publication, as the reader sees it (its filters, public articles only), whatever page.

use crate::support::common;
use common::*;

use serde_json::json;

#[actix_web::test]
async fn facets_count_every_result_per_tag_and_month() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, at, tags) in [
        (
            "Tram vote",
            "2026-10-05T09:00:00Z",
            vec!["Transport", "City Hall"],
        ),
        ("Tram depot", "2026-11-02T09:00:00Z", vec!["Transport"]),
        ("Tram fares", "2026-11-20T09:00:00Z", vec!["Transport"]),
        ("Ferry strike", "2026-11-03T09:00:00Z", vec!["Transport"]),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "published_at": at, "tags": tags}),
        )
        .await;
    }
    // Not public: counted nowhere.
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram secret", "tags": ["Transport", "Secret"]}),
    )
    .await;

    let found = list_articles(&app, "q=tram&facets=tag,month&limit=1").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "one page");
    assert_eq!(found["meta"]["total"], 3);
    assert_eq!(
        found["facets"],
        json!({
            "tag": [
                {"slug": "transport", "name": "Transport", "count": 3},
                {"slug": "city-hall", "name": "City Hall", "count": 1}
            ],
            "month": [{"month": "2026-11", "count": 2}, {"month": "2026-10", "count": 1}]
        })
    );
    // Only what is asked; the list's filters apply.
    let tagged = list_articles(&app, "q=tram&tag=city-hall&facets=tag").await;
    assert_eq!(
        tagged["facets"],
        json!({"tag": [
            {"slug": "city-hall", "name": "City Hall", "count": 1},
            {"slug": "transport", "name": "Transport", "count": 1}
        ]})
    );
    let none = list_articles(&app, "q=zzz&facets=month").await;
    assert_eq!(none["facets"], json!({"month": []}));
    // Without `facets`, no facets.
    assert!(list_articles(&app, "q=tram").await.get("facets").is_none());
    // A tag renamed shows at once in the (cached) facets.
    send(
        &app,
        ctx.admin(json(
            actix_web::http::Method::PATCH,
            "/api/v1/tags/city-hall",
            &json!({"name": "Town Hall"}),
        )),
    )
    .await
    .ok(200);
    let renamed = list_articles(&app, "q=tram&tag=city-hall&facets=tag").await;
    assert_eq!(renamed["facets"]["tag"][0]["name"], "Town Hall");
}

#[actix_web::test]
async fn facets_need_a_search_and_known_names() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for query in ["facets=tag", "q=tram&facets=author", "q=tram&facets="] {
        let problem = send(&app, get(&format!("/api/v1/articles?{query}")))
            .await
            .problem(400);
        assert_eq!(problem["errors"][0]["field"], "facets", "{query}");
    }
}
