-- The search document is no longer a generated column but set by a trigger, so that an
-- import can give it precomputed: an import's second connection computes the word vectors
-- of the new articles' bodies (PostgreSQL's text parser, the import's main cost) while the
-- first writes, and leaves them in `search_vectors` (db::transfer::body_vectors). What the
-- trigger computes and what the import gives are the same functions of the same text.
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

ALTER TABLE articles_search ALTER COLUMN document DROP EXPRESSION;

-- A new row's document unless it comes with one; a changed row's whenever a text it is made
-- of changed (a generated column was computed again at every update, of `published` too).
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
CREATE TRIGGER articles_search_document_set BEFORE INSERT OR UPDATE ON articles_search
    FOR EACH ROW EXECUTE FUNCTION articles_search_document_of();

-- Vectors of bodies an import's second connection computed, by article id, with the md5 of
-- the body they were computed from: used only when it is the body the article has. Written
-- and read only during an import, which empties it; unlogged, as nothing in it is needed
-- after a crash.
CREATE UNLOGGED TABLE search_vectors (
    article_id bigint PRIMARY KEY,
    body_md5 text NOT NULL,
    body_vector tsvector NOT NULL
);
