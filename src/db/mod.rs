//! Storage: the connection pool and one module per resource. All SQL lives below here.

pub mod articles;
pub mod events;
pub mod keys;
pub mod related;
pub mod revisions;
pub mod search;
pub mod tags;
pub mod transfer;
pub mod webhooks;

use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PoolError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type Conn = SqliteConnection;
pub type Pool = diesel::r2d2::Pool<ConnectionManager<SqliteConnection>>;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Why a storage call failed, in terms the API can answer with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Input that only the database can judge (an unknown related slug, say): (field, message).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<(String, String)>),
    /// A write's precondition failed; carries the current entity tag.
    #[error("The article changed since you read it; its current ETag is {0}.")]
    PreconditionFailed(String),
    /// The database could not answer in time; the request may be retried.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Internal(String),
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(format!("already exists: {}", info.message()))
            }
            DieselError::DatabaseError(_, info)
                if info.message().contains("database is locked")
                    || info.message().contains("database is busy") =>
            {
                Self::Busy("The database is busy; retry shortly.".to_owned())
            }
            _ => Self::Internal(err.to_string()),
        }
    }
}

impl From<PoolError> for StoreError {
    fn from(err: PoolError) -> Self {
        Self::Busy(format!("No database connection became free in time: {err}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One page of a list in keyset order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match the list's filters, on all pages.
    pub total: i64,
    /// Whether items follow the last one of this page.
    pub has_more: bool,
}

/// The current time as stored: naive UTC, microsecond precision (so that what is written
/// compares equal to what is read back).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // busy_timeout first, so that switching to WAL waits for other connections too.
        // synchronous = FULL syncs the log at every commit: an acknowledged write survives a
        // power cut, not only a crash of the process.
        conn.batch_execute(
            "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The SQLite file a `DATABASE_URL` names: a path, or `sqlite://path`.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Opens (creating if needed) the database, applies pending migrations and returns a pool.
pub fn open(url: &str, max_connections: u32) -> StoreResult<Pool> {
    // One connection first switches a new file to WAL (which needs the file to itself) and
    // migrates it, so that the pool's connections, opened together, find both done.
    let mut first = SqliteConnection::establish(sqlite_path(url))
        .map_err(|e| StoreError::Internal(format!("cannot open database {url}: {e}")))?;
    Pragmas
        .on_acquire(&mut first)
        .map_err(|e| StoreError::Internal(format!("cannot set up database {url}: {e}")))?;
    migrate(&mut first)?;
    drop(first);
    let manager = ConnectionManager::<SqliteConnection>::new(sqlite_path(url));
    let pool = Pool::builder()
        .max_size(max_connections.max(1))
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(Pragmas))
        .build(manager)
        .map_err(|e| StoreError::Internal(format!("cannot open database {url}: {e}")))?;
    Ok(pool)
}

/// Applies the embedded migrations that have not run yet; returns how many ran.
pub fn migrate(conn: &mut Conn) -> StoreResult<usize> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|done| done.len())
        .map_err(|e| StoreError::Internal(format!("migration failed: {e}")))
}

/// How many embedded migrations have not run yet.
pub fn pending_migrations(conn: &mut Conn) -> StoreResult<usize> {
    conn.pending_migrations(MIGRATIONS)
        .map(|pending| pending.len())
        .map_err(|e| StoreError::Internal(format!("cannot read the migrations applied: {e}")))
}

/// Runs `f` with a pooled connection on the blocking thread pool, off the async workers.
pub async fn run<F, T>(pool: &Pool, f: F) -> StoreResult<T>
where
    F: FnOnce(&mut Conn) -> StoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::rt::task::spawn_blocking(move || f(&mut *pool.get()?))
        .await
        .map_err(|e| StoreError::Internal(format!("storage task failed: {e}")))?
}

/// Copies the database to the new file `path` in one read transaction (`VACUUM INTO`):
/// consistent as of its start while other connections go on writing.
pub fn backup_into(conn: &mut Conn, path: &str) -> StoreResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(path)
        .execute(conn)?;
    Ok(())
}

/// Whether the database answers a trivial query.
pub fn ping(conn: &mut Conn) -> StoreResult<()> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}
