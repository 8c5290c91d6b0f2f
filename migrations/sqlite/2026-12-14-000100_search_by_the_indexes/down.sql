CREATE VIEW article_search_texts AS
SELECT a.id, a.title, a.summary,
       a.body_text || CASE WHEN a.blocks_text = '' THEN '' ELSE char(10, 10) || a.blocks_text END
           AS body,
       COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
                 JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '') AS tags
FROM articles a;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (rowid, title, summary, body, tags)
SELECT id, title, summary, body, tags FROM article_search_texts ORDER BY id;

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body, tags)
    SELECT id, title, summary, body, tags FROM article_search_texts WHERE id = new.id;
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body_text, blocks_text ON articles BEGIN
    UPDATE articles_fts SET (title, summary, body, tags) =
        (SELECT title, summary, body, tags FROM article_search_texts WHERE id = new.id)
    WHERE rowid = new.id;
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;
CREATE TRIGGER article_tags_fts_delete AFTER DELETE ON article_tags BEGIN
    UPDATE articles_fts SET (title, summary, body, tags) =
        (SELECT title, summary, body, tags FROM article_search_texts WHERE id = old.article_id)
    WHERE rowid = old.article_id;
END;
CREATE TRIGGER tags_fts_rename AFTER UPDATE OF name ON tags BEGIN
    UPDATE articles_fts SET (title, summary, body, tags) =
        (SELECT title, summary, body, tags FROM article_search_texts WHERE id = articles_fts.rowid)
    WHERE rowid IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;
