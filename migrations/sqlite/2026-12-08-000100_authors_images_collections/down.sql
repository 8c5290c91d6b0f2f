DROP TABLE collection_items;
DROP TABLE collections;
DROP TABLE article_authors;
DROP TABLE authors;
DROP INDEX articles_link;
CREATE INDEX articles_link ON articles (id, status, published_at, updated_at, slug, title, summary);
DROP INDEX articles_status_published_at;
CREATE INDEX articles_status_published_at ON articles (
    status, published_at, id, slug, title, summary, word_count, byline, feature_image_url,
    created_at, updated_at, format, coverage_open, latest_block_at
);
ALTER TABLE articles DROP COLUMN feature_image;
