DROP TRIGGER articles_fts_public_delete;
DROP TRIGGER tags_fts_public_rename;
DROP TABLE articles_fts_public;
DROP INDEX articles_due;
ALTER TABLE articles DROP COLUMN live;
