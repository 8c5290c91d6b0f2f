//! No N+1 queries: the number of SQL statements a read runs does not grow with the number
//! of items it returns. Diesel's instrumentation is one for the whole process, where other
//! tests run meanwhile, so it counts only the statements of connections to this test's
//! database.

use crate::support::common;
use common::*;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use gazette::db;
use serde_json::{Value, json};

static QUERIES: AtomicUsize = AtomicUsize::new(0);
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The `DATABASE_URL` whose statements are counted; none until the test names its own.
static COUNTED: Mutex<Option<String>> = Mutex::new(None);

/// The instrumentation of one connection: it counts the statements of that connection when
/// the connection is to the database in [`COUNTED`].
struct Counting {
    /// The URL the connection was made to.
    url: Option<String>,
}

impl Instrumentation for Counting {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                self.url = Some(url.to_owned());
            }
            InstrumentationEvent::StartQuery { query, .. }
                if self.url.is_some()
                    && *COUNTED.lock().unwrap() == self.url
                    && !follows_the_log(&query.to_string()) =>
            {
                QUERIES.fetch_add(1, Ordering::SeqCst);
                LOG.lock().unwrap().push(query.to_string());
            }
            _ => {}
        }
    }
}

/// Whether `query` is the change-log follower's (`gazette::follower`), which reads the log
/// on its own connection whenever it likes, not for any request.
fn follows_the_log(query: &str) -> bool {
    query.contains("FROM `changes`") || query.contains("FROM \"changes\"")
}

fn counting() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Counting { url: None }))
}

/// The reads under test, by name.
fn reads(main: &str) -> Vec<(&'static str, String)> {
    vec![
        ("article list", "/api/v1/articles?limit=100".to_owned()),
        ("search", "/api/v1/articles?q=tram&limit=100".to_owned()),
        ("tag list", "/api/v1/tags?limit=100".to_owned()),
        ("feed", "/feed.atom".to_owned()),
        ("tag feed", "/feed.atom?tag=shared".to_owned()),
        ("sitemap", "/sitemap.xml".to_owned()),
        (
            "related",
            format!("/api/v1/articles/{main}/related?limit=50"),
        ),
        ("article", format!("/api/v1/articles/{main}")),
    ]
}

/// How many statements each read runs, and how many items it returned.
async fn measure(app: &TestApp, main: &str) -> BTreeMap<&'static str, (usize, usize)> {
    let mut counts = BTreeMap::new();
    for (name, uri) in reads(main) {
        QUERIES.store(0, Ordering::SeqCst);
        LOG.lock().unwrap().clear();
        let res = send(app, get(&uri)).await;
        let n = QUERIES.load(Ordering::SeqCst);
        assert_eq!(res.status.as_u16(), 200, "{uri}: {res:?}");
        let items = if uri.starts_with("/feed") {
            String::from_utf8_lossy(&res.body)
                .matches("<entry>")
                .count()
        } else if uri.starts_with("/sitemap") {
            String::from_utf8_lossy(&res.body).matches("<url>").count()
        } else {
            let body = res.json();
            match body.get("data") {
                Some(data) => data.as_array().unwrap().len(),
                None => {
                    body["related"].as_array().unwrap().len()
                        + body["tags"].as_array().unwrap().len()
                }
            }
        };
        println!("{name}: {n} statements for {items} items");
        for sql in LOG.lock().unwrap().iter() {
            println!("    {}", sql.lines().next().unwrap_or_default());
        }
        counts.insert(name, (n, items));
    }
    counts
}

async fn create(ctx: &Ctx, app: &TestApp, i: usize, related: Vec<Value>) -> String {
    let a = create_article(
        ctx,
        app,
        json!({
            "title": format!("Tram Item {i}"),
            "summary": format!("Summary {i}."),
            "body": format!("Body of tram item {i}."),
            "status": "published",
            "tags": ["Shared", format!("Topic {i}"), format!("Extra {i}")],
            "related": related,
        }),
    )
    .await;
    a["slug"].as_str().unwrap().to_owned()
}

fn links(slugs: &[String]) -> Vec<Value> {
    let mut links: Vec<Value> = slugs.iter().map(|s| json!({"slug": s})).collect();
    links.push(json!({"url": "https://example.org/report", "summary": "The report."}));
    links
}

#[actix_web::test]
async fn query_counts_do_not_grow_with_the_number_of_items() {
    // Before any connection to this test's database exists, so that every one is counted.
    set_default_instrumentation(counting).expect("instrumentation");
    let ctx = Ctx::new();
    *COUNTED.lock().unwrap() = Some(db::sqlite_path(ctx.db_url()).to_owned());
    let app = ctx.app().await;

    let mut slugs = Vec::new();
    for i in 0..3 {
        let related = links(&slugs[slugs.len().saturating_sub(1)..]);
        slugs.push(create(&ctx, &app, i, related).await);
    }
    let main = slugs[2].clone();
    let small = measure(&app, &main).await;
    assert!(
        QUERIES.load(Ordering::SeqCst) > 0,
        "the instrumentation counts nothing"
    );

    for i in 3..33 {
        let related = links(&slugs[slugs.len().saturating_sub(3)..]);
        slugs.push(create(&ctx, &app, i, related).await);
    }
    // The article under test gets many more tags and curated links too.
    let tags: Vec<String> = (0..12)
        .map(|i| format!("Topic {i}"))
        .chain(["Shared".to_owned()])
        .collect();
    patch_article(
        &ctx,
        &app,
        &main,
        json!({"tags": tags, "related": links(&slugs[3..15])}),
    )
    .await;
    let large = measure(&app, &main).await;

    for (name, (n_small, items_small)) in &small {
        let (n_large, items_large) = large[name];
        assert!(
            items_large > *items_small,
            "{name}: the second round must return more items ({items_small} → {items_large})"
        );
        assert_eq!(
            *n_small, n_large,
            "{name}: {n_small} statements for {items_small} items but {n_large} for {items_large}"
        );
        assert!(n_large <= 12, "{name}: {n_large} statements is too many");
    }
}
