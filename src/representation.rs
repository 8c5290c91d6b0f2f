//! A representation's content coding and validators: gzip or brotli by `Accept-Encoding`,
//! strong entity tags, and the `If-None-Match`, `If-Match` and `Cache-Control` tests on them.

use std::io::Write;

use actix_web::http::header::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A content coding this server can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    pub fn token(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }
}

/// The coding to use for a client's `Accept-Encoding`: brotli, then gzip, by their q-values.
pub fn negotiate(accept_encoding: &str) -> Coding {
    let mut best = (Coding::Identity, 0.0_f32);
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let coding = match name.as_str() {
            "br" => Coding::Brotli,
            "gzip" | "x-gzip" => Coding::Gzip,
            _ => continue,
        };
        // Ties go to brotli, which compresses better.
        let better = q > best.1 || (q == best.1 && coding == Coding::Brotli);
        if q > 0.0 && better {
            best = (coding, q);
        }
    }
    best.0
}

pub fn compressible(content_type: Option<&HeaderValue>) -> bool {
    let Some(ct) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("javascript")
        || ct.contains("xml")
        || ct.contains("svg")
}

pub fn encode(body: &[u8], coding: Coding) -> std::io::Result<Vec<u8>> {
    match coding {
        Coding::Identity => Ok(body.to_vec()),
        Coding::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            encoder.write_all(body)?;
            encoder.finish()
        }
        Coding::Brotli => {
            let mut out = Vec::with_capacity(body.len() / 4);
            {
                let mut writer = brotli::CompressorWriter::new(&mut out, 16 * 1024, 5, 22);
                writer.write_all(body)?;
            }
            Ok(out)
        }
    }
}

/// The strong entity tag of `body` sent with `coding`: a hash of the content, so every
/// replica computes the same one, distinct per coding as RFC 9110 asks of strong validators.
pub fn entity_tag(body: &[u8], coding: Coding) -> String {
    let hash = URL_SAFE_NO_PAD.encode(&Sha256::digest(body)[..18]);
    match coding.token() {
        Some(token) => format!("\"{hash}-{token}\""),
        None => format!("\"{hash}\""),
    }
}

/// The entity tag of the same content sent with `coding`, from its identity tag (as
/// [`entity_tag`] makes it with [`Coding::Identity`]).
pub fn coded_tag(identity: &str, coding: Coding) -> String {
    match (coding.token(), identity.strip_suffix('"')) {
        (Some(token), Some(open)) => format!("{open}-{token}\""),
        _ => identity.to_owned(),
    }
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as RFC 9110 says).
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let etag = strip(etag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || strip(candidate) == etag)
}

/// Whether an `If-Match` value matches the identity `etag` of the current representation:
/// strong comparison, except that a tag of another content coding of the same content
/// (`"…-gzip"`, `"…-br"`) matches too.
pub fn if_match(if_match: &str, etag: &str) -> bool {
    if_match.split(',').map(str::trim).any(|candidate| {
        if candidate == "*" {
            return true;
        }
        if candidate.starts_with("W/") {
            return false;
        }
        let bare = candidate.trim_matches('"');
        let bare = bare
            .strip_suffix("-gzip")
            .or_else(|| bare.strip_suffix("-br"))
            .unwrap_or(bare);
        format!("\"{bare}\"") == etag
    })
}
/// Whether a `Cache-Control` value says `no-store`: what a handler says of live state
/// (metrics) and of an answer for its requester alone (a preview link's article). Such a
/// response gets no validator and is never kept.
pub fn forbids_storing(cache_control: &HeaderValue) -> bool {
    cache_control.to_str().is_ok_and(|value| {
        value
            .split(',')
            .any(|directive| directive.trim().eq_ignore_ascii_case("no-store"))
    })
}
/// What a public answer shows, as change-log keys (`crate::db::changes`): a handler puts it
/// in the response's extensions; the caching layer keeps the answer until a change names one
/// of them, and tells a CDN the same keys. An answer without it is not kept.
#[derive(Debug, Clone, Default)]
pub struct Shown(pub std::collections::BTreeSet<String>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        assert_eq!(negotiate("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(negotiate("gzip"), Coding::Gzip);
        assert_eq!(negotiate("br;q=0.5, gzip"), Coding::Gzip);
        assert_eq!(negotiate("br;q=0, gzip;q=0"), Coding::Identity);
        assert_eq!(negotiate(""), Coding::Identity);
        assert_eq!(negotiate("identity"), Coding::Identity);
    }

    #[test]
    fn etags_are_strong_per_content_and_coding() {
        let plain = entity_tag(b"abc", Coding::Identity);
        assert!(plain.starts_with('"') && plain.ends_with('"'));
        assert_eq!(plain, entity_tag(b"abc", Coding::Identity));
        assert_ne!(plain, entity_tag(b"abd", Coding::Identity));
        assert_ne!(plain, entity_tag(b"abc", Coding::Gzip));
    }

    #[test]
    fn no_store_is_found_among_directives() {
        for value in ["no-store", "private, no-store", "No-Store ,max-age=0"] {
            assert!(forbids_storing(&HeaderValue::from_static(value)), "{value}");
        }
        for value in ["public, max-age=60", "no-cache", "private", "no-storey"] {
            assert!(
                !forbids_storing(&HeaderValue::from_static(value)),
                "{value}"
            );
        }
    }

    #[test]
    fn if_none_match_lists_and_wildcards() {
        assert!(none_match("\"a\", \"b\"", "\"b\""));
        assert!(none_match("W/\"b\"", "\"b\""));
        assert!(none_match("*", "\"b\""));
        assert!(!none_match("\"a\"", "\"b\""));
    }

    #[test]
    fn if_match_is_strong_but_coding_blind() {
        let etag = entity_tag(b"abc", Coding::Identity);
        assert!(if_match(&etag, &etag));
        assert!(if_match("*", &etag));
        assert!(if_match(
            &format!("\"x\", {}", entity_tag(b"abc", Coding::Gzip)),
            &etag
        ));
        assert!(!if_match(&format!("W/{etag}"), &etag));
        assert!(!if_match(&entity_tag(b"abd", Coding::Identity), &etag));
    }

    #[test]
    fn coded_tags_are_the_tags_of_the_coded_content() {
        for coding in [Coding::Identity, Coding::Gzip, Coding::Brotli] {
            let identity = entity_tag(b"abc", Coding::Identity);
            assert_eq!(coded_tag(&identity, coding), entity_tag(b"abc", coding));
        }
    }

    #[test]
    fn compressed_bodies_decode_to_the_original() {
        use std::io::Read;
        let body = "Port Calder ".repeat(200);
        let gz = encode(body.as_bytes(), Coding::Gzip).unwrap();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, body);
        let br = encode(body.as_bytes(), Coding::Brotli).unwrap();
        let mut out = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, body);
        assert!(br.len() < body.len() / 10);
    }
}
