DROP TABLE search_vectors;
DROP TRIGGER articles_search_document_set ON articles_search;
DROP FUNCTION articles_search_document_of();
DROP INDEX articles_search_document;
ALTER TABLE articles_search DROP COLUMN document;
ALTER TABLE articles_search ADD COLUMN document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('gazette'::regconfig, translate(title, '<>&', '   ')), 'A')
    || setweight(to_tsvector('gazette'::regconfig, translate(tags, '<>&', '   ')), 'B')
    || setweight(to_tsvector('gazette'::regconfig, translate(summary, '<>&', '   ')), 'C')
    || setweight(to_tsvector('gazette'::regconfig, translate(body, '<>&', '   ')), 'D')
) STORED;
CREATE INDEX articles_search_document ON articles_search USING GIN (document);
DROP FUNCTION articles_search_document(text, text, text, tsvector);
DROP FUNCTION articles_search_body_vector(text);
