//! Embargo by construction: nothing a request without a key can observe changes when only
//! unpublished content changes. Every GET route of the OpenAPI document is asked, in every
//! form that matters (lists with and without filters and search, each page by its cursor,
//! single articles by slug and id, related reading, tags, feeds, HEAD and conditional
//! requests), before and after drafts, scheduled and archived articles and tags no public
//! article carries are created, edited, linked, retagged, scheduled, archived and deleted;
//! every answer must be byte-identical: status, headers (but `Date` and `X-Request-Id`) and
//! body.

use crate::support::common;
use common::*;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

/// The GET routes whose answers are not content and may change with any request (their own
/// counters included): operators' figures, not the newsroom's.
const NOT_CONTENT: [(&str, &str); 1] = [(
    "/metrics",
    "request counters and latencies: every request, the snapshot's own included, moves them",
)];

const FAR_FUTURE: &str = "2099-01-01T00:00:00Z";
const LONG_AGO: &str = "2020-01-01T00:00:00Z";

/// Slugs of articles and tags that exist only after the snapshot: asked before and after.
const LATER_ARTICLES: [&str; 3] = ["tram-harbour-budget", "council-leak", "depot-renamed"];
const LATER_TAGS: [&str; 3] = ["brand-new-tag", "another-new", "another-lonely"];
const HIDDEN_ARTICLES: [&str; 4] = ["tram-depot-plans", "launch-day", "old-story", "live-draft"];
const HIDDEN_TAGS: [&str; 4] = ["depot-secrets", "embargoed-launch", "old-tag", "lonely"];

/// The newsroom before the snapshot: public articles (one linking to a draft), and
/// unpublished articles and tags.
async fn newsroom(ctx: &Ctx, app: &TestApp) {
    // Authors: one credited on public and unpublished articles, one on unpublished only.
    for author in [
        json!({"name": "Mara Okafor", "role": "City hall"}),
        json!({"name": "Secret Writer"}),
    ] {
        send(
            app,
            ctx.admin(json(Method::POST, "/api/v1/authors", &author)),
        )
        .await
        .ok(201);
    }
    for body in [
        json!({"title": "Tram Depot Plans", "body": "The tram depot moves.",
               "tags": ["Transport", "Depot Secrets"], "authors": ["secret-writer", "mara-okafor"]}),
        json!({"title": "Launch Day", "status": "published", "published_at": FAR_FUTURE,
               "summary": "Tram and ferry", "tags": ["Embargoed Launch"]}),
        json!({"title": "Old Story", "status": "archived", "tags": ["Old Tag", "Transport"]}),
        json!({"title": "Harbour Ferry", "status": "published", "published_at": LONG_AGO,
               "body": "The ferry and the tram meet at the harbour.", "tags": ["Transport"]}),
        json!({"title": "Budget Vote", "status": "published", "published_at": LONG_AGO,
               "summary": "Trams cost more.", "tags": ["City Hall"]}),
        json!({"title": "Tram Line Opens", "status": "published", "published_at": LONG_AGO,
               "body": "The tram runs to the harbour. ".repeat(20),
               "tags": ["Transport", "City Hall"], "authors": ["mara-okafor"],
               "related": [{"slug": "harbour-ferry"}, {"slug": "tram-depot-plans"},
                           {"url": "https://example.org/plan", "summary": "The plan."}]}),
        json!({"title": "Weather", "status": "published", "published_at": "2020-06-01T00:00:00Z"}),
    ] {
        create_article(ctx, app, body).await;
    }
    // A live blog with a pinned block and a key event, and a live blog still a draft.
    create_article(
        ctx,
        app,
        json!({"title": "Storm Live", "status": "published", "published_at": LONG_AGO,
               "format": "live", "tags": ["Transport"]}),
    )
    .await;
    create_article(ctx, app, json!({"title": "Live Draft", "format": "live"})).await;
    for block in [
        json!({"title": "What we know", "body": "Gales tonight.", "pinned": true}),
        json!({"title": "Ferries stop", "body": "No sailings.", "key_event": true}),
        json!({"body": "Wind rising at the harbour."}),
    ] {
        let uri = "/api/v1/articles/storm-live/blocks";
        send(app, ctx.admin(json(Method::POST, uri, &block)))
            .await
            .ok(201);
    }
    // A front with public and unpublished articles.
    let front = json!({"name": "Front", "articles": [
        "tram-depot-plans", "tram-line-opens", "launch-day", "harbour-ferry", "live-draft"]});
    send(
        app,
        ctx.admin(json(Method::POST, "/api/v1/collections", &front)),
    )
    .await
    .ok(201);
    let lonely = json!({"name": "Lonely"});
    send(app, ctx.admin(json(Method::POST, "/api/v1/tags", &lonely)))
        .await
        .ok(201);
}

/// How many phases [`embargoed_changes`] has: the public answers are compared after each,
/// since a leak may show in a state that a later change takes away again (a hidden link
/// target edited, then deleted).
const PHASES: usize = 4;

/// Changes to unpublished content only, through the API as an editor makes them, in
/// `phase` (0 to [`PHASES`] - 1).
async fn embargoed_changes(ctx: &Ctx, app: &TestApp, phase: usize) {
    let admin = |method: Method, uri: &str, body: Value| ctx.admin(json(method, uri, &body));
    let expect = |status: u16| move |res: Resp| assert_eq!(res.status.as_u16(), status, "{res:?}");
    if phase == 0 {
        // A draft with the public articles' words, public and new tags, linked to and from
        // public articles.
        create_article(
            ctx,
            app,
            json!({"title": "Tram Harbour Budget", "body": "tram tram harbour budget ferry weather",
               "tags": ["Transport", "City Hall", "Brand New Tag"], "authors": ["mara-okafor"],
               "related": [{"slug": "tram-line-opens"}, {"slug": "harbour-ferry"}]}),
        )
        .await;
        patch_article(
            ctx,
            app,
            "tram-depot-plans",
            json!({"title": "Tram Depot Plans Revised", "body": "tram ".repeat(40),
               "summary": "Harbour budget.", "tags": ["Depot Secrets", "Another New", "City Hall"],
               "authors": ["mara-okafor"],
               "related": [{"slug": "budget-vote"}]}),
        )
        .await;
        let links = json!([{"slug": "weather"}, {"slug": "tram-line-opens"}]);
        let uri = "/api/v1/articles/tram-depot-plans/related";
        expect(200)(send(app, admin(Method::PUT, uri, links)).await);
        let restore = "/api/v1/articles/tram-depot-plans/revisions/1/restore";
        expect(200)(send(app, ctx.admin(TestRequest::post().uri(restore))).await);
        // A scheduled block on a public live blog (pinned, a key event, with the public
        // words), edited; blocks on a live draft.
        let uri = "/api/v1/articles/storm-live/blocks";
        let scheduled = json!({"title": "Tram verdict", "body": "tram harbour budget",
                               "published_at": FAR_FUTURE, "pinned": true, "key_event": true});
        expect(201)(send(app, admin(Method::POST, uri, scheduled)).await);
        let edit = json!({"body": "tram tram ferry", "title": "Tram"});
        let uri = "/api/v1/articles/storm-live/blocks/4";
        expect(200)(send(app, admin(Method::PATCH, uri, edit)).await);
        let uri = "/api/v1/articles/live-draft/blocks";
        for body in ["tram", "harbour"] {
            let block = json!({"body": body, "pinned": true, "key_event": true});
            expect(201)(send(app, admin(Method::POST, uri, block)).await);
        }
        // A correction to a draft.
        let uri = "/api/v1/articles/tram-depot-plans/corrections";
        let correction = json!({"body": "The depot moves to the harbour, not the tram line."});
        expect(201)(send(app, admin(Method::POST, uri, correction)).await);
        let uri = "/api/v1/articles/live-draft/blocks/5";
        expect(200)(send(app, admin(Method::PATCH, uri, json!({"title": "Tram"}))).await);
    }
    if phase == 1 {
        // Preview links minted for drafts and a scheduled article, one of them revoked.
        for slug in ["tram-depot-plans", "launch-day", "tram-harbour-budget"] {
            let uri = format!("/api/v1/articles/{slug}/preview");
            expect(201)(send(app, admin(Method::POST, &uri, json!({}))).await);
        }
        let uri = "/api/v1/articles/tram-depot-plans/previews/1";
        expect(204)(send(app, ctx.admin(delete(uri))).await);
        // The front's unpublished articles moved around it, and one added.
        let items = json!({"articles": ["launch-day", "tram-line-opens", "tram-harbour-budget",
                                         "tram-depot-plans", "harbour-ferry", "live-draft"]});
        let uri = "/api/v1/collections/front/items";
        expect(200)(send(app, admin(Method::PUT, uri, items)).await);
        // Scheduled, rescheduled and renamed (a scheduled article's old slug must not answer).
        create_article(
            ctx,
            app,
            json!({"title": "Council Leak", "status": "published", "published_at": FAR_FUTURE,
               "body": "tram budget", "tags": ["Transport", "City Hall"], "authors": ["mara-okafor"],
               "related": [{"slug": "budget-vote"}]}),
        )
        .await;
        patch_article(
            ctx,
            app,
            "launch-day",
            json!({"slug": "depot-renamed", "title": "Tram"}),
        )
        .await;
        patch_article(
            ctx,
            app,
            "council-leak",
            json!({"published_at": "2098-01-01T00:00:00Z"}),
        )
        .await;
    }
    if phase == 2 {
        // Archived, unarchived to a draft, and deleted.
        patch_article(
            ctx,
            app,
            "tram-harbour-budget",
            json!({"status": "archived"}),
        )
        .await;
        patch_article(
            ctx,
            app,
            "old-story",
            json!({"status": "draft", "body": "tram"}),
        )
        .await;
    }
    if phase == 3 {
        // Tags no public article carries: edited, renamed, created and deleted.
        let uri = "/api/v1/tags/depot-secrets";
        let body = json!({"description": "Shh.", "name": "Depot Secret Plans"});
        expect(200)(send(app, admin(Method::PATCH, uri, body)).await);
        let body = json!({"name": "Not So Lonely"});
        expect(200)(send(app, admin(Method::PATCH, "/api/v1/tags/lonely", body)).await);
        let body = json!({"name": "Another Lonely"});
        expect(201)(send(app, admin(Method::POST, "/api/v1/tags", body)).await);
        expect(204)(send(app, ctx.admin(delete("/api/v1/tags/old-tag"))).await);
        expect(204)(send(app, ctx.admin(delete("/api/v1/tags/brand-new-tag"))).await);
        // The scheduled block and a draft's block deleted.
        for uri in [
            "/api/v1/articles/storm-live/blocks/4",
            "/api/v1/articles/live-draft/blocks/6",
        ] {
            expect(204)(send(app, ctx.admin(delete(uri))).await);
        }
        for slug in ["tram-harbour-budget", "old-story", "tram-depot-plans"] {
            let uri = format!("/api/v1/articles/{slug}");
            expect(204)(send(app, ctx.admin(delete(&uri))).await);
        }
    }
}

/// The public URLs of one route of the spec (`path`, a template); `None` for a route this
/// test does not know.
fn urls_for(path: &str, ids: &[i64]) -> Option<Vec<String>> {
    let public_articles = [
        "tram-line-opens",
        "harbour-ferry",
        "budget-vote",
        "weather",
        "storm-live",
    ];
    let articles: Vec<String> = public_articles
        .iter()
        .chain(&HIDDEN_ARTICLES)
        .chain(&LATER_ARTICLES)
        .map(|s| (*s).to_owned())
        .chain(ids.iter().map(i64::to_string))
        .collect();
    let tags: Vec<&str> = ["transport", "city-hall"]
        .into_iter()
        .chain(HIDDEN_TAGS)
        .chain(LATER_TAGS)
        .collect();
    let each = |template: &str, keys: &[&str]| -> Vec<String> {
        keys.iter().map(|k| template.replace("{}", k)).collect()
    };
    let article_keys: Vec<&str> = articles.iter().map(String::as_str).collect();
    Some(match path {
        "/healthz" | "/readyz" | "/openapi.json" | "/sitemap.xml" => vec![path.to_owned()],
        "/api/v1/stream" => ["", "?tag=transport", "?article=tram-line-opens"]
            .iter()
            .map(|q| format!("{path}{q}"))
            .collect(),
        "/api/v1/changes" => {
            use gazette::db::sync::{Position, Scope};
            let since = |at| gazette::api::changes::encode_token(Scope::Public, &Position::Log(at));
            let mut feeds: Vec<String> = ["", "?limit=2", "?type=tag", "?type=article&limit=1"]
                .iter()
                .map(|q| format!("{path}{q}"))
                .collect();
            feeds.extend(each("/api/v1/changes?tag={}", &tags));
            feeds.push(format!("{path}?since={}", since(0)));
            feeds.push(format!("{path}?since={}&limit=2", since(1)));
            feeds.push(format!("{path}?since={}&tag=transport", since(1)));
            feeds
        }
        "/feed.atom" => [path.to_owned()]
            .into_iter()
            .chain(each("/feed.atom?tag={}", &tags))
            .chain(each("/feed.atom?article={}", &["storm-live", "live-draft"]))
            .chain(each(
                "/feed.atom?author={}",
                &["mara-okafor", "secret-writer"],
            ))
            .collect(),
        "/api/v1/articles" => {
            let mut lists: Vec<String> = [
                "",
                "?limit=2",
                "?sort=published_at&limit=2",
                "?sort=-updated_at&limit=2",
                "?published_after=2019-12-31T00:00:00Z&published_before=2030-01-01T00:00:00Z",
                "?fields=slug,title&limit=3",
                "?q=tram&limit=1",
                "?q=tram&limit=100",
                "?q=harb&sort=-published_at&limit=1",
                "?q=tram&tag=transport&limit=1",
                "?q=tram&facets=tag,month&limit=1",
                "?q=harb&tag=transport&facets=tag",
                "?q=budget%20tram",
                "?q=leak",
                "?status=draft",
            ]
            .iter()
            .map(|q| format!("{path}{q}"))
            .collect();
            lists.extend(each("/api/v1/articles?tag={}&limit=1", &tags));
            lists.extend(each(
                "/api/v1/articles?author={}",
                &["mara-okafor", "secret-writer"],
            ));
            lists
        }
        "/api/v1/articles/{slug_or_id}" => each("/api/v1/articles/{}", &article_keys)
            .into_iter()
            .chain(["/api/v1/articles/tram-line-opens?fields=title,related".to_owned()])
            .chain(
                // A live blog's blocks in every selection; `since:` from the start.
                [
                    "latest:1",
                    "latest:100",
                    "key-events",
                    "around:2",
                    "around:4",
                    "since:YnN8MHww",
                ]
                .map(|b| format!("/api/v1/articles/storm-live?blocks={b}")),
            )
            .collect(),
        "/api/v1/articles/{slug_or_id}/related" => {
            each("/api/v1/articles/{}/related", &article_keys)
        }
        "/api/v1/articles/{slug_or_id}/blocks" => {
            let mut lists = each("/api/v1/articles/{}/blocks", &article_keys);
            lists.push("/api/v1/articles/storm-live/blocks?limit=1".to_owned());
            lists
        }
        "/api/v1/articles/{slug_or_id}/blocks/{id}" => (1..=7)
            .flat_map(|id| {
                ["storm-live", "live-draft"].map(|a| format!("/api/v1/articles/{a}/blocks/{id}"))
            })
            .collect(),
        "/api/v1/articles/{slug_or_id}/revisions" => each(
            "/api/v1/articles/{}/revisions",
            &["tram-line-opens", "tram-depot-plans"],
        ),
        "/api/v1/articles/{slug_or_id}/revisions/{number}" => each(
            "/api/v1/articles/{}/revisions/1",
            &["tram-line-opens", "tram-depot-plans"],
        ),
        "/api/v1/articles/{slug_or_id}/previews" => each(
            "/api/v1/articles/{}/previews",
            &["tram-line-opens", "tram-depot-plans"],
        ),
        // Tokens nobody was given: a preview link's own answer shows its draft by design.
        "/api/v1/preview/{token}" => each(
            "/api/v1/preview/{}",
            &["made-up", "gzp_0000000000000000000000000000000000000000000"],
        ),
        "/api/v1/tags" => vec![format!("{path}"), format!("{path}?limit=1")],
        "/api/v1/search/suggest" => ["tram", "harb", "depot", "launch", "t", "council", "brand"]
            .iter()
            .map(|q| format!("{path}?q={q}"))
            .collect(),
        "/api/v1/authors" => vec![format!("{path}"), format!("{path}?limit=1")],
        "/api/v1/authors/{slug}" => each("/api/v1/authors/{}", &["mara-okafor", "secret-writer"]),
        "/api/v1/collections" => vec![path.to_owned()],
        "/api/v1/collections/{slug}" => vec!["/api/v1/collections/front".to_owned()],
        // Not a demo server: not found, before and after.
        "/demo/images/{file}" => vec!["/demo/images/tram-extension.svg".to_owned()],
        "/api/v1/tags/{slug}" => each("/api/v1/tags/{}", &tags),
        "/api/v1/webhooks" => vec![path.to_owned()],
        "/api/v1/webhooks/{id}" => vec!["/api/v1/webhooks/1".to_owned()],
        "/api/v1/webhooks/{id}/deliveries" => vec!["/api/v1/webhooks/1/deliveries".to_owned()],
        _ => return None,
    })
}

/// Every public URL of every GET route of the spec, pages reached by following each list's
/// `Link: rel="next"` to its end (those cursors are asked again after the changes).
async fn public_urls(app: &TestApp, ids: &[i64]) -> Vec<String> {
    let spec = gazette::app::openapi();
    let mut urls = Vec::new();
    let mut unknown = Vec::new();
    for (path, item) in &spec.paths.paths {
        if item.get.is_none() || NOT_CONTENT.iter().any(|(p, _)| p == path) {
            continue;
        }
        match urls_for(path, ids) {
            Some(found) => urls.extend(found),
            None => unknown.push(path.clone()),
        }
    }
    assert!(
        unknown.is_empty(),
        "GET routes the embargo snapshot does not ask (add their public URLs to urls_for): {unknown:?}"
    );
    let mut pages = Vec::new();
    for url in &urls {
        let mut next = send(app, get(url)).await.header("link").map(next_target);
        while let Some(page) = next {
            assert!(pages.len() < 500, "pagination does not end at {url}");
            next = send(app, get(&page)).await.header("link").map(next_target);
            pages.push(page);
        }
    }
    urls.extend(pages);
    urls
}

fn next_target(link: &str) -> String {
    let target = link.split(';').next().unwrap_or_default().trim();
    target
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// One answer as the public sees it: what was asked, status, headers (sorted; not `Date` nor
/// `X-Request-Id`) and body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    asked: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

async fn answer(app: &TestApp, asked: String, req: TestRequest) -> Answer {
    let res = send(app, req).await;
    let mut headers: Vec<(String, String)> = res
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.sort();
    Answer {
        asked,
        status: res.status.as_u16(),
        headers,
        body: String::from_utf8_lossy(&res.body).into_owned(),
    }
}

/// Every URL asked by GET and HEAD, and conditionally with the validators its first answer
/// (before any change) gave, with `validators` holding those from the first snapshot.
async fn snapshot(
    app: &TestApp,
    urls: &[String],
    validators: &mut Vec<(Option<String>, Option<String>)>,
) -> Vec<Answer> {
    let mut answers = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let got = answer(app, format!("GET {url}"), get(url)).await;
        if validators.len() <= i {
            let header = |name: &str| {
                got.headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            validators.push((header("etag"), header("last-modified")));
        }
        answers.push(got);
        let head = TestRequest::default().method(Method::HEAD).uri(url);
        answers.push(answer(app, format!("HEAD {url}"), head).await);
        let gzip = get(url).insert_header(("Accept-Encoding", "gzip"));
        answers.push(answer(app, format!("GET {url} gzip"), gzip).await);
        let (etag, modified) = validators[i].clone();
        if let Some(etag) = etag {
            let req = get(url).insert_header(("If-None-Match", etag.clone()));
            answers.push(answer(app, format!("GET {url} If-None-Match {etag}"), req).await);
        }
        if let Some(modified) = modified {
            let req = get(url).insert_header(("If-Modified-Since", modified.clone()));
            answers.push(answer(app, format!("GET {url} If-Modified-Since"), req).await);
        }
    }
    answers
}

#[actix_web::test]
async fn public_answers_are_byte_identical_whatever_happens_to_unpublished_content() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    // The same server without its response cache: every answer computed afresh, so that a
    // leak in what a read computes shows even when no change names its keys.
    let uncached = ctx
        .app_with(gazette::config::Settings {
            response_cache_bytes: 0,
            ..ctx.settings.clone()
        })
        .await;
    newsroom(&ctx, &app).await;
    // Last-Modified is given once the second of the last change has passed.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let ids: Vec<i64> = (1..=12).collect();
    let urls = public_urls(&app, &ids).await;
    let mut validators = Vec::new();
    let before = snapshot(&app, &urls, &mut validators).await;
    let mut fresh_validators = Vec::new();
    let fresh_before = snapshot(&uncached, &urls, &mut fresh_validators).await;
    assert!(
        before
            .iter()
            .any(|a| a.asked.contains("cursor=") && a.status == 200),
        "no page by cursor was asked"
    );
    assert!(
        before.iter().any(|a| a.status == 304),
        "no conditional request was answered 304"
    );

    for phase in 0..PHASES {
        embargoed_changes(&ctx, &app, phase).await;
        let after = snapshot(&app, &urls, &mut validators).await;
        let fresh_after = snapshot(&uncached, &urls, &mut fresh_validators).await;
        assert_eq!(before.len(), after.len());
        assert_eq!(fresh_before.len(), fresh_after.len());
        let changed: Vec<String> = before
            .iter()
            .zip(&after)
            .chain(fresh_before.iter().zip(&fresh_after))
            .filter(|(b, a)| b != a)
            .map(|(b, a)| format!("{}:\n  before {b:?}\n  after  {a:?}", b.asked))
            .collect();
        assert!(
            changed.is_empty(),
            "{} of {} public answers changed with unpublished content only (phase {phase}):\n{}",
            changed.len(),
            before.len(),
            changed.join("\n")
        );
    }
}
