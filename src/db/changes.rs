//! The change log: what every write changed, as the cache keys it affects, appended in the
//! write's own transaction ([`record`]) and read back in order by whoever keeps copies of
//! public answers ([`since`]): this process's response cache, other replicas', a CDN.
//!
//! # Cache keys
//!
//! A public answer depends on keys; a change names keys; an answer is stale exactly when a
//! change names one of its keys.
//!
//! | key | an answer depends on it when it shows | a change names it when |
//! | --- | --- | --- |
//! | `a:{id}` | that article's data: the article, its teaser in a list, a related link to it, a 404 at `/articles/{id}` | the article changes in any way the public can see |
//! | `s:{slug}` | what the address `/articles/{slug}` answers | an article gets, loses or leaves that slug, or is published, unpublished or deleted under it |
//! | `t:{slug}` | that tag's data: the tag, its name on articles and teasers | the tag is created, renamed, described or deleted |
//! | `l:articles` | membership or order of the public article lists, the feed, the sitemap | an article joins or leaves public view (publish, unpublish, archive, delete, a scheduled article coming due) or moves in the order |
//! | `l:t:{slug}` | membership of that tag's lists and its count | an article carrying the tag joins, leaves or moves in public view, or the tag is put on or taken off a public article |
//! | `l:search` | search results | a public article's text or tags change, or it joins or leaves public view |
//! | `tags` | the tag list and its counts | any tag changes, or a tag's count may have |
//! | `au:{id}` | that author's data: their profile, their name, role and portrait on articles and teasers | the author is created, changed or deleted |
//! | `l:au:{slug}` | membership of that author's article lists (`author=`) and their count | an article crediting them joins, leaves or moves in public view, or they are put on or taken off a public article |
//! | `authors` | the author list and its counts, and an author address that is not found | any author changes, or an author's count may have |
//! | `c:{slug}` | that collection: its data and its order of articles (each shown teaser also names its `a:{id}`) | the collection is created, changed, reordered or deleted |
//! | `collections` | the collection list, and a collection address that is not found | a collection is created, renamed, described or deleted |
//! | `a:all` | any article's data at all (the sitemap; and any answer whose keys are too many for a CDN header, as the fallback) | every change that names an `a:` or `s:` key of an article the public sees or saw |
//!
//! Two rules keep the broad keys sound: every change naming `a:{id}` or `s:{slug}` of a
//! public article also names `a:all`, and every change naming a `t:` or `l:t:` key also
//! names `tags`; likewise `au:` and `l:au:` with `authors`, and `c:` with `collections`.
//! So an answer may swap its `a:`/`s:` keys for `a:all`, its `t:`/`l:t:` keys for `tags`,
//! its `au:`/`l:au:` keys for `authors` and its `c:` keys for `collections`, without ever
//! missing a change.
//!
//! Bookkeeping (webhook deliveries, rate limits, API keys, preview links) records nothing.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::events::Subscriptions;

use super::articles::model::{Article, Filters, Related, Sort, Teaser};
use super::{AnyConnection, Conn, Pool, StoreResult};
use crate::schema::changes;

/// The key of an article's data.
pub fn article(id: i64) -> String {
    format!("a:{id}")
}

/// The key of the article address `/articles/{slug}`.
pub fn address(slug: &str) -> String {
    format!("s:{slug}")
}

/// The key of a tag's data.
pub fn tag(slug: &str) -> String {
    format!("t:{slug}")
}

/// The key of the membership of a tag's lists.
pub fn tag_list(slug: &str) -> String {
    format!("l:t:{slug}")
}

/// The key of an author's data.
pub fn author(id: i64) -> String {
    format!("au:{id}")
}

/// The key of the membership of the article lists of the author with `slug`.
pub fn author_list(slug: &str) -> String {
    format!("l:au:{slug}")
}

/// The key of a collection: its data and order.
pub fn collection(slug: &str) -> String {
    format!("c:{slug}")
}

/// The author list and counts: the fallback of `au:` and `l:au:` keys.
pub const AUTHORS: &str = "authors";
/// The collection list: the fallback of `c:` keys.
pub const COLLECTIONS: &str = "collections";

/// Membership and order of the public article lists.
pub const ARTICLE_LIST: &str = "l:articles";
/// Search results.
pub const SEARCH: &str = "l:search";
/// The tag list and its counts.
pub const TAGS: &str = "tags";
/// Any article's data: the fallback of `a:` and `s:` keys.
pub const ALL_ARTICLES: &str = "a:all";

/// The broader key a key may give way to where a CDN header has no room for it, if any.
pub fn broader(key: &str) -> Option<&'static str> {
    if key.starts_with("a:") && key != ALL_ARTICLES || key.starts_with("s:") {
        Some(ALL_ARTICLES)
    } else if key.starts_with("t:") || key.starts_with("l:t:") {
        Some(TAGS)
    } else if key.starts_with("au:") || key.starts_with("l:au:") {
        Some(AUTHORS)
    } else if key.starts_with("c:") {
        Some(COLLECTIONS)
    } else {
        None
    }
}

/// Keys, in a stable order.
pub type Keys = BTreeSet<String>;

/// One change, as a write describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What happened, as the webhook event names it (`article.updated`, `tag.deleted`, …).
    pub kind: &'static str,
    /// What it happened to: `article:{id}` or `tag:{slug}`.
    pub resource: String,
    pub keys: Keys,
    /// Whether caches must drop what they hold at once (what was shown must not be shown
    /// again: an unpublish, a delete, a slug change), rather than serve it while they fetch
    /// it anew (an edit).
    pub hard: bool,
    /// Whether the public could see the resource before or can now: only such a change
    /// takes a place among the public's changes (the sync feed, the event stream).
    pub public: bool,
    /// The resource's slug as the change leaves it, or as the public last saw it when the
    /// change takes it out of view (never a slug the public has not seen).
    pub slug: String,
    /// The slugs of the article's tags on the same terms, and of the tags the public saw
    /// on it before when it leaves a tag; empty for a tag.
    pub tags: Vec<String>,
    /// Why the resource left view, when it did: `deleted`, `unpublished` or `archived`.
    pub reason: Option<&'static str>,
    /// The block of a live article the change wrote, if it wrote one.
    pub block: Option<i64>,
}

/// A change as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = changes, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Recorded {
    pub seq: i64,
    pub kind: String,
    pub resource: String,
    #[diesel(deserialize_as = String)]
    pub keys: KeyList,
    pub hard: bool,
    pub created_at: NaiveDateTime,
    pub public_seq: Option<i64>,
    pub slug: String,
    #[diesel(deserialize_as = String)]
    pub tags: KeyList,
    pub reason: Option<String>,
    pub block_id: Option<i64>,
}

/// The keys (or tag slugs) of a recorded change (stored space-separated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyList(pub Vec<String>);

impl From<String> for KeyList {
    fn from(stored: String) -> Self {
        Self(
            stored
                .split(' ')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

/// The channel PostgreSQL notifies on each recorded change (its payload is the sequence
/// number; the trigger `changes_notify` sends it); followers listen on it and read the log
/// from where they are.
pub const CHANNEL: &str = "gazette_changes";

/// Appends `change` to the log, with `conn`: it commits or rolls back with the caller's
/// transaction. On PostgreSQL, listeners are notified when it commits. The change is also
/// queued as the webhook event `cache.purge` for subscriptions that list it.
pub fn record(conn: &mut Conn, change: &Change, now: NaiveDateTime) -> QueryResult<()> {
    record_with(conn, change, now, &mut Subscriptions::default())
}

/// [`record`], its webhook event queued for `subscriptions` (read at most once for all the
/// events of a write).
pub fn record_with(
    conn: &mut Conn,
    change: &Change,
    now: NaiveDateTime,
    subscriptions: &mut Subscriptions,
) -> QueryResult<()> {
    let keys = change.keys.iter().map(String::as_str).collect::<Vec<_>>();
    // A public change's position is one past the newest in the same statement, so that
    // public positions have no gaps (every writer holds the write lock, crate::db::write);
    // with none in the log, one past the horizon's (what retention removed).
    let sql = "INSERT INTO changes \
        (kind, resource, keys, hard, created_at, public_seq, slug, tags, reason, block_id) \
        SELECT $1, $2, $3, $4, $5, CASE WHEN $6 THEN COALESCE((SELECT MAX(public_seq) FROM changes), \
        (SELECT MAX(public_seq) FROM change_horizon), 0) + 1 END, $7, $8, $9, $10 \
        RETURNING seq";
    let seq = diesel::sql_query(sql)
        .bind::<Text, _>(change.kind)
        .bind::<Text, _>(&change.resource)
        .bind::<Text, _>(keys.join(" "))
        .bind::<Bool, _>(change.hard)
        .bind::<Timestamp, _>(now)
        .bind::<Bool, _>(change.public)
        .bind::<Text, _>(&change.slug)
        .bind::<Text, _>(change.tags.join(" "))
        .bind::<Nullable<Text>, _>(change.reason)
        .bind::<Nullable<BigInt>, _>(change.block)
        .get_result::<Seq>(conn)?
        .seq;
    if keys.is_empty() {
        return Ok(());
    }
    let data = serde_json::json!({"keys": keys, "soft": !change.hard, "seq": seq});
    super::events::record_with(conn, subscriptions, "cache.purge", &data, now)
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// The changes after `seq`, oldest first, at most `limit`.
pub fn since(conn: &mut Conn, seq: i64, limit: i64) -> QueryResult<Vec<Recorded>> {
    changes::table
        .filter(changes::seq.gt(seq))
        .order(changes::seq)
        .limit(limit)
        .select(Recorded::as_select())
        .load(conn)
}

/// The newest change's sequence number; 0 when the log is empty.
pub fn last(conn: &mut Conn) -> QueryResult<i64> {
    changes::table
        .select(diesel::dsl::max(changes::seq))
        .get_result::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// The sequence number of the newest change the public could see (one with a public
/// position), or 0.
pub fn last_public(conn: &mut Conn) -> QueryResult<i64> {
    changes::table
        .filter(changes::public_seq.is_not_null())
        .order(changes::public_seq.desc())
        .select(changes::seq)
        .first::<i64>(conn)
        .optional()
        .map(Option::unwrap_or_default)
}

/// What an article answer shows: the article, the address it is read at, its tags and the
/// addresses of the internal links it shows. A hidden link's target is named nowhere in a
/// public answer: its publication names the articles linking to it instead.
pub fn shown_by_article(article: &Article) -> Keys {
    let row = &article.row.teaser;
    let mut keys = Keys::from([self::article(row.id), address(&row.slug)]);
    keys.extend(article.tags.iter().map(|t| tag(&t.slug)));
    keys.extend(article.authors.iter().map(|a| author(a.id)));
    keys.extend(shown_links(&article.related));
    keys
}

/// The addresses of the internal links among `related` (all of them shown).
pub fn shown_links(related: &[Related]) -> impl Iterator<Item = String> + '_ {
    related.iter().filter_map(|link| match link {
        Related::Internal { slug, .. } => Some(address(slug)),
        Related::External { .. } => None,
    })
}

/// What a list of teasers shows: each article and its tags.
pub fn shown_by_teasers<'t>(teasers: impl IntoIterator<Item = &'t Teaser>) -> Keys {
    let mut keys = Keys::new();
    for teaser in teasers {
        keys.insert(article(teaser.row.id));
        keys.extend(teaser.tags.iter().map(|t| tag(&t.slug)));
        keys.extend(teaser.authors.iter().map(|a| author(a.id)));
    }
    keys
}

/// What decides the membership and order of an article list with `filters`, in `sort`
/// order (`None`: search results by relevance).
pub fn list_membership(filters: &Filters, sort: Option<Sort>, searched: bool) -> Keys {
    let mut keys: Keys = if filters.tags.is_empty() && filters.authors.is_empty() {
        Keys::from([ARTICLE_LIST.to_owned()])
    } else {
        let tags = filters.tags.iter().map(|t| tag_list(t));
        tags.chain(filters.authors.iter().map(|a| author_list(a)))
            .collect()
    };
    if searched {
        keys.insert(SEARCH.to_owned());
    }
    // Any edit moves an article to the top of the list by update time.
    if sort == Some(Sort::UpdatedDesc) {
        keys.insert(ALL_ARTICLES.to_owned());
    }
    keys
}

/// A connection that follows the log: told of new changes by PostgreSQL's notifications,
/// and on SQLite (which has none) by looking every [`SQLITE_LOOK`].
pub struct Listener {
    conn: Conn,
}

/// How often a SQLite follower reads the log for changes other processes made.
pub const SQLITE_LOOK: std::time::Duration = std::time::Duration::from_millis(10);

/// How often a PostgreSQL follower checks for a notification that has arrived (a look at
/// the connection's socket, no query).
const PG_LOOK: std::time::Duration = std::time::Duration::from_millis(2);

impl Listener {
    /// A listener on a connection of its own to `pool`'s database.
    pub fn open(pool: &Pool) -> StoreResult<Self> {
        let mut conn = pool.dedicated()?;
        if let AnyConnection::Postgres(pg) = &mut conn {
            diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(pg)?;
        }
        Ok(Self { conn })
    }

    /// Waits, at most `timeout`, until the log may have grown: until a notification arrives
    /// on PostgreSQL, one look on SQLite. Returns whether it was told of a change.
    pub fn wait(&mut self, timeout: std::time::Duration) -> StoreResult<bool> {
        let AnyConnection::Postgres(pg) = &mut self.conn else {
            std::thread::sleep(SQLITE_LOOK.min(timeout));
            return Ok(true);
        };
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let mut told = false;
            for notification in pg.notifications_iter() {
                notification?;
                told = true;
            }
            if told {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(PG_LOOK);
        }
    }

    /// This listener's connection, to read the log and what it names.
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_narrow_key_has_a_broader_one_that_covers_it() {
        assert_eq!(broader(&article(7)), Some(ALL_ARTICLES));
        assert_eq!(broader(&address("tram-vote")), Some(ALL_ARTICLES));
        assert_eq!(broader(&tag("transport")), Some(TAGS));
        assert_eq!(broader(&tag_list("transport")), Some(TAGS));
        for broad in [ALL_ARTICLES, TAGS, ARTICLE_LIST, SEARCH] {
            assert_eq!(broader(broad), None, "{broad}");
        }
    }

    #[test]
    fn stored_keys_read_back_in_order() {
        let read = KeyList::from("a:1 l:articles  t:harbour".to_owned());
        assert_eq!(read.0, ["a:1", "l:articles", "t:harbour"]);
    }
}
