//! On PostgreSQL an import's second connection computes the new articles' search vectors
//! beside the write (db::transfer::body_vectors): the import takes them, but only for the
//! body they were computed from, and what it stores is what the database computes itself.

use crate::support::common;
use common::*;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gazette::api::transfer::alongside;
use gazette::db::transfer::{Helper, import_with_helper};
use serde_json::json;

/// Articles enough for two of the helper's batches.
const ARTICLES: usize = 40;

fn ndjson() -> String {
    let tag = json!({"type": "tag", "slug": "weather", "name": "Weather"});
    let articles: String = (0..ARTICLES)
        .map(|i| {
            let record = json!({
                "type": "article", "slug": format!("story-{i}"), "title": format!("Story {i}"),
                "summary": "A short summary.", "status": "published",
                "published_at": "2026-11-01T09:00:00Z", "tags": ["weather"],
                "body": format!("The floods reached Harrowmère on day {i}. Élections delayed."),
            });
            format!("{record}\n")
        })
        .collect();
    format!("{tag}\n{articles}")
}

/// Imports [`ndjson`] with a helper connection that runs `setup` first; `None` on SQLite,
/// where there is no helper.
fn import_beside(ctx: &Ctx, setup: &str) -> Option<()> {
    let mut conn = ctx.pool.get().unwrap();
    if !matches!(&*conn, gazette::db::AnyConnection::Postgres(_)) {
        return None;
    }
    let mut helper = ctx.pool.get().unwrap();
    helper.batch_execute(setup).unwrap();
    let helper: Helper = Box::new(helper);
    let records = alongside(
        std::io::Cursor::new(ndjson().into_bytes()),
        gazette::config::Limits::DEFAULT,
    );
    import_with_helper(&mut conn, Some(helper), records, gazette::db::now()).unwrap();
    Some(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(ctx: &Ctx, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(&mut ctx.pool.get().unwrap())
        .unwrap()
        .n
}

/// The helper's session computes vectors of its own (a function of the same name earlier in
/// its search path); `md5` too when `md5` is given.
fn poisoned(md5: bool) -> String {
    let mut sql = "CREATE SCHEMA poison; \
        CREATE FUNCTION poison.articles_search_body_vector(body text) RETURNS tsvector \
        LANGUAGE sql IMMUTABLE AS $$ SELECT 'poisoned'::tsvector $$;"
        .to_owned();
    if md5 {
        sql += "CREATE FUNCTION poison.md5(body text) RETURNS text \
                LANGUAGE sql IMMUTABLE AS $$ SELECT 'not the body' $$;";
    }
    sql + "SET search_path = poison, pg_catalog, public;"
}

const POISONED: &str =
    "SELECT count(*) AS n FROM articles_search WHERE document @@ 'poisoned'::tsquery";
/// Documents other than what the database computes from the row itself.
const DIFFERENT: &str = "SELECT count(*) AS n FROM articles_search WHERE document IS DISTINCT \
    FROM articles_search_document(title, tags, summary, articles_search_body_vector(body))";

#[actix_web::test]
async fn an_import_takes_the_vectors_its_helper_computed() {
    let ctx = Ctx::new();
    if import_beside(&ctx, &poisoned(false)).is_none() {
        return;
    }
    assert_eq!(count(&ctx, POISONED), ARTICLES as i64);
    assert_eq!(count(&ctx, "SELECT count(*) AS n FROM search_vectors"), 0);
}

#[actix_web::test]
async fn an_import_takes_no_vector_computed_from_another_body() {
    let ctx = Ctx::new();
    if import_beside(&ctx, &poisoned(true)).is_none() {
        return;
    }
    assert_eq!(count(&ctx, POISONED), 0);
    assert_eq!(count(&ctx, DIFFERENT), 0);
}

#[actix_web::test]
async fn an_import_beside_a_helper_indexes_what_the_database_computes() {
    let ctx = Ctx::new();
    if import_beside(&ctx, "SELECT 1").is_none() {
        return;
    }
    assert_eq!(
        count(&ctx, "SELECT count(*) AS n FROM articles_search"),
        ARTICLES as i64
    );
    assert_eq!(count(&ctx, DIFFERENT), 0);
    // Stemmed and folded as ever: an editor's search finds the imported bodies.
    let app = ctx.app().await;
    let found = send(
        &app,
        ctx.admin(get(
            "/api/v1/articles?q=election+harrowmere&status=published",
        )),
    )
    .await
    .ok(200);
    assert_eq!(found["meta"]["total"], ARTICLES);
}
