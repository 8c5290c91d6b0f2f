//! The two caches of rendered public answers, both within a budget of bytes
//! (`RESPONSE_CACHE_MB`): whole responses by URL, checked against the database's generation
//! ([`responses`]), and articles by key, checked against the article's stamp ([`articles`]).

pub mod articles;
pub mod bounded;
pub mod responses;
