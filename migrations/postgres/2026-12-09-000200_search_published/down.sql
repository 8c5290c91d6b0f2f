DROP TRIGGER articles_search_published ON articles;
DROP FUNCTION articles_search_published();
CREATE OR REPLACE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, summary, body)
    VALUES (NEW.id, NEW.title, NEW.summary,
            NEW.body_text || CASE WHEN NEW.blocks_text = '' THEN '' ELSE E'\n\n' || NEW.blocks_text END);
    RETURN NULL;
END $$;
DROP INDEX articles_search_published;
ALTER TABLE articles_search DROP COLUMN published;
