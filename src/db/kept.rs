//! Statements prepared once per connection and kept.
//!
//! Diesel keeps the prepared statements of its query builder, but prepares every
//! `sql_query` and every `IN (…)` list anew each time it runs them: SQLite parses and plans
//! the text again, PostgreSQL parses it again. On the write path that was a tenth of an
//! import's writing time (BENCHMARKS.md, "Import at 100,000 articles").

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// `query`, prepared once per connection and then kept under its text.
///
/// Only for statements whose text is one of a few: fixed, or one per number of rows up to
/// a small bound (a `VALUES` list of an article's tags, an `IN` list of a page's ids). Each
/// distinct text is kept for the life of the connection.
pub(in crate::db) fn kept<Q>(query: Q) -> Kept<Q> {
    Kept(query)
}

/// See [`kept`].
#[derive(Debug, Clone, Copy)]
pub(in crate::db) struct Kept<Q>(Q);

impl<Q, DB> QueryFragment<DB> for Kept<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// Always: the statement cache then keys it by its text and its binds' types, which is
    /// exactly what makes two uses the same statement.
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Kept<Q> {
    type QueryId = ();
    // No type of its own: the cache must key it by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Kept<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C> RunQueryDsl<C> for Kept<Q> {}

/// A row of a statement run for its effect, whose cells are not read.
pub(in crate::db) struct Effect;

impl<DB: Backend> diesel::deserialize::QueryableByName<DB> for Effect {
    fn build<'a>(_row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        Ok(Effect)
    }
}

impl<Q: Query> Kept<Q> {
    /// Runs a kept statement that changes rows and returns them (`… RETURNING` a column);
    /// returns how many it changed. Diesel would prepare anything it *executes* anew, kept or
    /// not (it asks the statement by reference, which forgets [`Kept`]); what it *loads* it
    /// asks by value.
    pub(in crate::db) fn run<'q, C>(self, conn: &mut C) -> QueryResult<usize>
    where
        Self: diesel::query_dsl::LoadQuery<'q, C, Effect>,
    {
        Ok(self.load::<Effect>(conn)?.len())
    }
}
