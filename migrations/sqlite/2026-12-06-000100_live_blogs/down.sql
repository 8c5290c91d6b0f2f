DROP TRIGGER tags_fts_public_rename;
CREATE TRIGGER tags_fts_public_rename AFTER UPDATE OF name ON tags BEGIN
    INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags)
    SELECT a.id, a.title, a.summary, a.body_text,
           COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
                     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')
    FROM articles a
    WHERE a.live = 1 AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;
DROP TRIGGER articles_fts_update;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body_text ON articles BEGIN
    UPDATE articles_fts SET title = new.title, summary = new.summary, body = new.body_text
    WHERE rowid = new.id;
END;
DROP TRIGGER articles_fts_insert;
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body, tags)
    VALUES (new.id, new.title, new.summary, new.body_text, '');
END;
DROP TABLE article_blocks;
DROP INDEX articles_status_published_at;
CREATE INDEX articles_status_published_at ON articles (
    status, published_at, id, slug, title, summary, word_count, byline, feature_image_url,
    created_at, updated_at
);
ALTER TABLE articles DROP COLUMN blocks_text;
ALTER TABLE articles DROP COLUMN latest_block_at;
ALTER TABLE articles DROP COLUMN coverage_open;
ALTER TABLE articles DROP COLUMN format;
ALTER TABLE changes DROP COLUMN block_id;
