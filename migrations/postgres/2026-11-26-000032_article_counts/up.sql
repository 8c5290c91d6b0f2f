-- How many articles each status holds, kept by a trigger in the same transaction as every
-- write: a list's total then costs a lookup here and a count of the few published articles
-- not yet due (db::articles::list), instead of a count over every visible article (~100,000
-- index entries, most of a list page's time at that size). Writers already take turns
-- (db::write's advisory lock), so the rows are no new point of contention.
CREATE TABLE article_counts (
    status TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);

INSERT INTO article_counts (status, n)
SELECT s.status, (SELECT COUNT(*) FROM articles a WHERE a.status = s.status)
FROM (VALUES ('draft'), ('published'), ('archived')) AS s (status);

CREATE FUNCTION article_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE article_counts SET n = n - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE article_counts SET n = n + 1 WHERE status = NEW.status;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER article_counts_insert_delete AFTER INSERT OR DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION article_counts_change();

CREATE TRIGGER article_counts_update AFTER UPDATE OF status ON articles
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION article_counts_change();
