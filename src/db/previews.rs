//! Preview links: random tokens that show one unpublished article to whoever holds them.
//! A token is shown once, when minted, and stored only as its SHA-256 hash, found by an
//! indexed lookup of that hash (a timing difference can tell nothing about a token from its
//! hash). A link lives until it expires or is revoked, and never shows its article once the
//! article is public: a read then finds nothing, and any write to the article while it is
//! (or was, just before) public removes its links for good ([`forget`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::articles::model::{Article, ArticleKey, Visibility, is_public};
use super::articles::read::{find, find_row};
use super::{Conn, StoreError, StoreResult};
use crate::schema::article_previews;

/// Random bytes in a token: 256 bits, far past guessing.
const TOKEN_BYTES: usize = 32;
/// Characters of a token: its bytes in unpadded base64url.
pub const TOKEN_CHARS: usize = 43;
/// Live links one article may have at once; revoke one (or let it expire) to mint more.
pub const MAX_LIVE_PER_ARTICLE: i64 = 50;

/// A stored link, without its hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_previews, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PreviewRow {
    pub id: i64,
    pub article_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of a minted one; others are not looked up at all.
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn unpublished(conn: &mut Conn, key: &ArticleKey, now: NaiveDateTime) -> StoreResult<i64> {
    let row = find_row(conn, key, Visibility::All)?;
    if is_public(&row, now) {
        return Err(StoreError::Conflict(format!(
            "The article '{}' is published: its public address shows it. A preview link shows \
             an article only while it is a draft, scheduled or archived.",
            row.teaser.slug
        )));
    }
    Ok(row.teaser.id)
}

/// Mints a link to the unpublished article `key` names, living `lifetime` from `now`;
/// returns its row and the token itself, which is not kept. Links that have expired, of any
/// article, are removed on the way.
pub fn mint(
    conn: &mut Conn,
    key: &ArticleKey,
    lifetime: Duration,
    now: NaiveDateTime,
) -> StoreResult<(PreviewRow, String)> {
    let mut secret = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut secret)
        .map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(secret);
    super::write(conn, |conn| {
        let article_id = unpublished(conn, key, now)?;
        diesel::delete(article_previews::table.filter(article_previews::expires_at.le(now)))
            .execute(conn)?;
        let live: i64 = article_previews::table
            .filter(article_previews::article_id.eq(article_id))
            .select(count_star())
            .get_result(conn)?;
        if live >= MAX_LIVE_PER_ARTICLE {
            return Err(StoreError::Conflict(format!(
                "The article has {live} live preview links, the most it may have: revoke one \
                 (DELETE …/previews/{{id}}) before minting another."
            )));
        }
        let id: i64 = diesel::insert_into(article_previews::table)
            .values((
                article_previews::article_id.eq(article_id),
                article_previews::token_hash.eq(hash(&token)),
                article_previews::created_at.eq(now),
                article_previews::expires_at.eq(now + lifetime),
            ))
            .returning(article_previews::id)
            .get_result(conn)?;
        let row = article_previews::table
            .find(id)
            .select(PreviewRow::as_select())
            .first(conn)?;
        Ok((row, token))
    })
}

/// The live links of the article `key` names (of any status), newest first.
pub fn list(conn: &mut Conn, key: &ArticleKey, now: NaiveDateTime) -> StoreResult<Vec<PreviewRow>> {
    let article_id = find_row(conn, key, Visibility::All)?.teaser.id;
    Ok(article_previews::table
        .filter(article_previews::article_id.eq(article_id))
        .filter(article_previews::expires_at.gt(now))
        .order(article_previews::id.desc())
        .select(PreviewRow::as_select())
        .load(conn)?)
}

/// Revokes the live link `id` of the article `key` names: its token answers nothing from
/// the next request on.
pub fn revoke(conn: &mut Conn, key: &ArticleKey, id: i64, now: NaiveDateTime) -> StoreResult<()> {
    super::write(conn, |conn| {
        let article_id = find_row(conn, key, Visibility::All)?.teaser.id;
        let gone = diesel::delete(
            article_previews::table
                .filter(article_previews::id.eq(id))
                .filter(article_previews::article_id.eq(article_id))
                .filter(article_previews::expires_at.gt(now)),
        )
        .execute(conn)?;
        match gone {
            0 => Err(StoreError::NotFound(format!(
                "The article has no live preview link with the id {id}."
            ))),
            _ => Ok(()),
        }
    })
}

/// The article a live `token` shows, as an admin reads it; `None` for a token that is
/// malformed, unknown, expired or revoked, or whose article is gone or public.
pub fn open(conn: &mut Conn, token: &str, now: NaiveDateTime) -> StoreResult<Option<Article>> {
    if !well_formed(token) {
        return Ok(None);
    }
    let article_id: Option<i64> = article_previews::table
        .filter(article_previews::token_hash.eq(hash(token)))
        .filter(article_previews::expires_at.gt(now))
        .select(article_previews::article_id)
        .first(conn)
        .optional()?;
    let Some(article_id) = article_id else {
        return Ok(None);
    };
    // Deleted since the lookup, or published: the link is dead.
    match find(conn, &ArticleKey::Id(article_id), Visibility::All) {
        Ok(article) if !is_public(&article.row, now) => Ok(Some(article)),
        Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Removes every link of the article `article_id`: called by each write to an article that
/// is public before or after it, so that a link minted before publication never shows the
/// article again, even once it is unpublished or archived.
pub(super) fn forget(conn: &mut Conn, article_id: i64) -> QueryResult<usize> {
    diesel::delete(article_previews::table.filter(article_previews::article_id.eq(article_id)))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_strings_are_looked_up() {
        let token = URL_SAFE_NO_PAD.encode([7u8; TOKEN_BYTES]);
        assert_eq!(token.len(), TOKEN_CHARS);
        assert!(well_formed(&token));
        assert!(!well_formed(&token[1..]));
        assert!(!well_formed(&format!("{token}A")));
        assert!(!well_formed(&format!("{}.", &token[1..])));
        assert!(!well_formed(""));
    }

    #[test]
    fn the_hash_is_not_the_token() {
        let token = URL_SAFE_NO_PAD.encode([7u8; TOKEN_BYTES]);
        assert_ne!(hash(&token), token);
        assert_eq!(hash(&token), hash(&token));
        assert!(!hash(&token).contains(&token[..8]));
    }
}
