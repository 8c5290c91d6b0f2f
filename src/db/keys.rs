//! API keys: minted once, stored only as SHA-256 hashes, checked in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Conn, StoreError, StoreResult};
use crate::schema::api_keys;

/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "gazette_";
/// Characters of the random part kept in clear to find the key's row.
const LOOKUP_LEN: usize = 8;

/// A stored key, without its hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

fn hash(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(key.as_bytes()))
}

/// Mints a key with 32 random bytes; returns its row and the key itself, which is not kept.
pub fn create(
    conn: &mut Conn,
    name: &str,
    scope: &str,
    now: NaiveDateTime,
) -> StoreResult<(KeyRow, String)> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
    let random = URL_SAFE_NO_PAD.encode(secret);
    let key = format!("{KEY_PREFIX}{random}");
    let id: i64 = diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::scope.eq(scope),
            api_keys::prefix.eq(&random[..LOOKUP_LEN]),
            api_keys::key_hash.eq(hash(&key)),
            api_keys::created_at.eq(now),
        ))
        .returning(api_keys::id)
        .get_result(conn)?;
    let row = api_keys::table
        .find(id)
        .select(KeyRow::as_select())
        .first(conn)?;
    Ok((row, key))
}

pub fn list(conn: &mut Conn) -> QueryResult<Vec<KeyRow>> {
    api_keys::table
        .select(KeyRow::as_select())
        .order(api_keys::id)
        .load(conn)
}

/// Revokes the key with this id or lookup prefix; it fails from its next request on.
pub fn revoke(conn: &mut Conn, id_or_prefix: &str, now: NaiveDateTime) -> StoreResult<KeyRow> {
    let id = id_or_prefix.parse::<i64>().unwrap_or(-1);
    let target = api_keys::table.filter(api_keys::id.eq(id).or(api_keys::prefix.eq(id_or_prefix)));
    let id: i64 = diesel::update(target)
        .set(api_keys::revoked_at.eq(Some(now)))
        .returning(api_keys::id)
        .get_result(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(format!("No key has the id or prefix '{id_or_prefix}'."))
        })?;
    Ok(api_keys::table
        .find(id)
        .select(KeyRow::as_select())
        .first(conn)?)
}

/// A live key a request was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveKey {
    /// The key's row id: what its writes are counted under.
    pub id: i64,
    pub scope: String,
}

/// The live key `key`, or `None` when it is unknown, malformed or revoked.
pub fn authenticate(conn: &mut Conn, key: &str) -> QueryResult<Option<LiveKey>> {
    let Some(random) = key.strip_prefix(KEY_PREFIX) else {
        return Ok(None);
    };
    let Some(lookup) = random.get(..LOOKUP_LEN) else {
        return Ok(None);
    };
    let stored: Option<(i64, String, String)> = api_keys::table
        .filter(api_keys::prefix.eq(lookup))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::id, api_keys::key_hash, api_keys::scope))
        .first(conn)
        .optional()?;
    Ok(stored.and_then(|(id, stored_hash, scope)| {
        bool::from(hash(key).as_bytes().ct_eq(stored_hash.as_bytes()))
            .then_some(LiveKey { id, scope })
    }))
}
