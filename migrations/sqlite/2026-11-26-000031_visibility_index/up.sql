-- The visibility and dates of an article, readable without its row: a search checks them for
-- every match, and in the row they sit past the body, in its overflow pages (~9 µs an article
-- of 10 KB, against under 1 µs from here). Search names it with INDEXED BY.
CREATE INDEX articles_visibility ON articles (id, status, published_at, updated_at);
