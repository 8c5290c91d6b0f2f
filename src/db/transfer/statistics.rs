//! The planner's statistics of the tables an import fills, kept up on PostgreSQL as they
//! grow inside its one transaction.
//!
//! PostgreSQL plans a kept statement once for all its runs after the fifth, for the tables
//! as they were then: an import's first statements find them nearly empty, and a plan that
//! scans a table of 50 rows went on scanning it at 100,000 (the lookup of 100 slugs took
//! 53 ms a call, BENCHMARKS.md). Planning every run afresh instead guesses without any
//! statistics and chose hash joins over whole tables. Autovacuum's `ANALYZE` sees nothing of
//! a transaction until it commits; the transaction's own `ANALYZE` counts its rows, and has
//! the statements that read those tables planned again.

use diesel::QueryResult;
use diesel::connection::SimpleConnection;

use crate::db::{AnyConnection, Conn};

/// How many articles an import writes before its first `ANALYZE`.
const FIRST: usize = 1000;

/// When the tables a pass fills are next analyzed: each time the articles it has written
/// have grown fourfold, so that the work stays a small share of the import's (five times
/// up to 100,000 articles, each reading a sample of at most 30,000 rows a table).
pub(super) struct Statistics {
    tables: &'static str,
    next: usize,
}

impl Statistics {
    /// For the tables named (a comma-separated list).
    pub(super) fn of(tables: &'static str) -> Self {
        Self {
            tables,
            next: FIRST,
        }
    }

    /// Analyzes the tables when `written` articles have reached the next mark.
    pub(super) fn grown(&mut self, conn: &mut Conn, written: usize) -> QueryResult<()> {
        if written < self.next {
            return Ok(());
        }
        self.next = written.saturating_mul(4);
        match conn {
            AnyConnection::Postgres(pg) => pg.batch_execute(&format!("ANALYZE {}", self.tables)),
            AnyConnection::Sqlite(_) => Ok(()),
        }
    }
}
