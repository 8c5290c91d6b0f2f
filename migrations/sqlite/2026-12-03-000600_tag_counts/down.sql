DROP TRIGGER tag_counts_article_status;
DROP TRIGGER tag_counts_article_delete;
DROP TRIGGER tag_counts_link_update;
DROP TRIGGER tag_counts_link_delete;
DROP TRIGGER tag_counts_link_insert;
DROP TRIGGER tag_counts_tag_delete;
DROP TRIGGER tag_counts_tag_insert;
DROP TABLE tag_counts;
