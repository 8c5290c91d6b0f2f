DROP TRIGGER articles_search_update ON articles;
CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, body_text, blocks_text
    ON articles FOR EACH ROW EXECUTE FUNCTION articles_search_update();

CREATE FUNCTION article_tag_names(article bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT COALESCE(string_agg(t.name, ' ' ORDER BY at.position), '')
    FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = article
$$;

CREATE FUNCTION articles_search_body_vector(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT setweight(to_tsvector('gazette'::regconfig, translate(body, '<>&', '   ')), 'D') $$;

CREATE FUNCTION articles_search_document(title text, tags text, summary text, body_vector tsvector)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('gazette'::regconfig, translate(title, '<>&', '   ')), 'A')
        || setweight(to_tsvector('gazette'::regconfig, translate(tags, '<>&', '   ')), 'B')
        || setweight(to_tsvector('gazette'::regconfig, translate(summary, '<>&', '   ')), 'C')
        || body_vector
$$;

CREATE OR REPLACE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, summary, body, published)
    VALUES (NEW.id, NEW.title, NEW.summary,
            NEW.body_text || CASE WHEN NEW.blocks_text = '' THEN '' ELSE E'\n\n' || NEW.blocks_text END,
            NEW.published_at);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION articles_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET title = NEW.title, summary = NEW.summary,
        body = NEW.body_text || CASE WHEN NEW.blocks_text = '' THEN '' ELSE E'\n\n' || NEW.blocks_text END
    WHERE article_id = NEW.id;
    RETURN NULL;
END $$;

ALTER TABLE articles_search ADD COLUMN summary text NOT NULL DEFAULT '',
    ADD COLUMN body text NOT NULL DEFAULT '', ADD COLUMN tags text NOT NULL DEFAULT '',
    ADD COLUMN document tsvector;
ALTER TABLE articles_search ALTER COLUMN summary DROP DEFAULT, ALTER COLUMN body DROP DEFAULT;
UPDATE articles_search s SET summary = a.summary,
    body = a.body_text || CASE WHEN a.blocks_text = '' THEN '' ELSE E'\n\n' || a.blocks_text END,
    tags = article_tag_names(a.id)
FROM articles a WHERE a.id = s.article_id;

CREATE FUNCTION articles_search_document_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.document IS NULL
        OR TG_OP = 'UPDATE' AND (NEW.title, NEW.tags, NEW.summary, NEW.body)
            IS DISTINCT FROM (OLD.title, OLD.tags, OLD.summary, OLD.body)
    THEN
        NEW.document := articles_search_document(NEW.title, NEW.tags, NEW.summary,
                                                 articles_search_body_vector(NEW.body));
    END IF;
    RETURN NEW;
END $$;
UPDATE articles_search SET document = articles_search_document(title, tags, summary,
    articles_search_body_vector(body));
CREATE TRIGGER articles_search_document_set BEFORE INSERT OR UPDATE ON articles_search
    FOR EACH ROW EXECUTE FUNCTION articles_search_document_of();
CREATE INDEX articles_search_document ON articles_search USING GIN (document);

CREATE UNLOGGED TABLE search_vectors (
    article_id bigint PRIMARY KEY,
    body_md5 text NOT NULL,
    body_vector tsvector NOT NULL
);

CREATE FUNCTION articles_search_tags() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    article BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.article_id ELSE NEW.article_id END;
BEGIN
    UPDATE articles_search SET tags = article_tag_names(article) WHERE article_id = article;
    RETURN NULL;
END $$;
CREATE TRIGGER articles_search_tags AFTER DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION articles_search_tags();

CREATE FUNCTION articles_search_tag_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET tags = article_tag_names(article_id)
    WHERE article_id IN (SELECT article_id FROM article_tags WHERE tag_id = NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER articles_search_tag_rename AFTER UPDATE OF name ON tags
    FOR EACH ROW EXECUTE FUNCTION articles_search_tag_rename();
