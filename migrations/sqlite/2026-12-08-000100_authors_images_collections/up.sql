-- Issue 20: an article's picture as a whole image (JSON: url, alt, caption, credit, width,
-- height, focal_point; feature_image_url stays its url), the newsroom's authors, and curated
-- collections of articles.
ALTER TABLE articles ADD COLUMN feature_image TEXT;
UPDATE articles SET feature_image = json_object('url', feature_image_url, 'alt', '') WHERE feature_image_url IS NOT NULL;
-- Teasers show the whole image: the covering indexes of lists and related links hold it.
DROP INDEX articles_status_published_at;
CREATE INDEX articles_status_published_at ON articles (
    status, published_at, id, slug, title, summary, word_count, byline, feature_image,
    created_at, updated_at, format, coverage_open, latest_block_at
);
DROP INDEX articles_link;
CREATE INDEX articles_link ON articles (
    id, status, published_at, updated_at, slug, title, summary, feature_image
);

CREATE TABLE authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT,
    bio TEXT,
    bio_html TEXT,
    image TEXT,
    links TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- An article's authors, in byline order.
CREATE TABLE article_authors (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id, article_id);

CREATE TABLE collections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A collection's articles, in the editors' order.
CREATE TABLE collection_items (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (collection_id, article_id)
);
CREATE INDEX collection_items_article ON collection_items (article_id);
