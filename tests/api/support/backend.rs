//! Which database the tests run on: a fresh SQLite file each, or, when
//! `GAZETTE_TEST_POSTGRES` names a PostgreSQL server (`postgres://user@host:port`, a role
//! that may create databases), a fresh database on it each.

use std::path::Path;

use diesel::{Connection, RunQueryDsl};

/// The server the tests run on, if one is given.
pub fn postgres_server() -> Option<String> {
    std::env::var("GAZETTE_TEST_POSTGRES")
        .ok()
        .map(|url| url.trim_end_matches('/').to_owned())
        .filter(|url| !url.is_empty())
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_server().is_some()
}

/// A `DATABASE_URL` for a new, empty database named after `name`: a file in `dir`, or a
/// new database on the PostgreSQL server.
pub fn fresh_database(dir: &Path, name: &str) -> String {
    match postgres_server() {
        Some(server) => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).expect("randomness");
            let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let database = format!("gazette_test_{suffix}");
            let mut admin = diesel::PgConnection::establish(&format!("{server}/postgres"))
                .unwrap_or_else(|e| panic!("GAZETTE_TEST_POSTGRES={server}: {e}"));
            diesel::sql_query(format!("CREATE DATABASE {database}"))
                .execute(&mut admin)
                .expect("create a test database");
            format!("{server}/{database}")
        }
        None => dir
            .join(format!("{name}.db"))
            .to_string_lossy()
            .into_owned(),
    }
}

/// Drops a database [`fresh_database`] made on PostgreSQL (files go with their folder).
pub fn drop_database(url: &str) {
    if let (Some(server), Some(database)) = (postgres_server(), url.rsplit('/').next())
        && url.starts_with("postgres")
        && let Ok(mut admin) = diesel::PgConnection::establish(&format!("{server}/postgres"))
    {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&mut admin);
    }
}
