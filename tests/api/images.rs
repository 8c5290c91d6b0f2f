//! Images: an article's feature image with its text, size and focal point; `alt` required;
//! `feature_image_url` as an alias of its URL; renditions and `srcset` from the publisher's
//! image service; teasers and related links carry the image; revisions, export and import
//! keep it.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use gazette::config::Settings;
use gazette::images::ImageService;
use serde_json::{Value, json};

fn picture() -> Value {
    json!({
        "url": "https://cdn.example.com/tram-depot.jpg",
        "alt": "A tram leaves the depot at dusk",
        "caption": "The first trams reach the terminal in 2028.",
        "credit": "Photograph: Lena Marsh",
        "width": 1000,
        "height": 500,
        "focal_point": {"x": 0.25, "y": 0.75}
    })
}

#[actix_web::test]
async fn an_image_is_stored_whole_and_its_url_is_an_alias() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Tram", "status": "published", "feature_image": picture()}),
    )
    .await;
    let image = &a["feature_image"];
    for field in [
        "url",
        "alt",
        "caption",
        "credit",
        "width",
        "height",
        "focal_point",
    ] {
        assert_eq!(image[field], picture()[field], "{field}");
    }
    assert_eq!(a["feature_image_url"], picture()["url"]);
    // No image service: the original alone, at its own width.
    assert_eq!(
        image["renditions"],
        json!([{"width": 1000, "height": 500, "url": picture()["url"]}])
    );
    assert_eq!(
        image["srcset"],
        "https://cdn.example.com/tram-depot.jpg 1000w"
    );

    // Teasers and the list carry it.
    let list = list_articles(&app, "").await;
    assert_eq!(list["data"][0]["feature_image"]["alt"], picture()["alt"]);

    // The alias changes only the URL.
    let slug = a["slug"].as_str().unwrap();
    let moved = patch_article(
        &ctx,
        &app,
        slug,
        json!({"feature_image_url": "https://cdn.example.com/b.jpg"}),
    )
    .await;
    assert_eq!(
        moved["feature_image"]["url"],
        "https://cdn.example.com/b.jpg"
    );
    assert_eq!(moved["feature_image"]["alt"], picture()["alt"]);
    assert_eq!(moved["feature_image_url"], "https://cdn.example.com/b.jpg");

    // An article written with the alias alone has an image with no text.
    let old = create_article(
        &ctx,
        &app,
        json!({"title": "Wire", "feature_image_url": "https://cdn.example.com/w.jpg"}),
    )
    .await;
    assert_eq!(old["feature_image"]["url"], "https://cdn.example.com/w.jpg");
    assert_eq!(old["feature_image"]["alt"], "");
    assert_eq!(old["feature_image"]["srcset"], Value::Null);

    // `null` removes it.
    let bare = patch_article(&ctx, &app, slug, json!({"feature_image": null})).await;
    assert_eq!(bare["feature_image"], Value::Null);
    assert_eq!(bare["feature_image_url"], Value::Null);

    // A revision keeps it, and restoring the first brings it back.
    let restored = send(
        &app,
        ctx.admin(json(
            Method::POST,
            &format!("/api/v1/articles/{slug}/revisions/1/restore"),
            &json!({}),
        )),
    )
    .await
    .ok(200);
    assert_eq!(restored["feature_image"]["caption"], picture()["caption"]);
    let revision = send(
        &app,
        ctx.admin(get(&format!("/api/v1/articles/{slug}/revisions/1"))),
    )
    .await
    .ok(200);
    assert_eq!(revision["feature_image"]["credit"], picture()["credit"]);
}

#[actix_web::test]
async fn an_image_needs_alt_text_and_sane_values() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let cases = [
        (
            json!({"url": "https://cdn.example.com/a.jpg"}),
            "feature_image.alt",
        ),
        (
            json!({"url": "https://cdn.example.com/a.jpg", "alt": "  "}),
            "feature_image.alt",
        ),
        (
            json!({"url": "javascript:alert(1)", "alt": "A"}),
            "feature_image.url",
        ),
        (
            json!({"url": "https://cdn.example.com/a.jpg", "alt": "A", "focal_point": {"x": 1.5, "y": 0}}),
            "feature_image.focal_point.x",
        ),
        (
            json!({"url": "https://cdn.example.com/a.jpg", "alt": "A", "width": 0}),
            "feature_image.width",
        ),
    ];
    for (image, field) in cases {
        let problem = send(
            &app,
            ctx.admin(post_article_req(
                json!({"title": "T", "feature_image": image}),
            )),
        )
        .await
        .problem(422);
        let text = problem.to_string();
        assert!(text.contains(field), "{field}: {text}");
    }
    // The alias and the image disagreeing.
    send(
        &app,
        ctx.admin(post_article_req(json!({
            "title": "T",
            "feature_image": picture(),
            "feature_image_url": "https://cdn.example.com/other.jpg"
        }))),
    )
    .await
    .problem(422);
    // Nothing was written.
    let conn = &mut *ctx.pool.get().unwrap();
    assert_eq!(gazette::db::articles::count_all(conn).unwrap(), 0);
}

#[actix_web::test]
async fn an_image_service_gives_renditions_never_wider_than_the_original() {
    let ctx = Ctx::with_settings(Settings {
        images: ImageService {
            template: Some("https://img.example.com/{width}/{url}".to_owned()),
            widths: vec![320, 640, 960, 1280],
        },
        ..Settings::default()
    });
    let app = ctx.app().await;
    let target = create_article(
        &ctx,
        &app,
        json!({"title": "Depot", "status": "published", "feature_image": picture()}),
    )
    .await;
    let a = create_article(
        &ctx,
        &app,
        json!({
            "title": "Tram",
            "status": "published",
            "feature_image": picture(),
            "related": [{"slug": target["slug"]}]
        }),
    )
    .await;
    let image = &a["feature_image"];
    let widths: Vec<i64> = image["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["width"].as_i64().unwrap())
        .collect();
    assert_eq!(widths, [320, 640, 960]);
    assert_eq!(image["renditions"][0]["height"], 160);
    let encoded = "https%3A%2F%2Fcdn.example.com%2Ftram-depot.jpg";
    assert_eq!(
        image["renditions"][1]["url"],
        format!("https://img.example.com/640/{encoded}")
    );
    assert_eq!(
        image["srcset"],
        format!(
            "https://img.example.com/320/{encoded} 320w, https://img.example.com/640/{encoded} 640w, https://img.example.com/960/{encoded} 960w"
        )
    );
    // A related link to an article shows its picture too.
    assert_eq!(a["related"][0]["feature_image"]["srcset"], image["srcset"]);
}

#[actix_web::test]
async fn export_and_import_keep_the_image() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Tram", "status": "published", "feature_image": picture()}),
    )
    .await;
    let mut out = Vec::new();
    gazette::db::transfer::export(&mut ctx.pool.get().unwrap(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"feature_image\":{"), "{text}");
    assert!(
        text.contains("\"focal_point\":{\"x\":0.25,\"y\":0.75}"),
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
    assert_eq!(import(&other.pool).articles_created, 1);
    let list = list_articles(&app2, "").await;
    assert_eq!(
        list["data"][0]["feature_image"]["caption"],
        picture()["caption"]
    );
    assert_eq!(
        list["data"][0]["feature_image"]["focal_point"],
        picture()["focal_point"]
    );
    // Importing the same export again changes nothing.
    assert_eq!(import(&ctx.pool).unchanged, 1);
}
