DROP TRIGGER tag_counts_article_status ON articles;
DROP TRIGGER tag_counts_article_delete ON articles;
DROP FUNCTION tag_counts_article_change();
DROP TRIGGER tag_counts_link_update ON article_tags;
DROP TRIGGER tag_counts_link_change ON article_tags;
DROP FUNCTION tag_counts_link_change();
DROP TRIGGER tag_counts_tag_change ON tags;
DROP FUNCTION tag_counts_tag_change();
DROP TABLE tag_counts;
