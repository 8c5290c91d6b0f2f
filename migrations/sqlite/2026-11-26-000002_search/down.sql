DROP TRIGGER tags_fts_rename;
DROP TRIGGER article_tags_fts_delete;
DROP TRIGGER article_tags_fts_insert;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;
