//! The demo newsroom that `serve --demo` loads into an empty database.

use serde::Deserialize;

use crate::api::articles::{ArticleCreate, BlockCreate, related_specs};
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

#[derive(Deserialize)]
struct Demo {
    tags: Vec<DemoTag>,
    articles: Vec<DemoArticle>,
}

/// Loads the demo content when the database has no articles; returns how many it loaded.
///
/// The check and the load are one write transaction, which holds the database's write lock
/// from its start (see [`db::write`]): replicas that start with `--demo` together on one
/// empty database load the demo once, and the others find it there.
pub fn load(conn: &mut Conn) -> Result<Option<usize>, Box<dyn std::error::Error>> {
    let demo: Demo = serde_json::from_str(CONTENT)?;
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
        Ok(Some(db::articles::import(conn, &articles, &links, now)?))
    })?;
    Ok(loaded)
}
