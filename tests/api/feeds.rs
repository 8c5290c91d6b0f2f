//! `/feed.atom` and `/sitemap.xml`, parsed as XML: what they list, in what order, with what
//! fields, and that they are conditional like the JSON routes.

use crate::support::common;
use common::*;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gazette::config::Settings;
use roxmltree::{Document, Node};
use serde_json::{Value, json};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const SITE: &str = "https://news.example";
const SITE_NAME: &str = "The Port Calder Post";

// ---------------------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------------------

fn site_ctx() -> Ctx {
    Ctx::with_settings(Settings {
        site_url: SITE.into(),
        site_name: SITE_NAME.into(),
        ..Default::default()
    })
}

/// GETs `uri`, asserting 200 and the content type; the body as text.
async fn xml_body(app: &TestApp, uri: &str, content_type: &str) -> String {
    let res = send(app, get(uri)).await;
    assert_eq!(
        res.status.as_u16(),
        200,
        "{uri}: {}",
        String::from_utf8_lossy(&res.body)
    );
    let ct = res.header("content-type").unwrap_or_default();
    assert!(ct.starts_with(content_type), "{uri}: Content-Type {ct}");
    String::from_utf8(res.body).expect("UTF-8")
}

#[track_caller]
fn parse(text: &str) -> Document<'_> {
    Document::parse(text).unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{text}"))
}

/// The child elements of `node` named `name` in namespace `ns`.
fn children<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|c| {
            c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
        })
        .collect()
}

/// The only child element `name` of `node`.
#[track_caller]
fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Node<'a, 'i> {
    let found = children(node, ns, name);
    assert_eq!(
        found.len(),
        1,
        "expected one <{name}> in <{}>",
        node.tag_name().name()
    );
    found[0]
}

/// All the text inside `node`.
fn text(node: Node) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

fn atom_text(node: Node, name: &str) -> String {
    text(child(node, ATOM, name))
}

#[track_caller]
fn rfc3339(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// `t` to whole seconds, as the feeds write times.
fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn entries<'a, 'i>(feed: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    children(feed, ATOM, "entry")
}

fn entry_ids(feed: Node) -> Vec<String> {
    entries(feed).iter().map(|e| atom_text(*e, "id")).collect()
}

/// The `href` of the link of `node` with `rel`.
fn link(node: Node, rel: &str) -> Option<String> {
    children(node, ATOM, "link")
        .into_iter()
        .find(|l| l.attribute("rel").unwrap_or("alternate") == rel)
        .and_then(|l| l.attribute("href").map(str::to_owned))
}

/// Creates articles that feeds must leave out: a draft, an archived and a scheduled one.
async fn unpublished(ctx: &Ctx, app: &TestApp) -> Vec<String> {
    let mut slugs = Vec::new();
    for body in [
        json!({"title": "Hidden Draft", "tags": ["Transport"]}),
        json!({"title": "Hidden Archived", "status": "archived", "tags": ["Transport"]}),
        json!({"title": "Hidden Scheduled", "status": "published", "published_at": "2099-01-01T00:00:00Z", "tags": ["Transport"]}),
    ] {
        slugs.push(
            create_article(ctx, app, body).await["slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    slugs
}

fn canonical(slug: &str) -> String {
    format!("{SITE}/articles/{slug}")
}

// ---------------------------------------------------------------------------------------
// The Atom feed.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_feed_is_atom_with_the_50_newest_published_articles() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    // Created out of date order, so that creation order is not publication order.
    let mut published = Vec::new();
    for i in 0..55u32 {
        let n = (i * 37) % 55;
        let at = format!("2026-10-{:02}T{:02}:00:00Z", 1 + n / 24, n % 24);
        let a = create_article(
            &ctx,
            &app,
            json!({"title": format!("Bulletin {n:02}"), "status": "published", "published_at": at,
                   "tags": ["Transport"]}),
        )
        .await;
        published.push((at, a["slug"].as_str().unwrap().to_owned()));
    }
    let hidden = unpublished(&ctx, &app).await;
    published.sort();
    let newest: Vec<String> = published
        .iter()
        .rev()
        .take(50)
        .map(|(_, slug)| canonical(slug))
        .collect();

    let body = xml_body(&app, "/feed.atom", "application/atom+xml").await;
    let doc = parse(&body);
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert_eq!(atom_text(feed, "title"), SITE_NAME);
    assert!(!atom_text(feed, "id").is_empty());
    let updated = rfc3339(&atom_text(feed, "updated"));
    let self_link = link(feed, "self").expect("a self link");
    assert!(self_link.ends_with("/feed.atom"), "{self_link}");

    let ids = entry_ids(feed);
    assert_eq!(ids.len(), 50, "at most 50 entries");
    assert_eq!(ids, newest, "the newest published first");
    for slug in &hidden {
        assert!(!body.contains(slug.as_str()), "{slug} is in the feed");
    }
    // The feed's updated time is its newest entry's.
    let latest = entries(feed)
        .iter()
        .map(|e| rfc3339(&atom_text(*e, "updated")))
        .max()
        .unwrap();
    assert_eq!(updated, latest);
}

#[actix_web::test]
async fn entries_carry_the_article_fields_and_its_html() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let with_byline = create_article(
        &ctx,
        &app,
        json!({
            "title": "Council Approves Tram Extension",
            "summary": "The line will reach the ferry terminal.",
            "body": "After a *six-hour* debate.\n\n- one\n- two\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |",
            "status": "published",
            "published_at": "2026-11-20T07:30:00Z",
            "tags": ["Transport", "City Hall"],
            "byline": "Mara Okafor"
        }),
    )
    .await;
    let anonymous = create_article(
        &ctx,
        &app,
        json!({"title": "Ferry Timetable", "body": "Two sailings are cut.", "status": "published",
               "published_at": "2026-11-19T07:30:00Z"}),
    )
    .await;
    let feed_text = xml_body(&app, "/feed.atom", "application/atom+xml").await;
    let doc = parse(&feed_text);
    let entries = entries(doc.root_element());
    assert_eq!(entries.len(), 2);

    for (entry, created, author) in [
        (entries[0], &with_byline, "Mara Okafor"),
        (entries[1], &anonymous, SITE_NAME),
    ] {
        let slug = created["slug"].as_str().unwrap();
        let article = fetch_article(&app, slug).await.ok(200);
        let url = article["canonical_url"].as_str().unwrap();
        assert_eq!(url, canonical(slug));
        assert_eq!(atom_text(entry, "id"), url);
        assert_eq!(link(entry, "alternate").as_deref(), Some(url));
        assert_eq!(
            atom_text(entry, "title"),
            article["title"].as_str().unwrap()
        );
        assert_eq!(
            secs(rfc3339(&atom_text(entry, "published"))),
            secs(ts(&article["published_at"]))
        );
        assert_eq!(
            secs(rfc3339(&atom_text(entry, "updated"))),
            secs(ts(&article["updated_at"]))
        );
        assert_eq!(atom_text(child(entry, ATOM, "author"), "name"), author);
        let content = child(entry, ATOM, "content");
        assert_eq!(content.attribute("type"), Some("html"));
        assert_eq!(
            text(content),
            article["body_html"].as_str().unwrap(),
            "{slug}"
        );
        let categories: Vec<(String, String)> = children(entry, ATOM, "category")
            .iter()
            .map(|c| {
                (
                    c.attribute("term").unwrap().to_owned(),
                    c.attribute("label").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let tags: Vec<(String, String)> = article["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["slug"].as_str().unwrap().to_owned(),
                    t["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(categories, tags, "{slug}");
    }
    let html = text(child(entries[0], ATOM, "content"));
    assert!(html.contains("<em>six-hour</em>"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(
        atom_text(entries[0], "summary"),
        "The line will reach the ferry terminal."
    );
}

#[actix_web::test]
async fn special_characters_survive_the_feed() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let title = "Fish & Chips <Now> \"Quoted\" 'Single' ]]> &amp; — café 東京 🚋";
    let byline = "O'Brien & <Sons>";
    let tag = "R&D \"Lab\" <x>";
    let a = create_article(
        &ctx,
        &app,
        json!({"title": title, "byline": byline, "tags": [tag], "status": "published",
               "summary": "Less < more & \"so\" on",
               "body": "Use `a < b && c > d` and <b>bold</b> & ampersands; ]]> too."}),
    )
    .await;
    let slug = a["slug"].as_str().unwrap();
    let body = xml_body(&app, "/feed.atom", "application/atom+xml").await;
    let doc = parse(&body);
    let entry = entries(doc.root_element())[0];
    assert_eq!(atom_text(entry, "title"), title);
    assert_eq!(atom_text(child(entry, ATOM, "author"), "name"), byline);
    assert_eq!(atom_text(entry, "summary"), "Less < more & \"so\" on");
    let category = child(entry, ATOM, "category");
    assert_eq!(category.attribute("label"), Some(tag));
    assert_eq!(category.attribute("term"), a["tags"][0]["slug"].as_str());
    let article = fetch_article(&app, slug).await.ok(200);
    assert_eq!(
        text(child(entry, ATOM, "content")),
        article["body_html"].as_str().unwrap()
    );

    // The tag feed's title carries the tag name, escaped just as well.
    let tag_slug = a["tags"][0]["slug"].as_str().unwrap();
    let body = xml_body(
        &app,
        &format!("/feed.atom?tag={tag_slug}"),
        "application/atom+xml",
    )
    .await;
    let doc = parse(&body);
    assert!(
        atom_text(doc.root_element(), "title").contains(tag),
        "{body}"
    );
    let self_link = link(doc.root_element(), "self").unwrap();
    assert!(
        self_link.contains(&format!("tag={tag_slug}")),
        "{self_link}"
    );
}

/// Unicode noncharacters pass article validation; the feed must stay well-formed XML.
#[actix_web::test]
async fn noncharacters_do_not_break_the_feed() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let res = send(
        &app,
        ctx.admin(post_article_req(json!({
            "title": "Odd \u{FFFF} Title \u{FFFE}",
            "body": "Odd \u{FFFF} body.",
            "status": "published"
        }))),
    )
    .await;
    if res.status.as_u16() == 422 {
        return; // Refusing such text is fine too.
    }
    res.ok(201);
    let body = xml_body(&app, "/feed.atom", "application/atom+xml").await;
    let doc = parse(&body);
    assert_eq!(entries(doc.root_element()).len(), 1);
}

#[actix_web::test]
async fn a_tag_feed_lists_only_that_tag_and_an_unknown_tag_is_404() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let mut tagged = BTreeSet::new();
    for i in 0..3 {
        let a = create_article(
            &ctx,
            &app,
            json!({"title": format!("Tram News {i}"), "status": "published", "tags": ["Transport", "Trams"]}),
        )
        .await;
        tagged.insert(canonical(a["slug"].as_str().unwrap()));
        publish(&ctx, &app, &format!("Other News {i}")).await;
    }
    unpublished(&ctx, &app).await;

    let body = xml_body(&app, "/feed.atom?tag=transport", "application/atom+xml").await;
    let doc = parse(&body);
    let feed = doc.root_element();
    let title = atom_text(feed, "title");
    assert!(title.contains("Transport"), "{title}");
    assert!(title.contains(SITE_NAME), "{title}");
    let ids: BTreeSet<String> = entry_ids(feed).into_iter().collect();
    assert_eq!(ids, tagged);
    assert_ne!(
        atom_text(feed, "id"),
        atom_text(
            parse(&xml_body(&app, "/feed.atom", "application/atom+xml").await).root_element(),
            "id"
        ),
        "a tag feed has its own id"
    );

    for uri in ["/feed.atom?tag=nope", "/feed.atom?tag="] {
        let res = send(&app, get(uri)).await;
        res.problem(404);
    }
    send(&app, get("/feed.atom?tags=transport"))
        .await
        .problem(400);
    send(&app, get("/feed.atom?tag=transport&tag=trams"))
        .await
        .problem(400);
}

#[actix_web::test]
async fn an_empty_feed_is_valid_atom() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    unpublished(&ctx, &app).await;
    let body = xml_body(&app, "/feed.atom", "application/atom+xml").await;
    let doc = parse(&body);
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert!(entries(feed).is_empty(), "{body}");
    rfc3339(&atom_text(feed, "updated"));
    // A tag only unpublished articles carry is not public: its feed answers as an unknown
    // tag's does, so the feed does not tell that the tag exists.
    let hidden = send(&app, get("/feed.atom?tag=transport"))
        .await
        .problem(404);
    let unknown = send(&app, get("/feed.atom?tag=tranzport"))
        .await
        .problem(404);
    assert_eq!(
        hidden["detail"]
            .as_str()
            .unwrap()
            .replace("transport", "tranzport"),
        unknown["detail"]
    );
}

/// An unchanged empty feed keeps its validator (its `updated` must not be the clock).
#[actix_web::test]
async fn an_unchanged_empty_feed_keeps_its_etag() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    unpublished(&ctx, &app).await;
    for uri in ["/feed.atom"] {
        let first = send(&app, get(uri)).await;
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = send(&app, get(uri)).await;
        assert_eq!(first.header("etag"), second.header("etag"), "{uri}");
        let again = send(
            &app,
            get(uri).insert_header(("If-None-Match", first.header("etag").unwrap())),
        )
        .await;
        assert_eq!(again.status.as_u16(), 304, "{uri}");
    }
}

// ---------------------------------------------------------------------------------------
// The sitemap.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_sitemap_lists_exactly_the_published_articles() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let mut expected = BTreeSet::new();
    for i in 0..7 {
        let a = publish(&ctx, &app, &format!("Mapped {i}")).await;
        expected.insert(canonical(a["slug"].as_str().unwrap()));
    }
    let hidden = unpublished(&ctx, &app).await;
    // Archiving one takes it out.
    let gone = publish(&ctx, &app, "Soon Archived").await;
    patch_article(
        &ctx,
        &app,
        gone["slug"].as_str().unwrap(),
        json!({"status": "archived"}),
    )
    .await;

    let body = xml_body(&app, "/sitemap.xml", "application/xml").await;
    let doc = parse(&body);
    let urlset = doc.root_element();
    assert_eq!(urlset.tag_name().name(), "urlset");
    assert_eq!(urlset.tag_name().namespace(), Some(SITEMAP));
    let urls = children(urlset, SITEMAP, "url");
    let mut locs = BTreeSet::new();
    for url in &urls {
        let loc = text(child(*url, SITEMAP, "loc"));
        let lastmod = rfc3339(&text(child(*url, SITEMAP, "lastmod")));
        let slug = loc.rsplit('/').next().unwrap();
        let article: Value = fetch_article(&app, slug).await.ok(200);
        assert_eq!(article["canonical_url"], loc.as_str());
        assert_eq!(secs(lastmod), secs(ts(&article["updated_at"])), "{loc}");
        assert!(locs.insert(loc), "listed twice");
    }
    assert_eq!(locs, expected);
    for slug in hidden {
        assert!(!body.contains(&slug), "{slug} is in the sitemap");
    }
    assert!(!body.contains("soon-archived"));
}

#[actix_web::test]
async fn an_empty_sitemap_is_a_valid_urlset() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    unpublished(&ctx, &app).await;
    let body = xml_body(&app, "/sitemap.xml", "application/xml").await;
    let doc = parse(&body);
    assert_eq!(doc.root_element().tag_name().namespace(), Some(SITEMAP));
    assert!(children(doc.root_element(), SITEMAP, "url").is_empty());
}

// ---------------------------------------------------------------------------------------
// Conditional requests.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn feeds_answer_304_until_an_article_changes() {
    let ctx = site_ctx();
    let app = ctx.app().await;
    let a = create_article(
        &ctx,
        &app,
        json!({"title": "Tram", "status": "published", "tags": ["Transport"]}),
    )
    .await;
    let slug = a["slug"].as_str().unwrap().to_owned();
    let uris = ["/feed.atom", "/feed.atom?tag=transport", "/sitemap.xml"];
    let mut etags = Vec::new();
    for uri in uris {
        let first = send(&app, get(uri)).await;
        assert_eq!(first.status.as_u16(), 200);
        let etag = first.header("etag").expect("ETag").to_owned();
        assert!(etag.starts_with('"'), "{etag}");
        let again = send(
            &app,
            get(uri).insert_header(("If-None-Match", etag.clone())),
        )
        .await;
        assert_eq!(again.status.as_u16(), 304, "{uri}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        etags.push(etag);
    }
    // The feed shows the title: a new title is a new feed.
    patch_article(&ctx, &app, &slug, json!({"title": "Tram Renamed"})).await;
    for (uri, etag) in uris.iter().zip(&etags).take(2) {
        let res = send(
            &app,
            get(uri).insert_header(("If-None-Match", etag.clone())),
        )
        .await;
        assert_eq!(res.status.as_u16(), 200, "{uri}: still 304 after a change");
        assert!(String::from_utf8_lossy(&res.body).contains("Tram Renamed"));
    }
    // A new article is a new sitemap.
    publish(&ctx, &app, "Second").await;
    let res = send(
        &app,
        get("/sitemap.xml").insert_header(("If-None-Match", etags[2].clone())),
    )
    .await;
    assert_eq!(res.status.as_u16(), 200);
}
