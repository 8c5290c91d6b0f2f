-- Full-text search over title, summary, plain body and tag names. A regular FTS5 table (it
-- keeps its own copy of the text, which snippet() needs), kept in step by triggers inside the
-- same transaction as every write.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO articles_fts (rowid, title, summary, body, tags)
SELECT a.id, a.title, a.summary, a.body_text,
       COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at JOIN tags t ON t.id = at.tag_id
                 WHERE at.article_id = a.id), '')
FROM articles a;

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body, tags)
    VALUES (new.id, new.title, new.summary, new.body_text, '');
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body_text ON articles BEGIN
    UPDATE articles_fts SET title = new.title, summary = new.summary, body = new.body_text
    WHERE rowid = new.id;
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;

CREATE TRIGGER article_tags_fts_insert AFTER INSERT ON article_tags BEGIN
    UPDATE articles_fts SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
        JOIN tags t ON t.id = at.tag_id WHERE at.article_id = new.article_id), '')
    WHERE rowid = new.article_id;
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
