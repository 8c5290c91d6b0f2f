DROP TABLE article_slugs;
DROP TABLE article_revisions;
