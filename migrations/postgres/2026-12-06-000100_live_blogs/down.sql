DROP TRIGGER articles_search_update ON articles;
CREATE OR REPLACE FUNCTION articles_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET title = NEW.title, summary = NEW.summary, body = NEW.body_text
    WHERE article_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, body_text ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_search_update();
CREATE OR REPLACE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, summary, body)
    VALUES (NEW.id, NEW.title, NEW.summary, NEW.body_text);
    RETURN NULL;
END $$;
DROP TABLE article_blocks;
ALTER TABLE articles DROP COLUMN blocks_text;
ALTER TABLE articles DROP COLUMN latest_block_at;
ALTER TABLE articles DROP COLUMN coverage_open;
ALTER TABLE articles DROP COLUMN format;
ALTER TABLE changes DROP COLUMN block_id;
