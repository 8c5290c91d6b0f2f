//! What a CDN in front is told of a public answer: its cache keys, in each header named by
//! `CACHE_TAG_HEADERS`, and how long it may keep the answer (`CDN_CACHE_CONTROL`, as
//! `CDN-Cache-Control` and `Surrogate-Control`, while browsers keep `Cache-Control`).

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::{Settings, TagHeader};
use crate::db::articles::ArticleKey;
use crate::db::changes;

/// The article `path` addresses, if it is one article's address or its related list.
pub fn article_address(path: &str) -> Option<ArticleKey> {
    let rest = path.strip_prefix("/api/v1/articles/")?;
    let key = rest.strip_suffix("/related").unwrap_or(rest);
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    plain.then(|| ArticleKey::parse(key))
}

/// The keys of what an address shows when its handler said nothing (a 404 or a redirect):
/// an article's address (by slug or id), a tag's, a tag's feed.
pub fn keys_of_address(path: &str, query: &str) -> Vec<String> {
    if let Some(key) = article_address(path) {
        return vec![match key {
            ArticleKey::Id(id) => changes::article(id),
            ArticleKey::Slug(slug) => changes::address(&slug),
        }];
    }
    if let Some(slug) = path
        .strip_prefix("/api/v1/tags/")
        .filter(|s| !s.contains('/'))
    {
        return vec![changes::tag(slug), changes::tag_list(slug)];
    }
    if path.starts_with("/api/v1/authors/") {
        return vec![changes::AUTHORS.to_owned()];
    }
    if let Some(slug) = path
        .strip_prefix("/api/v1/collections/")
        .filter(|s| !s.contains('/'))
    {
        return vec![changes::collection(slug), changes::COLLECTIONS.to_owned()];
    }
    if path == "/feed.atom" && query.contains("tag=") {
        return vec![changes::TAGS.to_owned()];
    }
    if path == "/feed.atom" && query.contains("author=") {
        return vec![changes::AUTHORS.to_owned()];
    }
    Vec::new()
}

/// Adds the tag headers for `keys` and the CDN's cache policy to a public answer.
pub fn tell(headers: &mut HeaderMap, keys: &[String], settings: &Settings) {
    for tag_header in &settings.cache_tag_headers {
        let value = tag_value(keys, *tag_header);
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(tag_header.name()), value);
        }
    }
    if let Some(policy) = &settings.cdn_cache_control
        && let Ok(value) = HeaderValue::from_str(policy)
    {
        headers.insert(HeaderName::from_static("cdn-cache-control"), value.clone());
        headers.insert(HeaderName::from_static("surrogate-control"), value);
    }
}

/// `keys` as `header` writes them, within its limit: when they do not fit, the narrow keys
/// give way to the broader ones that cover them ([`changes::broader`]), articles first,
/// then tags. A key is never dropped without the one covering it.
pub fn tag_value(keys: &[String], header: TagHeader) -> String {
    let separator = header.separator().to_string();
    let mut keys: Vec<String> = keys.to_vec();
    for widen in [
        changes::ALL_ARTICLES,
        changes::TAGS,
        changes::AUTHORS,
        changes::COLLECTIONS,
    ] {
        let value = keys.join(&separator);
        if value.len() <= header.limit() {
            return value;
        }
        let mut widened: Vec<String> = keys
            .into_iter()
            .filter(|k| changes::broader(k) != Some(widen))
            .collect();
        if !widened.iter().any(|k| k == widen) {
            widened.push(widen.to_owned());
        }
        keys = widened;
    }
    keys.join(&separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_articles_address_is_an_article() {
        assert_eq!(
            article_address("/api/v1/articles/tram-vote"),
            Some(ArticleKey::Slug("tram-vote".to_owned()))
        );
        assert_eq!(
            article_address("/api/v1/articles/42/related"),
            Some(ArticleKey::Id(42))
        );
        for other in [
            "/api/v1/articles",
            "/api/v1/articles/",
            "/api/v1/articles/tram-vote/revisions",
            "/api/v1/articles/Tram%20Vote",
            "/api/v1/tags/tram",
        ] {
            assert_eq!(article_address(other), None, "{other}");
        }
    }

    #[test]
    fn keys_that_do_not_fit_give_way_to_broader_ones() {
        let mut keys: Vec<String> = (0..3000).map(changes::article).collect();
        keys.extend(["l:articles".to_owned(), "t:harbour".to_owned()]);
        let value = tag_value(&keys, TagHeader::Xkey);
        assert!(value.len() <= TagHeader::Xkey.limit());
        let sent: Vec<&str> = value.split(' ').collect();
        assert!(sent.contains(&"a:all") && sent.contains(&"l:articles"));
        assert!(
            sent.contains(&"t:harbour"),
            "kept: it fits once articles are widened"
        );
        assert!(!sent.contains(&"a:7"));
        let few = tag_value(&keys[..3], TagHeader::CacheTag);
        assert_eq!(few, "a:0,a:1,a:2", "commas for Cloudflare");
    }
}
