//! HTTP delivery of every response: strong ETags and HEAD on every GET route, conditional
//! requests (If-None-Match, If-Modified-Since → 304), Cache-Control and Vary, gzip and
//! brotli by Accept-Encoding, and CORS (any origin reads, only listed origins write).

use crate::support::common;
use common::*;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use chrono::{DateTime, NaiveDateTime, Utc};
use gazette::app::{self, Prepared};
use gazette::config::{DEFAULT_CACHE_CONTROL, Settings};
use serde_json::json;

// ---------------------------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------------------------

/// The long-ago time the fixtures are published at and, after [`backdate`], last changed.
const LONG_AGO: &str = "2020-01-01T00:00:00Z";

/// The ETag of `res`, asserting that it is present and strong (quoted, not `W/`).
#[track_caller]
fn strong_etag(res: &Resp) -> String {
    let etag = res
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag: {res:?}"))
        .to_owned();
    assert!(
        !etag.starts_with("W/"),
        "ETag {etag} is weak; it must be strong"
    );
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "ETag {etag} is not a quoted entity tag"
    );
    etag
}

/// `req` with the header `name: value`.
fn with(req: TestRequest, name: &'static str, value: &str) -> TestRequest {
    req.insert_header((name, value.to_owned()))
}

fn head(uri: &str) -> TestRequest {
    TestRequest::default().method(Method::HEAD).uri(uri)
}

/// The comma-separated tokens of every `name` header of `res`, lowercased.
fn tokens(res: &Resp, name: &str) -> Vec<String> {
    res.headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// An anonymous read varies only on what changes its bytes: one object per URL and coding
/// in a shared cache, whatever page or site asks.
#[track_caller]
fn assert_vary(res: &Resp) {
    assert_eq!(tokens(res, "vary"), ["accept-encoding"], "{res:?}");
}

/// An answer to a key says it depends on the key.
#[track_caller]
fn assert_keyed_vary(res: &Resp) {
    let vary = tokens(res, "vary");
    for needed in ["accept-encoding", "authorization"] {
        assert!(
            vary.iter().any(|v| v == needed),
            "Vary {vary:?} lacks {needed}: {res:?}"
        );
    }
}

#[track_caller]
fn assert_not_modified(res: &Resp, etag: &str) {
    assert_eq!(res.status.as_u16(), 304, "{res:?}");
    assert!(
        res.body.is_empty(),
        "a 304 has no body: {:?}",
        String::from_utf8_lossy(&res.body)
    );
    assert_eq!(res.header("etag"), Some(etag), "a 304 carries the ETag");
    assert!(
        res.header("cache-control").is_some(),
        "a 304 carries Cache-Control: {res:?}"
    );
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn parse_http_date(value: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc2822(value)
        .unwrap_or_else(|e| panic!("{value:?} is not an HTTP date: {e}"))
        .with_timezone(&Utc)
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Sets every article's and tag's created and updated time to `to`, so that a later change
/// is visibly later (Last-Modified has whole seconds).
fn backdate(ctx: &Ctx, to: NaiveDateTime) {
    use diesel::{ExpressionMethods, RunQueryDsl};
    use gazette::schema::{articles, tags};
    let conn = &mut *ctx.pool.get().unwrap();
    diesel::update(articles::table)
        .set((articles::created_at.eq(to), articles::updated_at.eq(to)))
        .execute(conn)
        .unwrap();
    diesel::update(tags::table)
        .set((tags::created_at.eq(to), tags::updated_at.eq(to)))
        .execute(conn)
        .unwrap();
}

fn long_ago() -> NaiveDateTime {
    DateTime::parse_from_rfc3339("2020-01-02T00:00:00Z")
        .unwrap()
        .naive_utc()
}

/// A small newsroom: published articles with tags and related links (internal and
/// external), a draft, and a long live article with a block. Returns the slug of the linking article.
async fn newsroom(ctx: &Ctx, app: &TestApp) -> String {
    create_article(
        ctx,
        app,
        json!({"title": "Ferry Moves to Winter Timetable", "status": "published",
               "published_at": LONG_AGO, "summary": "Two evening sailings are cut.",
               "tags": ["Transport", "Harbour"]}),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({"title": "Unfinished Draft", "tags": ["Transport"]}),
    )
    .await;
    let a = create_article(
        ctx,
        app,
        json!({
            "title": "Council Approves Harbourfront Tram Extension",
            "summary": "The line will reach the ferry terminal by 2028.",
            "body": "After a six-hour debate the council voted in favour. ".repeat(60),
            "status": "published",
            "published_at": LONG_AGO,
            "tags": ["Transport", "City Hall"],
            "related": [
                {"slug": "ferry-moves-to-winter-timetable"},
                {"url": "https://example.org/plan", "summary": "The full plan."}
            ],
            "byline": "Mara Okafor",
            "format": "live"
        }),
    )
    .await;
    let slug = a["slug"].as_str().unwrap().to_owned();
    // A live article: its blocks' routes answer too.
    let uri = format!("/api/v1/articles/{slug}/blocks");
    let block = json!({"title": "Vote", "body": "The council votes at six. ".repeat(20)});
    send(app, ctx.admin(json(Method::POST, &uri, &block)))
        .await
        .ok(201);
    // An author crediting it, and a front leading with it.
    let author = json!({"name": "Mara Okafor", "slug": AUTHOR, "bio": "City hall."});
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/authors", &author)),
    )
    .await
    .ok(201);
    patch_article(ctx, app, &slug, json!({"authors": [AUTHOR]})).await;
    let front = json!({"name": "Front", "slug": COLLECTION, "articles": [slug, "ferry-moves-to-winter-timetable"]});
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/collections", &front)),
    )
    .await
    .ok(201);
    slug
}

/// The author and the collection [`newsroom`] makes.
const AUTHOR: &str = "mara-okafor";
const COLLECTION: &str = "front";

/// A GET route of the spec with real values for its path parameters.
struct Route {
    template: String,
    uri: String,
    /// Whether the operation needs a key (it is then read with the admin key).
    keyed: bool,
}

impl Route {
    fn request(&self, ctx: &Ctx, req: TestRequest) -> TestRequest {
        if self.keyed { ctx.admin(req) } else { req }
    }
}

/// The GET routes of the delivery features, which every walk must include.
const CORE_ROUTES: [&str; 9] = [
    "/api/v1/articles",
    "/api/v1/articles/{slug_or_id}",
    "/api/v1/articles/{slug_or_id}/related",
    "/api/v1/tags",
    "/api/v1/tags/{slug}",
    "/feed.atom",
    "/sitemap.xml",
    "/healthz",
    "/openapi.json",
];

/// Every GET route of the spec whose path parameters this test can fill: an article slug,
/// a tag slug, a revision number.
fn get_routes(article: &str, tag: &str) -> Vec<Route> {
    let spec = app::openapi();
    let mut routes = Vec::new();
    for (path, item) in &spec.paths.paths {
        let Some(op) = &item.get else {
            continue;
        };
        // Live state (metrics) documents no 304: it has no validator to revalidate with.
        if !op.responses.responses.contains_key("304") {
            println!("skipped {path}: not conditional");
            continue;
        }
        let uri = path
            .replace("/authors/{slug}", &format!("/authors/{AUTHOR}"))
            .replace("/collections/{slug}", &format!("/collections/{COLLECTION}"))
            .replace("{slug_or_id}", article)
            .replace("{slug}", tag)
            .replace("{number}", "1");
        // A search box's suggestions need the text typed.
        let uri = match path.as_str() {
            "/api/v1/search/suggest" => format!("{uri}?q=harbour"),
            _ => uri,
        };
        if uri.contains('{') {
            println!("skipped {path}: a path parameter this test cannot fill");
            continue;
        }
        // `security(())` is one empty requirement: public. Anything else needs a key.
        let security = serde_json::to_value(&op.security).unwrap();
        let keyed = security.as_array().is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        });
        routes.push(Route {
            template: path.clone(),
            uri,
            keyed,
        });
    }
    for core in CORE_ROUTES {
        assert!(
            routes.iter().any(|r| r.template == core),
            "{core} is not among the GET routes of the spec"
        );
    }
    routes
}

// ---------------------------------------------------------------------------------------
// ETags and HEAD on every GET route.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_get_route_has_a_strong_etag_and_answers_head_alike() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    for route in get_routes(&slug, "transport") {
        let uri = &route.uri;
        let got = send(&app, route.request(&ctx, get(uri))).await;
        assert_eq!(got.status.as_u16(), 200, "GET {uri}: {got:?}");
        assert!(!got.body.is_empty(), "GET {uri} has an empty body");
        let etag = strong_etag(&got);
        // The same request again: the same validator.
        assert_eq!(
            strong_etag(&send(&app, route.request(&ctx, get(uri))).await),
            etag,
            "GET {uri}: the ETag is not stable"
        );
        let headed = send(&app, route.request(&ctx, head(uri))).await;
        assert_eq!(headed.status, got.status, "HEAD {uri}: {headed:?}");
        assert_eq!(strong_etag(&headed), etag, "HEAD {uri}: another ETag");
        assert_eq!(
            headed.header("content-type"),
            got.header("content-type"),
            "HEAD {uri}"
        );
        assert_eq!(
            headed.header("cache-control"),
            got.header("cache-control"),
            "HEAD {uri}"
        );
    }
}

/// Sends `request` (raw HTTP/1.1, `Connection: close`) to `addr`; the status code, the
/// headers (lowercase names) and every byte after them.
fn raw_http(addr: SocketAddr, request: String) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read the response");
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers: {:?}", String::from_utf8_lossy(&bytes)));
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, bytes[end + 4..].to_vec())
}

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The real server (not the in-process test service) sends no body for HEAD.
#[actix_web::test]
async fn head_over_a_real_socket_sends_headers_and_no_body() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    let prepared = filled(Prepared::new(ctx.pool.clone(), ctx.settings.clone())).await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = actix_web::HttpServer::new(move || app::build(prepared.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    for route in get_routes(&slug, "transport") {
        let uri = &route.uri;
        let key = if route.keyed {
            format!("Authorization: Bearer {}\r\n", ctx.admin_key)
        } else {
            String::new()
        };
        let ask = |method: &str| {
            format!("{method} {uri} HTTP/1.1\r\nHost: {addr}\r\n{key}Connection: close\r\n\r\n")
        };
        let (get_req, head_req) = (ask("GET"), ask("HEAD"));
        let (status, headers, body) =
            actix_web::rt::task::spawn_blocking(move || raw_http(addr, get_req))
                .await
                .unwrap();
        assert_eq!(status, 200, "GET {uri}");
        assert!(!body.is_empty(), "GET {uri}: empty body");
        let etag = header_of(&headers, "etag")
            .unwrap_or_else(|| panic!("GET {uri}: no ETag"))
            .to_owned();
        let (h_status, h_headers, h_body) =
            actix_web::rt::task::spawn_blocking(move || raw_http(addr, head_req))
                .await
                .unwrap();
        assert_eq!(h_status, 200, "HEAD {uri}");
        assert_eq!(
            header_of(&h_headers, "etag"),
            Some(etag.as_str()),
            "HEAD {uri}"
        );
        assert!(
            h_body.is_empty(),
            "HEAD {uri} sent a body of {} bytes",
            h_body.len()
        );
    }
    handle.stop(false).await;
}

#[actix_web::test]
async fn replicas_on_one_database_agree_on_every_etag() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    // A second, separately built app with its own connection pool on the same file.
    let pool = gazette::db::open(ctx.db_url(), 2).unwrap();
    let replica = filled(Prepared::new(pool, ctx.settings.clone())).await;
    let replica = test::init_service(app::build(replica)).await;
    for route in get_routes(&slug, "transport") {
        let uri = &route.uri;
        for encoding in ["identity", "gzip", "br"] {
            let ask = || route.request(&ctx, with(get(uri), "Accept-Encoding", encoding));
            let one = send(&app, ask()).await;
            let res = test::call_service(&replica, ask().to_request()).await;
            assert_eq!(res.status().as_u16(), 200, "replica GET {uri}");
            let other = res
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            assert_eq!(
                Some(strong_etag(&one)),
                other,
                "GET {uri} ({encoding}): the replicas disagree"
            );
        }
    }
}

#[actix_web::test]
async fn a_change_changes_the_etag_and_a_target_change_moves_last_modified() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    backdate(&ctx, long_ago());
    let uri = format!("/api/v1/articles/{slug}");
    let before = send(&app, get(&uri)).await;
    let etag0 = strong_etag(&before);
    let modified0 = parse_http_date(before.header("last-modified").expect("Last-Modified"));
    assert_eq!(
        modified0,
        long_ago().and_utc(),
        "Last-Modified is the latest change"
    );
    let list0 = strong_etag(&send(&app, get("/api/v1/articles")).await);

    // The linked article's title changes: the linking article's related link shows it.
    patch_article(
        &ctx,
        &app,
        "ferry-moves-to-winter-timetable",
        json!({"title": "Ferry Keeps Its Summer Timetable"}),
    )
    .await;
    // Within the second of the change there is no Last-Modified: a second-precision date
    // could not tell this version from a later one in the same second.
    let fresh = send(&app, get(&uri)).await;
    fresh.ok(200);
    assert_eq!(fresh.header("last-modified"), None, "{fresh:?}");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after = send(&app, get(&uri)).await;
    let body = after.ok(200);
    assert_eq!(
        body["related"][0]["title"],
        "Ferry Keeps Its Summer Timetable"
    );
    let etag1 = strong_etag(&after);
    assert_ne!(
        etag1, etag0,
        "the related title changed but the ETag did not"
    );
    let modified1 = parse_http_date(after.header("last-modified").expect("Last-Modified"));
    assert!(
        modified1 > modified0,
        "Last-Modified did not move forward: {modified0} → {modified1}"
    );
    // The old validators no longer match.
    let stale = send(&app, with(get(&uri), "If-None-Match", &etag0)).await;
    assert_eq!(stale.status.as_u16(), 200, "{stale:?}");
    let since = with(get(&uri), "If-Modified-Since", &http_date(modified0));
    assert_eq!(send(&app, since).await.status.as_u16(), 200);

    // A change to the article itself.
    patch_article(&ctx, &app, &slug, json!({"title": "Council Approves Tram"})).await;
    let etag2 = strong_etag(&send(&app, get(&uri)).await);
    assert_ne!(etag2, etag1, "the title changed but the ETag did not");
    let list1 = strong_etag(&send(&app, get("/api/v1/articles")).await);
    assert_ne!(list1, list0, "the list's ETag did not change");
}

/// What a public GET of `uri` shows of its representation: status, ETag, Last-Modified, body.
async fn representation(app: &TestApp, uri: &str) -> (u16, Option<String>, Option<String>, String) {
    let res = send(app, get(uri)).await;
    let etag = res.header("etag").map(str::to_owned);
    let modified = res.header("last-modified").map(str::to_owned);
    let body = String::from_utf8(res.body).expect("a UTF-8 body");
    (res.status.as_u16(), etag, modified, body)
}

#[actix_web::test]
async fn edits_of_an_unpublished_link_target_leave_the_linking_article_as_it_was() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    for body in [
        json!({"title": "Draft Target", "summary": "Not yet."}),
        json!({"title": "Scheduled Target", "status": "published", "published_at": tomorrow}),
        json!({"title": "Public Target", "status": "published", "published_at": LONG_AGO}),
    ] {
        create_article(&ctx, &app, body).await;
    }
    create_article(
        &ctx,
        &app,
        json!({"title": "Linking", "status": "published", "published_at": LONG_AGO,
               "related": [{"slug": "draft-target"}, {"slug": "scheduled-target"},
                           {"slug": "public-target"}]}),
    )
    .await;
    backdate(&ctx, long_ago());
    let uri = "/api/v1/articles/linking";
    let before = representation(&app, uri).await;
    assert_eq!(
        before.2.as_deref(),
        Some(http_date(long_ago().and_utc()).as_str()),
        "{before:?}"
    );

    // Within the second of a change an article has no Last-Modified: any hidden target's
    // edit counted as a change would show at once.
    patch_article(
        &ctx,
        &app,
        "draft-target",
        json!({"title": "Draft Renamed", "body": "x"}),
    )
    .await;
    patch_article(&ctx, &app, "scheduled-target", json!({"summary": "Soon."})).await;
    assert_eq!(representation(&app, uri).await, before);
    let res = send(&app, ctx.admin(delete("/api/v1/articles/draft-target"))).await;
    assert_eq!(res.status.as_u16(), 204, "{res:?}");
    assert_eq!(representation(&app, uri).await, before);

    // A target the public could read, withdrawn, changes what the article shows: its
    // Last-Modified moves on.
    patch_article(&ctx, &app, "public-target", json!({"status": "archived"})).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after = representation(&app, uri).await;
    assert_ne!(after.1, before.1, "the link went but the ETag stayed");
    let moved = parse_http_date(after.2.as_deref().expect("Last-Modified"));
    assert!(moved > long_ago().and_utc(), "{after:?}");
}

// ---------------------------------------------------------------------------------------
// Conditional requests.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn if_none_match_answers_304_for_current_wildcard_and_lists_of_tags() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    let uri = format!("/api/v1/articles/{slug}");
    let first = send(&app, get(&uri)).await;
    let etag = strong_etag(&first);

    let res = send(&app, with(get(&uri), "If-None-Match", &etag)).await;
    assert_not_modified(&res, &etag);
    assert_eq!(
        res.header("cache-control"),
        Some(DEFAULT_CACHE_CONTROL),
        "{res:?}"
    );
    assert_eq!(res.header("last-modified"), first.header("last-modified"));
    assert_vary(&res);

    let stale = send(&app, with(get(&uri), "If-None-Match", "\"stale0tag\"")).await;
    assert_eq!(stale.status.as_u16(), 200, "{stale:?}");
    assert_eq!(stale.body, first.body);

    assert_not_modified(
        &send(&app, with(get(&uri), "If-None-Match", "*")).await,
        &etag,
    );
    let list = format!("\"one\", {etag}, \"two\"");
    assert_not_modified(
        &send(&app, with(get(&uri), "If-None-Match", &list)).await,
        &etag,
    );
    // HEAD is conditional as well.
    assert_not_modified(
        &send(&app, with(head(&uri), "If-None-Match", &etag)).await,
        &etag,
    );
}

#[actix_web::test]
async fn if_modified_since_is_honoured_unless_if_none_match_differs() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    backdate(&ctx, long_ago());
    let uri = format!("/api/v1/articles/{slug}");
    let first = send(&app, get(&uri)).await;
    let etag = strong_etag(&first);
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    let modified = parse_http_date(&last_modified);

    let same = send(&app, with(get(&uri), "If-Modified-Since", &last_modified)).await;
    assert_not_modified(&same, &etag);
    let later = http_date(modified + chrono::Duration::days(3));
    assert_not_modified(
        &send(&app, with(get(&uri), "If-Modified-Since", &later)).await,
        &etag,
    );
    let earlier = http_date(modified - chrono::Duration::seconds(1));
    let res = send(&app, with(get(&uri), "If-Modified-Since", &earlier)).await;
    assert_eq!(res.status.as_u16(), 200, "{res:?}");
    assert_eq!(res.body, first.body);

    // A date that is no date is ignored.
    for garbage in ["yesterday", "0", ""] {
        let res = send(&app, with(get(&uri), "If-Modified-Since", garbage)).await;
        assert_eq!(res.status.as_u16(), 200, "{garbage:?}: {res:?}");
    }
    // If-None-Match wins: it does not match, so the date is not consulted.
    let both = with(
        with(get(&uri), "If-None-Match", "\"something-else\""),
        "If-Modified-Since",
        &later,
    );
    let res = send(&app, both).await;
    assert_eq!(res.status.as_u16(), 200, "{res:?}");
    assert_eq!(res.body, first.body);
    // …and when it matches, 304 whatever the date says.
    let both = with(
        with(get(&uri), "If-None-Match", &etag),
        "If-Modified-Since",
        &earlier,
    );
    assert_not_modified(&send(&app, both).await, &etag);
}

#[actix_web::test]
async fn lists_tags_related_and_feeds_answer_304() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    for uri in [
        "/api/v1/articles".to_owned(),
        "/api/v1/articles?tag=transport&limit=1".to_owned(),
        "/api/v1/articles?q=tram".to_owned(),
        "/api/v1/tags".to_owned(),
        "/api/v1/tags/transport".to_owned(),
        format!("/api/v1/articles/{slug}/related"),
        "/feed.atom".to_owned(),
        "/sitemap.xml".to_owned(),
    ] {
        let first = send(&app, get(&uri)).await;
        assert_eq!(first.status.as_u16(), 200, "{uri}: {first:?}");
        let etag = strong_etag(&first);
        let res = send(&app, with(get(&uri), "If-None-Match", &etag)).await;
        assert_not_modified(&res, &etag);
        // A 304 of a paged list still tells where the next page is.
        assert_eq!(res.header("link"), first.header("link"), "{uri}");
    }
}

// ---------------------------------------------------------------------------------------
// Cache-Control and Vary.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn cache_control_is_public_for_reads_private_with_a_key_and_no_store_for_writes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    let article = format!("/api/v1/articles/{slug}");

    for uri in [
        "/api/v1/articles",
        &article,
        "/api/v1/tags",
        "/feed.atom",
        // A 404 read may be cached too.
        "/api/v1/articles/no-such-article",
        "/api/v1/tags/no-such-tag",
    ] {
        let res = send(&app, get(uri)).await;
        assert!(
            res.status.as_u16() == 200 || res.status.as_u16() == 404,
            "{uri}: {res:?}"
        );
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=60, stale-while-revalidate=300"),
            "GET {uri}"
        );
        assert_vary(&res);
    }
    assert_eq!(
        send(&app, get("/api/v1/articles/no-such-article"))
            .await
            .status
            .as_u16(),
        404
    );

    // Reads with a key are private.
    let content = with(
        get(&article),
        "Authorization",
        &format!("Bearer {}", ctx.content_key),
    );
    let res = send(&app, content).await;
    assert_eq!(res.status.as_u16(), 200);
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let res = send(&app, ctx.admin(get("/api/v1/articles"))).await;
    assert_eq!(res.status.as_u16(), 200);
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    assert_keyed_vary(&res);

    // Writes are never stored.
    let created = send(&app, ctx.admin(post_article_req(json!({"title": "Fresh"})))).await;
    assert_eq!(created.status.as_u16(), 201);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    // A write's ETag is the written article's, as an admin GET sends it: what the next
    // write sends as If-Match. Still never stored.
    let read = send(&app, ctx.admin(get("/api/v1/articles/fresh"))).await;
    assert_eq!(
        created.header("etag"),
        read.header("etag"),
        "the article's ETag"
    );
    assert_keyed_vary(&created);
    let patched = send(
        &app,
        ctx.admin(patch_article_req("fresh", json!({"summary": "New."}))),
    )
    .await;
    assert_eq!(patched.status.as_u16(), 200);
    assert_eq!(patched.header("cache-control"), Some("no-store"));
    let deleted = send(&app, ctx.admin(delete("/api/v1/articles/fresh"))).await;
    assert_eq!(deleted.status.as_u16(), 204);
    assert_eq!(deleted.header("cache-control"), Some("no-store"));
    let unauthorized = send(&app, post_article_req(json!({"title": "No key"}))).await;
    assert_eq!(unauthorized.status.as_u16(), 401);
    assert_eq!(unauthorized.header("cache-control"), Some("no-store"));

    // Client errors of reads other than 404 are not stored either.
    for uri in [
        "/api/v1/articles?limit=0",
        "/api/v1/articles?sort=sideways",
        "/api/v1/articles?published_after=yesterday",
        "/api/v1/articles?fields=nope",
    ] {
        let res = send(&app, get(uri)).await;
        res.problem(400);
        assert_eq!(res.header("cache-control"), Some("no-store"), "GET {uri}");
        assert!(
            res.header("etag").is_none(),
            "GET {uri}: an error has no ETag"
        );
    }
    let bad_key = with(get("/api/v1/articles"), "Authorization", "Bearer nope");
    let res = send(&app, bad_key).await;
    res.problem(401);
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

#[actix_web::test]
async fn cache_control_of_public_reads_is_configurable() {
    let ctx = Ctx::with_settings(Settings {
        cache_control: "public, max-age=5".into(),
        ..Default::default()
    });
    let app = ctx.app().await;
    publish(&ctx, &app, "Configured").await;
    for uri in [
        "/api/v1/articles",
        "/api/v1/articles/configured",
        "/sitemap.xml",
    ] {
        let res = send(&app, get(uri)).await;
        assert_eq!(res.status.as_u16(), 200);
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=5"),
            "{uri}"
        );
    }
    // Keyed reads and writes are unaffected.
    let res = send(&app, ctx.admin(get("/api/v1/articles"))).await;
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let res = send(&app, get("/api/v1/articles?limit=1000")).await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

// ---------------------------------------------------------------------------------------
// Compression.
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn large_bodies_are_gzipped_or_brotlied_as_asked_and_decode_to_the_same_bytes() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    for i in 0..8 {
        publish(&ctx, &app, &format!("Harbour Bulletin Number {i}")).await;
    }
    for uri in [
        "/api/v1/articles".to_owned(),
        format!("/api/v1/articles/{slug}"),
        "/feed.atom".to_owned(),
    ] {
        let plain = send(&app, get(&uri)).await;
        assert_eq!(plain.status.as_u16(), 200);
        assert!(
            plain.body.len() > 2000,
            "{uri}: the body is too small to test"
        );
        assert!(
            plain.header("content-encoding").is_none(),
            "{uri}: encoded without being asked"
        );
        let plain_etag = strong_etag(&plain);

        let gz = send(&app, with(get(&uri), "Accept-Encoding", "gzip")).await;
        assert_eq!(gz.status.as_u16(), 200);
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "{uri}");
        assert!(gz.body.len() < plain.body.len(), "{uri}: gzip is larger");
        assert_eq!(
            gunzip(&gz.body),
            plain.body,
            "{uri}: gzip decodes otherwise"
        );
        let gz_etag = strong_etag(&gz);

        let br = send(
            &app,
            with(get(&uri), "Accept-Encoding", "gzip, deflate, br"),
        )
        .await;
        assert_eq!(br.status.as_u16(), 200);
        assert_eq!(br.header("content-encoding"), Some("br"), "{uri}");
        assert!(br.body.len() < plain.body.len(), "{uri}: br is larger");
        assert_eq!(
            unbrotli(&br.body),
            plain.body,
            "{uri}: br decodes otherwise"
        );
        let br_etag = strong_etag(&br);

        // Strong validators differ between codings of the same content.
        assert_ne!(gz_etag, plain_etag, "{uri}");
        assert_ne!(br_etag, plain_etag, "{uri}");
        assert_ne!(br_etag, gz_etag, "{uri}");

        let refused = send(&app, with(get(&uri), "Accept-Encoding", "br;q=0, gzip")).await;
        assert_eq!(refused.header("content-encoding"), Some("gzip"), "{uri}");
        assert_eq!(gunzip(&refused.body), plain.body);
        let none = send(&app, with(get(&uri), "Accept-Encoding", "br;q=0, gzip;q=0")).await;
        assert!(none.header("content-encoding").is_none(), "{uri}");
        assert_eq!(none.body, plain.body);

        // Revalidating the gzip representation.
        let again = with(
            with(get(&uri), "Accept-Encoding", "gzip"),
            "If-None-Match",
            &gz_etag,
        );
        assert_not_modified(&send(&app, again).await, &gz_etag);
        // The gzip validator does not match the identity representation.
        let other = send(&app, with(get(&uri), "If-None-Match", &gz_etag)).await;
        assert_eq!(other.status.as_u16(), 200, "{uri}");
        assert_eq!(other.body, plain.body);
    }
}

#[actix_web::test]
async fn tiny_bodies_and_errors_are_sent_unencoded() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let health = send(&app, get("/healthz")).await;
    assert_eq!(health.status.as_u16(), 200);
    assert!(health.body.len() < 860, "/healthz is not tiny: {health:?}");
    for encoding in ["gzip", "br", "gzip, br"] {
        let res = send(&app, with(get("/healthz"), "Accept-Encoding", encoding)).await;
        assert_eq!(res.status.as_u16(), 200);
        assert!(
            res.header("content-encoding").is_none(),
            "{encoding}: {res:?}"
        );
        assert_eq!(res.body, health.body);
        assert_eq!(res.header("etag"), health.header("etag"));
    }
    let res = send(
        &app,
        with(get("/api/v1/articles/nope"), "Accept-Encoding", "gzip"),
    )
    .await;
    res.problem(404);
}

// ---------------------------------------------------------------------------------------
// CORS.
// ---------------------------------------------------------------------------------------

fn preflight(uri: &str, origin: &str, method: &str) -> TestRequest {
    TestRequest::default()
        .method(Method::OPTIONS)
        .uri(uri)
        .insert_header(("Origin", origin.to_owned()))
        .insert_header(("Access-Control-Request-Method", method.to_owned()))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization, content-type",
        ))
}

/// A preflight allowed, answered with `allow_origin` (`*` for a read from anywhere, the
/// origin itself for a listed one).
#[track_caller]
fn assert_allowed(res: &Resp, allow_origin: &str, method: &str) {
    assert!(res.status.is_success(), "preflight refused: {res:?}");
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some(allow_origin),
        "{res:?}"
    );
    let methods = tokens(res, "access-control-allow-methods");
    assert!(
        methods.iter().any(|m| m.eq_ignore_ascii_case(method)),
        "{method} not in {methods:?}"
    );
}

#[track_caller]
fn assert_refused(res: &Resp, origin: &str) {
    assert!(
        res.header("access-control-allow-origin").is_none(),
        "the preflight of {origin} must be refused: {res:?}"
    );
    assert!(!res.status.is_success(), "{res:?}");
}

#[actix_web::test]
async fn by_default_any_origin_may_read_and_none_may_write() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    let article = format!("/api/v1/articles/{slug}");
    let related = format!("{article}/related");
    for origin in ["https://any.example", "http://localhost:5173"] {
        for method in ["GET", "HEAD"] {
            let res = send(&app, preflight(&article, origin, method)).await;
            assert_allowed(&res, "*", method);
        }
        for (uri, method) in [
            (article.as_str(), "PATCH"),
            ("/api/v1/articles", "POST"),
            (article.as_str(), "DELETE"),
            (related.as_str(), "PUT"),
            ("/api/v1/tags", "POST"),
            ("/api/v1/tags/transport", "PATCH"),
        ] {
            let res = send(&app, preflight(uri, origin, method)).await;
            assert_refused(&res, origin);
        }
    }
}

#[actix_web::test]
async fn listed_origins_may_write_and_others_still_read() {
    let admin = "https://admin.example";
    let ctx = Ctx::with_settings(Settings {
        cors_allowed_origins: vec![admin.into()],
        ..Default::default()
    });
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    let article = format!("/api/v1/articles/{slug}");
    for method in ["PATCH", "DELETE", "GET"] {
        assert_allowed(
            &send(&app, preflight(&article, admin, method)).await,
            admin,
            method,
        );
    }
    assert_allowed(
        &send(&app, preflight("/api/v1/articles", admin, "POST")).await,
        admin,
        "POST",
    );
    let other = "https://reader.example";
    assert_allowed(
        &send(&app, preflight(&article, other, "GET")).await,
        "*",
        "GET",
    );
    assert_refused(
        &send(&app, preflight(&article, other, "PATCH")).await,
        other,
    );
    // The listed origin's actual write is answered with its origin.
    let patch = with(
        ctx.admin(patch_article_req(
            &slug,
            json!({"summary": "From the admin UI."}),
        )),
        "Origin",
        admin,
    );
    let res = send(&app, patch).await;
    assert_eq!(res.status.as_u16(), 200, "{res:?}");
    assert_eq!(res.header("access-control-allow-origin"), Some(admin));
}

#[actix_web::test]
async fn a_simple_get_with_origin_is_allowed_and_exposes_the_delivery_headers() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let slug = newsroom(&ctx, &app).await;
    let origin = "https://reader.example";
    for uri in [
        "/api/v1/articles?limit=1".to_owned(),
        format!("/api/v1/articles/{slug}"),
        "/feed.atom".to_owned(),
    ] {
        let res = send(&app, with(get(&uri), "Origin", origin)).await;
        assert_eq!(res.status.as_u16(), 200);
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("*"),
            "the same for every origin: {uri}"
        );
        let exposed = tokens(&res, "access-control-expose-headers");
        for name in ["etag", "location", "link", "last-modified"] {
            assert!(
                exposed.iter().any(|e| e == name),
                "{name} not in {exposed:?}"
            );
        }
        assert_vary(&res);
        // A 304 to a cross-origin revalidation is readable by the page too.
        let etag = strong_etag(&res);
        let again = with(with(get(&uri), "Origin", origin), "If-None-Match", &etag);
        let res = send(&app, again).await;
        assert_not_modified(&res, &etag);
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("*"),
            "{uri}"
        );
    }
}
