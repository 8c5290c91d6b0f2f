DROP TABLE article_previews;
