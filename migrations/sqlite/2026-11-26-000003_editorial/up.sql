-- Every saved state of an article, numbered from 1 per article; the newest is the current one.
CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (article_id, number)
);

-- Slugs a published article had before: they redirect to it and stay reserved for it.
CREATE TABLE article_slugs (
    slug TEXT PRIMARY KEY NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    retired_at TIMESTAMP NOT NULL
);

CREATE INDEX article_slugs_article_id ON article_slugs (article_id);
