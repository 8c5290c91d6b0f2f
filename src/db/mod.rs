//! Storage: the connection pool and one module per resource. All SQL lives below here.

pub mod articles;
pub mod authors;
pub mod blocks;
pub mod changes;
pub mod collections;
pub mod corrections;
pub mod events;
mod kept;
pub(in crate::db) use kept::kept;
pub mod keys;
pub mod live;
pub mod previews;
pub mod purges;
pub mod related;
pub mod revisions;
pub mod search;
pub mod sync;
pub mod tags;
pub mod transfer;
pub mod webhooks;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::PoolError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Sqlite(SqliteConnection),
    Postgres(diesel::PgConnection),
}

pub type Conn = AnyConnection;
/// The query backend of [`Conn`]: queries typed against it run on either database.
pub type Backend = <AnyConnection as Connection>::Backend;

/// The connections to one database, and the turn its writers take.
#[derive(Clone)]
pub struct Pool {
    connections: diesel::r2d2::Pool<Manager>,
    manager: Manager,
    writes: WriteGate,
}

impl std::ops::Deref for Pool {
    type Target = diesel::r2d2::Pool<Manager>;

    fn deref(&self) -> &Self::Target {
        &self.connections
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.connections.fmt(f)
    }
}

impl Pool {
    /// The turn the writers of this process take, one at a time, before they take anything
    /// else.
    pub fn writes(&self) -> &WriteGate {
        &self.writes
    }

    /// A connection of its own to the pool's database, outside the pool: for a worker that
    /// holds one for long (a listener), so the pool keeps its size for requests.
    pub fn dedicated(&self) -> StoreResult<Conn> {
        self.manager
            .connect()
            .map_err(|e| StoreError::Internal(format!("no database connection: {e}")))
    }
}

/// How long a write waits for its turn before it is answered 503.
pub const WRITE_WAIT: Duration = Duration::from_secs(30);

/// Writes go one at a time (SQLite has one writer; on PostgreSQL every write takes the same
/// advisory lock). A writer waits for its turn here, on the async worker and holding no
/// connection and no thread, and takes a pooled connection and a blocking thread only once
/// it has it: writers queued behind a long import hold nothing that readers need. First
/// come, first served.
#[derive(Debug, Clone)]
pub struct WriteGate {
    turn: Arc<tokio::sync::Semaphore>,
    waiting: Arc<AtomicUsize>,
}

/// The turn to write; the next writer's comes when it is dropped.
#[derive(Debug)]
pub struct WriteTurn(
    #[expect(dead_code, reason = "held for its drop")] tokio::sync::OwnedSemaphorePermit,
);

impl WriteGate {
    fn new() -> Self {
        Self {
            turn: Arc::new(tokio::sync::Semaphore::new(1)),
            waiting: Arc::default(),
        }
    }

    /// Waits for the turn to write, at most [`WRITE_WAIT`] (then `Busy`).
    pub async fn turn(&self) -> StoreResult<WriteTurn> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let turn =
            actix_web::rt::time::timeout(WRITE_WAIT, self.turn.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        match turn {
            Ok(Ok(permit)) => Ok(WriteTurn(permit)),
            Ok(Err(closed)) => Err(StoreError::Internal(format!("write gate: {closed}"))),
            Err(_) => Err(StoreError::Busy(format!(
                "Other writes have held the database for {} s; retry shortly.",
                WRITE_WAIT.as_secs()
            ))),
        }
    }

    /// How many writers are waiting for their turn.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Whether a writer has the turn now.
    pub fn is_taken(&self) -> bool {
        self.turn.available_permits() == 0
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

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
    /// What was asked for is no longer kept (a sync token older than the change log).
    #[error("{0}")]
    Gone(String),
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

/// How many rows a page of `limit` fetches: one more, which only tells that more follow
/// ([`Page::overfetched`]).
pub const fn overfetch(limit: i64) -> i64 {
    limit + 1
}

impl<T> Page<T> {
    /// A list with nothing in it.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
            has_more: false,
        }
    }

    /// The page of `limit` items in `rows`, fetched [`overfetch`]`(limit)` at a time: a row
    /// past `limit` is dropped and says that more follow.
    pub fn overfetched(mut rows: Vec<T>, limit: i64, total: i64) -> Self {
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Self {
            items: rows,
            total,
            has_more,
        }
    }

    /// The same page with its items made into others by `f`.
    pub fn try_map<U, E>(self, f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: f(self.items)?,
            total: self.total,
            has_more: self.has_more,
        })
    }
}

/// The current time as stored: naive UTC, microsecond precision (so that what is written
/// compares equal to what is read back).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

diesel::define_sql_function! {
    /// The natural logarithm, which PostgreSQL has and the bundled SQLite is built without;
    /// registered on every SQLite connection for the fresh order of searches (db::search).
    fn ln(x: diesel::sql_types::Double) -> diesel::sql_types::Double;
}

/// Per-connection settings of SQLite. busy_timeout first, so that switching to WAL waits
/// for other connections too. synchronous = FULL syncs the log at every commit: an
/// acknowledged write survives a power cut, not only a crash of the process.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

/// Sets SQLite's rollback journal in place of the write-ahead log on `conn`, if no other
/// connection has the database open (it is refused otherwise, at once); returns whether it
/// did. For a long write into a database nobody else uses, an import: in the log, every
/// page the transaction writes is written twice (to the log, then checkpointed), and every
/// page it reads back searches the log's index, which grows with the transaction (20% of a
/// 100k import's time, BENCHMARKS.md); the rollback journal keeps only the pages the
/// database had before, and a new database has few. A commit is as atomic either way.
/// [`sqlite_with_log`] sets the log back.
pub fn sqlite_without_log(conn: &mut Conn) -> bool {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return false;
    }
    let switched = conn
        .batch_execute("PRAGMA busy_timeout = 0")
        .and_then(|()| diesel::sql_query("PRAGMA journal_mode = DELETE").get_result::<Mode>(conn));
    let restored = conn.batch_execute("PRAGMA busy_timeout = 5000");
    matches!(switched, Ok(mode) if mode.journal_mode.eq_ignore_ascii_case("delete"))
        && restored.is_ok()
}

/// Keeps the statement journals of `conn` in memory (`PRAGMA temp_store = MEMORY`), for an
/// import's connection. Inside a long transaction, every statement that may have to be
/// undone alone (an insert whose triggers write elsewhere, a multi-row insert) first copies
/// each page it changes to such a journal, a temporary file by default: the copies were 8%
/// of an import's time. A journal holds only one statement's pages; what sorts and temporary
/// tables would also keep in memory is bounded by the import's own statements.
pub fn sqlite_statement_journals_in_memory(conn: &mut Conn) {
    if matches!(conn, AnyConnection::Sqlite(_))
        && let Err(e) = conn.batch_execute("PRAGMA temp_store = MEMORY")
    {
        log::warn!("statement journals stay in files: {e}");
    }
}

/// Sets the write-ahead log back after [`sqlite_without_log`]; if another connection came
/// meanwhile and holds the database, the next connection that opens it sets it (every one
/// does, [`SQLITE_PRAGMAS`]).
pub fn sqlite_with_log(conn: &mut Conn) {
    if let Err(e) = conn.batch_execute("PRAGMA journal_mode = WAL") {
        log::warn!("the write-ahead log is not set back yet: {e}");
    }
}

/// The `VALUES` list of a multi-row insert of `rows` rows of `columns` values each, in the
/// placeholders of `conn`'s backend: diesel's connection over both backends has no batch
/// insert, and a statement per row is a round trip per row to PostgreSQL.
pub(in crate::db) fn values_list(conn: &Conn, rows: usize, columns: usize) -> String {
    let postgres = matches!(conn, AnyConnection::Postgres(_));
    let mut n = 0;
    let row = |n: &mut usize| {
        let cells: Vec<String> = (0..columns)
            .map(|_| {
                *n += 1;
                match postgres {
                    true => format!("${n}"),
                    false => "?".to_owned(),
                }
            })
            .collect();
        format!("({})", cells.join(", "))
    };
    (0..rows)
        .map(|_| row(&mut n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQLite file a `DATABASE_URL` names: a path, or `sqlite://path`.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Whether `DATABASE_URL` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Every PostgreSQL connection's settings. No JIT compilation: PostgreSQL compiles a
/// statement whose estimated cost passes `jit_above_cost`, ~40 ms of one core each time, and
/// a table an import has just filled has no statistics yet, so its estimates are far too high.
/// At 100k articles an import's batched read of related links was estimated at 80,000 rows,
/// compiled at every call and took 45 ms for 400 rows (BENCHMARKS.md). The statements here
/// are small lookups, which compilation never pays for.
const PG_SETTINGS: &str = "SET jit = off";

/// Opens connections to the database a `DATABASE_URL` names, on the backend it names.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl Manager {
    fn connect(&self) -> diesel::ConnectionResult<Conn> {
        if is_postgres(&self.url) {
            let mut conn = diesel::PgConnection::establish(&self.url)?;
            conn.batch_execute(PG_SETTINGS)
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Postgres(conn))
        } else {
            let mut conn = SqliteConnection::establish(sqlite_path(&self.url))?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            ln_utils::register_impl(&mut conn, |x: f64| x.ln())
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        Manager::connect(self).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        use diesel::connection::TransactionManager;
        <Conn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Opens (creating a SQLite file if needed) the database, applies pending migrations and
/// returns a pool.
pub fn open(url: &str, max_connections: u32) -> StoreResult<Pool> {
    open_migrated(url, max_connections).map(|(pool, _)| pool)
}

/// [`open`], also saying how many migrations it applied.
pub fn open_migrated(url: &str, max_connections: u32) -> StoreResult<(Pool, usize)> {
    let manager = Manager {
        url: url.to_owned(),
    };
    // One connection first switches a new SQLite file to WAL (which needs the file to
    // itself) and migrates it, so that the pool's connections, opened together, find both
    // done.
    let mut first = manager
        .connect()
        .map_err(|e| StoreError::Internal(format!("cannot open database {}: {e}", redact(url))))?;
    let applied = migrate(&mut first)?;
    drop(first);
    let connections = diesel::r2d2::Pool::builder()
        .max_size(max_connections.max(1))
        .connection_timeout(Duration::from_secs(10))
        .build(manager.clone())
        .map_err(|e| StoreError::Internal(format!("cannot open database {}: {e}", redact(url))))?;
    let pool = Pool {
        connections,
        manager,
        writes: WriteGate::new(),
    };
    Ok((pool, applied))
}

/// A `DATABASE_URL` fit for messages and logs: without its password.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Held while migrating PostgreSQL, so that replicas starting together migrate once.
const PG_MIGRATION_LOCK: i64 = 7_402_002;

/// Applies the embedded migrations that have not run yet; returns how many ran.
pub fn migrate(conn: &mut Conn) -> StoreResult<usize> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        StoreError::Internal(format!("migration failed: {e}"))
    };
    match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|done| done.len())
            .map_err(failed),
        AnyConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let done = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|done| done.len())
                .map_err(failed);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))?;
            done
        }
    }
}

/// How many embedded migrations have not run yet.
pub fn pending_migrations(conn: &mut Conn) -> StoreResult<usize> {
    let pending = match conn {
        AnyConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|p| p.len()),
        AnyConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|p| p.len()),
    };
    pending.map_err(|e| StoreError::Internal(format!("cannot read the migrations applied: {e}")))
}

/// Runs `f` in a write transaction that holds the database's write lock from its first
/// statement, so that concurrent writers queue instead of failing: `BEGIN IMMEDIATE` on
/// SQLite; on PostgreSQL a transaction-wide advisory lock that every writer takes.
pub fn write<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<DieselError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <Conn as Connection>::TransactionManager;
    let mut _turn = None;
    match conn {
        AnyConnection::Sqlite(c) => {
            _turn = Some(
                SQLITE_WRITERS
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        AnyConnection::Postgres(_) => {
            Manager::begin_transaction(conn)?;
            if let Err(e) = conn.batch_execute(PG_WRITE_LOCK) {
                let _ = Manager::rollback_transaction(conn);
                return Err(e.into());
            }
        }
    }
    match f(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Manager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            Manager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The writers of this process to SQLite take turns here before `BEGIN IMMEDIATE`. A writer
/// that finds the database locked is put to sleep by SQLite and retries (after 1 ms, 2, 5, …,
/// up to 100 ms at a time), so under concurrent writes some waited a second for a lock held
/// a few milliseconds at a time; the mutex hands the turn on as soon as it is released.
/// Writers in other processes (the CLI, another server) still meet SQLite's busy wait.
static SQLITE_WRITERS: Mutex<()> = Mutex::new(());

/// Every PostgreSQL write transaction takes this lock first: writes are serialized as on
/// SQLite, so checks made inside a write (If-Match, slug reservations) hold until its commit.
const PG_WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(7402001)";

/// Runs `f` with a pooled connection on the blocking thread pool, off the async workers.
/// For reads; a write goes through [`run_write`].
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

/// Runs the write `f` like [`run`], once it is this writer's turn ([`WriteGate`]). The turn
/// goes with `f` to its thread and ends when `f` does, even if the request is dropped
/// meanwhile.
pub async fn run_write<F, T>(pool: &Pool, f: F) -> StoreResult<T>
where
    F: FnOnce(&mut Conn) -> StoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    let turn = pool.writes.turn().await?;
    run(pool, move |conn| {
        let result = f(conn);
        drop(turn);
        result
    })
    .await
}

/// Runs `f` on the calling thread with an idle pooled connection, when the database is a
/// SQLite file and a connection is idle: for reads of a few microseconds in the page cache,
/// cheaper than the trip to a blocking thread and back. `None` otherwise: on PostgreSQL
/// every query is a round trip over the network, which would hold up the worker.
pub fn run_here<T>(
    pool: &Pool,
    f: impl FnOnce(&mut Conn) -> StoreResult<T>,
) -> Option<StoreResult<T>> {
    let mut conn = pool.try_get()?;
    match &mut *conn {
        AnyConnection::Sqlite(_) => Some(f(&mut conn)),
        AnyConnection::Postgres(_) => None,
    }
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
