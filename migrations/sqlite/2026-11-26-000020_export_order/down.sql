DROP INDEX articles_created_at_slug;
