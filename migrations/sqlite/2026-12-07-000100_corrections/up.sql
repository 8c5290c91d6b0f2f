-- Corrections appended to an article in public, dated, in order (db::articles::write::correct).
CREATE TABLE article_corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX article_corrections_article ON article_corrections (article_id, created_at, id);
