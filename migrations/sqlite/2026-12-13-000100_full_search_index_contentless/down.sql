-- The full-text index with its own copy of the texts, as 2026-12-06-000100_live_blogs and
-- 2026-11-26-000002_search left it.
DROP TRIGGER articles_fts_insert;
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER article_tags_fts_delete;
DROP TRIGGER tags_fts_rename;
DROP TABLE articles_fts;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (rowid, title, summary, body, tags)
SELECT id, title, summary, body, tags FROM article_search_texts ORDER BY id;
DROP VIEW article_search_texts;

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body, tags)
    VALUES (new.id, new.title, new.summary,
            new.body_text || CASE WHEN new.blocks_text = '' THEN '' ELSE char(10, 10) || new.blocks_text END,
            '');
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body_text, blocks_text ON articles BEGIN
    UPDATE articles_fts SET title = new.title, summary = new.summary,
        body = new.body_text || CASE WHEN new.blocks_text = '' THEN '' ELSE char(10, 10) || new.blocks_text END
    WHERE rowid = new.id;
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;
CREATE TRIGGER article_tags_fts_delete AFTER DELETE ON article_tags BEGIN
    UPDATE articles_fts SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
        JOIN tags t ON t.id = at.tag_id WHERE at.article_id = old.article_id), '')
    WHERE rowid = old.article_id;
END;
CREATE TRIGGER tags_fts_rename AFTER UPDATE OF name ON tags BEGIN
    UPDATE articles_fts SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
        JOIN tags t ON t.id = at.tag_id WHERE at.article_id = articles_fts.rowid), '')
    WHERE rowid IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;
