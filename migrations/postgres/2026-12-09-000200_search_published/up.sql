-- Each search row carries its article's publication time, indexed, so that a search in the
-- fresh order reads its matches a span of time at a time, newest first (db::search::fresh):
-- the GIN index's matches and this index's span are combined (BitmapAnd) before any row is
-- read, and only the span's matches are ranked. Kept by the same triggers as the text.
ALTER TABLE articles_search ADD COLUMN published TIMESTAMP;
UPDATE articles_search s SET published = a.published_at
FROM articles a WHERE a.id = s.article_id AND a.published_at IS NOT NULL;
CREATE INDEX articles_search_published ON articles_search (published);

CREATE OR REPLACE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, summary, body, published)
    VALUES (NEW.id, NEW.title, NEW.summary,
            NEW.body_text || CASE WHEN NEW.blocks_text = '' THEN '' ELSE E'\n\n' || NEW.blocks_text END,
            NEW.published_at);
    RETURN NULL;
END $$;

CREATE FUNCTION articles_search_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET published = NEW.published_at WHERE article_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_search_published AFTER UPDATE OF published_at ON articles
    FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION articles_search_published();
