//! The demo newsroom that `serve --demo` loads into an empty database.

use serde::Deserialize;

use crate::api::articles::{ArticleCreate, BlockCreate, related_specs};
use crate::api::authors::AuthorCreate;
use crate::config::Limits;
use crate::db::{self, Conn};

const CONTENT: &str = include_str!("../demo/content.json");

#[derive(Deserialize)]
struct DemoTag {
    name: String,
    slug: String,
    description: Option<String>,
}

/// A demo article: an article as the API takes it, and a live article's blocks.
#[derive(Deserialize)]
struct DemoArticle {
    #[serde(flatten)]
    article: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    blocks: Vec<BlockCreate>,
}

/// A curated front: its articles by slug, in order.
#[derive(Deserialize)]
struct DemoCollection {
    slug: String,
    name: String,
    description: Option<String>,
    articles: Vec<String>,
}

#[derive(Deserialize)]
struct Demo {
    tags: Vec<DemoTag>,
    #[serde(default)]
    authors: Vec<AuthorCreate>,
    articles: Vec<DemoArticle>,
    #[serde(default)]
    collections: Vec<DemoCollection>,
}

/// Where the server started with `--demo` serves the demo's pictures: `base` (its own
/// address, `http://127.0.0.1:8080`) then `/demo/images/`.
pub fn images_base(bind: &str) -> String {
    let host = bind
        .replace("0.0.0.0:", "127.0.0.1:")
        .replace("[::]:", "127.0.0.1:");
    format!("http://{host}")
}

/// Loads the demo content when the database has no articles; returns how many it loaded.
/// Its pictures' addresses start with `base`, the server's own address (they are served at
/// `/demo/images/` in demo mode).
///
/// The check and the load are one write transaction, which holds the database's write lock
/// from its start (see [`db::write`]): replicas that start with `--demo` together on one
/// empty database load the demo once, and the others find it there.
pub fn load(conn: &mut Conn, base: &str) -> Result<Option<usize>, Box<dyn std::error::Error>> {
    let demo: Demo = serde_json::from_str(&CONTENT.replace("{demo}", base.trim_end_matches('/')))?;
    let authors = demo
        .authors
        .into_iter()
        .map(AuthorCreate::into_new)
        .collect::<Result<Vec<_>, _>>()?;
    let mut articles = Vec::with_capacity(demo.articles.len());
    let mut links = Vec::new();
    for demo_article in demo.articles {
        let mut article: ArticleCreate =
            serde_json::from_value(serde_json::Value::Object(demo_article.article))?;
        let related = related_specs(
            &article.related.take().unwrap_or_default(),
            &Limits::DEFAULT,
        )?;
        let mut new = article.into_new(&Limits::DEFAULT)?;
        for block in demo_article.blocks {
            new.blocks.push(block.into_new(&Limits::DEFAULT)?);
        }
        links.push((
            new.slug.clone().ok_or("demo articles name their slugs")?,
            related,
        ));
        articles.push(new);
    }
    let loaded = db::write(conn, |conn| -> db::StoreResult<Option<usize>> {
        if db::articles::count_all(conn)? > 0 {
            return Ok(None);
        }
        let now = db::now();
        for tag in &demo.tags {
            db::tags::describe(conn, &tag.name, &tag.slug, tag.description.as_deref(), now)?;
        }
        for author in &authors {
            db::authors::upsert(conn, author, now)?;
        }
        let loaded = db::articles::import(conn, &articles, &links, now)?;
        for c in &demo.collections {
            let new = db::collections::NewCollection {
                slug: c.slug.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                articles: c
                    .articles
                    .iter()
                    .map(|s| db::articles::ArticleKey::Slug(s.clone()))
                    .collect(),
            };
            db::collections::upsert(conn, &new, now)?;
        }
        Ok(Some(loaded))
    })?;
    Ok(loaded)
}
