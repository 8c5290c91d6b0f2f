//! Whether anything the public may see can have changed since a previous look: cheap enough
//! to ask on every read, so that rendered responses can be served again without a query.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, PoisonError};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::articles::model::ArticleStatus;
use super::{AnyConnection, Pool, StoreError, StoreResult};
use crate::schema::articles;

/// Watches a SQLite database through a connection of its own. SQLite's `data_version`
/// changes whenever another connection, of this process or any other, commits; asking it is
/// a read transaction (file locks, a statement), about a sixth of the work of a whole
/// answered request. So a look first reads the header of the write-ahead log's shared index
/// (the `-shm` file): every commit rewrites it (its change counter, frame count and
/// checksums; SQLite's "WAL-index format"), so while its bytes stay the same nothing was
/// committed, and only a changed header costs the question. PostgreSQL has no such counter;
/// there [`WalWatcher::watch`] gives `None`.
pub struct WalWatcher {
    inner: Mutex<Watch>,
}

struct Watch {
    conn: SqliteConnection,
    /// The shared index of the log, and its header as last seen.
    shm: Option<File>,
    header: [u8; HEADER],
    data_version: i64,
    /// When the next scheduled article becomes public: content changes then without a write.
    due: Option<NaiveDateTime>,
    generation: u64,
}

/// The bytes of one copy of the WAL-index header; SQLite keeps two, one after the other,
/// and writes them in turn, so a read of both that finds them equal is whole.
const HEADER: usize = 48;

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

#[derive(QueryableByName)]
struct DatabaseFile {
    #[diesel(sql_type = Text)]
    file: String,
}

impl std::fmt::Debug for WalWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WalWatcher")
    }
}

impl WalWatcher {
    /// A watcher of the SQLite file `pool` serves; `None` on PostgreSQL or a database that is
    /// not a file.
    pub fn watch(pool: &Pool) -> StoreResult<Option<Self>> {
        let mut conn = pool
            .get()
            .map_err(|e| StoreError::Internal(format!("no database connection: {e}")))?;
        let AnyConnection::Sqlite(sqlite) = &mut *conn else {
            return Ok(None);
        };
        let files: Vec<DatabaseFile> =
            diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .load(sqlite)?;
        let Some(file) = files.into_iter().map(|f| f.file).find(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let mut conn = SqliteConnection::establish(&file)
            .map_err(|e| StoreError::Internal(format!("cannot watch {file}: {e}")))?;
        // A look must never wait on the async worker that makes it: busy means "changed".
        conn.batch_execute("PRAGMA busy_timeout = 0; PRAGMA query_only = ON;")?;
        // Exists while a connection has the database open in WAL mode, as this one now does.
        let shm = File::open(format!("{file}-shm")).ok();
        Ok(Some(Self {
            inner: Mutex::new(Watch {
                conn,
                shm,
                header: [0; HEADER],
                data_version: -1,
                due: None,
                generation: 0,
            }),
        }))
    }

    /// A number that stays the same while nothing the public may see has changed, and is
    /// new after any commit to the database and when a scheduled article's time comes.
    /// Read it before reading what it vouches for: a change committed in between makes the
    /// next look differ. `None` when the database cannot say now.
    pub fn generation(&self, now: NaiveDateTime) -> Option<u64> {
        let mut watch = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let header = watch.shm.as_ref().and_then(|shm| {
            let mut both = [0; 2 * HEADER];
            shm.read_exact_at(&mut both, 0).ok()?;
            let (first, second) = both.split_at(HEADER);
            (first == second).then(|| <[u8; HEADER]>::try_from(first).ok())?
        });
        let due = watch.due.is_some_and(|due| due <= now);
        if header.is_some_and(|h| h == watch.header) && !due {
            return Some(watch.generation);
        }
        let version = diesel::sql_query("PRAGMA data_version")
            .get_result::<DataVersion>(&mut watch.conn)
            .ok()?
            .data_version;
        if version != watch.data_version || due {
            watch.due = next_due(&mut watch.conn, now).ok()?;
            watch.data_version = version;
            watch.generation += 1;
        }
        // Taken before the question: a commit in between shows at the next look.
        if let Some(header) = header {
            watch.header = header;
        }
        Some(watch.generation)
    }
}

/// The first publication time after `now` of an article already marked published.
fn next_due(conn: &mut SqliteConnection, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    articles::table
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.gt(now))
        .select(diesel::dsl::min(articles::published_at))
        .get_result(conn)
}
