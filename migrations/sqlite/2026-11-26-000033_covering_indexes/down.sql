DROP INDEX articles_link;
DROP INDEX articles_slug_visibility;
DROP INDEX articles_status_published_at;
CREATE INDEX articles_status_published_at ON articles (status, published_at, id);
