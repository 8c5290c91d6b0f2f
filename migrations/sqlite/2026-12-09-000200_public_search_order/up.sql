-- The public search index in order of publication: each live article's row is keyed by its
-- publication minute (from 1970, offset by 2^31 so that earlier dates stay positive) in the
-- high bits and its id in the low 31, instead of by its id. FTS5 reads matches in key order
-- at no cost, so a search can read them newest first and stop once no older match can rank
-- among the results (db::search::fresh); the id is the key's low bits (`rowid & 2147483647`).
-- Ids stay far below 2^31.
DELETE FROM articles_fts_public;
INSERT INTO articles_fts_public (rowid, title, summary, body, tags)
SELECT (((CAST(strftime('%s', a.published_at) AS INTEGER) / 60) + 2147483648) << 31) | a.id,
       f.title, f.summary, f.body, f.tags
FROM articles_fts f JOIN articles a ON a.id = f.rowid
WHERE a.live = 1
ORDER BY 1;

DROP TRIGGER tags_fts_public_rename;
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

DROP TRIGGER articles_fts_public_delete;
CREATE TRIGGER articles_fts_public_delete AFTER DELETE ON articles WHEN old.live = 1 BEGIN
    DELETE FROM articles_fts_public
    WHERE rowid = (((CAST(strftime('%s', old.published_at) AS INTEGER) / 60) + 2147483648) << 31) | old.id;
END;

-- A live article whose publication time changes leaves its old key; db::live writes the new.
CREATE TRIGGER articles_fts_public_moved AFTER UPDATE OF published_at ON articles
WHEN old.live = 1 AND old.published_at IS NOT new.published_at BEGIN
    DELETE FROM articles_fts_public
    WHERE rowid = (((CAST(strftime('%s', old.published_at) AS INTEGER) / 60) + 2147483648) << 31) | old.id;
END;
