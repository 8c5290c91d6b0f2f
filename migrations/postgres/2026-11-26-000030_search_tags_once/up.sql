-- An article's tag names reach the search row once per change of its tags, from the code
-- that sets them (db::search::refresh_tags), instead of once per inserted tag row: each
-- update recomputes the whole document's tsvector, so a new article with 3 tags computed it
-- 4 times, now 2. Deleted tag rows (a tag deleted, tags replaced) still update it by trigger.
DROP TRIGGER articles_search_tags ON article_tags;
CREATE TRIGGER articles_search_tags AFTER DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION articles_search_tags();
