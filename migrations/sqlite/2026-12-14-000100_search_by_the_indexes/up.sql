-- Searches are answered by the search indexes (crate::search_index: the public one and the
-- editors'), not by the database: its full-text index of every article and the view that
-- composed the texts it indexed go. A search box's suggestions keep their own index of
-- titles (`article_titles_public`).
DROP TRIGGER articles_fts_insert;
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER article_tags_fts_delete;
DROP TRIGGER tags_fts_rename;
DROP TABLE articles_fts;
DROP VIEW article_search_texts;
