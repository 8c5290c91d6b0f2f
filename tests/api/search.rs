//! Finding articles: full-text search (`q`), date filters, sparse `fields`, the `Link`
//! header of paged lists, and an article's related reading (curated, then suggested).

use crate::support::common;
use common::*;

use std::collections::BTreeSet;

use actix_web::http::Method;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------------------

/// The result of searching `q` (with `extra` query parameters, `&`-joined), asserting 200.
async fn search(app: &TestApp, q: &str, extra: &str) -> Value {
    let mut query = format!("q={}", enc(q));
    if !extra.is_empty() {
        query.push('&');
        query.push_str(extra);
    }
    list_articles(app, &query).await
}

/// The slugs found by searching `q`, in result order.
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    slugs(&search(app, q, "limit=100").await)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn as_set(slugs: &[String]) -> BTreeSet<String> {
    slugs.iter().cloned().collect()
}

async fn article(ctx: &Ctx, app: &TestApp, body: Value) -> String {
    create_article(ctx, app, body).await["slug"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A published article with these fields.
async fn published(ctx: &Ctx, app: &TestApp, mut body: Value) -> String {
    body["status"] = json!("published");
    article(ctx, app, body).await
}

/// The first field error of a 400 problem.
#[track_caller]
fn bad_field(res: &Resp) -> String {
    let body = res.problem(400);
    body["errors"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no errors[0].field: {body}"))
        .to_owned()
}

/// The `rel="next"` target of a `Link` header.
#[track_caller]
fn next_link(res: &Resp) -> Option<String> {
    let link = res.header("link")?;
    let (target, params) = link
        .split_once(';')
        .unwrap_or_else(|| panic!("malformed Link {link:?}"));
    assert!(
        params.contains("rel=\"next\""),
        "Link {link:?} is not rel=\"next\""
    );
    let target = target.trim();
    assert!(
        target.starts_with('<') && target.ends_with('>'),
        "malformed Link target {link:?}"
    );
    Some(target[1..target.len() - 1].to_owned())
}

// ---------------------------------------------------------------------------------------
// Search: what is found.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn search_finds_words_in_title_summary_body_and_tag_names() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let title = published(&ctx, &app, json!({"title": "Quokka Spotted on the Pier"})).await;
    let summary = published(
        &ctx,
        &app,
        json!({"title": "Zoo Extends Hours", "summary": "A wombat joins the night tour."}),
    )
    .await;
    let body = published(
        &ctx,
        &app,
        json!({"title": "Keeper Retires", "body": "After forty years with the platypus enclosure, she retires."}),
    )
    .await;
    let tag = published(
        &ctx,
        &app,
        json!({"title": "Island Weekend", "tags": ["Echidna"]}),
    )
    .await;
    published(
        &ctx,
        &app,
        json!({"title": "Market Day", "body": "Nothing else."}),
    )
    .await;

    for (q, slug) in [
        ("quokka", &title),
        ("WOMBAT", &summary),
        ("platypus", &body),
        ("echidna", &tag),
    ] {
        let res = search(&app, q, "").await;
        assert_eq!(slugs(&res), [slug.as_str()], "q={q}: {res}");
        assert_eq!(res["meta"]["total"], 1, "q={q}");
        let highlight = res["data"][0]["highlight"]
            .as_str()
            .unwrap_or_else(|| panic!("q={q}: no highlight: {res}"));
        assert!(
            highlight
                .to_lowercase()
                .contains(&format!("<mark>{}</mark>", q.to_lowercase())),
            "q={q}: highlight {highlight:?} does not mark the word"
        );
    }
    assert!(found(&app, "kangaroo").await.is_empty());
}

#[actix_web::test]
async fn title_matches_rank_above_summary_and_body_matches() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    // Created body-first, so that id order is the opposite of the expected rank order.
    let body = published(
        &ctx,
        &app,
        json!({"title": "Union Meeting Tonight", "body": "Members will discuss the tram dispute and pay."}),
    )
    .await;
    let summary = published(
        &ctx,
        &app,
        json!({"title": "Pay Talks Resume", "summary": "The tram dispute may end soon."}),
    )
    .await;
    let title = published(
        &ctx,
        &app,
        json!({"title": "Tram Strike Ends", "body": "Members returned to work today."}),
    )
    .await;
    assert_eq!(found(&app, "tram").await, [title, summary, body]);
}

#[actix_web::test]
async fn the_last_word_is_a_prefix_and_every_word_must_match() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let harbour = published(&ctx, &app, json!({"title": "Harbour Tram Opens"})).await;
    let fares = published(&ctx, &app, json!({"title": "Tram Fares Rise"})).await;
    let ferry = published(&ctx, &app, json!({"title": "Ferry Fares Rise"})).await;

    assert_eq!(found(&app, "harb").await, [harbour.as_str()]);
    assert_eq!(found(&app, "tram harb").await, [harbour.as_str()]);
    // Only the last word is a prefix.
    assert!(found(&app, "harb tram").await.is_empty());
    assert_eq!(as_set(&found(&app, "fares").await), set(&[&fares, &ferry]));
    assert_eq!(found(&app, "tram fares").await, [fares.as_str()]);
    assert_eq!(found(&app, "ferry fa").await, [ferry.as_str()]);
    assert!(found(&app, "ferry harbour").await.is_empty());
    assert_eq!(
        as_set(&found(&app, "Tram").await),
        set(&[&harbour, &fares]),
        "search ignores case"
    );
}

#[actix_web::test]
async fn search_combines_with_tags_and_dates() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let early = published(
        &ctx,
        &app,
        json!({"title": "Tram Plan Drafted", "tags": ["Transport"], "published_at": "2026-10-01T09:00:00Z"}),
    )
    .await;
    let late = published(
        &ctx,
        &app,
        json!({"title": "Tram Plan Approved", "tags": ["Transport", "City Hall"], "published_at": "2026-11-01T09:00:00Z"}),
    )
    .await;
    let untagged = published(
        &ctx,
        &app,
        json!({"title": "Tram Plan Criticised", "published_at": "2026-11-02T09:00:00Z"}),
    )
    .await;

    let tagged = search(&app, "tram plan", "tag=transport&limit=100").await;
    assert_eq!(as_set(&slugs(&tagged)), set(&[&early, &late]));
    assert_eq!(tagged["meta"]["total"], 2);
    let both_tags = search(&app, "tram", "tag=transport&tag=city-hall").await;
    assert_eq!(slugs(&both_tags), [late.as_str()]);
    let after = search(
        &app,
        "tram",
        "published_after=2026-10-15T00:00:00Z&limit=100",
    )
    .await;
    assert_eq!(as_set(&slugs(&after)), set(&[&late, &untagged]));
    assert_eq!(after["meta"]["total"], 2);
    let before = search(&app, "tram", "published_before=2026-11-01T09:00:00Z").await;
    assert_eq!(slugs(&before), [early.as_str()], "the bound is exclusive");
    let window = search(
        &app,
        "plan",
        "tag=transport&published_after=2026-10-01T09:00:00Z&published_before=2026-12-01T00:00:00Z",
    )
    .await;
    assert_eq!(slugs(&window), [late.as_str()]);
}

#[actix_web::test]
async fn drafts_archived_and_scheduled_articles_are_never_found() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let shown = published(&ctx, &app, json!({"title": "Zebra Crossing Repainted"})).await;
    let draft = article(&ctx, &app, json!({"title": "Zebra Crossing Draft"})).await;
    let archived = article(
        &ctx,
        &app,
        json!({"title": "Zebra Crossing Archived", "status": "archived"}),
    )
    .await;
    article(
        &ctx,
        &app,
        json!({"title": "Zebra Crossing Scheduled", "status": "published", "published_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let public = search(&app, "zebra", "").await;
    assert_eq!(slugs(&public), [shown.as_str()]);
    assert_eq!(public["meta"]["total"], 1);
    // Not even with the admin key: the list is of published articles.
    let res = send(&app, ctx.admin(get("/api/v1/articles?q=zebra"))).await;
    assert_eq!(slugs(&res.ok(200)), [shown.as_str()]);

    // Publishing the draft makes it findable; archiving takes it away again.
    patch_article(&ctx, &app, &draft, json!({"status": "published"})).await;
    assert_eq!(as_set(&found(&app, "zebra").await), set(&[&shown, &draft]));
    patch_article(&ctx, &app, &draft, json!({"status": "archived"})).await;
    assert_eq!(found(&app, "zebra").await, [shown.as_str()]);
    assert!(!found(&app, "archived").await.contains(&archived));
}

/// Every byte of a public search's answer: status, body (ranks are in its cursors), `Link`.
async fn search_answer(app: &TestApp, uri: &str) -> (u16, Option<String>, String) {
    let res = send(app, get(uri)).await;
    let link = res.header("link").map(str::to_owned);
    let body = String::from_utf8(res.body).expect("a UTF-8 body");
    (res.status.as_u16(), link, body)
}

#[actix_web::test]
async fn public_ranks_and_cursors_ignore_unpublished_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    published(
        &ctx,
        &app,
        json!({"title": "Tram Line Opens", "body": "The tram runs."}),
    )
    .await;
    published(
        &ctx,
        &app,
        json!({"title": "Harbour", "body": "A tram stop by the water."}),
    )
    .await;
    published(
        &ctx,
        &app,
        json!({"title": "Budget", "summary": "Trams and buses cost more."}),
    )
    .await;
    // Relevance pages of one hit: the rank of each page's last hit is in its cursor.
    let mut uris = vec!["/api/v1/articles?q=tram&limit=1".to_owned()];
    let first = search(&app, "tram", "limit=1").await;
    let cursor = first["meta"]["next_cursor"].as_str().unwrap().to_owned();
    uris.push(format!(
        "/api/v1/articles?q=tram&limit=1&cursor={}",
        enc(&cursor)
    ));
    uris.push("/api/v1/articles?q=tram&limit=100".to_owned());
    uris.push("/api/v1/articles?q=tra&limit=2&tag=nowhere".to_owned());
    let mut before = Vec::new();
    for uri in &uris {
        before.push(search_answer(&app, uri).await);
    }

    // Unpublished articles full of the word, and edits of them, change no public rank: bm25
    // counts documents and their lengths in the index it reads.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let draft = article(
        &ctx,
        &app,
        json!({"title": "Tram tram tram", "body": "tram"}),
    )
    .await;
    article(
        &ctx,
        &app,
        json!({"title": "Tram Plans", "status": "published",
        "published_at": tomorrow, "summary": "tram tram"}),
    )
    .await;
    article(
        &ctx,
        &app,
        json!({"title": "Old Tram", "status": "archived"}),
    )
    .await;
    for i in 0..5 {
        article(
            &ctx,
            &app,
            json!({"title": format!("Filler {i}"), "body": "long words here"}),
        )
        .await;
    }
    patch_article(
        &ctx,
        &app,
        &draft,
        json!({"body": "tram ".repeat(50), "tags": ["Trams"]}),
    )
    .await;
    for (uri, was) in uris.iter().zip(&before) {
        let now = search_answer(&app, uri).await;
        assert_eq!(&now, was, "{uri} changed");
    }
    // An editor's search by state reads every article.
    let drafts = send(&app, ctx.admin(get("/api/v1/articles?q=tram&status=draft"))).await;
    assert_eq!(slugs(&drafts.ok(200)), [draft.as_str()]);

    // Published, an article counts in the public ranks from then on.
    patch_article(&ctx, &app, &draft, json!({"status": "published"})).await;
    assert_eq!(found(&app, "tram").await.first(), Some(&draft));
    assert_ne!(search_answer(&app, &uris[0]).await, before[0]);
}

#[actix_web::test]
async fn highlights_mark_the_match_and_escape_html() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    published(
        &ctx,
        &app,
        json!({"title": "Night <b>tram</b> & bus \"fares\" aren't rising"}),
    )
    .await;
    published(
        &ctx,
        &app,
        json!({"title": "Screens Hacked",
               "body": "Riders saw `<script>alert('ferry')</script>` on the ferry screens <em>today</em>."}),
    )
    .await;
    published(
        &ctx,
        &app,
        json!({"title": "Tram <img src=x onerror=alert(1)> Review", "tags": ["<i>Transport</i>"]}),
    )
    .await;

    for q in ["tram", "ferry", "fares", "transport", "bus"] {
        let res = search(&app, q, "").await;
        let data = res["data"].as_array().unwrap();
        assert!(!data.is_empty(), "q={q}: nothing found");
        for item in data {
            let highlight = item["highlight"]
                .as_str()
                .unwrap_or_else(|| panic!("q={q}: no highlight in {item}"));
            assert!(
                highlight
                    .to_lowercase()
                    .contains(&format!("<mark>{q}</mark>")),
                "q={q}: {highlight:?}"
            );
            let unmarked = highlight.replace("<mark>", "").replace("</mark>", "");
            assert!(
                !unmarked.contains('<') && !unmarked.contains('>'),
                "q={q}: raw markup in the highlight {highlight:?}"
            );
            for raw in ["<b>", "<script", "<img", "<i>", "<em>"] {
                assert!(!highlight.contains(raw), "q={q}: {raw} in {highlight:?}");
            }
        }
    }
    let tram = search(&app, "tram", "").await;
    let all: String = tram["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["highlight"].as_str().unwrap().to_owned())
        .collect();
    assert!(all.contains("&lt;b&gt;"), "{all}");
    assert!(all.contains("&amp;"), "{all}");
}

/// Text can hold any character, including the private-use ones a snippet could use as its
/// match marks: only matched words are ever wrapped in `<mark>`.
#[actix_web::test]
async fn highlights_mark_only_matched_words_whatever_the_text() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    published(
        &ctx,
        &app,
        json!({"title": "Tram \u{E001} closes \u{E000}depot", "body": "The \u{E000}night\u{E001} tram."}),
    )
    .await;
    let res = search(&app, "tram", "").await;
    let highlight = res["data"][0]["highlight"].as_str().unwrap().to_owned();
    let opened = highlight.matches("<mark>").count();
    let closed = highlight.matches("</mark>").count();
    assert_eq!(opened, closed, "unbalanced marks: {highlight:?}");
    for marked in highlight.split("<mark>").skip(1) {
        let word = marked.split("</mark>").next().unwrap();
        assert!(
            word.eq_ignore_ascii_case("tram"),
            "{word:?} is marked in {highlight:?}"
        );
    }
}

#[actix_web::test]
async fn search_results_paginate_to_the_end_without_repeats() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let mut expected = BTreeSet::new();
    // Equal-length documents rank equally: the cursor must break ties.
    for i in 0..7 {
        expected.insert(published(&ctx, &app, json!({"title": format!("Tram Report {i}")})).await);
    }
    let dense = published(
        &ctx,
        &app,
        json!({"title": "Tram", "body": "tram tram tram tram"}),
    )
    .await;
    expected.insert(dense);
    for i in 0..3 {
        published(&ctx, &app, json!({"title": format!("Ferry Report {i}")})).await;
    }
    let whole = slugs(&search(&app, "tram", "limit=100").await);
    assert_eq!(as_set(&whole), expected);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let extra = match &cursor {
            Some(c) => format!("limit=3&cursor={}", enc(c)),
            None => "limit=3".to_owned(),
        };
        let page = search(&app, "tram", &extra).await;
        pages += 1;
        assert_eq!(page["meta"]["total"], 8, "{page}");
        assert_eq!(page["meta"]["limit"], 3);
        seen.extend(slugs(&page));
        cursor = page["meta"]["next_cursor"].as_str().map(str::to_owned);
        assert_eq!(page["meta"]["has_more"], cursor.is_some(), "{page}");
        if cursor.is_none() {
            break;
        }
        assert_eq!(page["data"].as_array().unwrap().len(), 3);
        assert!(pages < 10, "the pages do not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen, whole,
        "paging must give the one-page order, without repeats"
    );
}

#[actix_web::test]
async fn list_and_search_cursors_are_not_interchangeable() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for i in 0..3 {
        publish(&ctx, &app, &format!("Tram Note {i}")).await;
    }
    let list = list_articles(&app, "limit=1").await;
    let list_cursor = list["meta"]["next_cursor"].as_str().unwrap().to_owned();
    let found = search(&app, "tram", "limit=1").await;
    let search_cursor = found["meta"]["next_cursor"].as_str().unwrap().to_owned();

    let res = send(
        &app,
        get(&format!(
            "/api/v1/articles?q=tram&limit=1&cursor={}",
            enc(&list_cursor)
        )),
    )
    .await;
    assert_eq!(bad_field(&res), "cursor");
    let res = send(
        &app,
        get(&format!(
            "/api/v1/articles?limit=1&cursor={}",
            enc(&search_cursor)
        )),
    )
    .await;
    assert_eq!(bad_field(&res), "cursor");
    // Each works where it came from.
    let next = search(
        &app,
        "tram",
        &format!("limit=1&cursor={}", enc(&search_cursor)),
    )
    .await;
    assert_eq!(next["data"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Search: hostile input.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn hostile_search_text_never_fails_the_server() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    published(
        &ctx,
        &app,
        json!({"title": "Tram and Ferry News", "summary": "Zürich café naïve 東京 ½", "tags": ["Transport"]}),
    )
    .await;
    let before = list_articles(&app, "limit=100").await;
    let hostile = [
        "tram AND ferry",
        "tram OR ferry",
        "NOT tram",
        "AND",
        "OR",
        "NOT",
        "NEAR(tram ferry)",
        "NEAR(tram ferry, 2)",
        "\"tram",
        "tram\"",
        "\"\"\"",
        "\"tram ferry\"",
        "tram*",
        "*tram",
        "*",
        "-tram",
        "tram -ferry",
        "-\"tram ferry\"",
        "\"tram -ferry\"",
        "--tram",
        "- tram",
        "tram -\"",
        "\"-\"",
        "-\"\" -",
        "tram <-> ferry",
        "!tram & ferry | bus",
        "tram:*",
        "^tram",
        "tram:",
        ":tram",
        "title:tram",
        "tags:transport",
        "{title summary}: tram",
        "(tram",
        "tram)",
        "(tram OR ferry) AND NOT bus",
        "'; DROP TABLE articles; --",
        "\"; DROP TABLE articles_fts; --",
        "tram' OR '1'='1",
        "%",
        "_",
        "\\",
        "\\\"",
        "tram\u{0}ferry",
        "tram\nferry\ttab",
        "Zürich",
        "zurich",
        "東京",
        "café",
        "½",
        "ǅ",
        "\u{0345}",
        "\u{0301}tram",
        "e\u{0301}",
        "ि",
        "Ⅻ",
        "🚋",
        "🚋 tram",
        "tram 🚋",
        "👩‍👩‍👧‍👦",
        "\u{200b}",
        "\u{202e}tram",
        "\u{feff}",
        "ﷺ",
        "𝔱𝔯𝔞𝔪",
        "ＴＲＡＭ",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z",
        "rank",
        "bm25",
        "rowid",
        "articles_fts",
        "0",
        "-1",
        "1e999",
    ];
    for q in hostile {
        let res = send(&app, get(&format!("/api/v1/articles?q={}", enc(q)))).await;
        assert_eq!(
            res.status.as_u16(),
            200,
            "q={q:?}: {}",
            String::from_utf8_lossy(&res.body)
        );
        let body = res.json();
        assert!(body["data"].is_array(), "q={q:?}: {body}");
        assert!(body["meta"]["total"].is_i64(), "q={q:?}: {body}");
    }
    // Harmless text is found as words.
    for q in [
        "tram AND ferry",
        "\"tram",
        "-tram",
        "tram*",
        "zurich",
        "Zürich",
        "東京",
    ] {
        let res = search(&app, q, "").await;
        assert_eq!(res["meta"]["total"], 1, "q={q:?}: {res}");
    }
    // Punctuation alone is no word at all: nothing is found.
    for q in ["!!!", "***", "---", "\"\"", "()", "🚋", "-", "^:*"] {
        let res = search(&app, q, "").await;
        assert_eq!(res["meta"]["total"], 0, "q={q:?}: {res}");
        assert_eq!(res["data"], json!([]), "q={q:?}");
        assert_eq!(res["meta"]["has_more"], false);
    }
    // Invalid percent-encoding or UTF-8 is a client error, not a server error.
    for raw in ["%FF", "%E6%9D", "%", "%zz"] {
        let res = send(&app, get(&format!("/api/v1/articles?q={raw}"))).await;
        assert!(
            res.status.as_u16() < 500,
            "q={raw}: {} {}",
            res.status,
            String::from_utf8_lossy(&res.body)
        );
    }
    // Nothing was dropped.
    assert_eq!(list_articles(&app, "limit=100").await, before);
}

#[actix_web::test]
async fn search_text_is_at_most_200_characters() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Tram").await;
    let long = "tram ".repeat(41); // 205 characters
    let res = send(&app, get(&format!("/api/v1/articles?q={}", enc(&long)))).await;
    assert_eq!(bad_field(&res), "q");
    let body = res.json();
    assert!(body["detail"].as_str().unwrap().contains("200"), "{body}");
    // Characters, not bytes, count.
    let accented = "é".repeat(200);
    assert_eq!(search(&app, &accented, "").await["meta"]["total"], 0);
    let res = send(
        &app,
        get(&format!("/api/v1/articles?q={}", enc(&"é".repeat(201)))),
    )
    .await;
    assert_eq!(bad_field(&res), "q");
}

#[actix_web::test]
async fn blank_search_text_is_the_plain_list() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for title in ["First Tram", "Second Ferry", "Third Bus"] {
        publish(&ctx, &app, title).await;
    }
    let plain = list_articles(&app, "").await;
    assert_eq!(plain["data"].as_array().unwrap().len(), 3);
    for q in ["q=", "q=%20%20%20", "q=%09"] {
        let res = list_articles(&app, q).await;
        assert_eq!(res, plain, "{q}");
        assert!(res["data"][0].get("highlight").is_none(), "{q}: {res}");
    }
}

/// With `sort`, search results come in that order (and page in it) instead of by relevance.
#[actix_web::test]
async fn search_with_sort_orders_the_matches_and_pages_in_that_order() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let mut by_date = Vec::new();
    for (i, title) in [
        "Tram", // the most relevant, oldest
        "Tram depot report on the tram line",
        "Council notes on a tram",
        "Budget with a passing mention of one tram among many other words",
    ]
    .into_iter()
    .enumerate()
    {
        let at = format!("2026-11-{:02}T08:00:00Z", i + 1);
        by_date.push(published(&ctx, &app, json!({"title": title, "published_at": at})).await);
    }
    published(&ctx, &app, json!({"title": "Ferry"})).await;
    let newest_first: Vec<String> = by_date.iter().rev().cloned().collect();

    let res = search(&app, "tram", "sort=-published_at").await;
    assert_eq!(slugs(&res), newest_first);
    assert_eq!(res["meta"]["total"], 4);
    for item in res["data"].as_array().unwrap() {
        assert!(
            item["highlight"].as_str().unwrap().contains("<mark>"),
            "{item}"
        );
    }
    assert_eq!(
        slugs(&search(&app, "tram", "sort=published_at").await),
        by_date
    );

    // Paging in the sorted order, by cursor and by Link.
    let mut seen = Vec::new();
    let mut uri = "/api/v1/articles?q=tram&sort=published_at&limit=3".to_owned();
    loop {
        let res = send(&app, get(&uri)).await;
        seen.extend(slugs(&res.ok(200)));
        match next_link(&res) {
            Some(link) => {
                assert!(
                    link.contains("sort=published_at") && link.contains("q=tram"),
                    "{link}"
                );
                uri = link;
            }
            None => break,
        }
        assert!(seen.len() <= 4);
    }
    assert_eq!(seen, by_date);

    // A relevance cursor does not fit a sorted search.
    let relevance = search(&app, "tram", "limit=1").await;
    let cursor = relevance["meta"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = send(
        &app,
        get(&format!(
            "/api/v1/articles?q=tram&sort=published_at&cursor={}",
            enc(&cursor)
        )),
    )
    .await;
    assert_eq!(bad_field(&res), "cursor");
    // Nor does the default order's cursor fit `sort=relevance`, which has its own.
    let res = send(
        &app,
        get(&format!(
            "/api/v1/articles?q=tram&sort=relevance&cursor={}",
            enc(&cursor)
        )),
    )
    .await;
    assert_eq!(bad_field(&res), "cursor");
    let res = send(&app, get("/api/v1/articles?q=tram&sort=bogus")).await;
    assert_eq!(bad_field(&res), "sort");
    // `relevance` orders searches only.
    let res = send(&app, get("/api/v1/articles?sort=relevance")).await;
    assert_eq!(bad_field(&res), "sort");
}

// ---------------------------------------------------------------------------------------
// Search: the index follows every write.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_index_follows_article_edits_and_deletes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = published(
        &ctx,
        &app,
        json!({"title": "Lighthouse Restored", "summary": "Paint and glass.", "body": "The keeper smiled."}),
    )
    .await;
    let other = published(&ctx, &app, json!({"title": "Lighthouse Tours Start"})).await;
    assert_eq!(found(&app, "restored").await, [slug.as_str()]);

    patch_article(&ctx, &app, &slug, json!({"title": "Beacon Relit"})).await;
    assert_eq!(found(&app, "beacon").await, [slug.as_str()]);
    assert!(
        found(&app, "restored").await.is_empty(),
        "the old title is still indexed"
    );
    patch_article(&ctx, &app, &slug, json!({"summary": "Copper and brass."})).await;
    assert_eq!(found(&app, "copper").await, [slug.as_str()]);
    assert!(found(&app, "paint").await.is_empty());
    patch_article(&ctx, &app, &slug, json!({"body": "The gulls returned."})).await;
    assert_eq!(found(&app, "gulls").await, [slug.as_str()]);
    assert!(found(&app, "keeper").await.is_empty());

    let res = send(&app, ctx.admin(delete(&format!("/api/v1/articles/{slug}")))).await;
    assert_eq!(res.status.as_u16(), 204);
    assert!(found(&app, "beacon").await.is_empty());
    assert!(found(&app, "gulls").await.is_empty());
    assert_eq!(found(&app, "lighthouse").await, [other]);
}

#[actix_web::test]
async fn the_index_follows_tag_renames_and_tag_changes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let a = published(
        &ctx,
        &app,
        json!({"title": "Budget Vote", "tags": ["Waterfront", "City Hall"]}),
    )
    .await;
    let b = published(
        &ctx,
        &app,
        json!({"title": "Pier Opens", "tags": ["Waterfront"]}),
    )
    .await;
    let c = published(
        &ctx,
        &app,
        json!({"title": "Lawn Opens", "tags": ["Parks"]}),
    )
    .await;
    assert_eq!(as_set(&found(&app, "waterfront").await), set(&[&a, &b]));

    // Renaming the tag: its articles are found by the new name, not the old.
    let res = send(
        &app,
        ctx.admin(json(
            Method::PATCH,
            "/api/v1/tags/waterfront",
            &json!({"name": "Seafront"}),
        )),
    )
    .await;
    res.ok(200);
    assert_eq!(as_set(&found(&app, "seafront").await), set(&[&a, &b]));
    assert!(
        found(&app, "waterfront").await.is_empty(),
        "the old tag name still finds"
    );
    assert_eq!(found(&app, "city hall").await, [a.as_str()]);

    // Changing an article's tags.
    patch_article(&ctx, &app, &a, json!({"tags": ["Parks"]})).await;
    assert_eq!(found(&app, "seafront").await, [b.as_str()]);
    assert!(
        found(&app, "city").await.is_empty(),
        "a removed tag still finds"
    );
    assert_eq!(as_set(&found(&app, "parks").await), set(&[&a, &c]));

    // Deleting a tag.
    let res = send(&app, ctx.admin(delete("/api/v1/tags/parks"))).await;
    assert_eq!(res.status.as_u16(), 204);
    assert!(
        found(&app, "parks").await.is_empty(),
        "a deleted tag still finds"
    );
    assert_eq!(found(&app, "budget").await, [a]);
}

// ---------------------------------------------------------------------------------------
// Date filters.
// ---------------------------------------------------------------------------------------

async fn dated(ctx: &Ctx, app: &TestApp) -> (String, String, String) {
    let a = published(
        ctx,
        app,
        json!({"title": "First of November", "published_at": "2026-11-01T10:00:00Z", "tags": ["Weather"]}),
    )
    .await;
    let b = published(
        ctx,
        app,
        json!({"title": "Second of November", "published_at": "2026-11-02T10:00:00Z"}),
    )
    .await;
    let c = published(
        ctx,
        app,
        json!({"title": "Third of November", "published_at": "2026-11-03T10:00:00Z", "tags": ["Weather"]}),
    )
    .await;
    (a, b, c)
}

#[actix_web::test]
async fn published_after_and_before_are_exclusive_and_combine() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let (a, b, c) = dated(&ctx, &app).await;
    let at = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            let res = list_articles(app, &q).await;
            assert_eq!(
                res["meta"]["total"],
                res["data"].as_array().unwrap().len(),
                "{q}"
            );
            slugs(&res)
        }
    };
    assert_eq!(
        at("published_after=2026-11-01T10:00:00Z").await,
        [c.clone(), b.clone()]
    );
    assert_eq!(
        at("published_after=2026-11-01T09:59:59Z").await,
        [c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        at("published_before=2026-11-03T10:00:00Z").await,
        [b.clone(), a.clone()]
    );
    assert_eq!(
        at("published_before=2026-11-01T10:00:00Z").await,
        Vec::<String>::new()
    );
    assert_eq!(
        at("published_after=2026-11-01T10:00:00Z&published_before=2026-11-03T10:00:00Z").await,
        [b.as_str()]
    );
    assert_eq!(
        at("published_after=2026-10-01T00:00:00Z&tag=weather").await,
        [c.clone(), a.clone()]
    );
    assert_eq!(
        at("published_before=2026-11-03T00:00:00Z&tag=weather").await,
        [a.as_str()]
    );
    // Offsets are honoured: 11:00+02:00 is 09:00Z.
    assert_eq!(
        at(&format!(
            "published_after={}",
            enc("2026-11-01T11:00:00+02:00")
        ))
        .await,
        [c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        at(&format!(
            "published_before={}",
            enc("2026-11-03T12:00:01+02:00")
        ))
        .await,
        [c.clone(), b.clone(), a.clone()]
    );
    // With the other sort orders too.
    assert_eq!(
        at("published_after=2026-11-01T10:00:00Z&sort=published_at").await,
        [b, c]
    );
}

#[actix_web::test]
async fn malformed_dates_are_400_naming_the_parameter() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    dated(&ctx, &app).await;
    for param in ["published_after", "published_before"] {
        for bad in [
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "2026-11-01",
            "2026-11-01T25:00:00Z",
            "1700000000",
            "",
        ] {
            let res = send(&app, get(&format!("/api/v1/articles?{param}={}", enc(bad)))).await;
            assert_eq!(bad_field(&res), param, "{param}={bad:?}");
            let res = send(
                &app,
                get(&format!("/api/v1/articles?q=november&{param}={}", enc(bad))),
            )
            .await;
            assert_eq!(bad_field(&res), param, "with q: {param}={bad:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sparse fields.
// ---------------------------------------------------------------------------------------

fn keys(item: &Value) -> BTreeSet<String> {
    item.as_object()
        .unwrap_or_else(|| panic!("not an object: {item}"))
        .keys()
        .cloned()
        .collect()
}

#[actix_web::test]
async fn fields_trims_list_items_and_single_articles() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for i in 0..3 {
        published(
            &ctx,
            &app,
            json!({"title": format!("Tram Item {i}"), "body": "Body text.", "tags": ["Transport"]}),
        )
        .await;
    }
    let res = send(&app, get("/api/v1/articles?fields=slug,title&limit=2")).await;
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.gazette.sparse+json")
    );
    let body = res.ok(200);
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for item in data {
        assert_eq!(keys(item), set(&["slug", "title"]), "{item}");
    }
    assert_eq!(body["meta"]["limit"], 2, "meta is kept whole: {body}");
    assert_eq!(body["meta"]["has_more"], true);

    // In a search, the highlight can be asked for.
    let res = send(&app, get("/api/v1/articles?q=tram&fields=slug,highlight")).await;
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.gazette.sparse+json")
    );
    for item in res.ok(200)["data"].as_array().unwrap() {
        assert_eq!(keys(item), set(&["slug", "highlight"]), "{item}");
    }

    let res = send(
        &app,
        get("/api/v1/articles/tram-item-0?fields=title,body_html,tags"),
    )
    .await;
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.gazette.sparse+json")
    );
    let one = res.ok(200);
    assert_eq!(keys(&one), set(&["title", "body_html", "tags"]), "{one}");
    assert_eq!(one["title"], "Tram Item 0");
    assert_eq!(
        one["tags"],
        json!([{"slug": "transport", "name": "Transport"}])
    );

    // Without fields: the whole resource as application/json.
    for uri in ["/api/v1/articles", "/api/v1/articles/tram-item-0"] {
        let res = send(&app, get(uri)).await;
        assert_eq!(
            res.header("content-type"),
            Some("application/json"),
            "{uri}"
        );
    }
    let whole = fetch_article(&app, "tram-item-0").await.ok(200);
    assert!(keys(&whole).len() > 10);
}

#[actix_web::test]
async fn unknown_or_empty_fields_are_400_listing_the_valid_names() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Tram").await;
    for uri in [
        "/api/v1/articles?fields=nope",
        "/api/v1/articles?fields=slug,nope",
        "/api/v1/articles?fields=body",
        "/api/v1/articles/tram?fields=nope",
        "/api/v1/articles/tram?fields=title,password",
    ] {
        let res = send(&app, get(uri)).await;
        assert_eq!(bad_field(&res), "fields", "{uri}");
        let detail = res.json()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("title"), "{uri}: {detail}");
        assert!(detail.contains("nope") || detail.contains("body") || detail.contains("password"));
    }
    for uri in ["/api/v1/articles?fields=", "/api/v1/articles/tram?fields="] {
        let res = send(&app, get(uri)).await;
        assert_eq!(bad_field(&res), "fields", "{uri}");
    }
}

// ---------------------------------------------------------------------------------------
// The Link header.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn link_next_leads_to_the_next_page_and_the_last_page_has_none() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for i in 0..5 {
        publish(&ctx, &app, &format!("Linked {i}")).await;
    }
    let mut uri = "/api/v1/articles?limit=2".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let res = send(&app, get(&uri)).await;
        let page = res.ok(200);
        pages += 1;
        seen.extend(slugs(&page));
        match (next_link(&res), page["meta"]["next_cursor"].as_str()) {
            (Some(link), Some(cursor)) => {
                assert!(link.starts_with("/api/v1/articles?"), "{link}");
                assert!(link.contains("limit=2"), "{link}");
                // The Link target is the same page as following next_cursor.
                let by_cursor =
                    list_articles(&app, &format!("limit=2&cursor={}", enc(cursor))).await;
                let by_link = get_json(&app, &link).await;
                assert_eq!(by_link, by_cursor);
                uri = link;
            }
            (None, None) => break,
            (link, cursor) => panic!("Link {link:?} and next_cursor {cursor:?} disagree"),
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen, slugs(&list_articles(&app, "limit=100").await));
}

#[actix_web::test]
async fn link_next_keeps_the_filters() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let mut tagged = BTreeSet::new();
    for i in 0..4 {
        let slug = published(
            &ctx,
            &app,
            json!({"title": format!("Tram Tagged {i}"), "summary": "Zürich & Co.", "tags": ["Transport", "City Hall"]}),
        )
        .await;
        tagged.insert(slug);
        publish(&ctx, &app, &format!("Tram Untagged {i}")).await;
    }
    for first in [
        "/api/v1/articles?tag=transport&tag=city-hall&limit=1",
        "/api/v1/articles?q=tram&tag=transport&limit=1",
        "/api/v1/articles?tag=transport&sort=published_at&limit=1&fields=slug",
        // Text with spaces, `&` and non-ASCII letters survives the round trip through Link.
        "/api/v1/articles?q=Z%C3%BCrich+%26+tram+tag&tag=transport&limit=1",
        "/api/v1/articles?tag=transport&q=z%C3%BCrich%20co&limit=1&fields=slug,highlight",
    ] {
        let mut uri = first.to_owned();
        let mut seen = BTreeSet::new();
        loop {
            let res = send(&app, get(&uri)).await;
            let page = res.ok(200);
            for slug in slugs(&page) {
                assert!(seen.insert(slug), "{first}: repeated");
            }
            match next_link(&res) {
                Some(link) => {
                    assert!(link.contains("tag=transport"), "{first}: {link}");
                    uri = link;
                }
                None => break,
            }
            assert!(seen.len() <= 4, "{first}: more than the tagged articles");
        }
        assert_eq!(seen, tagged, "{first}");
    }
}

// ---------------------------------------------------------------------------------------
// Related reading.
// ---------------------------------------------------------------------------------------

async fn related(app: &TestApp, slug: &str, query: &str) -> Vec<Value> {
    let res = get_json(app, &format!("/api/v1/articles/{slug}/related{query}")).await;
    res["data"].as_array().expect("data").clone()
}

fn teaser(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["source"].as_str().unwrap().to_owned(),
                i["slug"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| i["url"].as_str().unwrap().to_owned()),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[actix_web::test]
async fn related_lists_curated_links_then_suggestions_by_shared_tags() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let at = |day: u32| format!("2026-11-{day:02}T08:00:00Z");
    for (title, tags, day, status) in [
        ("Linked Story", vec!["A", "B", "C"], 1, "published"),
        ("Draft Linked", vec!["A", "B", "C"], 1, "draft"),
        ("Three Shared", vec!["A", "B", "C", "Z"], 2, "published"),
        ("Two Shared Older", vec!["A", "B"], 3, "published"),
        ("Two Shared Newer", vec!["B", "C"], 4, "published"),
        ("One Shared", vec!["C"], 20, "published"),
        ("None Shared", vec!["Z"], 21, "published"),
        ("Draft Three", vec!["A", "B", "C"], 22, "draft"),
        ("Archived Three", vec!["A", "B", "C"], 22, "archived"),
    ] {
        article(
            &ctx,
            &app,
            json!({"title": title, "tags": tags, "status": status, "published_at": at(day)}),
        )
        .await;
    }
    article(
        &ctx,
        &app,
        json!({"title": "Scheduled Three", "tags": ["A", "B", "C"], "status": "published",
               "published_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let main = published(
        &ctx,
        &app,
        json!({
            "title": "Main Story",
            "tags": ["A", "B", "C"],
            "published_at": at(5),
            "related": [
                {"url": "https://example.org/report", "summary": "The report.", "title": "Report"},
                {"slug": "draft-linked"},
                {"slug": "linked-story"}
            ]
        }),
    )
    .await;

    let items = related(&app, &main, "").await;
    assert_eq!(
        teaser(&items),
        pairs(&[
            ("curated", "https://example.org/report"),
            ("curated", "linked-story"),
            ("suggested", "three-shared"),
            ("suggested", "two-shared-newer"),
            ("suggested", "two-shared-older"),
            ("suggested", "one-shared"),
        ]),
        "{items:?}"
    );
    assert_eq!(items[0]["kind"], "external");
    assert_eq!(items[0]["title"], "Report");
    for item in &items[1..] {
        assert_eq!(item["kind"], "internal", "{item}");
        let slug = item["slug"].as_str().unwrap();
        assert_eq!(
            item["url"],
            format!("http://localhost:3000/articles/{slug}"),
            "{item}"
        );
        assert!(item["title"].is_string());
    }
    // Nobody is suggested twice, nor the article itself.
    let suggested: Vec<_> = teaser(&items).into_iter().map(|(_, s)| s).collect();
    let unique: BTreeSet<_> = suggested.iter().collect();
    assert_eq!(unique.len(), suggested.len());
    assert!(!suggested.contains(&main));

    // The editor's order is kept when it changes.
    let res = send(
        &app,
        ctx.admin(json(
            Method::PUT,
            &format!("/api/v1/articles/{main}/related"),
            &json!([{"slug": "one-shared"}, {"url": "https://example.org/report", "summary": "The report."}]),
        )),
    )
    .await;
    res.ok(200);
    let items = related(&app, &main, "").await;
    assert_eq!(
        teaser(&items),
        pairs(&[
            ("curated", "one-shared"),
            ("curated", "https://example.org/report"),
            ("suggested", "three-shared"),
            ("suggested", "linked-story"),
            ("suggested", "two-shared-newer"),
            ("suggested", "two-shared-older"),
        ]),
        "{items:?}"
    );
}

#[actix_web::test]
async fn related_limit_truncates_curated_first_and_is_bounded() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    for i in 0..12 {
        published(
            &ctx,
            &app,
            json!({"title": format!("Sibling {i:02}"), "tags": ["Transport"],
                   "published_at": format!("2026-11-{:02}T08:00:00Z", i + 1)}),
        )
        .await;
    }
    let main = published(
        &ctx,
        &app,
        json!({"title": "Main", "tags": ["Transport"],
               "related": [{"slug": "sibling-00"}, {"url": "https://example.org/x", "summary": "X."}]}),
    )
    .await;

    let default = related(&app, &main, "").await;
    assert_eq!(default.len(), 8, "the default limit is 8");
    let sources: Vec<_> = teaser(&default).into_iter().map(|(s, _)| s).collect();
    assert_eq!(&sources[..2], ["curated", "curated"]);
    assert!(sources[2..].iter().all(|s| s == "suggested"));
    // Newest first among equals.
    assert_eq!(default[2]["slug"], "sibling-11");
    assert_eq!(default[7]["slug"], "sibling-06");

    let two = related(&app, &main, "?limit=2").await;
    assert_eq!(
        teaser(&two),
        pairs(&[
            ("curated", "sibling-00"),
            ("curated", "https://example.org/x")
        ])
    );
    let one = related(&app, &main, "?limit=1").await;
    assert_eq!(teaser(&one), pairs(&[("curated", "sibling-00")]));
    let all = related(&app, &main, "?limit=50").await;
    assert_eq!(all.len(), 13, "2 curated + 11 suggested: {all:?}");
    for bad in ["0", "51", "-1", "eight", ""] {
        let res = send(
            &app,
            get(&format!("/api/v1/articles/{main}/related?limit={bad}")),
        )
        .await;
        assert_eq!(bad_field(&res), "limit", "limit={bad}");
    }
    // The related reading of an unpublished article is 404 like the article.
    let draft = article(
        &ctx,
        &app,
        json!({"title": "Hidden", "tags": ["Transport"]}),
    )
    .await;
    send(&app, get(&format!("/api/v1/articles/{draft}/related")))
        .await
        .problem(404);
    // …and a draft sharing every tag is never suggested.
    let all = related(&app, &main, "?limit=50").await;
    assert!(!all.iter().any(|i| i["slug"] == draft.as_str()));
}
