//! The counts the database keeps by trigger (`article_counts`, per status; `tag_counts`, the
//! published articles per tag), set aside on PostgreSQL while an import writes its articles
//! and counted afresh at its end.
//!
//! Each trigger updates one of a few rows, once per article or per tag link. PostgreSQL keeps
//! every version a transaction writes of a row until it ends, and each update walks the
//! versions before it: the n-th update of one row in one transaction costs n, so an import's
//! updates cost the square of its size (30,000 updates of one row took 5 s, the last 10,000
//! of them 2.8 s). SQLite updates its rows in place and keeps its triggers.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::{AnyConnection, Conn};

/// The triggers set aside: (table, trigger). `tag_counts_tag_change` stays: it gives a new
/// tag its row, and nothing in an import deletes an article.
const TRIGGERS: [(&str, &str); 5] = [
    ("articles", "article_counts_insert_delete"),
    ("articles", "article_counts_update"),
    ("articles", "tag_counts_article_status"),
    ("article_tags", "tag_counts_link_change"),
    ("article_tags", "tag_counts_link_update"),
];

/// The counts as counting gives them: every status's articles, every tag's published ones.
const RECOUNT: &str = "\
    UPDATE article_counts c SET n = (SELECT COUNT(*) FROM articles a WHERE a.status = c.status); \
    INSERT INTO article_counts (status, n) \
        SELECT a.status, COUNT(*) FROM articles a \
        WHERE NOT EXISTS (SELECT 1 FROM article_counts c WHERE c.status = a.status) \
        GROUP BY a.status; \
    UPDATE tag_counts tc SET published = (SELECT COUNT(*) FROM article_tags at \
        JOIN articles a ON a.id = at.article_id \
        WHERE at.tag_id = tc.tag_id AND a.status = 'published');";

/// Whether the counting triggers are set aside in this import's transaction.
#[derive(Debug, Default)]
pub(super) struct Counters {
    set_aside: bool,
}

impl Counters {
    /// Sets the counting triggers aside for the rest of the transaction, once, on PostgreSQL
    /// (`ALTER TABLE … DISABLE TRIGGER`: other writers wait for the import's advisory lock
    /// anyway, readers are not held up, and other sessions keep seeing them enabled).
    pub(super) fn set_aside(&mut self, conn: &mut Conn) -> QueryResult<()> {
        if self.set_aside || !matches!(conn, AnyConnection::Postgres(_)) {
            return Ok(());
        }
        let sql: String = TRIGGERS
            .iter()
            .map(|(table, trigger)| format!("ALTER TABLE {table} DISABLE TRIGGER {trigger};"))
            .collect();
        conn.batch_execute(&sql)?;
        self.set_aside = true;
        Ok(())
    }

    /// Counts afresh and puts the triggers back, if they were set aside.
    pub(super) fn recount(self, conn: &mut Conn) -> QueryResult<()> {
        if !self.set_aside {
            return Ok(());
        }
        let enable: String = TRIGGERS
            .iter()
            .map(|(table, trigger)| format!("ALTER TABLE {table} ENABLE TRIGGER {trigger};"))
            .collect();
        conn.batch_execute(&format!("{RECOUNT} {enable}"))
    }
}
