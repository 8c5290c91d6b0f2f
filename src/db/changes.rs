//! Whether anything the public may see can have changed since a previous look: cheap enough
//! to ask on every read, so that rendered responses can be served again without a query.

use std::sync::{Mutex, PoisonError};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{AnyConnection, Pool, StoreError, StoreResult};
use crate::schema::articles;

/// Watches a SQLite database through a connection of its own. SQLite's `data_version`
/// changes whenever another connection, of this process or any other, commits: a look is a
/// read of the log's shared index, a few microseconds, with no statement on a table.
/// PostgreSQL has no such counter; there [`Changes::watch`] gives `None`.
pub struct Changes {
    inner: Mutex<Watch>,
}

struct Watch {
    conn: SqliteConnection,
    data_version: i64,
    /// When the next scheduled article becomes public: content changes then without a write.
    due: Option<NaiveDateTime>,
    generation: u64,
}

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

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Changes")
    }
}

impl Changes {
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
        Ok(Some(Self {
            inner: Mutex::new(Watch {
                conn,
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
        let version = diesel::sql_query("PRAGMA data_version")
            .get_result::<DataVersion>(&mut watch.conn)
            .ok()?
            .data_version;
        if version != watch.data_version || watch.due.is_some_and(|due| due <= now) {
            watch.due = next_due(&mut watch.conn, now).ok()?;
            watch.data_version = version;
            watch.generation += 1;
        }
        Some(watch.generation)
    }
}

/// The first publication time after `now` of an article already marked published.
fn next_due(conn: &mut SqliteConnection, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    articles::table
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.gt(now))
        .select(diesel::dsl::min(articles::published_at))
        .get_result(conn)
}
