-- Exports list articles by creation, ties broken by slug, a page at a time (keyset).
CREATE INDEX articles_created_at_slug ON articles (created_at, slug);
