//! The articles linking to others. What an article shows of one it links to (a link only to
//! an article the public can read) changes when that one joins or leaves public view, so
//! those articles are recorded as changed then, and touched when it leaves.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::change;
use crate::db::Conn;
use crate::schema::{articles, related_links};

/// The articles linking to each of the articles of one write (an import's: a batch of them),
/// read for all of them the first time one is asked about: an import's articles go live
/// together, and each statement is a round trip on PostgreSQL.
pub(in crate::db) struct Linking<'a> {
    ids: &'a [i64],
    found: Option<HashMap<i64, Vec<i64>>>,
}

impl<'a> Linking<'a> {
    /// For the articles `ids`.
    pub(in crate::db) fn of(ids: &'a [i64]) -> Self {
        Self { ids, found: None }
    }

    /// The other articles with a related link to article `id`, one of those given.
    fn to(&mut self, conn: &mut Conn, id: i64) -> QueryResult<Vec<i64>> {
        debug_assert!(
            self.ids.contains(&id),
            "article {id} is not one of the write's"
        );
        let found = match &mut self.found {
            Some(found) => found,
            None => {
                let pairs: Vec<(i64, i64)> = related_links::table
                    .filter(related_links::target_article_id.eq_any(self.ids))
                    .filter(
                        related_links::article_id
                            .nullable()
                            .ne(related_links::target_article_id),
                    )
                    .select((
                        related_links::target_article_id.assume_not_null(),
                        related_links::article_id,
                    ))
                    .distinct()
                    .load(conn)?;
                let mut found: HashMap<i64, Vec<i64>> = HashMap::new();
                for (target, linking) in pairs {
                    found.entry(target).or_default().push(linking);
                }
                self.found.insert(found)
            }
        };
        Ok(found.get(&id).cloned().unwrap_or_default())
    }

    /// Records a change for each article linking to article `id` but those `skip` says, and
    /// with `touch` marks them updated: when `id` stops being public, the link they showed
    /// goes.
    pub(in crate::db) fn touch(
        &mut self,
        conn: &mut Conn,
        id: i64,
        now: NaiveDateTime,
        touch: bool,
        skip: impl Fn(i64) -> bool,
    ) -> QueryResult<()> {
        let mut linking = self.to(conn, id)?;
        linking.retain(|other| !skip(*other));
        if touch && !linking.is_empty() {
            diesel::update(articles::table.filter(articles::id.eq_any(&linking)))
                .set(articles::updated_at.eq(now))
                .execute(conn)?;
        }
        change::record_touched(conn, &linking, now)
    }
}
