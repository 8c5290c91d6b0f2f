-- What a live article's public read shows of its blocks without counting them: how many the
-- public sees, and the position of the newest change it can see (the `since:` cursor). Kept
-- by db::blocks::settle in the transaction of each write the public can see.
ALTER TABLE articles ADD COLUMN block_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN blocks_changed_at TIMESTAMP;
ALTER TABLE articles ADD COLUMN blocks_changed_id BIGINT;
UPDATE articles SET
    block_count = (SELECT COUNT(*) FROM article_blocks b
                   WHERE b.article_id = articles.id AND b.announced = 1 AND b.deleted = 0),
    blocks_changed_at = (SELECT b.changed_at FROM article_blocks b
                         WHERE b.article_id = articles.id AND b.announced = 1
                         ORDER BY b.changed_at DESC, b.id DESC LIMIT 1),
    blocks_changed_id = (SELECT b.id FROM article_blocks b
                         WHERE b.article_id = articles.id AND b.announced = 1
                         ORDER BY b.changed_at DESC, b.id DESC LIMIT 1)
WHERE format = 'live';
