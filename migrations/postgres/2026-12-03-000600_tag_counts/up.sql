-- How many published articles carry each tag, kept by triggers in the same transaction as
-- every write: a tag's public article count is then this number less the few published
-- articles not yet due (db::tags), instead of a count of every article carrying the tag
-- (~300,000 links at 100,000 articles, read again for every page of tags). Writers already
-- take turns (db::write's advisory lock), so the rows are no new point of contention.
CREATE TABLE tag_counts (
    tag_id BIGINT PRIMARY KEY,
    published BIGINT NOT NULL
);

INSERT INTO tag_counts (tag_id, published)
SELECT t.id, (
    SELECT COUNT(*) FROM article_tags at JOIN articles a ON a.id = at.article_id
    WHERE at.tag_id = t.id AND a.status = 'published'
)
FROM tags t;

CREATE FUNCTION tag_counts_tag_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tag_counts (tag_id, published) VALUES (NEW.id, 0);
    ELSE
        DELETE FROM tag_counts WHERE tag_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tag_counts_tag_change AFTER INSERT OR DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_tag_change();

-- A link removed with its article (the cascade runs after the article's row is gone) finds
-- no article here: tag_counts_article_delete has counted it already.
CREATE FUNCTION tag_counts_link_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE tag_counts SET published = published - 1 WHERE tag_id = OLD.tag_id
            AND (SELECT status FROM articles WHERE id = OLD.article_id) = 'published';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE tag_counts SET published = published + 1 WHERE tag_id = NEW.tag_id
            AND (SELECT status FROM articles WHERE id = NEW.article_id) = 'published';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tag_counts_link_change AFTER INSERT OR DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_link_change();

CREATE TRIGGER tag_counts_link_update AFTER UPDATE OF article_id, tag_id ON article_tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_link_change();

CREATE FUNCTION tag_counts_article_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE tag_counts SET published = published - 1
        WHERE tag_id IN (SELECT tag_id FROM article_tags WHERE article_id = OLD.id);
        RETURN OLD;
    END IF;
    UPDATE tag_counts
    SET published = published + (CASE WHEN NEW.status = 'published' THEN 1 ELSE -1 END)
    WHERE tag_id IN (SELECT tag_id FROM article_tags WHERE article_id = NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER tag_counts_article_delete BEFORE DELETE ON articles
    FOR EACH ROW WHEN (OLD.status = 'published')
    EXECUTE FUNCTION tag_counts_article_change();

CREATE TRIGGER tag_counts_article_status AFTER UPDATE OF status ON articles
    FOR EACH ROW WHEN ((OLD.status = 'published') IS DISTINCT FROM (NEW.status = 'published'))
    EXECUTE FUNCTION tag_counts_article_change();
