-- An article's tag names reach the search index once per change of its tags, from the code
-- that sets them (db::search::refresh_tags), instead of once per tag row: every update of an
-- FTS5 row tokenizes the whole article twice (the old text out, the new in), so a new article
-- with 3 tags was tokenized 7 times, now 3. Deleted tag rows (a tag deleted, tags replaced)
-- still update it by trigger.
DROP TRIGGER article_tags_fts_insert;
