//! Raw SQL written for one backend at a time, its bind values kept in order.

use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::Backend;

/// A value bound to a statement.
pub(super) enum Bind {
    Text(String),
    Time(chrono::NaiveDateTime),
    Int(i64),
}

/// A raw statement being written for one backend, with its bind values in order.
pub(super) struct Statement {
    pub(super) postgres: bool,
    sql: String,
    binds: Vec<Bind>,
}

impl Statement {
    pub(super) fn new(postgres: bool) -> Self {
        Self {
            postgres,
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    /// Adds a bind value; returns its placeholder (`?` on SQLite, `$n` on PostgreSQL).
    pub(super) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        if self.postgres {
            format!("${}", self.binds.len())
        } else {
            "?".to_owned()
        }
    }

    pub(super) fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    pub(super) fn query(
        self,
    ) -> diesel::query_builder::BoxedSqlQuery<'static, Backend, diesel::query_builder::SqlQuery>
    {
        let mut query = diesel::sql_query(self.sql).into_boxed();
        for bind in self.binds {
            query = match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Time(v) => query.bind::<Timestamp, _>(v),
                Bind::Int(v) => query.bind::<BigInt, _>(v),
            };
        }
        query
    }
}
