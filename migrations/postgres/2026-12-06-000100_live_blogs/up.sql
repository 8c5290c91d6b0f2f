-- The block a change wrote, when it wrote one (a stream event names it).
ALTER TABLE changes ADD COLUMN block_id BIGINT;

-- Live blogs (db::blocks): an article's `format` is `standard` or `live`; a live article's
-- coverage is open or closed (`coverage_open`, the API's `live`); its updates are blocks.
ALTER TABLE articles ADD COLUMN format TEXT NOT NULL DEFAULT 'standard'
    CHECK (format IN ('standard', 'live'));
ALTER TABLE articles ADD COLUMN coverage_open BOOLEAN NOT NULL DEFAULT FALSE;
-- When the newest block the public can see was published (a teaser shows it).
ALTER TABLE articles ADD COLUMN latest_block_at TIMESTAMP;
-- The text of the blocks the public can see, newest first and bounded (db::blocks), which
-- search indexes with the body: a block's words find its live article.
ALTER TABLE articles ADD COLUMN blocks_text TEXT NOT NULL DEFAULT '';

-- A block is `announced` once the public may see it (its time come: at its write, or in the
-- go-live step); a deleted block that was announced stays as an empty tombstone, so that a
-- reader polling with `blocks=since:` learns it went. `changed_at` is the time of its last
-- write or announcement: the position `since:` reads after.
CREATE TABLE article_blocks (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    title TEXT,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    key_event BOOLEAN NOT NULL DEFAULT FALSE,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    announced BOOLEAN NOT NULL DEFAULT FALSE,
    deleted BOOLEAN NOT NULL DEFAULT FALSE
);
-- A live page's reads, each one range of an index (the flags first, compared for equality):
-- the blocks a reader sees newest first, and their count; the key events; the pinned block;
-- what changed after a position.
CREATE INDEX article_blocks_shown ON article_blocks (article_id, deleted, announced, published_at, id);
CREATE INDEX article_blocks_key_events ON article_blocks (article_id, key_event, deleted, announced, published_at, id);
CREATE INDEX article_blocks_pinned ON article_blocks (article_id, pinned, deleted, announced, published_at, id);
CREATE INDEX article_blocks_changed ON article_blocks (article_id, announced, changed_at, id);
CREATE INDEX article_blocks_due ON article_blocks (published_at) WHERE NOT announced;

-- Search indexes the body and the blocks' text together.
CREATE OR REPLACE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, summary, body)
    VALUES (NEW.id, NEW.title, NEW.summary,
            NEW.body_text || CASE WHEN NEW.blocks_text = '' THEN '' ELSE E'\n\n' || NEW.blocks_text END);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION articles_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET title = NEW.title, summary = NEW.summary,
        body = NEW.body_text || CASE WHEN NEW.blocks_text = '' THEN '' ELSE E'\n\n' || NEW.blocks_text END
    WHERE article_id = NEW.id;
    RETURN NULL;
END $$;

DROP TRIGGER articles_search_update ON articles;
CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, body_text, blocks_text ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_search_update();
