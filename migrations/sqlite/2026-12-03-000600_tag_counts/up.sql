-- How many published articles carry each tag, kept by triggers in the same transaction as
-- every write: a tag's public article count is then this number less the few published
-- articles not yet due (db::tags), instead of a count of every article carrying the tag
-- (~300,000 links at 100,000 articles, read again for every page of tags).
CREATE TABLE tag_counts (
    tag_id INTEGER PRIMARY KEY NOT NULL,
    published INTEGER NOT NULL
);

INSERT INTO tag_counts (tag_id, published)
SELECT t.id, (
    SELECT COUNT(*) FROM article_tags at JOIN articles a ON a.id = at.article_id
    WHERE at.tag_id = t.id AND a.status = 'published'
)
FROM tags t;

CREATE TRIGGER tag_counts_tag_insert AFTER INSERT ON tags BEGIN
    INSERT INTO tag_counts (tag_id, published) VALUES (new.id, 0);
END;

CREATE TRIGGER tag_counts_tag_delete AFTER DELETE ON tags BEGIN
    DELETE FROM tag_counts WHERE tag_id = old.id;
END;

CREATE TRIGGER tag_counts_link_insert AFTER INSERT ON article_tags
WHEN (SELECT status FROM articles WHERE id = new.article_id) = 'published' BEGIN
    UPDATE tag_counts SET published = published + 1 WHERE tag_id = new.tag_id;
END;

-- A link removed with its article (the cascade runs after the article's row is gone) finds
-- no article here: tag_counts_article_delete has counted it already.
CREATE TRIGGER tag_counts_link_delete AFTER DELETE ON article_tags
WHEN (SELECT status FROM articles WHERE id = old.article_id) = 'published' BEGIN
    UPDATE tag_counts SET published = published - 1 WHERE tag_id = old.tag_id;
END;

CREATE TRIGGER tag_counts_link_update AFTER UPDATE OF article_id, tag_id ON article_tags BEGIN
    UPDATE tag_counts SET published = published - 1 WHERE tag_id = old.tag_id
        AND (SELECT status FROM articles WHERE id = old.article_id) = 'published';
    UPDATE tag_counts SET published = published + 1 WHERE tag_id = new.tag_id
        AND (SELECT status FROM articles WHERE id = new.article_id) = 'published';
END;

CREATE TRIGGER tag_counts_article_delete BEFORE DELETE ON articles
WHEN old.status = 'published' BEGIN
    UPDATE tag_counts SET published = published - 1
    WHERE tag_id IN (SELECT tag_id FROM article_tags WHERE article_id = old.id);
END;

CREATE TRIGGER tag_counts_article_status AFTER UPDATE OF status ON articles
WHEN (old.status = 'published') <> (new.status = 'published') BEGIN
    UPDATE tag_counts
    SET published = published + (CASE WHEN new.status = 'published' THEN 1 ELSE -1 END)
    WHERE tag_id IN (SELECT tag_id FROM article_tags WHERE article_id = new.id);
END;
