-- The block a change wrote, when it wrote one (a stream event names it).
ALTER TABLE changes ADD COLUMN block_id BIGINT;

-- Live blogs (db::blocks): an article's `format` is `standard` or `live`; a live article's
-- coverage is open or closed (`coverage_open`, the API's `live`); its updates are blocks.
ALTER TABLE articles ADD COLUMN format TEXT NOT NULL DEFAULT 'standard'
    CHECK (format IN ('standard', 'live'));
ALTER TABLE articles ADD COLUMN coverage_open BOOLEAN NOT NULL DEFAULT 0;
-- When the newest block the public can see was published (a teaser shows it).
ALTER TABLE articles ADD COLUMN latest_block_at TIMESTAMP;
-- The text of the blocks the public can see, newest first and bounded (db::blocks), which
-- search indexes with the body: a block's words find its live article.
ALTER TABLE articles ADD COLUMN blocks_text TEXT NOT NULL DEFAULT '';

-- A page of the default list order, teasers included, read from the index alone: the
-- teaser's new columns join it (added columns sit past the bodies, in the overflow pages).
DROP INDEX articles_status_published_at;
CREATE INDEX articles_status_published_at ON articles (
    status, published_at, id, slug, title, summary, word_count, byline, feature_image_url,
    created_at, updated_at, format, coverage_open, latest_block_at
);

-- A block is `announced` once the public may see it (its time come: at its write, or in the
-- go-live step); a deleted block that was announced stays as an empty tombstone, so that a
-- reader polling with `blocks=since:` learns it went. `changed_at` is the time of its last
-- write or announcement: the position `since:` reads after.
CREATE TABLE article_blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    title TEXT,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    key_event BOOLEAN NOT NULL DEFAULT 0,
    pinned BOOLEAN NOT NULL DEFAULT 0,
    published_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    announced BOOLEAN NOT NULL DEFAULT 0,
    deleted BOOLEAN NOT NULL DEFAULT 0
);
-- A live page's reads, each one range of an index (the flags first, compared for equality):
-- the blocks a reader sees newest first, and their count; the key events; the pinned block;
-- what changed after a position.
CREATE INDEX article_blocks_shown ON article_blocks (article_id, deleted, announced, published_at, id);
CREATE INDEX article_blocks_key_events ON article_blocks (article_id, key_event, deleted, announced, published_at, id);
CREATE INDEX article_blocks_pinned ON article_blocks (article_id, pinned, deleted, announced, published_at, id);
CREATE INDEX article_blocks_changed ON article_blocks (article_id, announced, changed_at, id);
CREATE INDEX article_blocks_due ON article_blocks (published_at) WHERE announced = 0;

-- Search indexes the body and the blocks' text together.
DROP TRIGGER articles_fts_insert;
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body, tags)
    VALUES (new.id, new.title, new.summary,
            new.body_text || CASE WHEN new.blocks_text = '' THEN '' ELSE char(10, 10) || new.blocks_text END,
            '');
END;
DROP TRIGGER articles_fts_update;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body_text, blocks_text ON articles BEGIN
    UPDATE articles_fts SET title = new.title, summary = new.summary,
        body = new.body_text || CASE WHEN new.blocks_text = '' THEN '' ELSE char(10, 10) || new.blocks_text END
    WHERE rowid = new.id;
END;
DROP TRIGGER tags_fts_public_rename;
CREATE TRIGGER tags_fts_public_rename AFTER UPDATE OF name ON tags BEGIN
    INSERT OR REPLACE INTO articles_fts_public (rowid, title, summary, body, tags)
    SELECT a.id, a.title, a.summary,
           a.body_text || CASE WHEN a.blocks_text = '' THEN '' ELSE char(10, 10) || a.blocks_text END,
           COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at
                     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')
    FROM articles a
    WHERE a.live = 1 AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = new.id);
END;
