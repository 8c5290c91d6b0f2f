-- How many articles each status holds, kept by triggers in the same transaction as every
-- write: a list's total then costs a lookup here and a count of the few published articles
-- not yet due (db::articles::list), instead of a count over every visible article (~100,000
-- index entries, most of a list page's time at that size).
CREATE TABLE article_counts (
    status TEXT PRIMARY KEY NOT NULL,
    n INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO article_counts (status, n)
SELECT s.status, (SELECT COUNT(*) FROM articles a WHERE a.status = s.status)
FROM (SELECT 'draft' AS status UNION ALL SELECT 'published' UNION ALL SELECT 'archived') s;

CREATE TRIGGER article_counts_insert AFTER INSERT ON articles BEGIN
    UPDATE article_counts SET n = n + 1 WHERE status = new.status;
END;

CREATE TRIGGER article_counts_delete AFTER DELETE ON articles BEGIN
    UPDATE article_counts SET n = n - 1 WHERE status = old.status;
END;

CREATE TRIGGER article_counts_update AFTER UPDATE OF status ON articles
WHEN old.status <> new.status BEGIN
    UPDATE article_counts SET n = n - 1 WHERE status = old.status;
    UPDATE article_counts SET n = n + 1 WHERE status = new.status;
END;
