DROP TRIGGER articles_search_tags ON article_tags;
CREATE TRIGGER articles_search_tags AFTER INSERT OR DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION articles_search_tags();
