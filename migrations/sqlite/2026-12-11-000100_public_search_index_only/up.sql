-- Public searches are answered by the public index (crate::search_index), which follows the
-- change log; the database's index of live articles is no longer read, and writing it cost
-- every publication, edit and import (a quarter of a 100k import's time, BENCHMARKS.md).
DROP TRIGGER tags_fts_public_rename;
DROP TRIGGER articles_fts_public_delete;
DROP TRIGGER articles_fts_public_moved;
DROP TABLE articles_fts_public;
