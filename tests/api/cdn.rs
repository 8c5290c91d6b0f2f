//! What a CDN in front is told: each public answer's cache keys in the configured tag
//! headers, how long it may keep the answer, and, for each change, a `PURGE` naming its keys
//! (hard or soft), retried until the CDN takes it, across restarts.

use crate::support::common;
use crate::support::receiver::Receiver;
use common::*;

use std::time::Duration;

use gazette::config::{Settings, TagHeader};
use gazette::purger::Purger;
use serde_json::json;

fn cdn_settings() -> Settings {
    Settings {
        cache_tag_headers: vec![
            TagHeader::SurrogateKey,
            TagHeader::CacheTag,
            TagHeader::Xkey,
            TagHeader::EdgeCacheTag,
        ],
        cdn_cache_control: Some("max-age=86400".to_owned()),
        ..Default::default()
    }
}

fn words(value: Option<&str>, separator: char) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(separator)
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn public_answers_carry_their_keys_and_the_cdns_policy() {
    let ctx = Ctx::with_settings(cdn_settings());
    let app = ctx.app().await;
    let article = create_article(
        &ctx,
        &app,
        json!({"title": "Tram Vote", "status": "published", "tags": ["Transport"]}),
    )
    .await;
    let a = format!("a:{}", article["id"]);
    let uri = "/api/v1/articles/tram-vote";
    // Rendered, then from memory: the same headers both times.
    for _ in 0..2 {
        let res = send(&app, get(uri)).await;
        assert_eq!(res.status.as_u16(), 200);
        let xkey = words(res.header("xkey"), ' ');
        for key in [a.as_str(), "s:tram-vote", "t:transport"] {
            assert!(xkey.iter().any(|k| k == key), "{key} in {xkey:?}");
        }
        assert_eq!(words(res.header("surrogate-key"), ' '), xkey);
        assert_eq!(
            words(res.header("cache-tag"), ','),
            xkey,
            "commas for Cloudflare"
        );
        assert_eq!(words(res.header("edge-cache-tag"), ','), xkey);
        assert_eq!(res.header("cdn-cache-control"), Some("max-age=86400"));
        assert_eq!(res.header("surrogate-control"), Some("max-age=86400"));
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=60, stale-while-revalidate=300"),
            "browsers keep the short policy"
        );
    }
    let list = send(&app, get("/api/v1/articles?tag=transport")).await;
    let keys = words(list.header("xkey"), ' ');
    assert!(
        keys.contains(&"l:t:transport".to_owned()) && keys.contains(&a),
        "{keys:?}"
    );

    // A 404 is tagged with its address, so that the article's publication purges it.
    let missing = send(&app, get("/api/v1/articles/not-yet")).await;
    assert_eq!(missing.status.as_u16(), 404);
    assert_eq!(missing.header("xkey"), Some("s:not-yet"));

    // A redirect from a former slug shows both addresses: either one's change purges it.
    patch_article(&ctx, &app, "tram-vote", json!({"slug": "tram-vote-passes"})).await;
    let moved = send(&app, get(uri)).await;
    assert_eq!(moved.status.as_u16(), 301);
    assert_eq!(moved.header("xkey"), Some("s:tram-vote s:tram-vote-passes"));
    let uri = "/api/v1/articles/tram-vote-passes";

    // A link to a draft says nothing of the draft: not its id, not its address; the draft's
    // edits purge nothing; its publication purges the article linking to it.
    let draft = create_article(&ctx, &app, json!({"title": "Rate Rise"})).await;
    patch_article(
        &ctx,
        &app,
        "tram-vote-passes",
        json!({"related": [{"slug": "rate-rise"}]}),
    )
    .await;
    let linking = send(&app, get(uri)).await;
    let keys = words(linking.header("xkey"), ' ');
    assert!(
        !keys.contains(&format!("a:{}", draft["id"])) && !keys.contains(&"s:rate-rise".to_owned()),
        "{keys:?}"
    );
    let published = patch_article(&ctx, &app, "rate-rise", json!({"status": "published"})).await;
    assert_eq!(published["status"], "published");
    let linking = get_json(&app, uri).await;
    assert_eq!(
        linking["related"][0]["slug"], "rate-rise",
        "no longer kept without it"
    );

    // Keyed answers are private: nothing for a CDN.
    let keyed = send(&app, ctx.admin(get(uri))).await;
    assert_eq!(keyed.status.as_u16(), 200);
    assert!(keyed.header("xkey").is_none() && keyed.header("cdn-cache-control").is_none());
}

#[actix_web::test]
async fn without_settings_no_cdn_headers_are_sent() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Quiet Day").await;
    let res = send(&app, get("/api/v1/articles/quiet-day")).await;
    for name in [
        "xkey",
        "surrogate-key",
        "cache-tag",
        "edge-cache-tag",
        "cdn-cache-control",
    ] {
        assert!(res.header(name).is_none(), "{name}: {res:?}");
    }
}

fn purge_keys(received: &[crate::support::receiver::Received], header: &str) -> Vec<String> {
    received
        .iter()
        .filter(|r| r.method == "PURGE")
        .filter_map(|r| r.header(header))
        .flat_map(|v| v.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

#[actix_web::test]
async fn each_change_is_purged_hard_or_soft_and_retried_until_taken() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let article = publish(&ctx, &app, "Storm Warning").await;
    let a = format!("a:{}", article["id"]);
    // The CDN fails the first purge: it is sent again.
    let cdn = Receiver::start(&[503]);
    let purger = Purger::start(ctx.pool.clone(), vec![cdn.url("/")]);
    // Registered at the end of the log: what came before is not purged.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(cdn.received().is_empty(), "{:?}", cdn.received());

    patch_article(
        &ctx,
        &app,
        "storm-warning",
        json!({"summary": "Gusts of 90 km/h."}),
    )
    .await;
    let received = cdn.wait_for(2, Duration::from_secs(10));
    assert!(received.iter().all(|r| r.method == "PURGE"), "{received:?}");
    assert_eq!(
        purge_keys(&received[..1], "xkey-softpurge"),
        purge_keys(&received[1..2], "xkey-softpurge"),
        "the failed purge is sent again"
    );
    let soft = purge_keys(&received, "xkey-softpurge");
    assert!(
        soft.contains(&a) && soft.contains(&"s:storm-warning".to_owned()),
        "{soft:?}"
    );
    assert!(
        purge_keys(&received, "xkey-purge").is_empty(),
        "an edit is soft"
    );
    purger.stop();

    // While no purger runs, the article is withdrawn; the next purger (a restart) sends it.
    patch_article(&ctx, &app, "storm-warning", json!({"status": "draft"})).await;
    let purger = Purger::start(ctx.pool.clone(), vec![cdn.url("/")]);
    let received = cdn.wait_for(3, Duration::from_secs(10));
    let hard = purge_keys(&received[2..], "xkey-purge");
    assert!(
        hard.contains(&a) && hard.contains(&"l:articles".to_owned()),
        "{hard:?}"
    );
    purger.stop();
}
