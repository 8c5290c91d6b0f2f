ALTER TABLE articles
    ALTER COLUMN body SET COMPRESSION default,
    ALTER COLUMN body_html SET COMPRESSION default,
    ALTER COLUMN body_text SET COMPRESSION default,
    ALTER COLUMN blocks_text SET COMPRESSION default;
ALTER TABLE article_blocks
    ALTER COLUMN body SET COMPRESSION default,
    ALTER COLUMN body_html SET COMPRESSION default,
    ALTER COLUMN body_text SET COMPRESSION default;
ALTER TABLE article_revisions ALTER COLUMN snapshot SET COMPRESSION default;
ALTER TABLE articles_search
    ALTER COLUMN body SET COMPRESSION default,
    ALTER COLUMN document SET COMPRESSION default;
