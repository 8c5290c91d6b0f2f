CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    body_text TEXT NOT NULL DEFAULT '',
    word_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at TIMESTAMP,
    byline TEXT,
    feature_image_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The public list orders: visibility is status + published_at, ties broken by id.
CREATE INDEX articles_status_published_at ON articles (status, published_at, id);
CREATE INDEX articles_status_updated_at ON articles (status, updated_at, id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);

-- Tag filter and per-tag article counts go from tag to article.
CREATE INDEX article_tags_tag_id ON article_tags (tag_id, article_id);

CREATE TABLE related_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    target_article_id INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    url TEXT,
    title TEXT,
    summary TEXT,
    CHECK ((target_article_id IS NULL) <> (url IS NULL)),
    UNIQUE (article_id, position)
);

-- Deleting an article cascades to the links that point at it.
CREATE INDEX related_links_target ON related_links (target_article_id);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('admin', 'content')),
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
