-- The titles of live articles alone, for suggestions as a reader types (db::search::suggest):
-- words as typed (no stemming: "electi" begins "election", not its stem), with prefix indexes
-- of one to three letters, so that a word begun with one letter reads one list instead of
-- merging the lists of every word that begins with it. Keyed as the public index is (by
-- publication minute and id, db::live::public_key), so that matches come newest first, and
-- kept with it by db::live and these triggers.
CREATE VIRTUAL TABLE article_titles_public USING fts5(
    title,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
INSERT INTO article_titles_public (rowid, title)
SELECT (((CAST(strftime('%s', a.published_at) AS INTEGER) / 60) + 2147483648) << 31) | a.id, a.title
FROM articles a WHERE a.live = 1 ORDER BY 1;

CREATE TRIGGER article_titles_public_delete AFTER DELETE ON articles WHEN old.live = 1 BEGIN
    DELETE FROM article_titles_public
    WHERE rowid = (((CAST(strftime('%s', old.published_at) AS INTEGER) / 60) + 2147483648) << 31) | old.id;
END;

CREATE TRIGGER article_titles_public_moved AFTER UPDATE OF published_at ON articles
WHEN old.live = 1 AND old.published_at IS NOT new.published_at BEGIN
    DELETE FROM article_titles_public
    WHERE rowid = (((CAST(strftime('%s', old.published_at) AS INTEGER) / 60) + 2147483648) << 31) | old.id;
END;
