-- Whether an article is live: published with its time come, and so announced
-- (`article.published`) and in the public search index. Set in the same transaction as the
-- write that makes an article public or takes it back (db::live), and, for an article
-- scheduled for later, by the go-live step when its time comes (db::live::go_live); so
-- every article goes live exactly once per publication, whichever replica sees it first.
-- Articles already public when this runs count as announced.
ALTER TABLE articles ADD COLUMN live BOOLEAN NOT NULL DEFAULT 0;

UPDATE articles SET live = 1
WHERE status = 'published' AND published_at <= strftime('%Y-%m-%d %H:%M:%f', 'now');

-- The go-live step's lookup: published articles not live yet, by publication time (few:
-- the scheduled ones).
CREATE INDEX articles_due ON articles (published_at) WHERE status = 'published' AND live = 0;

-- The search index of public reads: the live articles only. bm25 ranks with statistics of
-- the whole index it searches (how many documents, how many hold each word, their average
-- length), so ranks read from an index holding drafts, scheduled or archived articles would
-- move when those change. Contentless: the text shown in snippets is read from articles_fts,
-- which holds every article.
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

-- Kept in step by db::live in the transaction of each write, but for these two, which reach
-- live articles without an article write: a tag renamed, an article deleted.
CREATE TRIGGER tags_fts_public_rename AFTER UPDATE OF name ON tags BEGIN
    INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags)
    SELECT a.id, a.title, a.summary, a.body_text,
           COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
                     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')
    FROM articles a
    WHERE a.live = 1 AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;

CREATE TRIGGER articles_fts_public_delete AFTER DELETE ON articles WHEN old.live = 1 BEGIN
    DELETE FROM articles_fts_public WHERE rowid = old.id;
END;
