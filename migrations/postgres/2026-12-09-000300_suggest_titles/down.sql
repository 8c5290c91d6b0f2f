DROP INDEX articles_search_title_words;
ALTER TABLE articles_search DROP COLUMN title_words;
DROP TEXT SEARCH CONFIGURATION gazette_words;
