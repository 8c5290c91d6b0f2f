//! Articles through the HTTP API: the shape of an article as read, derived fields (slug,
//! rendered body, reading statistics, canonical and share URLs), publishing and visibility,
//! the list (teasers, sorting, cursor pagination, tag filters), updates, related links and
//! deletion. Every test runs on its own fresh database.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use chrono::{DateTime, Duration, Utc};
use gazette::config::Settings;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------------------

const SITE: &str = "https://news.example";

fn site_ctx() -> Ctx {
    Ctx::with_settings(Settings {
        site_url: SITE.into(),
        ..Default::default()
    })
}

/// `t` lies between `before` and `after`, with a second of slack for rounding.
#[track_caller]
fn assert_between(t: DateTime<Utc>, before: DateTime<Utc>, after: DateTime<Utc>) {
    let slack = Duration::seconds(1);
    assert!(
        t >= before - slack && t <= after + slack,
        "{t} is not between {before} and {after}"
    );
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A published article body with a fixed `published_at`.
fn published_at(title: &str, at: &str) -> Value {
    json!({"title": title, "status": "published", "published_at": at})
}

/// Walks the list from the first page following `next_cursor`; returns every page.
async fn walk(app: &TestApp, query: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={}", enc(c)),
            None => query.to_owned(),
        };
        let page = list_articles(app, &q).await;
        cursor = page["meta"]["next_cursor"].as_str().map(str::to_owned);
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 50, "pagination does not end: {pages:?}");
    }
}

/// Checks the invariants of a full walk and returns the slugs in the order seen.
#[track_caller]
fn check_walk(pages: &[Value], limit: usize, total: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let meta = &page["meta"];
        let last = i == pages.len() - 1;
        assert_eq!(meta["limit"], limit, "page {i}: {meta}");
        assert_eq!(
            meta["total"], total,
            "page {i}: total must not change: {meta}"
        );
        assert_eq!(meta["has_more"], !last, "page {i}: {meta}");
        if last {
            assert!(meta["next_cursor"].is_null(), "last page: {meta}");
        } else {
            assert!(meta["next_cursor"].is_string(), "page {i}: {meta}");
            assert_eq!(page["data"].as_array().unwrap().len(), limit, "page {i}");
        }
        seen.extend(slugs(page));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "an article was seen twice: {seen:?}"
    );
    assert_eq!(seen.len(), total, "not every article was seen: {seen:?}");
    seen
}

// ---------------------------------------------------------------------------------------
// Creating: the article as read.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn create_returns_201_with_location_and_every_field_of_the_article() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    publish(&ctx, &app, "Missile Intercepted Over the Jordan Valley").await;
    let before = Utc::now();
    let req = ctx.admin(post_article_req(json!({
        "title": "Iran’s Khamenei Doubts Diplomacy, Escalating Threats from Terror Regime",
        "summary": "The Supreme Leader cast doubt on negotiations.",
        "body": "Iran’s Supreme Leader *publicly* cast doubt.\n\nThe timing underscores its significance.",
        "status": "published",
        "tags": ["Iran", "Middle East"],
        "related": [
            {"slug": "missile-intercepted-over-the-jordan-valley"},
            {"url": "https://example.org/report", "summary": "The full report.", "title": "Report"}
        ],
        "byline": "Staff Reporter",
        "feature_image_url": "https://cdn.example/khamenei.jpg"
    })));
    let res = send(&app, req).await;
    let after = Utc::now();
    let a = res.ok(201);
    let slug = "irans-khamenei-doubts-diplomacy-escalating-threats-from-terror-regime";
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/articles/{slug}").as_str())
    );

    for field in [
        "id",
        "slug",
        "title",
        "summary",
        "body",
        "body_html",
        "body_text",
        "status",
        "published_at",
        "created_at",
        "updated_at",
        "tags",
        "related",
        "canonical_url",
        "share",
        "word_count",
        "reading_time_minutes",
        "byline",
        "feature_image_url",
    ] {
        assert!(a.get(field).is_some(), "missing `{field}` in {a}");
    }
    assert!(a["id"].is_i64(), "{a}");
    assert_eq!(a["slug"], slug);
    assert_eq!(
        a["title"],
        "Iran’s Khamenei Doubts Diplomacy, Escalating Threats from Terror Regime"
    );
    assert_eq!(
        a["summary"],
        "The Supreme Leader cast doubt on negotiations."
    );
    assert_eq!(
        a["body"],
        "Iran’s Supreme Leader *publicly* cast doubt.\n\nThe timing underscores its significance."
    );
    assert!(
        a["body_html"]
            .as_str()
            .unwrap()
            .contains("<em>publicly</em>"),
        "{a}"
    );
    assert_eq!(
        a["body_text"],
        "Iran’s Supreme Leader publicly cast doubt.\n\nThe timing underscores its significance."
    );
    assert_eq!(a["status"], "published");
    assert_eq!(a["word_count"], 11);
    assert_eq!(a["reading_time_minutes"], 1);
    assert_eq!(a["byline"], "Staff Reporter");
    assert_eq!(a["feature_image_url"], "https://cdn.example/khamenei.jpg");

    let created = ts(&a["created_at"]);
    assert_between(created, before, after);
    assert_eq!(ts(&a["updated_at"]), created);
    assert_between(ts(&a["published_at"]), before, after);

    assert_eq!(
        a["tags"],
        json!([{"slug": "iran", "name": "Iran"}, {"slug": "middle-east", "name": "Middle East"}])
    );
    assert_eq!(
        a["related"],
        json!([
            {
                "kind": "internal", "source": "curated",
                "slug": "missile-intercepted-over-the-jordan-valley",
                "title": "Missile Intercepted Over the Jordan Valley",
                "summary": "",
                "url": "https://news.example/articles/missile-intercepted-over-the-jordan-valley",
                "feature_image": null
            },
            {
                "kind": "external", "source": "curated",
                "slug": null,
                "title": "Report",
                "summary": "The full report.",
                "url": "https://example.org/report",
                "feature_image": null
            }
        ])
    );

    let canonical = format!("{SITE}/articles/{slug}");
    assert_eq!(a["canonical_url"], canonical);
    assert_eq!(a["share"]["url"], canonical);
    assert_eq!(a["share"]["title"], a["title"]);
    for network in [
        "x", "facebook", "linkedin", "whatsapp", "telegram", "reddit", "email",
    ] {
        let link = a["share"]["links"][network]
            .as_str()
            .unwrap_or_else(|| panic!("missing share link `{network}`: {a}"));
        assert!(!link.is_empty(), "{network}");
    }

    // The Location answers with the same article.
    let again = get_json(&app, res.header("location").unwrap()).await;
    assert_eq!(again, a);
}

#[actix_web::test]
async fn slug_is_derived_from_the_title() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Iran’s Khamenei Doubts Diplomacy"}),
    )
    .await;
    assert_eq!(a["slug"], "irans-khamenei-doubts-diplomacy");
    let b = create_article(&ctx, &app, json!({"title": "  Café Zürich -- 2026! "})).await;
    assert_eq!(b["slug"], "cafe-zurich-2026");
}

#[actix_web::test]
async fn duplicate_titles_get_numbered_slugs() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let a = create_article(&ctx, &app, json!({"title": "Sirens Sound in the North"})).await;
        got.push(a["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        got,
        [
            "sirens-sound-in-the-north",
            "sirens-sound-in-the-north-2",
            "sirens-sound-in-the-north-3"
        ]
    );
}

#[actix_web::test]
async fn a_title_without_letters_still_gets_a_slug_that_is_not_an_id() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(&ctx, &app, json!({"title": "2026", "status": "published"})).await;
    let slug = a["slug"].as_str().unwrap().to_owned();
    assert!(slug.bytes().any(|b| b.is_ascii_lowercase()), "{slug}");
    assert!(slug.contains("2026"), "{slug}");
    assert_eq!(fetch_article(&app, &slug).await.ok(200)["id"], a["id"]);
    let b = create_article(&ctx, &app, json!({"title": "!!!", "status": "published"})).await;
    let slug = b["slug"].as_str().unwrap().to_owned();
    assert!(
        !slug.is_empty() && slug.bytes().any(|b| b.is_ascii_lowercase()),
        "{slug}"
    );
    assert_eq!(fetch_article(&app, &slug).await.ok(200)["id"], b["id"]);
}

#[actix_web::test]
async fn long_titles_get_short_unique_slugs() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let title = "Khamenei Doubts Diplomacy ".repeat(11);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let a = create_article(&ctx, &app, json!({"title": title, "status": "published"})).await;
        let slug = a["slug"].as_str().unwrap().to_owned();
        assert!(slug.len() <= 80, "{slug} is {} long", slug.len());
        assert!(slug.starts_with("khamenei-doubts-diplomacy-"), "{slug}");
        assert!(!slug.ends_with('-') && !slug.contains("--"), "{slug}");
        assert_eq!(fetch_article(&app, &slug).await.ok(200)["id"], a["id"]);
        assert!(!seen.contains(&slug), "{slug} repeated");
        seen.push(slug);
    }
    assert!(
        seen[1].ends_with("-2") && seen[2].ends_with("-3"),
        "{seen:?}"
    );
}

#[actix_web::test]
async fn explicit_slug_is_used_as_given() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let res = send(
        &app,
        ctx.admin(post_article_req(
            json!({"title": "Sirens Sound in the North", "slug": "sirens-north"}),
        )),
    )
    .await;
    let a = res.ok(201);
    assert_eq!(a["slug"], "sirens-north");
    assert_eq!(
        res.header("location"),
        Some("/api/v1/articles/sirens-north")
    );
    // The derived slug is still free, so the same title without a slug gets it unnumbered.
    let b = create_article(&ctx, &app, json!({"title": "Sirens Sound in the North"})).await;
    assert_eq!(b["slug"], "sirens-sound-in-the-north");
}

// ---------------------------------------------------------------------------------------
// Rendering: HTML, text and reading statistics.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn body_html_is_rendered_markdown_without_scripts_handlers_or_javascript_links() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = "Hello *world* and **all**.\n\n\
                <script>alert('inline')</script>\n\n\
                Text with <img src=\"https://cdn.example/a.png\" onerror=\"alert('img')\"> \
                and <a href=\"https://example.org/\" onclick=\"alert('click')\">a link</a>.\n\n\
                [Click me](javascript:alert('md')) and <a href=\"javascript:alert('raw')\">raw</a>.";
    let a = create_article(&ctx, &app, json!({"title": "Sanitizing", "body": body})).await;
    let html = a["body_html"].as_str().unwrap();
    assert!(
        html.contains("<p>Hello <em>world</em> and <strong>all</strong>.</p>"),
        "{html}"
    );
    assert!(
        html.contains("https://example.org/"),
        "safe links stay: {html}"
    );
    assert!(html.contains("a link"), "{html}");
    assert!(html.contains("Click me"), "link text stays: {html}");
    let lower = html.to_ascii_lowercase();
    for banned in ["<script", "onerror", "onclick", "javascript:", "alert("] {
        assert!(
            !lower.contains(banned),
            "body_html contains {banned:?}: {html}"
        );
    }
    // The raw Markdown is kept as written.
    assert_eq!(a["body"], body);
    // The plain text has no markup and none of the script's text.
    let text = a["body_text"].as_str().unwrap();
    assert!(!text.contains('<') && !text.contains("alert"), "{text}");
    assert!(text.starts_with("Hello world and all."), "{text}");
}

#[actix_web::test]
async fn body_html_drops_obfuscated_javascript_links_iframes_and_styles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = "[upper](JaVaScRiPt:alert(1)) [entity](&#x6A;avascript:alert(2)) \
                [spaced]( javascript:alert(3) )\n\n\
                <iframe src=\"https://evil.example/\"></iframe>\n\n\
                <style>p { display: none }</style>\n\n\
                <p style=\"color:red\" onmouseover=\"alert(4)\">styled</p>\n\n\
                <img src=\"javascript:alert(5)\"> <svg onload=\"alert(6)\"></svg> \
                <form action=\"https://evil.example/\"><input name=\"q\"></form>\n\n\
                Kept [safe](https://example.org/safe) and [mail](mailto:desk@example.org).";
    let a = create_article(&ctx, &app, json!({"title": "Obfuscated", "body": body})).await;
    let html = a["body_html"].as_str().unwrap();
    let lower = html.to_ascii_lowercase();
    for banned in [
        "javascript",
        "alert",
        "<iframe",
        "<style",
        "display: none",
        "onmouseover",
        "onload",
        "<svg",
        "<form",
        "<input",
        "style=",
    ] {
        assert!(
            !lower.contains(banned),
            "body_html contains {banned:?}: {html}"
        );
    }
    assert!(html.contains("href=\"https://example.org/safe\""), "{html}");
    assert!(html.contains("href=\"mailto:desk@example.org\""), "{html}");
    assert!(html.contains("styled"), "{html}");
    let text = a["body_text"].as_str().unwrap();
    assert!(
        !text.contains("display"),
        "style text leaked into body_text: {text}"
    );
    assert!(text.ends_with("Kept safe and mail."), "{text}");
}

#[actix_web::test]
async fn body_text_is_plain_with_blank_lines_between_paragraphs() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = "## The Timing\n\nFirst *paragraph* here.\n\n\
                Second **paragraph** with [a link](https://example.org) and `code`.\n\n\
                > A quoted line.\n\nLast one.";
    let a = create_article(&ctx, &app, json!({"title": "Plain", "body": body})).await;
    assert_eq!(
        a["body_text"],
        "The Timing\n\nFirst paragraph here.\n\nSecond paragraph with a link and code.\n\nA quoted line.\n\nLast one."
    );
    assert_eq!(a["word_count"], 17);
}

#[actix_web::test]
async fn word_count_and_reading_time_round_up_at_230_words_per_minute() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (words, minutes) in [(0, 0), (1, 1), (230, 1), (231, 2), (460, 2), (461, 3)] {
        let body = vec!["word"; words].join(" ");
        let a = create_article(
            &ctx,
            &app,
            json!({"title": format!("Words {words}"), "body": body}),
        )
        .await;
        assert_eq!(a["word_count"], words, "{words} words");
        assert_eq!(a["reading_time_minutes"], minutes, "{words} words");
    }
    // Markup is not counted as words.
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Markup", "body": "# Head\n\n*one* **two** [three](https://example.org)"}),
    )
    .await;
    assert_eq!(a["word_count"], 4);
}

#[actix_web::test]
async fn empty_body_renders_to_empty_html_and_text() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(&ctx, &app, json!({"title": "Nothing Yet"})).await;
    assert_eq!(a["body"], "");
    assert_eq!(a["body_html"], "");
    assert_eq!(a["body_text"], "");
    assert_eq!(a["word_count"], 0);
    assert_eq!(a["reading_time_minutes"], 0);
    assert_eq!(a["summary"], "");
    assert!(
        a["byline"].is_null() && a["feature_image_url"].is_null(),
        "{a}"
    );
    assert_eq!(a["tags"], json!([]));
    assert_eq!(a["related"], json!([]));
}

// ---------------------------------------------------------------------------------------
// Canonical URL and share links.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn canonical_url_is_site_url_articles_slug() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let a = publish(&ctx, &app, "Port of Hodeida Crippled").await;
    assert_eq!(
        a["canonical_url"],
        "https://news.example/articles/port-of-hodeida-crippled"
    );
    let listed = list_articles(&app, "").await;
    assert_eq!(
        listed["data"][0]["canonical_url"],
        "https://news.example/articles/port-of-hodeida-crippled"
    );
}

#[actix_web::test]
async fn canonical_url_has_no_double_slash_when_site_url_ends_with_slash() {
    let ctx = Ctx::with_settings(Settings {
        site_url: "https://news.example/".into(),
        ..Default::default()
    });
    let app = ctx.app().await;
    let a = publish(&ctx, &app, "Trailing Slash").await;
    assert_eq!(
        a["canonical_url"],
        "https://news.example/articles/trailing-slash"
    );
}

#[actix_web::test]
async fn share_links_carry_the_percent_encoded_canonical_url_and_title() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let title = "Rock & Roll? Sirens #1 in Israel’s North";
    let a = publish(&ctx, &app, title).await;
    let canonical = "https://news.example/articles/rock-roll-sirens-1-in-israels-north";
    assert_eq!(a["canonical_url"], canonical);
    let share = &a["share"];
    assert_eq!(share["url"], canonical);
    assert_eq!(share["title"], title);

    let u = "https%3A%2F%2Fnews.example%2Farticles%2Frock-roll-sirens-1-in-israels-north";
    let t = "Rock%20%26%20Roll%3F%20Sirens%20%231%20in%20Israel%E2%80%99s%20North";
    let links = &share["links"];
    assert_eq!(
        links["x"],
        format!("https://x.com/intent/tweet?url={u}&text={t}")
    );
    assert_eq!(
        links["facebook"],
        format!("https://www.facebook.com/sharer/sharer.php?u={u}")
    );
    assert_eq!(
        links["linkedin"],
        format!("https://www.linkedin.com/sharing/share-offsite/?url={u}")
    );
    assert_eq!(
        links["telegram"],
        format!("https://t.me/share/url?url={u}&text={t}")
    );
    assert_eq!(
        links["reddit"],
        format!("https://www.reddit.com/submit?url={u}&title={t}")
    );
    assert_eq!(links["email"], format!("mailto:?subject={t}&body={u}"));
    assert_eq!(links["whatsapp"], format!("https://wa.me/?text={t}%20{u}"));
    // Nothing unencoded leaks into a query value.
    for (name, link) in links.as_object().unwrap() {
        let link = link.as_str().unwrap();
        let query = link.split_once('?').map_or("", |(_, q)| q);
        for bad in [" ", "#", "’", "?", "/"] {
            assert!(
                !query.contains(bad),
                "{name} link has a raw {bad:?}: {link}"
            );
        }
    }
}

#[actix_web::test]
async fn share_links_follow_a_new_title_and_slug() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    publish(&ctx, &app, "Old Headline").await;
    let a = patch_article(
        &ctx,
        &app,
        "old-headline",
        json!({"title": "New Headline", "slug": "new-headline"}),
    )
    .await;
    assert_eq!(
        a["canonical_url"],
        "https://news.example/articles/new-headline"
    );
    assert_eq!(a["share"]["title"], "New Headline");
    assert_eq!(
        a["share"]["links"]["x"],
        "https://x.com/intent/tweet?url=https%3A%2F%2Fnews.example%2Farticles%2Fnew-headline&text=New%20Headline"
    );
}

// ---------------------------------------------------------------------------------------
// Publishing.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn publishing_without_published_at_stamps_the_current_time() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let before = Utc::now();
    let a = publish(&ctx, &app, "Published Now").await;
    let after = Utc::now();
    assert_eq!(a["status"], "published");
    assert_between(ts(&a["published_at"]), before, after);
    assert_eq!(
        fetch_article(&app, "published-now").await.ok(200)["id"],
        a["id"]
    );
}

#[actix_web::test]
async fn draft_is_the_default_and_has_no_published_at() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(&ctx, &app, json!({"title": "A Draft"})).await;
    assert_eq!(a["status"], "draft");
    assert!(a["published_at"].is_null(), "{a}");
    let b = create_article(
        &ctx,
        &app,
        json!({"title": "Explicit Draft", "status": "draft"}),
    )
    .await;
    assert_eq!(b["status"], "draft");
    assert!(b["published_at"].is_null(), "{b}");
}

#[actix_web::test]
async fn patching_a_draft_to_published_stamps_the_current_time() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Later"})).await;
    let before = Utc::now();
    let a = patch_article(&ctx, &app, "later", json!({"status": "published"})).await;
    let after = Utc::now();
    assert_eq!(a["status"], "published");
    assert_between(ts(&a["published_at"]), before, after);
    fetch_article(&app, "later").await.ok(200);
}

#[actix_web::test]
async fn explicit_published_at_is_kept_and_returned_in_utc() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(
        &ctx,
        &app,
        published_at("Backdated", "2024-05-01T10:30:00+02:00"),
    )
    .await;
    assert_eq!(a["published_at"], "2024-05-01T08:30:00Z");
    let got = fetch_article(&app, "backdated").await.ok(200);
    assert_eq!(got["published_at"], "2024-05-01T08:30:00Z");
}

// ---------------------------------------------------------------------------------------
// Reading one article and its related links.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn get_by_slug_and_by_id_return_the_same_article() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Other").await;
    let created = create_article(
        &ctx,
        &app,
        json!({
            "title": "Addressed Two Ways",
            "status": "published",
            "body": "Some *text*.",
            "tags": ["Iran"],
            "related": [{"slug": "other"}]
        }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let by_slug = fetch_article(&app, "addressed-two-ways").await.ok(200);
    let by_id = fetch_article(&app, &id.to_string()).await.ok(200);
    assert_eq!(by_slug, created);
    assert_eq!(by_id, created);
    fetch_article(&app, "no-such-article").await.problem(404);
    fetch_article(&app, &(id + 100).to_string())
        .await
        .problem(404);
}

#[actix_web::test]
async fn related_endpoint_returns_the_links_in_order() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Yemen Missile", "status": "published", "summary": "Intercepted."}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Operation Moses", "status": "published", "summary": "Forty years on."}),
    )
    .await;
    let a = create_article(
        &ctx,
        &app,
        json!({
            "title": "Main",
            "status": "published",
            "related": [
                {"slug": "operation-moses"},
                {"url": "https://example.org/aid", "summary": "Aid began.", "title": "Aid"},
                {"slug": "yemen-missile"},
                {"url": "https://example.org/port", "summary": "Port crippled."}
            ]
        }),
    )
    .await;
    let expected = json!([
        {"kind": "internal", "source": "curated", "slug": "operation-moses", "title": "Operation Moses",
         "summary": "Forty years on.", "url": "https://news.example/articles/operation-moses", "feature_image": null},
        {"kind": "external", "source": "curated", "slug": null, "title": "Aid", "summary": "Aid began.",
         "url": "https://example.org/aid", "feature_image": null},
        {"kind": "internal", "source": "curated", "slug": "yemen-missile", "title": "Yemen Missile",
         "summary": "Intercepted.", "url": "https://news.example/articles/yemen-missile", "feature_image": null},
        {"kind": "external", "source": "curated", "slug": null, "title": null, "summary": "Port crippled.",
         "url": "https://example.org/port", "feature_image": null}
    ]);
    assert_eq!(a["related"], expected);
    let by_slug = get_json(&app, "/api/v1/articles/main/related").await;
    assert_eq!(by_slug, json!({"data": expected}));
    let by_id = get_json(&app, &format!("/api/v1/articles/{}/related", a["id"])).await;
    assert_eq!(by_id, json!({"data": expected}));
    send(&app, get("/api/v1/articles/nope/related"))
        .await
        .problem(404);
}

// ---------------------------------------------------------------------------------------
// Visibility: drafts, archived and scheduled articles.
// ---------------------------------------------------------------------------------------

/// Asserts `slug` (id `id`) cannot be read publicly and is not listed.
async fn assert_hidden(app: &TestApp, slug: &str, id: &Value, visible_total: usize) {
    fetch_article(app, slug).await.problem(404);
    fetch_article(app, &id.to_string()).await.problem(404);
    send(app, get(&format!("/api/v1/articles/{slug}/related")))
        .await
        .problem(404);
    let listed = list_articles(app, "").await;
    assert!(
        !slugs(&listed).contains(&slug.to_owned()),
        "{slug} listed: {listed}"
    );
    assert_eq!(listed["meta"]["total"], visible_total, "{listed}");
    // Not even by walking the list page by page, or in another order.
    for sort in ["published_at", "-updated_at"] {
        let listed = list_articles(app, &format!("sort={sort}&limit=100")).await;
        assert!(
            !slugs(&listed).contains(&slug.to_owned()),
            "{slug} listed: {listed}"
        );
        assert_eq!(listed["meta"]["total"], visible_total, "{listed}");
    }
}

#[actix_web::test]
async fn drafts_are_404_and_unlisted_but_the_admin_key_previews_them() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Visible").await;
    let draft = create_article(
        &ctx,
        &app,
        json!({"title": "Secret Draft", "body": "Not yet.", "tags": ["Iran"]}),
    )
    .await;
    assert_hidden(&app, "secret-draft", &draft["id"], 1).await;
    // Filtering by its tag does not reveal it either.
    let by_tag = list_articles(&app, "tag=iran").await;
    assert_eq!(by_tag["data"], json!([]));
    assert_eq!(by_tag["meta"]["total"], 0);

    let preview = send(&app, ctx.admin(get("/api/v1/articles/secret-draft")))
        .await
        .ok(200);
    assert_eq!(preview, draft);
    let by_id = send(
        &app,
        ctx.admin(get(&format!("/api/v1/articles/{}", draft["id"]))),
    )
    .await
    .ok(200);
    assert_eq!(by_id, draft);
    send(
        &app,
        ctx.admin(get("/api/v1/articles/secret-draft/related")),
    )
    .await
    .ok(200);
}

#[actix_web::test]
async fn archived_articles_are_404_and_unlisted() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Visible").await;
    let a = publish(&ctx, &app, "Old News").await;
    fetch_article(&app, "old-news").await.ok(200);
    let archived = patch_article(&ctx, &app, "old-news", json!({"status": "archived"})).await;
    assert_eq!(archived["status"], "archived");
    assert_hidden(&app, "old-news", &a["id"], 1).await;
    let preview = send(&app, ctx.admin(get("/api/v1/articles/old-news")))
        .await
        .ok(200);
    assert_eq!(preview["status"], "archived");
}

#[actix_web::test]
async fn unpublishing_back_to_draft_hides_the_article_again() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Visible").await;
    let a = publish(&ctx, &app, "Pulled").await;
    let pulled = patch_article(&ctx, &app, "pulled", json!({"status": "draft"})).await;
    assert_eq!(pulled["status"], "draft");
    assert_hidden(&app, "pulled", &a["id"], 1).await;
}

#[actix_web::test]
async fn scheduled_articles_are_404_and_unlisted_until_their_time() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Visible").await;
    let tomorrow = rfc3339(Utc::now() + Duration::days(1));
    let a = create_article(&ctx, &app, published_at("Embargoed", &tomorrow)).await;
    assert_eq!(a["status"], "published");
    assert_eq!(a["published_at"], tomorrow);
    assert_hidden(&app, "embargoed", &a["id"], 1).await;
    let preview = send(&app, ctx.admin(get("/api/v1/articles/embargoed")))
        .await
        .ok(200);
    assert_eq!(preview["published_at"], tomorrow);

    // Once its time has come it is public.
    let yesterday = rfc3339(Utc::now() - Duration::days(1));
    patch_article(&ctx, &app, "embargoed", json!({"published_at": yesterday})).await;
    fetch_article(&app, "embargoed").await.ok(200);
    assert_eq!(list_articles(&app, "").await["meta"]["total"], 2);
}

/// The total of the public list and of each admin status list: each as the list reports it
/// and as the number of articles it holds.
async fn totals(ctx: &Ctx, app: &TestApp) -> Vec<(String, Value, usize)> {
    let mut out = Vec::new();
    for status in ["", "draft", "scheduled", "published", "archived"] {
        let query = match status {
            "" => "limit=100".to_owned(),
            s => format!("status={s}&limit=100"),
        };
        let list = send(app, ctx.admin(get(&format!("/api/v1/articles?{query}"))))
            .await
            .ok(200);
        assert_eq!(list["meta"]["has_more"], false, "{list}");
        out.push((
            query,
            list["meta"]["total"].clone(),
            list["data"].as_array().unwrap().len(),
        ));
    }
    out
}

#[actix_web::test]
async fn list_totals_follow_every_change_of_status() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let check = |step: &'static str| {
        let (ctx, app) = (&ctx, &app);
        async move {
            for (query, total, listed) in totals(ctx, app).await {
                assert_eq!(total, listed, "{step}: {query}");
            }
        }
    };
    check("empty").await;
    for title in ["One", "Two", "Three"] {
        publish(&ctx, &app, title).await;
    }
    create_article(&ctx, &app, json!({"title": "Draft"})).await;
    let tomorrow = rfc3339(Utc::now() + Duration::days(1));
    create_article(&ctx, &app, published_at("Embargoed", &tomorrow)).await;
    check("created").await;
    patch_article(&ctx, &app, "one", json!({"status": "archived"})).await;
    check("archived").await;
    patch_article(&ctx, &app, "draft", json!({"status": "published"})).await;
    patch_article(&ctx, &app, "two", json!({"status": "draft"})).await;
    check("published and unpublished").await;
    patch_article(&ctx, &app, "three", json!({"title": "Three Again"})).await;
    patch_article(&ctx, &app, "embargoed", json!({"published_at": tomorrow})).await;
    check("edited, status unchanged").await;
    let yesterday = rfc3339(Utc::now() - Duration::days(1));
    patch_article(&ctx, &app, "embargoed", json!({"published_at": yesterday})).await;
    check("due").await;
    for slug in ["one", "two", "three"] {
        send(&app, ctx.admin(delete(&format!("/api/v1/articles/{slug}"))))
            .await
            .ok(204);
    }
    check("deleted").await;
    let public = list_articles(&app, "").await;
    assert_eq!(public["meta"]["total"], 2, "{public}");
}

#[actix_web::test]
async fn a_scheduled_article_appears_by_itself_once_its_time_passes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let soon = Utc::now() + Duration::milliseconds(1200);
    let at = soon.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    create_article(
        &ctx,
        &app,
        json!({"title": "Soon", "status": "published", "published_at": at, "tags": ["Iran"]}),
    )
    .await;
    fetch_article(&app, "soon").await.problem(404);
    assert_eq!(list_articles(&app, "").await["meta"]["total"], 0);
    let wait =
        (soon - Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(100);
    actix_web::rt::time::sleep(wait).await;
    fetch_article(&app, "soon").await.ok(200);
    assert_eq!(slugs(&list_articles(&app, "tag=iran").await), ["soon"]);
}

#[actix_web::test]
async fn internal_link_to_a_draft_is_hidden_until_the_target_is_published() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Coming Soon", "summary": "Soon."}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({
            "title": "Main",
            "status": "published",
            "related": [
                {"url": "https://example.org/a", "summary": "Before."},
                {"slug": "coming-soon"},
                {"url": "https://example.org/b", "summary": "After."}
            ]
        }),
    )
    .await;
    let main = fetch_article(&app, "main").await.ok(200);
    assert_eq!(strs(&main["related"], "summary"), ["Before.", "After."]);
    let rel = get_json(&app, "/api/v1/articles/main/related").await;
    assert_eq!(strs(&rel["data"], "summary"), ["Before.", "After."]);
    // Not even the admin sees a link to an unpublished article in the resolved list.
    let admin = send(&app, ctx.admin(get("/api/v1/articles/main")))
        .await
        .ok(200);
    assert_eq!(strs(&admin["related"], "summary"), ["Before.", "After."]);

    patch_article(&ctx, &app, "coming-soon", json!({"status": "published"})).await;
    let main = fetch_article(&app, "main").await.ok(200);
    assert_eq!(
        strs(&main["related"], "summary"),
        ["Before.", "Soon.", "After."]
    );
    assert_eq!(main["related"][1]["slug"], "coming-soon");
    let rel = get_json(&app, "/api/v1/articles/main/related").await;
    assert_eq!(rel["data"], main["related"]);
}

#[actix_web::test]
async fn internal_links_to_archived_or_scheduled_articles_are_hidden() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "To Archive").await;
    let tomorrow = rfc3339(Utc::now() + Duration::days(1));
    create_article(&ctx, &app, published_at("Scheduled", &tomorrow)).await;
    publish(&ctx, &app, "Stays").await;
    create_article(
        &ctx,
        &app,
        json!({
            "title": "Main",
            "status": "published",
            "related": [{"slug": "to-archive"}, {"slug": "scheduled"}, {"slug": "stays"}]
        }),
    )
    .await;
    let main = fetch_article(&app, "main").await.ok(200);
    let linked = strs(&main["related"], "slug");
    assert_eq!(linked, ["to-archive", "stays"]);

    patch_article(&ctx, &app, "to-archive", json!({"status": "archived"})).await;
    let rel = get_json(&app, "/api/v1/articles/main/related").await;
    assert_eq!(rel["data"].as_array().unwrap().len(), 1, "{rel}");
    assert_eq!(rel["data"][0]["slug"], "stays");
}

// ---------------------------------------------------------------------------------------
// The list: teasers, order, pagination and tag filters.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn list_items_are_teasers_without_body_or_related() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    publish(&ctx, &app, "Target").await;
    let a = create_article(
        &ctx,
        &app,
        json!({
            "title": "Full Article",
            "summary": "Teaser text.",
            "body": "Body *text* here.",
            "status": "published",
            "tags": ["Iran"],
            "related": [{"slug": "target"}],
            "byline": "Desk",
            "feature_image_url": "https://cdn.example/a.jpg"
        }),
    )
    .await;
    let listed = list_articles(&app, "").await;
    let teaser = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "full-article")
        .unwrap_or_else(|| panic!("not listed: {listed}"))
        .clone();
    for absent in ["body", "body_html", "body_text", "related"] {
        assert!(
            teaser.get(absent).is_none(),
            "teaser has `{absent}`: {teaser}"
        );
    }
    for same in [
        "id",
        "slug",
        "title",
        "summary",
        "status",
        "published_at",
        "created_at",
        "updated_at",
        "tags",
        "canonical_url",
        "word_count",
        "reading_time_minutes",
        "byline",
        "feature_image_url",
    ] {
        assert_eq!(teaser[same], a[same], "teaser `{same}` differs: {teaser}");
    }
    assert_eq!(teaser["tags"], json!([{"slug": "iran", "name": "Iran"}]));
}

/// Publishes `january` to `april` (2025), created in an order unrelated to their publication
/// dates.
async fn create_four_months(ctx: &Ctx, app: &TestApp) {
    for (title, at) in [
        ("March", "2025-03-01T00:00:00Z"),
        ("January", "2025-01-01T00:00:00Z"),
        ("April", "2025-04-01T00:00:00Z"),
        ("February", "2025-02-01T00:00:00Z"),
    ] {
        create_article(ctx, app, published_at(title, at)).await;
    }
}

#[actix_web::test]
async fn list_is_newest_published_first_by_default() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_four_months(&ctx, &app).await;
    let expected = ["april", "march", "february", "january"];
    assert_eq!(slugs(&list_articles(&app, "").await), expected);
    assert_eq!(
        slugs(&list_articles(&app, "sort=-published_at").await),
        expected
    );
    let listed = list_articles(&app, "").await;
    assert_eq!(
        listed["meta"],
        json!({"limit": 20, "total": 4, "has_more": false, "next_cursor": null})
    );
}

#[actix_web::test]
async fn list_sort_published_at_is_oldest_first() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_four_months(&ctx, &app).await;
    assert_eq!(
        slugs(&list_articles(&app, "sort=published_at").await),
        ["january", "february", "march", "april"]
    );
}

#[actix_web::test]
async fn list_sort_minus_updated_at_is_last_updated_first() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, at) in [
        ("One", "2025-01-01T00:00:00Z"),
        ("Two", "2025-02-01T00:00:00Z"),
        ("Three", "2025-03-01T00:00:00Z"),
    ] {
        create_article(&ctx, &app, published_at(title, at)).await;
    }
    assert_eq!(
        slugs(&list_articles(&app, "sort=-updated_at").await),
        ["three", "two", "one"]
    );
    patch_article(&ctx, &app, "one", json!({"summary": "Touched."})).await;
    assert_eq!(
        slugs(&list_articles(&app, "sort=-updated_at").await),
        ["one", "three", "two"]
    );
    // Replacing related links counts as an update too.
    put_related(&ctx, &app, "two", json!([{"slug": "one"}])).await;
    assert_eq!(
        slugs(&list_articles(&app, "sort=-updated_at").await),
        ["two", "one", "three"]
    );
    // The publication order is untouched.
    assert_eq!(
        slugs(&list_articles(&app, "").await),
        ["three", "two", "one"]
    );
}

#[actix_web::test]
async fn pagination_walks_every_article_once_in_order_to_a_last_page() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for day in [4, 1, 7, 3, 6, 2, 5] {
        create_article(
            &ctx,
            &app,
            published_at(&format!("Day {day}"), &format!("2025-06-0{day}T09:00:00Z")),
        )
        .await;
    }
    let pages = walk(&app, "limit=3").await;
    assert_eq!(pages.len(), 3);
    let seen = check_walk(&pages, 3, 7);
    assert_eq!(
        seen,
        [
            "day-7", "day-6", "day-5", "day-4", "day-3", "day-2", "day-1"
        ]
    );
    assert_eq!(pages[2]["data"].as_array().unwrap().len(), 1);

    let pages = walk(&app, "limit=3&sort=published_at").await;
    let seen = check_walk(&pages, 3, 7);
    assert_eq!(
        seen,
        [
            "day-1", "day-2", "day-3", "day-4", "day-5", "day-6", "day-7"
        ]
    );

    let pages = walk(&app, "limit=3&sort=-updated_at").await;
    let seen = check_walk(&pages, 3, 7);
    // Last created first.
    assert_eq!(
        seen,
        [
            "day-5", "day-2", "day-6", "day-3", "day-7", "day-1", "day-4"
        ]
    );
}

#[actix_web::test]
async fn pagination_ends_cleanly_when_the_total_is_a_multiple_of_the_limit() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for day in 1..=6 {
        create_article(
            &ctx,
            &app,
            published_at(&format!("Day {day}"), &format!("2025-06-0{day}T09:00:00Z")),
        )
        .await;
    }
    let pages = walk(&app, "limit=3").await;
    assert_eq!(pages.len(), 2, "no empty trailing page: {pages:?}");
    check_walk(&pages, 3, 6);
}

#[actix_web::test]
async fn empty_list_is_a_last_page() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Only a Draft"})).await;
    let listed = list_articles(&app, "").await;
    assert_eq!(
        listed,
        json!({"data": [], "meta": {"limit": 20, "total": 0, "has_more": false, "next_cursor": null}})
    );
}

#[actix_web::test]
async fn pagination_with_equal_published_at_loses_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let at = "2025-06-01T12:00:00Z";
    let mut created = Vec::new();
    for n in 1..=5 {
        let a = create_article(&ctx, &app, published_at(&format!("Same Time {n}"), at)).await;
        created.push(a["slug"].as_str().unwrap().to_owned());
    }
    // One earlier and one later, so the tie sits in the middle of the list.
    create_article(&ctx, &app, published_at("Earlier", "2025-05-01T00:00:00Z")).await;
    create_article(&ctx, &app, published_at("Later", "2025-07-01T00:00:00Z")).await;

    for limit in [1, 2, 3] {
        let pages = walk(&app, &format!("limit={limit}")).await;
        let seen = check_walk(&pages, limit, 7);
        // Ties are broken by id: the later-created first when newest first.
        let mut expected = vec!["later".to_owned()];
        expected.extend(created.iter().rev().cloned());
        expected.push("earlier".to_owned());
        assert_eq!(seen, expected, "limit {limit}");

        let pages = walk(&app, &format!("limit={limit}&sort=published_at")).await;
        let seen = check_walk(&pages, limit, 7);
        expected.reverse();
        assert_eq!(seen, expected, "limit {limit}, oldest first");
    }
}

#[actix_web::test]
async fn pagination_with_subsecond_published_at_loses_nothing() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    // Fractions of different lengths in the same second, plus the whole second itself.
    let times = [
        "2025-06-01T12:00:00Z",
        "2025-06-01T12:00:00.5Z",
        "2025-06-01T12:00:00.123456Z",
        "2025-06-01T12:00:00.12Z",
        "2025-06-01T12:00:00.9Z",
        "2025-06-01T12:00:01Z",
    ];
    for (i, at) in times.iter().enumerate() {
        create_article(&ctx, &app, published_at(&format!("Tick {i}"), at)).await;
    }
    let pages = walk(&app, "limit=2&sort=published_at").await;
    let seen = check_walk(&pages, 2, 6);
    assert_eq!(
        seen,
        ["tick-0", "tick-3", "tick-2", "tick-1", "tick-4", "tick-5"]
    );
    let pages = walk(&app, "limit=2").await;
    let seen = check_walk(&pages, 2, 6);
    assert_eq!(
        seen,
        ["tick-5", "tick-4", "tick-1", "tick-2", "tick-3", "tick-0"]
    );
}

#[actix_web::test]
async fn tag_filter_lists_only_articles_with_that_tag() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, at, tags) in [
        ("A", "2025-01-01T00:00:00Z", json!(["Iran", "Israel"])),
        ("B", "2025-01-02T00:00:00Z", json!(["Iran"])),
        ("C", "2025-01-03T00:00:00Z", json!(["Israel"])),
        ("D", "2025-01-04T00:00:00Z", json!([])),
        ("E", "2025-01-05T00:00:00Z", json!(["Hezbollah", "Iran"])),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "published_at": at, "tags": tags}),
        )
        .await;
    }
    let iran = list_articles(&app, "tag=iran").await;
    assert_eq!(slugs(&iran), ["e", "b", "a"]);
    assert_eq!(iran["meta"]["total"], 3);
    assert_eq!(slugs(&list_articles(&app, "tag=israel").await), ["c", "a"]);
    let none = list_articles(&app, "tag=no-such-tag").await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(none["meta"]["total"], 0);
    // The filter holds across pages.
    let pages = walk(&app, "tag=iran&limit=2").await;
    assert_eq!(check_walk(&pages, 2, 3), ["e", "b", "a"]);
}

#[actix_web::test]
async fn repeated_tag_filter_means_all_of_the_tags() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for (title, at, tags) in [
        ("A", "2025-01-01T00:00:00Z", json!(["Iran", "Israel"])),
        ("B", "2025-01-02T00:00:00Z", json!(["Iran"])),
        ("C", "2025-01-03T00:00:00Z", json!(["Israel"])),
        (
            "E",
            "2025-01-05T00:00:00Z",
            json!(["Hezbollah", "Israel", "Iran"]),
        ),
    ] {
        create_article(
            &ctx,
            &app,
            json!({"title": title, "status": "published", "published_at": at, "tags": tags}),
        )
        .await;
    }
    let both = list_articles(&app, "tag=iran&tag=israel").await;
    assert_eq!(slugs(&both), ["e", "a"]);
    assert_eq!(both["meta"]["total"], 2);
    assert_eq!(
        slugs(&list_articles(&app, "tag=israel&tag=iran").await),
        ["e", "a"]
    );
    assert_eq!(
        slugs(&list_articles(&app, "tag=iran&tag=israel&tag=hezbollah").await),
        ["e"]
    );
    let none = list_articles(&app, "tag=iran&tag=no-such-tag").await;
    assert_eq!(none["meta"]["total"], 0);
    let pages = walk(&app, "tag=israel&tag=iran&limit=1").await;
    assert_eq!(check_walk(&pages, 1, 2), ["e", "a"]);
}

// ---------------------------------------------------------------------------------------
// Updating.
// ---------------------------------------------------------------------------------------

fn full_article() -> Value {
    json!({
        "title": "Full",
        "summary": "Original summary.",
        "body": "Original *body* text.",
        "status": "published",
        "published_at": "2025-01-01T00:00:00Z",
        "tags": ["Iran", "Israel"],
        "related": [{"url": "https://example.org/x", "summary": "External."}],
        "byline": "Desk",
        "feature_image_url": "https://cdn.example/full.jpg"
    })
}

#[actix_web::test]
async fn patch_changes_only_the_given_fields() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let before = create_article(&ctx, &app, full_article()).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    let after = patch_article(&ctx, &app, "full", json!({"summary": "New summary."})).await;
    assert_eq!(after["summary"], "New summary.");
    let mut expected = before.clone();
    expected["summary"] = after["summary"].clone();
    expected["updated_at"] = after["updated_at"].clone();
    assert_eq!(after, expected);
    assert_eq!(fetch_article(&app, "full").await.ok(200), after);

    // Several at once; the others still stay.
    let after2 = patch_article(
        &ctx,
        &app,
        "full",
        json!({"title": "Full Story", "body": "A **new** body of six words."}),
    )
    .await;
    assert_eq!(after2["title"], "Full Story");
    assert_eq!(
        after2["slug"], "full",
        "a new title does not change the slug"
    );
    assert_eq!(after2["body_text"], "A new body of six words.");
    assert!(
        after2["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>new</strong>")
    );
    assert_eq!(after2["word_count"], 6);
    for same in [
        "id",
        "summary",
        "status",
        "published_at",
        "created_at",
        "tags",
        "related",
        "byline",
        "feature_image_url",
    ] {
        assert_eq!(after2[same], after[same], "`{same}` changed");
    }
}

#[actix_web::test]
async fn patch_null_clears_byline_and_feature_image() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, full_article()).await;
    let a = patch_article(&ctx, &app, "full", json!({"byline": null})).await;
    assert!(a["byline"].is_null(), "{a}");
    assert_eq!(a["feature_image_url"], "https://cdn.example/full.jpg");
    let a = patch_article(&ctx, &app, "full", json!({"feature_image_url": null})).await;
    assert!(a["feature_image_url"].is_null(), "{a}");
    let got = fetch_article(&app, "full").await.ok(200);
    assert!(
        got["byline"].is_null() && got["feature_image_url"].is_null(),
        "{got}"
    );
    let a = patch_article(&ctx, &app, "full", json!({"byline": "Back Again"})).await;
    assert_eq!(a["byline"], "Back Again");
}

#[actix_web::test]
async fn patch_tags_replaces_the_list_in_the_given_order() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, full_article()).await;
    let a = patch_article(
        &ctx,
        &app,
        "full",
        json!({"tags": ["Middle East", "israel", "Gaza"]}),
    )
    .await;
    assert_eq!(
        a["tags"],
        json!([
            {"slug": "middle-east", "name": "Middle East"},
            {"slug": "israel", "name": "Israel"},
            {"slug": "gaza", "name": "Gaza"}
        ])
    );
    assert_eq!(fetch_article(&app, "full").await.ok(200)["tags"], a["tags"]);
    assert_eq!(
        slugs(&list_articles(&app, "tag=iran").await),
        Vec::<String>::new()
    );
    assert_eq!(slugs(&list_articles(&app, "tag=gaza").await), ["full"]);
    let a = patch_article(&ctx, &app, "full", json!({"tags": []})).await;
    assert_eq!(a["tags"], json!([]));
}

#[actix_web::test]
async fn patch_related_replaces_the_links() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Target").await;
    create_article(&ctx, &app, full_article()).await;
    let a = patch_article(
        &ctx,
        &app,
        "full",
        json!({"related": [
            {"url": "https://example.org/y", "summary": "Y.", "title": "Why"},
            {"slug": "target"}
        ]}),
    )
    .await;
    let got: Vec<(&str, &str)> = a["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap(), l["url"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("external", "https://example.org/y"),
            ("internal", "http://localhost:3000/articles/target")
        ]
    );
    let rel = get_json(&app, "/api/v1/articles/full/related").await;
    assert_eq!(rel["data"], a["related"]);
    let a = patch_article(&ctx, &app, "full", json!({"related": []})).await;
    assert_eq!(a["related"], json!([]));
}

#[actix_web::test]
async fn patch_slug_moves_the_article_and_the_old_slug_redirects() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let original = create_article(&ctx, &app, full_article()).await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Linker", "status": "published", "related": [{"slug": "full"}]}),
    )
    .await;
    let a = patch_article(&ctx, &app, "full", json!({"slug": "full-story"})).await;
    assert_eq!(a["slug"], "full-story");
    assert_eq!(a["id"], original["id"]);
    assert_eq!(
        a["canonical_url"],
        "https://news.example/articles/full-story"
    );
    let old = fetch_article(&app, "full").await;
    assert_eq!(old.status.as_u16(), 301, "{old:?}");
    assert_eq!(old.header("location"), Some("/api/v1/articles/full-story"));
    assert_eq!(
        fetch_article(&app, "full-story").await.ok(200)["id"],
        original["id"]
    );
    assert_eq!(
        fetch_article(&app, &original["id"].to_string())
            .await
            .ok(200)["slug"],
        "full-story"
    );
    // Links to it follow the new slug.
    let linker = fetch_article(&app, "linker").await.ok(200);
    assert_eq!(linker["related"][0]["slug"], "full-story");
    assert_eq!(
        linker["related"][0]["url"],
        "https://news.example/articles/full-story"
    );
    // The old slug stays reserved for the article it redirects to.
    let b = create_article(&ctx, &app, json!({"title": "Full"})).await;
    assert_eq!(b["slug"], "full-2");
    send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/articles",
            &json!({"title": "X", "slug": "full"}),
        )),
    )
    .await
    .problem(409);
}

#[actix_web::test]
async fn patch_by_id_works_like_by_slug() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(&ctx, &app, full_article()).await;
    let b = patch_article(
        &ctx,
        &app,
        &a["id"].to_string(),
        json!({"summary": "By id."}),
    )
    .await;
    assert_eq!(b["id"], a["id"]);
    assert_eq!(b["summary"], "By id.");
}

#[actix_web::test]
async fn patch_advances_updated_at_and_keeps_created_at() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = create_article(&ctx, &app, full_article()).await;
    let mut last = ts(&a["updated_at"]);
    for summary in ["One.", "Two."] {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        let b = patch_article(&ctx, &app, "full", json!({"summary": summary})).await;
        let updated = ts(&b["updated_at"]);
        assert!(
            updated > last,
            "updated_at {updated} did not advance past {last}"
        );
        assert_eq!(b["created_at"], a["created_at"]);
        assert_eq!(b["published_at"], a["published_at"]);
        last = updated;
    }
}

// ---------------------------------------------------------------------------------------
// PUT /related.
// ---------------------------------------------------------------------------------------

async fn put_related(ctx: &Ctx, app: &TestApp, key: &str, links: Value) -> Value {
    let uri = format!("/api/v1/articles/{key}/related");
    send(app, ctx.admin(json(Method::PUT, &uri, &links)))
        .await
        .ok(200)
}

#[actix_web::test]
async fn put_related_replaces_the_ordered_list_and_empty_clears_it() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Yemen Missile", "status": "published", "summary": "Intercepted."}),
    )
    .await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Main", "status": "published",
               "related": [{"url": "https://example.org/old", "summary": "Old."}]}),
    )
    .await;

    let put = put_related(
        &ctx,
        &app,
        "main",
        json!([
            {"url": "https://example.org/report", "summary": "The report.", "title": "Report"},
            {"slug": "yemen-missile"},
            {"url": "https://example.org/untitled", "summary": "No title."}
        ]),
    )
    .await;
    let expected = json!([
        {"kind": "external", "source": "curated", "slug": null, "title": "Report", "summary": "The report.",
         "url": "https://example.org/report", "feature_image": null},
        {"kind": "internal", "source": "curated", "slug": "yemen-missile", "title": "Yemen Missile",
         "summary": "Intercepted.", "url": "https://news.example/articles/yemen-missile", "feature_image": null},
        {"kind": "external", "source": "curated", "slug": null, "title": null, "summary": "No title.",
         "url": "https://example.org/untitled", "feature_image": null}
    ]);
    assert_eq!(put, json!({"data": expected}));
    assert_eq!(
        fetch_article(&app, "main").await.ok(200)["related"],
        expected
    );
    assert_eq!(
        get_json(&app, "/api/v1/articles/main/related").await,
        json!({"data": expected})
    );

    // A different order is kept as given.
    let reordered = put_related(
        &ctx,
        &app,
        "main",
        json!([
            {"slug": "yemen-missile"},
            {"url": "https://example.org/report", "summary": "The report.", "title": "Report"}
        ]),
    )
    .await;
    assert_eq!(reordered["data"], json!([expected[1], expected[0]]));

    let cleared = put_related(&ctx, &app, "main", json!([])).await;
    assert_eq!(cleared, json!({"data": []}));
    assert_eq!(
        fetch_article(&app, "main").await.ok(200)["related"],
        json!([])
    );
}

#[actix_web::test]
async fn internal_link_shows_the_targets_current_title_and_summary() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Original Title", "status": "published", "summary": "Original."}),
    )
    .await;
    publish(&ctx, &app, "Main").await;
    put_related(&ctx, &app, "main", json!([{"slug": "original-title"}])).await;
    patch_article(
        &ctx,
        &app,
        "original-title",
        json!({"title": "Corrected Title", "summary": "Corrected."}),
    )
    .await;
    let expected = json!([{
        "kind": "internal", "source": "curated",
        "slug": "original-title",
        "title": "Corrected Title",
        "summary": "Corrected.",
        "url": "https://news.example/articles/original-title",
        "feature_image": null
    }]);
    assert_eq!(
        fetch_article(&app, "main").await.ok(200)["related"],
        expected
    );
    assert_eq!(
        get_json(&app, "/api/v1/articles/main/related").await["data"],
        expected
    );
}

// ---------------------------------------------------------------------------------------
// Deleting.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn delete_is_204_then_the_article_is_404_and_unlisted() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Stays").await;
    let a = publish(&ctx, &app, "Goes").await;
    let res = send(&app, ctx.admin(delete("/api/v1/articles/goes"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert!(res.body.is_empty(), "{res:?}");
    fetch_article(&app, "goes").await.problem(404);
    fetch_article(&app, &a["id"].to_string()).await.problem(404);
    send(&app, ctx.admin(get("/api/v1/articles/goes")))
        .await
        .problem(404);
    let listed = list_articles(&app, "").await;
    assert_eq!(slugs(&listed), ["stays"]);
    assert_eq!(listed["meta"]["total"], 1);
    // A second delete finds nothing.
    send(&app, ctx.admin(delete("/api/v1/articles/goes")))
        .await
        .problem(404);
}

#[actix_web::test]
async fn delete_by_id_works() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = publish(&ctx, &app, "By Id").await;
    let res = send(
        &app,
        ctx.admin(delete(&format!("/api/v1/articles/{}", a["id"]))),
    )
    .await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    fetch_article(&app, "by-id").await.problem(404);
}

#[actix_web::test]
async fn deleting_an_article_removes_links_to_it_from_other_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Target").await;
    publish(&ctx, &app, "Other Target").await;
    create_article(
        &ctx,
        &app,
        json!({
            "title": "Main",
            "status": "published",
            "related": [
                {"slug": "target"},
                {"url": "https://example.org/x", "summary": "External."},
                {"slug": "other-target"}
            ]
        }),
    )
    .await;
    let res = send(&app, ctx.admin(delete("/api/v1/articles/target"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    let main = fetch_article(&app, "main").await.ok(200);
    let got = strs(&main["related"], "url");
    assert_eq!(
        got,
        [
            "https://example.org/x",
            "http://localhost:3000/articles/other-target"
        ]
    );
    // Even after a new article takes the freed slug, the old link does not come back.
    publish(&ctx, &app, "Target").await;
    let main = fetch_article(&app, "main").await.ok(200);
    assert_eq!(main["related"].as_array().unwrap().len(), 2, "{main}");
    let rel = get_json(&app, "/api/v1/articles/main/related").await;
    assert_eq!(rel["data"], main["related"]);
}
