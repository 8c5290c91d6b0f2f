CREATE TRIGGER article_tags_fts_insert AFTER INSERT ON article_tags BEGIN
    UPDATE articles_fts SET tags = COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
        JOIN tags t ON t.id = at.tag_id WHERE at.article_id = new.article_id), '')
    WHERE rowid = new.article_id;
END;
