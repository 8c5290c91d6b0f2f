//! Import and export: lossless round trips through the real binary, idempotent and upserting
//! imports, all-or-nothing failures naming the line and field, forward related links,
//! `POST /api/v1/import`, and bounded memory on a large import.

use crate::support::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use common::*;
use diesel::prelude::*;
use serde_json::{Value, json};

use gazette::api::transfer::import_ndjson;
use gazette::db::transfer::{ImportCounts, TransferError};
use gazette::db::{self, Pool};

const BIN: &str = env!("CARGO_BIN_EXE_gazette");

// ---------------------------------------------------------------------------------------
// Helpers.

/// A `gazette` command on the database `db`, in a clean environment.
fn gazette(db: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(BIN);
    for var in ["DATABASE_URL", "BIND_ADDR", "SITE_URL", "RUST_LOG"] {
        cmd.env_remove(var);
    }
    // A folder without a `.env` to pick up.
    cmd.current_dir(std::env::temp_dir())
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

#[track_caller]
fn run_ok(db: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    let out = gazette(db).args(args).output().expect("gazette runs");
    assert!(
        out.status.success(),
        "gazette {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The export of `pool`, in process.
fn export(pool: &Pool) -> String {
    let mut out = Vec::new();
    db::transfer::export(&mut pool.get().unwrap(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Imports `ndjson` into `pool`, in process.
fn import(pool: &Pool, ndjson: &str) -> Result<ImportCounts, TransferError> {
    import_ndjson(
        &mut pool.get().unwrap(),
        ndjson.as_bytes(),
        gazette::config::Limits::DEFAULT,
        db::now(),
    )
}

/// The records of an export, parsed.
fn records(ndjson: &str) -> Vec<Value> {
    ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs `gazette import file`, which must fail having imported nothing; returns its stderr.
#[track_caller]
fn import_fails(db: &str, file: &std::path::Path) -> String {
    let out = gazette(db)
        .args(["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let exported = String::from_utf8(run_ok(db, &["export"]).stdout).unwrap();
    assert_eq!(exported.lines().count(), 1, "only the header: {exported}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// The record of the article `slug`.
fn article_record<'a>(records: &'a mut [Value], slug: &str) -> &'a mut Value {
    records
        .iter_mut()
        .find(|r| r["type"] == "article" && r["slug"] == slug)
        .unwrap_or_else(|| panic!("no record for {slug}"))
}

/// How many revisions article `slug` has.
async fn revision_count(ctx: &Ctx, app: &TestApp, slug: &str) -> i64 {
    let uri = format!("/api/v1/articles/{slug}/revisions");
    send(app, ctx.admin(get(&uri))).await.ok(200)["meta"]["total"]
        .as_i64()
        .unwrap()
}

/// An article as an admin reads it, without its database id.
async fn read(ctx: &Ctx, app: &TestApp, slug: &str) -> Value {
    let mut article = send(app, ctx.admin(get(&format!("/api/v1/articles/{slug}"))))
        .await
        .ok(200);
    article.as_object_mut().unwrap().remove("id");
    article
}

fn deliveries(pool: &Pool) -> i64 {
    use gazette::schema::webhook_deliveries;
    webhook_deliveries::table
        .count()
        .get_result(&mut pool.get().unwrap())
        .unwrap()
}

fn post_import(ndjson: impl Into<Vec<u8>>) -> actix_web::test::TestRequest {
    raw(
        Method::POST,
        "/api/v1/import",
        Some("application/x-ndjson"),
        ndjson,
    )
}

/// The slugs of the articles [`seed`] creates, in creation order.
const SEEDED: [&str; 7] = [
    "harbour-dredging-begins",
    "tokyo-trams",
    "draft-budget-leak",
    "festival-next-summer",
    "old-ferry-timetable",
    "renamed-story",
    "closing-note",
];

/// Varied content: tags with and without descriptions, Unicode and Markdown, internal and
/// external links (one pointing forward), a draft, a scheduled and an archived article, a
/// renamed published article (with a former slug), a byline and a feature image.
async fn seed(ctx: &Ctx, app: &TestApp) {
    for tag in [
        json!({"name": "Transport", "description": "Trams, ferries and roads."}),
        json!({"name": "Île-de-France", "slug": "ile-de-france", "description": "Région — “quotes”, 東京 and ✓"}),
        json!({"name": "Bare"}),
        // An all-digit slug, which only tags may have.
        json!({"name": "2026"}),
    ] {
        send(app, ctx.admin(json(Method::POST, "/api/v1/tags", &tag)))
            .await
            .ok(201);
    }
    create_article(ctx, app, json!({
        "title": "Harbour dredging begins",
        "summary": "Work starts on the <b>east</b> basin.",
        "body": "# Dredging\n\nThe *harbour* is **deep** again.[^1]\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n<script>alert(1)</script>\n\n[^1]: A footnote.\n",
        "status": "published",
        "published_at": "2026-01-02T03:04:05.123456Z",
        "tags": ["transport", "ile-de-france"],
        "byline": "Ana Ñúñez",
        "feature_image_url": "https://example.org/img/harbour.jpg",
        "related": [
            {"url": "https://example.org/report?x=1&y=2", "title": "The report", "summary": "The full report."},
            {"url": "https://example.org/plain", "summary": "No title here."}
        ]
    })).await;
    create_article(ctx, app, json!({
        "slug": "tokyo-trams",
        "title": "東京の路面電車 🚋 return",
        "summary": "Emoji 🎉, tabs\tand \"quotes\" and a \\ backslash.",
        "body": "Line one  \nline two\r\n\nCafé naïve façade — “smart” ‘quotes’ \u{2028} separator.",
        "status": "published",
        "published_at": "2026-02-01T00:00:00Z",
        "tags": ["ile-de-france"],
        "related": [{"slug": "harbour-dredging-begins"}]
    })).await;
    create_article(ctx, app, json!({
        "slug": "draft-budget-leak",
        "title": "Draft: budget leak",
        "body": "Not yet.",
        "related": [{"slug": "tokyo-trams"}, {"url": "http://example.com:8080/a", "summary": "Elsewhere."}]
    })).await;
    create_article(
        ctx,
        app,
        json!({
            "slug": "festival-next-summer",
            "title": "Festival next summer",
            "status": "published",
            "published_at": "2099-06-01T12:00:00Z",
            "tags": ["bare", "transport", "2026"]
        }),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({
            "slug": "old-ferry-timetable",
            "title": "Old ferry timetable",
            "status": "archived",
            "published_at": "2025-05-05T05:05:05Z",
            "byline": ""
        }),
    )
    .await;
    create_article(
        ctx,
        app,
        json!({
            "slug": "story-before-rename",
            "title": "A story that was renamed",
            "status": "published",
            "published_at": "2026-03-01T00:00:00Z"
        }),
    )
    .await;
    patch_article(
        ctx,
        app,
        "story-before-rename",
        json!({"slug": "renamed-story"}),
    )
    .await;
    create_article(ctx, app, json!({"slug": "closing-note", "title": "Closing note", "status": "published", "published_at": "2026-03-02T00:00:00Z"})).await;
    // A link from the first article to the last: forward in the export's order.
    patch_article(ctx, app, "harbour-dredging-begins", json!({
        "related": [
            {"url": "https://example.org/report?x=1&y=2", "title": "The report", "summary": "The full report."},
            {"slug": "closing-note"},
            {"url": "https://example.org/plain", "summary": "No title here."}
        ]
    })).await;
}

// ---------------------------------------------------------------------------------------
// Round trip.

#[actix_web::test]
async fn export_import_export_through_the_binary_is_lossless() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.ndjson");
    let out = run_ok(
        ctx.db_url(),
        &["export", "--output", first.to_str().unwrap()],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Exported 4 tags and 7 articles"),
        "{out:?}"
    );
    let exported = std::fs::read_to_string(&first).unwrap();
    assert!(!dir.path().join("first.ndjson.partial").exists());

    // The format: a header, tags in slug order, articles in creation order, no ids.
    let recs = records(&exported);
    assert_eq!(recs[0], json!({"type": "gazette-export", "version": 1}));
    let tag_slugs: Vec<&str> = recs[1..5]
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(tag_slugs, ["2026", "bare", "ile-de-france", "transport"]);
    let article_slugs: Vec<&str> = recs[5..]
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(article_slugs, SEEDED);
    assert!(!exported.contains("\"id\""), "no database ids: {exported}");
    let harbour = &recs[5];
    assert_eq!(harbour["tags"], json!(["transport", "ile-de-france"]));
    assert_eq!(
        harbour["related"],
        json!([
            {"url": "https://example.org/report?x=1&y=2", "title": "The report", "summary": "The full report."},
            {"slug": "closing-note"},
            {"url": "https://example.org/plain", "title": null, "summary": "No title here."}
        ])
    );
    assert_eq!(harbour["published_at"], "2026-01-02T03:04:05.123456Z");
    assert_eq!(recs[10]["former_slugs"], json!(["story-before-rename"]));
    assert_eq!(recs[7]["status"], "draft");
    assert_eq!(recs[7]["published_at"], Value::Null);

    // The same to stdout.
    let stdout = run_ok(ctx.db_url(), &["export"]).stdout;
    assert_eq!(String::from_utf8(stdout).unwrap(), exported);

    // Into an empty database, then out again: byte for byte the same.
    let fresh = Ctx::new();
    let out = run_ok(fresh.db_url(), &["import", first.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("4 tags created, 0 updated; 7 articles created, 0 updated; 0 unchanged"),
        "{said}"
    );
    let second = run_ok(fresh.db_url(), &["export"]).stdout;
    assert_eq!(String::from_utf8(second).unwrap(), exported);

    // And every article reads the same through the API (but for its id), links resolved.
    let fresh_app = fresh.app().await;
    for slug in SEEDED {
        assert_eq!(
            read(&ctx, &app, slug).await,
            read(&fresh, &fresh_app, slug).await,
            "{slug}"
        );
    }
    // The former slug still redirects.
    let moved = fetch_article(&fresh_app, "story-before-rename").await;
    assert_eq!(moved.status.as_u16(), 301, "{moved:?}");
    // Lists come in the same order.
    for query in ["limit=100", "limit=100&sort=-updated_at"] {
        assert_eq!(
            slugs(&list_articles(&app, query).await),
            slugs(&list_articles(&fresh_app, query).await)
        );
    }
}

#[actix_web::test]
async fn import_from_stdin() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let exported = export(&ctx.pool);
    let fresh = Ctx::new();
    let mut child = gazette(fresh.db_url())
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exported.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(export(&fresh.pool), exported);
}

// ---------------------------------------------------------------------------------------
// Idempotence and upserts.

#[actix_web::test]
async fn importing_twice_changes_nothing() {
    let source = Ctx::new();
    let source_app = source.app().await;
    seed(&source, &source_app).await;
    let exported = export(&source.pool);

    let ctx = Ctx::new();
    let app = ctx.app().await;
    send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/webhooks",
            &json!({"url": "https://hooks.example.org/hook", "events": ["*"]}),
        )),
    )
    .await
    .ok(201);
    let first = import(&ctx.pool, &exported).unwrap();
    assert_eq!(
        first,
        ImportCounts {
            tags_created: 4,
            tags_updated: 0,
            articles_created: 7,
            articles_updated: 0,
            unchanged: 0,
            authors_written: 0,
            collections_written: 0,
        }
    );
    let events = deliveries(&ctx.pool);
    assert_eq!(events, 4 + 7, "one event per tag and article created");
    let mut revisions = Vec::new();
    for slug in SEEDED {
        revisions.push(revision_count(&ctx, &app, slug).await);
    }
    assert!(revisions.iter().all(|n| *n == 1), "{revisions:?}");
    let before = content_snapshot(&ctx, &app, Lists::Admin).await;

    let second = import(&ctx.pool, &exported).unwrap();
    assert_eq!(
        second,
        ImportCounts {
            unchanged: 11,
            ..ImportCounts::default()
        }
    );
    assert_eq!(content_snapshot(&ctx, &app, Lists::Admin).await, before);
    assert_eq!(deliveries(&ctx.pool), events, "no webhook event");
    for (slug, n) in SEEDED.iter().zip(&revisions) {
        assert_eq!(revision_count(&ctx, &app, slug).await, *n, "{slug}");
    }
    assert_eq!(export(&ctx.pool), exported);

    // Over HTTP too.
    let resp = send(&app, ctx.admin(post_import(exported.clone()))).await;
    assert_eq!(
        resp.ok(200),
        json!({"tags_created": 0, "tags_updated": 0, "articles_created": 0, "articles_updated": 0, "unchanged": 11})
    );
    // Into the database it came from: nothing to do either.
    assert_eq!(import(&source.pool, &exported).unwrap().unchanged, 11);
}

#[actix_web::test]
async fn a_changed_record_updates_its_article_with_one_revision() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let mut recs = records(&export(&ctx.pool));
    let old = read(&ctx, &app, "tokyo-trams").await;
    let revisions = revision_count(&ctx, &app, "tokyo-trams").await;
    let others = content_snapshot(&ctx, &app, Lists::Admin).await;

    let record = article_record(&mut recs, "tokyo-trams");
    record["title"] = json!("Tokyo trams, corrected");
    record["tags"] = json!(["transport", "ile-de-france"]);
    let counts = import(&ctx.pool, &lines(&recs)).unwrap();
    assert_eq!(
        counts,
        ImportCounts {
            articles_updated: 1,
            unchanged: 10,
            ..ImportCounts::default()
        }
    );
    let new = read(&ctx, &app, "tokyo-trams").await;
    assert_eq!(new["title"], "Tokyo trams, corrected");
    assert_eq!(strs(&new["tags"], "slug"), ["transport", "ile-de-france"]);
    assert_eq!(new["created_at"], old["created_at"]);
    // The record's updated_at is older than the stored one now: the change is stamped now.
    assert!(ts(&new["updated_at"]) > ts(&old["updated_at"]));
    assert_eq!(
        revision_count(&ctx, &app, "tokyo-trams").await,
        revisions + 1
    );
    // Nothing else moved.
    for slug in SEEDED.iter().filter(|s| **s != "tokyo-trams") {
        let article = read(&ctx, &app, slug).await;
        let before = others["full"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["slug"] == *slug);
        if let Some(before) = before {
            assert_eq!(article["updated_at"], before["updated_at"], "{slug}");
        }
    }

    // A record newer than the stored article (from the database where it was edited later)
    // brings its own updated_at.
    let record = article_record(&mut recs, "tokyo-trams");
    record["summary"] = json!("Edited elsewhere.");
    record["updated_at"] = json!("2099-01-01T00:00:00Z");
    import(&ctx.pool, &lines(&recs)).unwrap();
    assert_eq!(
        read(&ctx, &app, "tokyo-trams").await["updated_at"],
        "2099-01-01T00:00:00Z"
    );
    assert_eq!(
        revision_count(&ctx, &app, "tokyo-trams").await,
        revisions + 2
    );

    // A new record is created, a changed tag updated.
    recs.push(json!({"type": "article", "slug": "brand-new", "title": "Brand new", "related": [{"slug": "tokyo-trams"}]}));
    recs[1]["description"] = json!("Changed.");
    let counts = import(&ctx.pool, &lines(&recs)).unwrap();
    assert_eq!(
        counts,
        ImportCounts {
            tags_updated: 1,
            articles_created: 1,
            unchanged: 10,
            ..ImportCounts::default()
        }
    );
    let created = read(&ctx, &app, "brand-new").await;
    assert_eq!(created["status"], "draft");
    // With the admin key: the tag may be carried by no published article, so not public.
    let uri = format!("/api/v1/tags/{}", recs[1]["slug"].as_str().unwrap());
    let tag = send(&app, ctx.admin(get(&uri))).await.ok(200);
    assert_eq!(tag["description"], "Changed.");
}

// ---------------------------------------------------------------------------------------
// All or nothing.

#[actix_web::test]
async fn a_bad_line_imports_nothing_and_names_the_line_and_field() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    seed(&ctx, &app).await;
    let exported = export(&ctx.pool);
    let mut good = records(&exported);
    // Changes that would apply, before the bad line: a new tag, an edit, a new article.
    good.insert(1, json!({"type": "tag", "slug": "aaa-new", "name": "New"}));
    article_record(&mut good, "tokyo-trams")["title"] = json!("Changed");
    good.push(json!({"type": "article", "slug": "new-one", "title": "New one"}));
    let good_count = good.len();

    let cases: Vec<(String, &str, &str)> = vec![
        ("{\"type\": \"article\", \"slug\": \"x\"".into(), "", "is not valid JSON"),
        ("[1, 2]".into(), "", "must be a JSON object"),
        (json!({"type": "article", "slug": "x", "title": "X", "colour": "red"}).to_string(), "colour", "unknown field `colour`"),
        (json!({"type": "article", "slug": "x", "title": "X", "related": [{"slug": "a", "rel": 1}]}).to_string(), "related[0].rel", "unknown field `rel`"),
        (json!({"type": "article", "slug": "x"}).to_string(), "title", "missing field `title`"),
        (json!({"type": "article", "slug": "x", "title": "  "}).to_string(), "title", "must not be empty"),
        (json!({"type": "article", "slug": "x", "title": "X", "status": "live"}).to_string(), "status", "unknown variant `live`"),
        (json!({"type": "article", "slug": "x", "title": "X", "status": "published"}).to_string(), "published_at", "is required for a published article"),
        (json!({"type": "article", "slug": "Not A Slug", "title": "X"}).to_string(), "slug", "lowercase letters"),
        (json!({"type": "article", "slug": "x", "title": "X", "published_at": "yesterday"}).to_string(), "published_at", ""),
        (json!({"type": "article", "slug": "x", "title": "X", "related": [{"slug": "no-such-article"}]}).to_string(), "related[0].slug", "no article has the slug 'no-such-article'"),
        (json!({"type": "article", "slug": "x", "title": "X", "related": [{"url": "ftp://x", "summary": "s"}]}).to_string(), "related[0].url", "http or https"),
        (json!({"type": "article", "slug": "x", "title": "X", "tags": ["no-such-tag"]}).to_string(), "tags[0]", "no tag has the slug 'no-such-tag'"),
        (json!({"type": "article", "slug": "x", "title": "X", "former_slugs": ["closing-note"]}).to_string(), "former_slugs[0]", "belongs to the article 'closing-note'"),
        (json!({"type": "article", "slug": "story-before-rename", "title": "X"}).to_string(), "slug", "former slug of the article 'renamed-story'"),
        (json!({"type": "tag", "slug": "t", "name": "T", "created_at": 5}).to_string(), "created_at", ""),
        (json!({"type": "comment", "slug": "x"}).to_string(), "type", "unknown record type 'comment'"),
        (json!({"type": "gazette-export", "version": 1}).to_string(), "type", "only be the first line"),
    ];
    for (bad, field, message) in cases {
        let mut input: Vec<String> = good.iter().map(Value::to_string).collect();
        let at = 9; // after the tags and a few articles
        input.insert(at - 1, bad.clone());
        let input = input.join("\n");
        let err = import(&ctx.pool, &input).expect_err(&bad);
        let TransferError::Invalid { line, errors } = &err else {
            panic!("{bad}: not an invalid line: {err:?}");
        };
        assert_eq!(*line, at as u64, "{bad}: {err}");
        assert!(
            errors
                .iter()
                .any(|(f, m)| f == field && m.contains(message)),
            "{bad}: expected {field}: {message}, got {err}"
        );
        assert!(
            err.to_string().starts_with(&format!("line {at}: ")),
            "{err}"
        );
        assert_eq!(export(&ctx.pool), exported, "{bad}: the database changed");
    }
    // Without the bad line it all applies.
    let counts = import(&ctx.pool, &lines(&good)).unwrap();
    assert_eq!(
        counts.tags_created + counts.articles_created + counts.articles_updated,
        3
    );
    assert_eq!(
        good_count as u64 - 1,
        counts.tags_created
            + counts.tags_updated
            + counts.articles_created
            + counts.articles_updated
            + counts.unchanged
    );
}

/// An import writes its new articles a queue at a time, yet each record applies as if alone
/// and in file order: a slug a record before it retired, a slug taken before a record retires
/// it, and a bad link of the third article in a queue to have links fail at their own line;
/// a slug given twice in a queue is created, then updated.
#[actix_web::test]
async fn records_written_together_still_apply_in_file_order() {
    let ctx = Ctx::new();
    let article =
        |slug: &str| json!({"type": "article", "slug": slug, "title": format!("T {slug}")});
    let with = |mut record: Value, field: &str, value: Value| {
        record[field] = value;
        record
    };
    let cases: Vec<(Vec<Value>, u64, &str, &str)> = vec![
        (
            vec![
                article("a"),
                with(article("b"), "former_slugs", json!(["x"])),
                article("x"),
            ],
            3,
            "slug",
            "former slug of the article 'b'",
        ),
        (
            vec![
                article("x"),
                article("a"),
                with(article("b"), "former_slugs", json!(["x"])),
            ],
            3,
            "former_slugs[0]",
            "belongs to the article 'x'",
        ),
        (
            vec![
                with(article("a"), "related", json!([{"slug": "c"}])),
                with(article("b"), "related", json!([{"slug": "a"}])),
                article("c"),
                with(
                    article("d"),
                    "related",
                    json!([{"slug": "a"}, {"slug": "nope"}]),
                ),
            ],
            4,
            "related[1].slug",
            "no article has the slug 'nope'",
        ),
    ];
    for (file, at, field, message) in cases {
        let err = import(&ctx.pool, &lines(&file)).expect_err(message);
        let TransferError::Invalid { line, errors } = &err else {
            panic!("{message}: not an invalid line: {err:?}");
        };
        assert_eq!((*line, errors[0].0.as_str()), (at, field), "{err}");
        assert!(errors[0].1.contains(message), "{err}");
        assert_eq!(
            export(&ctx.pool).lines().count(),
            1,
            "{message}: nothing imported"
        );
    }

    let file = [
        article("a"),
        with(article("b"), "related", json!([{"slug": "c"}])),
        with(article("a"), "title", json!("A again")),
        article("c"),
    ];
    let counts = import(&ctx.pool, &lines(&file)).unwrap();
    assert_eq!((counts.articles_created, counts.articles_updated), (3, 1));
    let exported = records(&export(&ctx.pool));
    let titles: Vec<(&str, &str)> = exported[1..]
        .iter()
        .map(|r| (r["slug"].as_str().unwrap(), r["title"].as_str().unwrap()))
        .collect();
    assert_eq!(titles, [("a", "A again"), ("b", "T b"), ("c", "T c")]);
    assert_eq!(exported[2]["related"], json!([{"slug": "c"}]));
}

#[test]
fn the_binary_reports_the_bad_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path(), "g");
    let file = dir.path().join("in.ndjson");
    std::fs::write(
        &file,
        [
            json!({"type": "tag", "slug": "t", "name": "T"}),
            json!({"type": "article", "slug": "a", "title": "A", "tags": ["t"]}),
            json!({"type": "article", "slug": "b", "title": "B", "related": [{"slug": "a"}, {"slug": "zzz"}]}),
        ]
        .iter()
        .map(|r| format!("{r}\n"))
        .collect::<String>(),
    )
    .unwrap();
    let stderr = import_fails(&db, &file);
    assert!(
        stderr.contains("line 3: related[1].slug: no article has the slug 'zzz'")
            && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    let out = gazette(&db)
        .args(["import", "no-such-file.ndjson"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open no-such-file.ndjson"));
}

/// A bad line after many good ones (which the reading thread has parsed well ahead of the
/// writer, and the writer has partly written) still fails the whole import.
#[test]
fn the_binary_imports_nothing_when_a_line_far_down_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path(), "g");
    let file = dir.path().join("in.ndjson");
    // Creation times in file order, which is the export's order.
    let at = |i: usize| format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
    let mut records = vec![json!({"type": "tag", "slug": "t", "name": "T"})];
    for i in 0..300 {
        records.push(json!({"type": "article", "slug": format!("a-{i}"), "title": format!("A {i}"), "tags": ["t"], "created_at": at(i)}));
    }
    let bad_line = records.len() + 1;
    records.push(json!({"type": "article", "slug": "bad", "title": ""}));
    for i in 300..400 {
        records
            .push(json!({"type": "article", "slug": format!("a-{i}"), "title": format!("A {i}")}));
    }
    std::fs::write(&file, lines(&records)).unwrap();
    let stderr = import_fails(&db, &file);
    assert!(
        stderr.contains(&format!("line {bad_line}: title"))
            && stderr.contains("nothing was imported"),
        "{stderr}"
    );

    // Without the bad line, every record arrives, in file order (the later of two records
    // for one slug wins).
    records.remove(bad_line - 1);
    records.push(
        json!({"type": "article", "slug": "a-0", "title": "A zero, again", "created_at": at(0)}),
    );
    std::fs::write(&file, lines(&records)).unwrap();
    let out = run_ok(&db, &["import", file.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("400 articles created, 1 updated"),
        "{out:?}"
    );
    let exported = records_of(&String::from_utf8(run_ok(&db, &["export"]).stdout).unwrap());
    let titles: Vec<&str> = exported[2..]
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = std::iter::once("A zero, again".to_owned())
        .chain((1..400).map(|i| format!("A {i}")))
        .collect();
    assert_eq!(titles, expected);
}

fn records_of(ndjson: &str) -> Vec<Value> {
    records(ndjson)
}

/// The slugs a public search for `q` finds.
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let mut found = slugs(&list_articles(app, &format!("q={}&limit=100", enc(q))).await);
    found.sort();
    found
}

/// After an import the search index holds every new article once, as it ends up: its text,
/// its tags' names (as a later tag record renamed one) and, for a slug given twice, the second
/// record's text; and articles created afterwards are indexed as ever (a failed import
/// changes nothing there either).
#[actix_web::test]
async fn the_search_index_is_right_after_an_import() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let article = |slug: &str, body: &str, tags: &[&str]| {
        json!({"type": "article", "slug": slug, "title": format!("Title {slug}"), "body": body,
               "status": "published", "published_at": "2026-01-01T00:00:00Z", "tags": tags})
    };
    let file = lines(&[
        json!({"type": "tag", "slug": "ferries", "name": "Ferries"}),
        json!({"type": "tag", "slug": "trams", "name": "Trams"}),
        article("first", "Pelicans *nest* here.", &["ferries", "trams"]),
        article("second", "Quokka sightings rise.", &[]),
        article("second", "Wombat sightings rise.", &["trams"]),
        json!({"type": "tag", "slug": "ferries", "name": "Hovercraft"}),
    ]);
    import(&ctx.pool, &file).unwrap();
    assert_eq!(found(&app, "pelicans").await, ["first"]);
    assert_eq!(found(&app, "hovercraft").await, ["first"]);
    assert!(found(&app, "ferries").await.is_empty());
    assert_eq!(found(&app, "trams").await, ["first", "second"]);
    assert_eq!(found(&app, "wombat").await, ["second"]);
    assert!(found(&app, "quokka").await.is_empty());
    assert_eq!(found(&app, "title").await, ["first", "second"]);

    let failing = lines(&[
        article("third", "Narwhal season.", &["trams"]),
        json!({"type": "article", "slug": "fourth", "title": "Fourth", "tags": ["nope"]}),
    ]);
    assert!(import(&ctx.pool, &failing).is_err());
    assert!(found(&app, "narwhal").await.is_empty());

    send(
        &app,
        ctx.admin(json(
            Method::POST,
            "/api/v1/articles",
            &json!({"title": "Made later", "body": "Axolotl facts.", "status": "published", "tags": ["Trams"]}),
        )),
    )
    .await
    .ok(201);
    assert_eq!(found(&app, "axolotl").await, ["made-later"]);
    assert_eq!(
        found(&app, "trams").await,
        ["first", "made-later", "second"]
    );
    import(
        &ctx.pool,
        &lines(&[article("fifth", "Okapi stripes.", &["ferries"])]),
    )
    .unwrap();
    assert_eq!(found(&app, "okapi").await, ["fifth"]);
    assert_eq!(found(&app, "hovercraft").await, ["fifth", "first"]);
}

/// An import marks live only the articles public at its time: a draft, an article published
/// later or archived is found by no public search, and the scheduled one is left for the
/// go-live step to publish.
#[actix_web::test]
async fn an_import_makes_only_its_public_articles_live() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let later = (chrono::Utc::now() + chrono::Duration::minutes(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let article = |slug: &str, body: &str, status: &str, published_at: Option<&str>| {
        json!({"type": "article", "slug": slug, "title": format!("Title {slug}"), "body": body,
               "status": status, "published_at": published_at})
    };
    let file = lines(&[
        article(
            "out",
            "Pelicans nest.",
            "published",
            Some("2026-01-01T00:00:00Z"),
        ),
        article("draft", "Quokkas nest.", "draft", None),
        article("later", "Wombats nest.", "published", Some(&later)),
        article(
            "gone",
            "Narwhals nest.",
            "archived",
            Some("2026-01-01T00:00:00Z"),
        ),
    ]);
    import(&ctx.pool, &file).unwrap();
    assert_eq!(found(&app, "nest").await, ["out"]);
    for hidden in ["quokkas", "wombats", "narwhals"] {
        assert!(found(&app, hidden).await.is_empty(), "{hidden}");
    }
    // The go-live step, run as if its time had come, publishes the scheduled one.
    let due = db::now() + chrono::Duration::hours(1);
    let went = db::articles::go_live(&mut ctx.pool.get().unwrap(), due, 100).unwrap();
    assert_eq!(went.published, 1);
}

// ---------------------------------------------------------------------------------------
// Related links.

#[actix_web::test]
async fn related_links_may_point_forward() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let input = lines(&[
        json!({"type": "article", "slug": "first", "title": "First", "status": "published", "published_at": "2026-01-01T00:00:00Z",
               "related": [{"slug": "second"}, {"url": "https://example.org/", "summary": "Out."}, {"slug": "third"}]}),
        json!({"type": "article", "slug": "second", "title": "Second", "status": "published", "published_at": "2026-01-02T00:00:00Z",
               "related": [{"slug": "first"}]}),
        json!({"type": "article", "slug": "third", "title": "Third", "status": "published", "published_at": "2026-01-03T00:00:00Z"}),
    ]);
    let counts = import(&ctx.pool, &input).unwrap();
    assert_eq!(counts.articles_created, 3);
    let first = read(&ctx, &app, "first").await;
    assert_eq!(
        strs(&first["related"], "kind"),
        ["internal", "external", "internal"]
    );
    assert_eq!(first["related"][0]["title"], "Second");
    assert_eq!(first["related"][2]["slug"], "third");
    assert_eq!(
        read(&ctx, &app, "second").await["related"][0]["slug"],
        "first"
    );
    // A link to itself is refused, naming the line.
    let err = import(
        &ctx.pool,
        &lines(&[json!({"type": "article", "slug": "third", "title": "Third", "status": "published", "published_at": "2026-01-03T00:00:00Z", "related": [{"slug": "third"}]})]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: related[0].slug: an article cannot be related to itself"
    );
}

/// How many changes name article `slug` (by its id) as their resource.
async fn changes_of(ctx: &Ctx, app: &TestApp, slug: &str) -> i64 {
    use gazette::schema::changes;
    let id = send(app, ctx.admin(get(&format!("/api/v1/articles/{slug}"))))
        .await
        .ok(200)["id"]
        .as_i64()
        .unwrap();
    changes::table
        .filter(changes::resource.eq(format!("article:{id}")))
        .count()
        .get_result(&mut ctx.pool.get().unwrap())
        .unwrap()
}

/// A new article of an import records its own change once: it is not touched again as an
/// article linking to another that goes public in the same import (a link forward), whose
/// change its own already covers. An article stored before the import is touched as ever.
#[actix_web::test]
async fn an_import_touches_only_the_linking_articles_it_did_not_create() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let published = |slug: &str, related: Value| {
        json!({"type": "article", "slug": slug, "title": format!("Title {slug}"),
               "status": "published", "published_at": "2026-01-01T00:00:00Z", "related": related})
    };
    import(
        &ctx.pool,
        &lines(&[
            json!({"type": "article", "slug": "target", "title": "Target", "status": "draft"}),
            published("older", json!([{"slug": "target"}])),
        ]),
    )
    .unwrap();
    assert_eq!(changes_of(&ctx, &app, "older").await, 1);

    import(
        &ctx.pool,
        &lines(&[
            published("target", json!([])),
            published("newer", json!([{"slug": "newest"}, {"slug": "target"}])),
            published("newest", json!([])),
        ]),
    )
    .unwrap();
    assert_eq!(
        changes_of(&ctx, &app, "older").await,
        2,
        "touched by target"
    );
    assert_eq!(changes_of(&ctx, &app, "newer").await, 1);
    assert_eq!(changes_of(&ctx, &app, "newest").await, 1);
    // What each shows is current all the same.
    let newer = read(&ctx, &app, "newer").await;
    assert_eq!(newer["related"][0]["title"], "Title newest");
}

/// On PostgreSQL an article's long texts are stored compressed with LZ4 (faster to write
/// and to read than pglz), where the server has it.
#[actix_web::test]
async fn long_texts_are_compressed_with_lz4_on_postgres() {
    if !on_postgres() {
        return;
    }
    let ctx = Ctx::new();
    let body = "The harbour ferry runs again after the storm. ".repeat(200);
    import(
        &ctx.pool,
        &lines(&[json!({"type": "article", "slug": "long", "title": "Long", "body": body})]),
    )
    .unwrap();
    #[derive(QueryableByName)]
    struct Compression {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        body: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        snapshot: Option<String>,
    }
    let got: Compression = diesel::sql_query(
        "SELECT pg_column_compression(a.body) AS body, pg_column_compression(r.snapshot) \
         AS snapshot FROM articles a JOIN article_revisions r ON r.article_id = a.id",
    )
    .get_result(&mut ctx.pool.get().unwrap())
    .unwrap();
    assert_eq!(got.body.as_deref(), Some("lz4"));
    assert_eq!(got.snapshot.as_deref(), Some("lz4"));
}

// ---------------------------------------------------------------------------------------
// HTTP.

#[actix_web::test]
async fn http_import_needs_an_admin_key_and_ndjson() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = lines(&[
        json!({"type": "gazette-export", "version": 1}),
        json!({"type": "tag", "slug": "t", "name": "T"}),
        json!({"type": "article", "slug": "a", "title": "A", "tags": ["t"]}),
    ]);
    send(&app, post_import(body.clone())).await.problem(401);
    let content = post_import(body.clone())
        .insert_header(("Authorization", format!("Bearer {}", ctx.content_key)));
    send(&app, content).await.problem(403);
    let wrong = raw(
        Method::POST,
        "/api/v1/import",
        Some("application/json"),
        body.clone(),
    );
    send(&app, ctx.admin(wrong)).await.problem(415);
    let none = raw(Method::POST, "/api/v1/import", None, body.clone());
    send(&app, ctx.admin(none)).await.problem(415);

    let bad = format!(
        "{body}{}\n",
        json!({"type": "article", "slug": "b", "title": "B", "status": "nope"})
    );
    let problem = send(&app, ctx.admin(post_import(bad))).await.problem(422);
    assert_eq!(problem["errors"][0]["field"], "line 4: status", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("Nothing was imported: line 4: status: unknown variant `nope`"),
        "{problem}"
    );
    assert_eq!(
        db::articles::count_all(&mut ctx.pool.get().unwrap()).unwrap(),
        0
    );

    let ok = send(&app, ctx.admin(post_import(body.clone())))
        .await
        .ok(200);
    assert_eq!(
        ok,
        json!({"tags_created": 1, "tags_updated": 0, "articles_created": 1, "articles_updated": 0, "unchanged": 0})
    );
    let also = raw(
        Method::POST,
        "/api/v1/import",
        Some("application/ndjson; charset=utf-8"),
        body,
    );
    assert_eq!(send(&app, ctx.admin(also)).await.ok(200)["unchanged"], 2);
    let empty = send(&app, ctx.admin(post_import(""))).await.ok(200);
    assert_eq!(empty["unchanged"], 0);

    let not_utf8 = send(
        &app,
        ctx.admin(post_import(b"\n{\"type\": \"tag\xff\"}\n".to_vec())),
    )
    .await
    .problem(422);
    assert_eq!(not_utf8["errors"][0]["field"], "line 2", "{not_utf8}");
    assert_eq!(
        not_utf8["errors"][0]["message"], "is not UTF-8 text",
        "{not_utf8}"
    );
    let huge = post_import("{}").insert_header(("Content-Length", "300000000"));
    send(&app, ctx.admin(huge)).await.problem(413);
}

// ---------------------------------------------------------------------------------------
// Memory.

/// Runs `cmd` to completion, polling its peak resident set (VmHWM) meanwhile; returns the
/// output, the wall time and the peak in bytes.
/// SQLite's journal mode of the file `db`, as a new connection finds it.
fn journal_mode(db: &Path) -> String {
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mut conn = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query("PRAGMA journal_mode")
        .get_result::<Mode>(&mut conn)
        .unwrap()
        .journal_mode
}

/// An import into a SQLite database that no other connection has open writes it without
/// the write-ahead log (db::sqlite_without_log), and sets the log back once done, failed or
/// not; beside another open connection (a server's) it keeps the log and imports all the
/// same.
#[test]
fn a_sqlite_import_sets_the_write_ahead_log_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    run_ok(&db, &["migrate"]);
    assert_eq!(journal_mode(&db), "wal");
    let file = dir.path().join("in.ndjson");
    let article =
        |slug: &str, title: &str| json!({"type": "article", "slug": slug, "title": title});
    std::fs::write(&file, lines(&[article("a", "A"), article("b", "B")])).unwrap();
    let out = run_ok(&db, &["import", file.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 articles created"),
        "{out:?}"
    );
    assert_eq!(journal_mode(&db), "wal");

    std::fs::write(&file, lines(&[article("c", "C"), article("d", "")])).unwrap();
    let out = gazette(&db)
        .args(["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(journal_mode(&db), "wal");

    // Another connection holds the database open, reading in the log.
    let mut other = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query("SELECT 1").execute(&mut other).unwrap();
    std::fs::write(&file, lines(&[article("c", "C")])).unwrap();
    let out = run_ok(&db, &["import", file.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 articles created"),
        "{out:?}"
    );
    assert_eq!(journal_mode(&db), "wal");
    let exported = String::from_utf8(run_ok(&db, &["export"]).stdout).unwrap();
    assert_eq!(records_of(&exported).len(), 1 + 3, "{exported}");
}

fn input_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn run_measured(mut cmd: Command) -> (Output, Duration, u64) {
    let start = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let (tx, rx) = std::sync::mpsc::channel();
    let poller = std::thread::spawn(move || {
        let mut peak = 0;
        while rx.try_recv().is_err() {
            if let Ok(status) = std::fs::read_to_string(&status_file) {
                for line in status.lines() {
                    if let Some(kb) = line.strip_prefix("VmHWM:") {
                        let kb: u64 = kb.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                        peak = peak.max(kb * 1024);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let out = child.wait_with_output().unwrap();
    let elapsed = start.elapsed();
    tx.send(()).unwrap();
    (out, elapsed, poller.join().unwrap())
}

/// 20,000 small articles, each linking to the next (forward) and the previous one.
fn big_file(path: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "{}", json!({"type": "gazette-export", "version": 1})).unwrap();
    for t in 0..20 {
        writeln!(
            out,
            "{}",
            json!({"type": "tag", "slug": format!("tag-{t}"), "name": format!("Tag {t}")})
        )
        .unwrap();
    }
    for i in 0..n {
        let mut related = vec![json!({"slug": format!("article-{}", (i + 1) % n)})];
        if i > 0 {
            related
                .push(json!({"url": format!("https://example.org/{i}"), "title": null, "summary": "Elsewhere."}));
        }
        writeln!(
            out,
            "{}",
            json!({
                "type": "article",
                "slug": format!("article-{i}"),
                "title": format!("Article number {i}"),
                "summary": "A short summary of the article.",
                "body": format!("Paragraph *one* of article {i}.\n\nParagraph **two**, with [a link](https://example.org/{i})."),
                "status": "published",
                "published_at": "2026-01-01T00:00:00Z",
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
                "tags": [format!("tag-{}", i % 20), format!("tag-{}", (i + 7) % 20)],
                "related": related,
            })
        )
        .unwrap();
    }
    out.flush().unwrap();
}

#[test]
fn a_large_import_runs_in_bounded_memory() {
    const N: usize = 20_000;
    const LIMIT: u64 = 200 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.ndjson");
    big_file(&file, N);
    let size = std::fs::metadata(&file).unwrap().len();
    let db_path = fresh_database(dir.path(), "big");
    run_ok(&db_path, &["migrate"]);

    let mut cmd = gazette(&db_path);
    cmd.args(["import", file.to_str().unwrap()]);
    let (out, took, peak) = run_measured(cmd);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("{N} articles created")), "{said}");
    eprintln!(
        "import of {N} articles ({} MB of NDJSON): {took:.1?}, peak RSS {} MB",
        size / 1_000_000,
        peak / 1_000_000
    );
    assert!(peak > 0, "VmHWM was read");
    assert!(peak < LIMIT, "peak RSS {peak} bytes");

    let exported = dir.path().join("out.ndjson");
    let mut cmd = gazette(&db_path);
    cmd.args(["export", "--output", exported.to_str().unwrap()]);
    let (out, took, peak) = run_measured(cmd);
    assert!(out.status.success(), "{out:?}");
    eprintln!(
        "export of {N} articles: {took:.1?}, peak RSS {} MB",
        peak / 1_000_000
    );
    assert!(peak < LIMIT, "peak RSS {peak} bytes");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(text.lines().count(), 1 + 20 + N);
    // Every member the input gave comes out the same.
    let by_key = |text: &str| -> std::collections::HashMap<String, Value> {
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|r| (format!("{} {}", r["type"], r["slug"]), r))
            .collect()
    };
    let (given, got) = (by_key(&input_text(&file)), by_key(&text));
    assert_eq!(given.len(), got.len());
    for (key, record) in &given {
        for (name, value) in record.as_object().unwrap() {
            assert_eq!(&got[key][name], value, "{key}: {name}");
        }
    }
}

/// A 64 MiB line (an article body as one string) once took 2.4 GB: it is refused by number
/// once the limit is passed, before the rest of it is read. The largest article the write
/// limits allow (1 Mi characters of body, 3 bytes each) imports in bounded memory.
#[test]
fn an_overlong_line_is_refused_and_a_largest_article_imports_in_bounded_memory() {
    const LIMIT: u64 = 150 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let db_path = fresh_database(dir.path(), "lines");
    run_ok(&db_path, &["migrate"]);
    let header = json!({"type": "gazette-export", "version": 1});
    let huge = dir.path().join("huge.ndjson");
    let body = "a".repeat(64 << 20);
    let record = json!({"type": "article", "slug": "huge", "title": "Huge", "body": body});
    std::fs::write(&huge, format!("{header}\n{record}\n")).unwrap();
    drop((body, record));
    let mut cmd = gazette(&db_path);
    cmd.args(["import", huge.to_str().unwrap()]);
    let (out, _, peak) = run_measured(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("line 2: is longer than the limit of 8388608 bytes"),
        "{stderr}"
    );
    eprintln!("a 64 MiB line refused: peak RSS {} MB", peak / 1_000_000);
    assert!(peak > 0 && peak < LIMIT, "peak RSS {peak} bytes");

    // 1 Mi characters: paragraphs with emphasis, links and three-byte characters.
    let unit = "Ein *Satz* mit [Link](https://example.org) und €€€.\n\n";
    let body: String = unit
        .chars()
        .cycle()
        .take(gazette::config::Limits::DEFAULT.article_chars)
        .collect();
    let record = json!({"type": "article", "slug": "largest", "title": "Largest", "body": body});
    let largest = dir.path().join("largest.ndjson");
    std::fs::write(&largest, format!("{header}\n{record}\n")).unwrap();
    let size = std::fs::metadata(&largest).unwrap().len();
    let mut cmd = gazette(&db_path);
    cmd.args(["import", largest.to_str().unwrap()]);
    let (out, took, peak) = run_measured(cmd);
    assert!(out.status.success(), "{out:?}");
    eprintln!(
        "the largest article ({} MB line): {took:.1?}, peak RSS {} MB",
        size / 1_000_000,
        peak / 1_000_000
    );
    assert!(peak < LIMIT, "peak RSS {peak} bytes");

    // Many of them: the import writes and finishes its articles in runs bounded by their
    // text as well as by their number (a hundred of these took 1.35 GB when runs were
    // bounded by number alone, 262 MB now, BENCHMARKS.md).
    let many = dir.path().join("many.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&many).unwrap());
    writeln!(file, "{header}").unwrap();
    for i in 0..MANY_LARGEST {
        let record = json!({"type": "article", "slug": format!("largest-{i}"), "title": "Largest", "body": body});
        writeln!(file, "{record}").unwrap();
    }
    drop(file);
    let mut cmd = gazette(&db_path);
    cmd.args(["import", many.to_str().unwrap()]);
    let (out, took, peak) = run_measured(cmd);
    assert!(out.status.success(), "{out:?}");
    eprintln!(
        "{MANY_LARGEST} of the largest articles: {took:.1?}, peak RSS {} MB",
        peak / 1_000_000
    );
    assert!(peak < MANY_LIMIT, "peak RSS {peak} bytes");
}

/// How many of the largest articles one import of them holds, and the peak resident set it
/// must stay under: 24 held at once take ~420 MB, runs bounded by bytes ~250 MB (preparing
/// the lines on every core holds several of them too).
const MANY_LARGEST: usize = 24;
const MANY_LIMIT: u64 = 350 * 1024 * 1024;

/// An import's revisions are numbered on from each article's newest, its articles finished
/// together: an existing article's next number, and a slug given twice two revisions, the
/// second as the file leaves it, each with its own tags and related links.
#[actix_web::test]
async fn an_imports_revisions_go_on_from_each_articles_newest() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(&ctx, &app, json!({"title": "Kept", "slug": "kept"})).await;
    patch_article(&ctx, &app, "kept", json!({"title": "Kept again"})).await;
    let article = |slug: &str, title: &str, tags: &[&str], related: &[&str]| {
        let related: Vec<Value> = related.iter().map(|s| json!({"slug": s})).collect();
        json!({"type": "article", "slug": slug, "title": title, "body": "Text.", "tags": tags,
               "related": related})
    };
    let tag = |slug: &str, name: &str| json!({"type": "tag", "slug": slug, "name": name});
    let file = lines(&[
        tag("ferries", "Ferries"),
        tag("trams", "Trams"),
        tag("buses", "Buses"),
        article("kept", "Kept, imported", &["ferries"], &["twice"]),
        article("twice", "Twice, first", &["trams"], &[]),
        article("once", "Once", &[], &["kept"]),
        article("twice", "Twice, second", &["buses"], &["once"]),
    ]);
    import(&ctx.pool, &file).unwrap();
    let numbers = |list: &Value| -> Vec<i64> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["number"].as_i64().unwrap())
            .collect()
    };
    let revisions = |slug: &str| {
        let uri = format!("/api/v1/articles/{slug}/revisions");
        let req = ctx.admin(get(&uri));
        let app = &app;
        async move { send(app, req).await.ok(200) }
    };
    assert_eq!(numbers(&revisions("kept").await), [3, 2, 1]);
    assert_eq!(numbers(&revisions("twice").await), [2, 1]);
    assert_eq!(numbers(&revisions("once").await), [1]);
    let newest = send(&app, ctx.admin(get("/api/v1/articles/kept/revisions/3")))
        .await
        .ok(200);
    assert_eq!(newest["title"], "Kept, imported");
    assert_eq!(
        newest["tags"],
        json!([{"slug": "ferries", "name": "Ferries"}])
    );
    assert_eq!(newest["related"], json!([{"slug": "twice"}]));
    let twice = send(&app, ctx.admin(get("/api/v1/articles/twice/revisions/2")))
        .await
        .ok(200);
    assert_eq!(twice["title"], "Twice, second");
    assert_eq!(twice["tags"], json!([{"slug": "buses", "name": "Buses"}]));
    assert_eq!(twice["related"], json!([{"slug": "once"}]));
}
