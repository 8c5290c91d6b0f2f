//! Keeping a search index in step with the database: filled as the server starts, then
//! brought up to each change of the log that names what it holds: for the public index,
//! those naming search results (`l:search`); for the editors', every article's.

use std::sync::atomic::Ordering;

use diesel::connection::SimpleConnection;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Term};

use super::{BATCH, CHUNK, COMMIT_EVERY, Core, INLINE_CHANGES, Writer, internal, schema};

/// The most articles a fill adds between commits ([`Core::add_chunk`]).
const FILL_COMMIT: usize = 2_000;
use crate::db::search::index_rows::{self, IndexedText, Scope};
use crate::db::{self, Conn, Pool, StoreResult, changes};

impl Core {
    /// Fills the index with every article of its scope, as of one moment of the log, then brings it
    /// up to the log's end and starts answering; returns how many articles it holds. Holds
    /// the writer only a chunk at a time, so that a follower is never kept waiting long.
    pub(super) fn fill(&self, pool: &Pool) -> StoreResult<u64> {
        let mut conn = pool.dedicated()?;
        let seq = self.fill_from(&mut conn)?;
        let mut w = self.lock();
        w.seq = seq;
        w.pending = true;
        self.follow(&mut w, &mut conn, true)?;
        self.ready.store(true, Ordering::SeqCst);
        Ok(self.reader.searcher().num_docs())
    }

    /// Adds every article of its scope, read in one snapshot of the database; returns the last change
    /// of the log in that snapshot.
    fn fill_from(&self, conn: &mut Conn) -> StoreResult<i64> {
        let postgres = matches!(conn, db::AnyConnection::Postgres(_));
        let begin = match postgres {
            true => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            false => "BEGIN",
        };
        conn.batch_execute(begin)?;
        let filled = (|| -> StoreResult<i64> {
            let seq = changes::last(conn)?;
            self.lock()
                .writer
                .delete_all_documents()
                .map_err(internal)?;
            let (mut after, mut queued) = (0, 0);
            while let Some(last) = self.add_chunk(conn, &mut self.lock(), after, &mut queued)? {
                after = last;
            }
            Ok(seq)
        })();
        let ended = conn.batch_execute("COMMIT");
        let seq = filled?;
        ended?;
        Ok(seq)
    }

    /// Brings the writer up to the end of the log, if the index is answering; called before
    /// each batch of changes reaches the response cache (crate::follower), on that reader's
    /// connection. What it applies is committed by [`Self::commit_due`] or by the next
    /// search ([`Self::take_in`]).
    pub(super) fn catch_up(&self, conn: &mut Conn) -> StoreResult<()> {
        let mut w = self.lock();
        if !self.is_ready() {
            return Ok(());
        }
        self.follow(&mut w, conn, false)
    }

    /// Commits what was applied, once it has waited [`COMMIT_EVERY`]; called by the
    /// follower's thread each time it wakes.
    pub(super) fn commit_due(&self) -> StoreResult<()> {
        let mut w = self.lock();
        if w.pending && w.committed_at.elapsed() >= COMMIT_EVERY {
            self.commit(&mut w)?;
        }
        Ok(())
    }

    fn commit(&self, w: &mut Writer) -> StoreResult<()> {
        if w.pending {
            w.writer.commit().map_err(internal)?;
            self.reader.reload().map_err(internal)?;
            w.pending = false;
            w.committed_at = std::time::Instant::now();
        }
        self.committed.store(w.seq, Ordering::SeqCst);
        Ok(())
    }

    /// Applies every change after the writer's to the end of the log; commits if `commit`.
    fn follow(&self, w: &mut Writer, conn: &mut Conn, commit: bool) -> StoreResult<()> {
        loop {
            let batch = changes::since(conn, w.seq, BATCH)?;
            let Some(last) = batch.last() else { break };
            let mut ids = Vec::new();
            let mut tags = Vec::new();
            let mut everything = false;
            for change in &batch {
                match self.scope {
                    Scope::Live if change.keys.0.iter().any(|k| k == changes::SEARCH) => {
                        let before = ids.len() + tags.len();
                        named(&change.keys.0, &mut ids, &mut tags);
                        // A change to search results that names no article nor tag: read
                        // them all.
                        everything |= ids.len() + tags.len() == before;
                    }
                    Scope::Live => {}
                    // Every article's change, the public's or not, names the article as its
                    // resource; a tag's names the tag's key.
                    Scope::All => {
                        named(&change.keys.0, &mut ids, &mut tags);
                        if let Some(id) = change.resource.strip_prefix("article:") {
                            ids.extend(id.parse::<i64>().ok());
                        }
                    }
                }
            }
            // The tag's articles now, and those the index has under it (a deleted tag has
            // none left in the database).
            ids.extend(index_rows::tagged(conn, &tags)?);
            ids.extend(self.carrying(&tags)?);
            if everything {
                w.writer.delete_all_documents().map_err(internal)?;
                let (mut after, mut queued) = (0, 0);
                while let Some(last) = self.add_chunk(conn, w, after, &mut queued)? {
                    after = last;
                }
                w.pending = true;
            } else if !ids.is_empty() {
                ids.sort_unstable();
                ids.dedup();
                for id in &ids {
                    w.writer
                        .delete_term(Term::from_field_u64(self.fields.id, *id as u64));
                }
                self.add(w, &index_rows::texts(conn, self.scope, &ids)?)?;
                w.pending = true;
            }
            w.seq = last.seq;
            if (batch.len() as i64) < BATCH {
                break;
            }
        }
        self.applied.store(w.seq, Ordering::SeqCst);
        if commit || !w.pending {
            self.commit(w)?;
        }
        Ok(())
    }

    /// Brings the index up to the log before a search, when public changes have come that it
    /// has not committed: applied but waiting for their commit ([`COMMIT_EVERY`]), or not yet
    /// applied (another process wrote them: the CLI, another replica); so that a search sees
    /// what the database holds, as the database's own index does. Only public changes count:
    /// a draft's edit changes no search's time. A search never waits for a long catch-up
    /// (more than [`INLINE_CHANGES`] not yet applied): it reads the index as it is, and the
    /// follower finishes.
    pub(super) fn take_in(&self, conn: &mut Conn) -> StoreResult<()> {
        let last = match self.scope {
            Scope::Live => changes::last_public(conn)?,
            Scope::All => changes::last(conn)?,
        };
        if last <= self.committed.load(Ordering::SeqCst)
            || last - self.applied.load(Ordering::SeqCst) > INLINE_CHANGES
        {
            return Ok(());
        }
        // Whoever holds the writer now is applying these changes too: wait for it.
        let mut w = self.lock();
        self.follow(&mut w, conn, true)
    }

    /// The articles the index holds under any of the tags `slugs`.
    fn carrying(&self, slugs: &[String]) -> StoreResult<Vec<i64>> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for slug in slugs {
            let term = Term::from_field_text(self.fields.tag_slug, slug);
            let q = TermQuery::new(term, IndexRecordOption::Basic);
            let found = searcher.search(&q, &DocSetCollector).map_err(internal)?;
            for address in found {
                let segment = searcher.segment_reader(address.segment_ord);
                let column = segment.fast_fields().u64("id").map_err(internal)?;
                if let Some(id) = column.first(address.doc_id) {
                    ids.push(id as i64);
                }
            }
        }
        Ok(ids)
    }

    /// Adds the next chunk of live articles after id `after` and returns the last one's id
    /// (`None`: none was left). Commits once `queued` (the articles added since the last
    /// commit) reaches [`FILL_COMMIT`]: each article waits for an indexing thread with its
    /// whole text, and the database is read faster than they index.
    fn add_chunk(
        &self,
        conn: &mut Conn,
        w: &mut Writer,
        after: i64,
        queued: &mut usize,
    ) -> StoreResult<Option<i64>> {
        let chunk = index_rows::texts_after(conn, self.scope, after, CHUNK)?;
        let Some(last) = chunk.last().map(|a| a.id) else {
            return Ok(None);
        };
        self.add(w, &chunk)?;
        *queued += chunk.len();
        if *queued >= FILL_COMMIT {
            w.writer.commit().map_err(internal)?;
            *queued = 0;
        }
        Ok(Some(last))
    }

    fn add(&self, w: &Writer, articles: &[IndexedText]) -> StoreResult<()> {
        for article in articles {
            w.writer
                .add_document(schema::document(&self.fields, article))
                .map_err(internal)?;
        }
        Ok(())
    }
}

/// The articles (`a:`) and tags (`t:`) that `keys` name, onto `ids` and `tags`.
fn named(keys: &[String], ids: &mut Vec<i64>, tags: &mut Vec<String>) {
    for key in keys {
        if let Some(id) = key.strip_prefix("a:").and_then(|id| id.parse::<i64>().ok()) {
            ids.push(id);
        } else if let Some(slug) = key.strip_prefix("t:") {
            tags.push(slug.to_owned());
        }
    }
}
