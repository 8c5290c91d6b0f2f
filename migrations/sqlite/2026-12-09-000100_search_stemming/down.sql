-- (down) The search indexes without stemming, as before.
CREATE TABLE articles_fts_copy AS SELECT rowid AS id, title, summary, body, tags FROM articles_fts;
DROP TABLE articles_fts;
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (rowid, title, summary, body, tags)
SELECT id, title, summary, body, tags FROM articles_fts_copy ORDER BY id;
DROP TABLE articles_fts_copy;

DROP TABLE articles_fts_public;
CREATE VIRTUAL TABLE articles_fts_public USING fts5(
    title, summary, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts_public (rowid, title, summary, body, tags)
SELECT f.rowid, f.title, f.summary, f.body, f.tags
FROM articles_fts f JOIN articles a ON a.id = f.rowid
WHERE a.live = 1
ORDER BY f.rowid;
