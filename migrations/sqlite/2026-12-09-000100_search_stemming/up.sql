-- English stemming in both search indexes: the `porter` tokenizer stems each word that
-- unicode61 (lowercased, diacritics removed) gives it, in the text as in the searched words,
-- so that "elections" finds "election" and "flooding" finds "flooded". A tokenizer is fixed
-- when an FTS5 table is made: both are made anew and filled again. The triggers that write
-- them name them, and go on working with the new tables.
CREATE TABLE articles_fts_copy AS SELECT rowid AS id, title, summary, body, tags FROM articles_fts;
DROP TABLE articles_fts;
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (rowid, title, summary, body, tags)
SELECT id, title, summary, body, tags FROM articles_fts_copy ORDER BY id;
DROP TABLE articles_fts_copy;

DROP TABLE articles_fts_public;
CREATE VIRTUAL TABLE articles_fts_public USING fts5(
    title, summary, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts_public (rowid, title, summary, body, tags)
SELECT f.rowid, f.title, f.summary, f.body, f.tags
FROM articles_fts f JOIN articles a ON a.id = f.rowid
WHERE a.live = 1
ORDER BY f.rowid;
