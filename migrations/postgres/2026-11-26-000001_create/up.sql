-- The whole schema on PostgreSQL: the tables of migrations/sqlite, with full-text search on a
-- tsvector instead of FTS5. Slugs sort bytewise (COLLATE "C"), as on SQLite, so that lists
-- and cursors order the same on both backends whatever the database's locale.

CREATE TABLE articles (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT COLLATE "C" NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    body_text TEXT NOT NULL DEFAULT '',
    word_count BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at TIMESTAMP,
    byline TEXT,
    feature_image_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX articles_status_published_at ON articles (status, published_at, id);
CREATE INDEX articles_status_updated_at ON articles (status, updated_at, id);
CREATE INDEX articles_created_at_slug ON articles (created_at, slug);

CREATE TABLE tags (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);

CREATE INDEX article_tags_tag_id ON article_tags (tag_id, article_id);

CREATE TABLE related_links (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    target_article_id BIGINT REFERENCES articles (id) ON DELETE CASCADE,
    url TEXT,
    title TEXT,
    summary TEXT,
    CHECK ((target_article_id IS NULL) <> (url IS NULL)),
    UNIQUE (article_id, position)
);

CREATE INDEX related_links_target ON related_links (target_article_id);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('admin', 'content')),
    prefix TEXT COLLATE "C" NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE article_revisions (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (article_id, number)
);

CREATE TABLE article_slugs (
    slug TEXT COLLATE "C" PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    retired_at TIMESTAMP NOT NULL
);

CREATE INDEX article_slugs_article_id ON article_slugs (article_id);

CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    -- A JSON array of event names and wildcards (`article.*`, `tag.*`, `*`).
    events TEXT NOT NULL,
    -- The HMAC-SHA256 key deliveries are signed with (needed in clear to sign).
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    last_status_code BIGINT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at, id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);

-- Full-text search: one row per article with its searchable text and a weighted tsvector
-- (title A, tags B, summary C, body D), kept in step by triggers in the same transaction
-- as every write. The `gazette` configuration lowercases and strips diacritics without
-- stemming, as FTS5's unicode61 tokenizer with remove_diacritics does. unaccent is a
-- trusted extension: the database's owner may create it. `<`, `>` and `&` become spaces
-- first, or the parser would read `<script>` as one markup token and index no word of it.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION gazette (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION gazette
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH unaccent, simple;

CREATE TABLE articles_search (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('gazette', translate(title, '<>&', '   ')), 'A') ||
        setweight(to_tsvector('gazette', translate(tags, '<>&', '   ')), 'B') ||
        setweight(to_tsvector('gazette', translate(summary, '<>&', '   ')), 'C') ||
        setweight(to_tsvector('gazette', translate(body, '<>&', '   ')), 'D')
    ) STORED
);

CREATE INDEX articles_search_document ON articles_search USING GIN (document);

CREATE FUNCTION article_tag_names(article BIGINT) RETURNS TEXT LANGUAGE SQL STABLE AS $$
    SELECT COALESCE(string_agg(t.name, ' ' ORDER BY at.position), '')
    FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = article
$$;

CREATE FUNCTION articles_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search (article_id, title, summary, body)
    VALUES (NEW.id, NEW.title, NEW.summary, NEW.body_text);
    RETURN NULL;
END $$;

CREATE TRIGGER articles_search_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_search_insert();

CREATE FUNCTION articles_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET title = NEW.title, summary = NEW.summary, body = NEW.body_text
    WHERE article_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, body_text ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_search_update();

CREATE FUNCTION articles_search_tags() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    article BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.article_id ELSE NEW.article_id END;
BEGIN
    UPDATE articles_search SET tags = article_tag_names(article) WHERE article_id = article;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_search_tags AFTER INSERT OR DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION articles_search_tags();

CREATE FUNCTION articles_search_tag_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_search SET tags = article_tag_names(article_id)
    WHERE article_id IN (SELECT article_id FROM article_tags WHERE tag_id = NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER articles_search_tag_rename AFTER UPDATE OF name ON tags
    FOR EACH ROW EXECUTE FUNCTION articles_search_tag_rename();
