-- Searches are answered by the search indexes (crate::search_index: the public one and the
-- editors'), not by the database: the full-text document of every article, its index, the
-- vectors an import computed beside its write and the copies of the searched texts go. What
-- stays of `articles_search` is what a search box's suggestions read: each article's title
-- words and publication time (db::search::suggest).
DROP TRIGGER articles_search_tag_rename ON tags;
DROP FUNCTION articles_search_tag_rename();
DROP TRIGGER articles_search_tags ON article_tags;
DROP FUNCTION articles_search_tags();
DROP TRIGGER articles_search_document_set ON articles_search;
DROP FUNCTION articles_search_document_of();
DROP TABLE search_vectors;
ALTER TABLE articles_search DROP COLUMN document, DROP COLUMN summary, DROP COLUMN body,
    DROP COLUMN tags;
DROP FUNCTION articles_search_document(text, text, text, tsvector);
DROP FUNCTION articles_search_body_vector(text);
DROP FUNCTION article_tag_names(bigint);

CREATE OR REPLACE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, published)
    VALUES (NEW.id, NEW.title, NEW.published_at);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION articles_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET title = NEW.title WHERE article_id = NEW.id;
    RETURN NULL;
END $$;

DROP TRIGGER articles_search_update ON articles;
CREATE TRIGGER articles_search_update AFTER UPDATE OF title ON articles
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION articles_search_update();
