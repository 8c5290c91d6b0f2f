-- Preview links: a token that shows one unpublished article to whoever holds it. Only the
-- token's SHA-256 hash is kept (the token is shown once, when minted); a revoked link's row
-- is deleted, and the article's deletion takes its links with it.
CREATE TABLE article_previews (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- An article's links, live ones by expiry (the cascade on delete uses it too).
CREATE INDEX article_previews_article ON article_previews (article_id, expires_at);
