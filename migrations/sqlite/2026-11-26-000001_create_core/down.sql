DROP TABLE api_keys;
DROP TABLE related_links;
DROP TABLE article_tags;
DROP TABLE tags;
DROP TABLE articles;
