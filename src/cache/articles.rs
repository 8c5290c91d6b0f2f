//! Rendered public articles, kept in memory and served again while nothing they show has
//! changed.

use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;

use crate::cache::bounded::BoundedCache;
use crate::db::articles::{ArticleKey, Stamp};

/// One rendered response: the JSON of an article as the public reads it, with its
/// validators, and the stamp of what it was rendered from.
#[derive(Debug)]
pub struct Rendered {
    pub stamp: Stamp,
    pub body: Bytes,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
}

/// The public JSON of recently read articles, by the key they were asked for. An entry is
/// never served on trust: every read first reads the article's stamp from the database
/// ([`crate::db::articles::stamp`]) and serves the entry only when it is the same, so a
/// change made by this process, another replica or the CLI is seen by the next read.
pub type ArticleCache = BoundedCache<ArticleKey, Arc<Rendered>>;

/// The bytes an entry holds, as counted against the cache's budget.
pub fn weight(key: &ArticleKey, entry: &Rendered) -> usize {
    let key = match key {
        ArticleKey::Id(_) => 8,
        ArticleKey::Slug(slug) => slug.len(),
    };
    key + entry.body.len() + entry.etag.len() + entry.last_modified.len() + 128
}
