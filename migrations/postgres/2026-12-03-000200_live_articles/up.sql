-- Whether an article is live: published with its time come, and so announced
-- (`article.published`). Set in the same transaction as the write that makes an article
-- public or takes it back (db::live), and, for an article scheduled for later, by the
-- go-live step when its time comes (db::live::go_live); so every article goes live exactly
-- once per publication, whichever replica sees it first. Articles already public when this
-- runs count as announced. (Search needs no index of its own here: ts_rank scores each
-- document on its own, with no statistics of the others.)
ALTER TABLE articles ADD COLUMN live BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE articles SET live = TRUE
WHERE status = 'published' AND published_at <= (now() AT TIME ZONE 'UTC');

-- The go-live step's lookup: published articles not live yet, by publication time (few:
-- the scheduled ones).
CREATE INDEX articles_due ON articles (published_at) WHERE status = 'published' AND NOT live;
