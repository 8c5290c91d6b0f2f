//! How an import's new articles reach the search index: all at once at the end, with the
//! per-article trigger set aside meanwhile.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::body_vectors::BodyVectors;
use crate::db::{AnyConnection, Conn};

/// How new articles reach the search index: by trigger as each is inserted, or all at the
/// end of the first pass ([`index_new_articles`]).
pub(super) struct Index {
    /// False once found that the trigger cannot be set aside.
    defer: bool,
    /// Set once the trigger is set aside.
    pub(super) deferred: Option<Deferred>,
    /// The new articles' bodies, on their way to a second connection that computes their
    /// search vectors (PostgreSQL).
    pub(super) vectors: BodyVectors,
}

impl Index {
    pub(super) fn new(vectors: BodyVectors) -> Self {
        Self {
            defer: true,
            deferred: None,
            vectors,
        }
    }

    /// Called before inserting an article; returns whether the search index gets its row
    /// now (by trigger), so that its tags must be brought up to date there.
    ///
    /// The first call sets aside, inside the import's transaction, the trigger that indexes
    /// each new article, to index them all at the end instead, each once with its tags:
    /// - On SQLite it drops the trigger (and creates it again before the commit; a rollback
    ///   restores it). FTS5 writes its pending terms to disk at every statement that may need
    ///   rolling back (each insert, through its trigger), so indexed one by one, every article
    ///   became a segment of its own that FTS5 then merged again and again; and each new
    ///   article was tokenized three times (inserted without tags, then updated with them,
    ///   which takes the old text out and puts the new in).
    /// - On PostgreSQL it disables the trigger for the transaction (`ALTER TABLE … DISABLE
    ///   TRIGGER` locks out other writers of `articles`, who wait for the import's advisory
    ///   lock anyway, but not readers; other sessions keep seeing it enabled). Each new
    ///   article's tsvector (the import's main cost there, BENCHMARKS.md) was computed
    ///   twice, without tags and with them.
    pub(super) fn before_insert(&mut self, conn: &mut Conn) -> QueryResult<bool> {
        if !self.defer {
            return Ok(true);
        }
        if self.deferred.is_some() {
            return Ok(false);
        }
        let (find, set_aside) = match conn {
            AnyConnection::Sqlite(_) => (
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' \
                 AND name = 'articles_fts_insert'",
                "DROP TRIGGER articles_fts_insert",
            ),
            AnyConnection::Postgres(_) => (
                "SELECT 'ALTER TABLE articles ENABLE TRIGGER articles_search_insert' AS sql \
                 FROM pg_trigger WHERE tgrelid = 'articles'::regclass \
                 AND tgname = 'articles_search_insert' AND tgenabled <> 'D'",
                "ALTER TABLE articles DISABLE TRIGGER articles_search_insert",
            ),
        };
        let Some(restore) = diesel::sql_query(find)
            .get_result::<SqlText>(conn)
            .optional()?
        else {
            // Not there (a schema of another version): leave everything as it is.
            self.defer = false;
            return Ok(true);
        };
        conn.batch_execute(set_aside)?;
        let last_id = diesel::sql_query("SELECT COALESCE(MAX(id), 0) AS id FROM articles")
            .get_result::<MaxId>(conn)?
            .id;
        self.deferred = Some(Deferred {
            last_id,
            restore: restore.sql,
        });
        Ok(false)
    }
}

/// What [`index_new_articles`] needs: the articles created after `last_id` are this import's,
/// and `restore` is the statement that puts the insert trigger back.
pub(super) struct Deferred {
    pub(super) last_id: i64,
    restore: String,
}

#[derive(QueryableByName)]
pub(super) struct SqlText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    sql: String,
}

#[derive(QueryableByName)]
pub(super) struct MaxId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// FTS5's settings while the one statement below fills the full index. FTS5 gathers the terms
/// of what it is given in memory and writes them as a segment whenever they pass `hashsize`
/// (1 MiB by default), and merges a level's segments into one of the next whenever there are
/// `automerge` of them (4): 1 GB of text (the 100k bench set) made about a thousand segments
/// and merged its terms again at every level. With 32 MiB and 16, that statement took about
/// 15 s rather than 22–25 s (BENCHMARKS.md). Both are stored in the index's configuration, inside
/// the import's transaction: [`FTS5_SERVING`] sets FTS5's defaults again after the statement,
/// so that the server's writes merge as before (and take over merging what the import left
/// at up to 15 segments a level).
const FTS5_FILLING: &str = "INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', 33554432); \
    INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 16)";
const FTS5_SERVING: &str = "INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', 1048576); \
    INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 4)";

/// Indexes every article created since [`Index::before_insert`] set the trigger aside, in one
/// statement, as it is now and with its tags as the tag code indexes them
/// ([`crate::db::search::refresh_tags`]); then puts the trigger back. On PostgreSQL a body's
/// vector that `vectors`' helper computed from the same text is taken as it is.
pub(super) fn index_new_articles(
    conn: &mut Conn,
    deferred: Deferred,
    vectors: BodyVectors,
) -> QueryResult<()> {
    vectors.finish();
    let sql = match conn {
        AnyConnection::Sqlite(_) => {
            "INSERT INTO articles_fts (rowid, title, summary, body, tags) \
             SELECT id, title, summary, body, tags FROM article_search_texts \
             WHERE id > ? ORDER BY id"
        }
        AnyConnection::Postgres(_) => {
            "INSERT INTO articles_search \
             (article_id, title, summary, body, tags, published, document) \
             SELECT a.id, a.title, a.summary, b.body, t.tags, a.published_at, \
             CASE WHEN v.body_md5 = md5(b.body) \
             THEN articles_search_document(a.title, t.tags, a.summary, v.body_vector) END \
             FROM articles a \
             CROSS JOIN LATERAL (SELECT a.body_text || CASE WHEN a.blocks_text = '' \
             THEN '' ELSE E'\\n\\n' || a.blocks_text END AS body) b \
             CROSS JOIN LATERAL (SELECT article_tag_names(a.id) AS tags) t \
             LEFT JOIN search_vectors v ON v.article_id = a.id \
             WHERE a.id > $1 ORDER BY a.id"
        }
    };
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute(FTS5_FILLING)?;
    }
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(deferred.last_id)
        .execute(conn)?;
    if sqlite {
        conn.batch_execute(FTS5_SERVING)?;
    } else {
        conn.batch_execute("DELETE FROM search_vectors")?;
    }
    conn.batch_execute(&deferred.restore)
}
