DROP TABLE articles_search, webhook_deliveries, webhooks, article_slugs, article_revisions,
    api_keys, related_links, article_tags, tags, articles CASCADE;
DROP FUNCTION article_tag_names, articles_search_insert, articles_search_update,
    articles_search_tags, articles_search_tag_rename;
DROP TEXT SEARCH CONFIGURATION gazette;
