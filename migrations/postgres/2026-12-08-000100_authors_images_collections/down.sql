DROP TABLE collection_items;
DROP TABLE collections;
DROP TABLE article_authors;
DROP TABLE authors;
ALTER TABLE articles DROP COLUMN feature_image;
