DROP TRIGGER articles_fts_public_moved;
DELETE FROM articles_fts_public;
INSERT INTO articles_fts_public (rowid, title, summary, body, tags)
SELECT f.rowid, f.title, f.summary, f.body, f.tags
FROM articles_fts f JOIN articles a ON a.id = f.rowid
WHERE a.live = 1
ORDER BY f.rowid;

DROP TRIGGER tags_fts_public_rename;
CREATE TRIGGER tags_fts_public_rename AFTER UPDATE OF name ON tags BEGIN
    INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags)
    SELECT a.id, a.title, a.summary,
           a.body_text || CASE WHEN a.blocks_text = '' THEN '' ELSE char(10, 10) || a.blocks_text END,
           COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
                     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')
    FROM articles a
    WHERE a.live = 1 AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;

DROP TRIGGER articles_fts_public_delete;
CREATE TRIGGER articles_fts_public_delete AFTER DELETE ON articles WHEN old.live = 1 BEGIN
    DELETE FROM articles_fts_public WHERE rowid = old.id;
END;
