-- The database's index of live articles, as 2026-12-09-000200_public_search_order left it.
CREATE VIRTUAL TABLE articles_fts_public USING fts5(
    title, summary, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts_public (rowid, title, summary, body, tags)
SELECT (((CAST(strftime('%s', a.published_at) AS INTEGER) / 60) + 2147483648) << 31) | a.id,
       f.title, f.summary, f.body, f.tags
FROM articles_fts f JOIN articles a ON a.id = f.rowid
WHERE a.live = 1
ORDER BY 1;
CREATE TRIGGER articles_fts_public_delete AFTER DELETE ON articles WHEN old.live = 1 BEGIN
    DELETE FROM articles_fts_public
    WHERE rowid = (((CAST(strftime('%s', old.published_at) AS INTEGER) / 60) + 2147483648) << 31) | old.id;
END;
CREATE TRIGGER articles_fts_public_moved AFTER UPDATE OF published_at ON articles
WHEN old.live = 1 AND old.published_at IS NOT new.published_at BEGIN
    DELETE FROM articles_fts_public
    WHERE rowid = (((CAST(strftime('%s', old.published_at) AS INTEGER) / 60) + 2147483648) << 31) | old.id;
END;
CREATE TRIGGER tags_fts_public_rename AFTER UPDATE OF name ON tags BEGIN
    INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags)
    SELECT (((CAST(strftime('%s', a.published_at) AS INTEGER) / 60) + 2147483648) << 31) | a.id,
           a.title, a.summary,
           a.body_text || CASE WHEN a.blocks_text = '' THEN '' ELSE char(10, 10) || a.blocks_text END,
           COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
                     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')
    FROM articles a
    WHERE a.live = 1 AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;
