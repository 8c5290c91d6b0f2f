-- The words of each title as typed, for suggestions as a reader types (db::search::suggest):
-- lowercased and without diacritics but not stemmed ("electi" begins "election", not its
-- stem), as SQLite's title index for suggestions reads them.
CREATE TEXT SEARCH CONFIGURATION gazette_words (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION gazette_words
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH unaccent, simple;
ALTER TABLE articles_search ADD COLUMN title_words tsvector
    GENERATED ALWAYS AS (to_tsvector('gazette_words', translate(title, '<>&', '   '))) STORED;
CREATE INDEX articles_search_title_words ON articles_search USING GIN (title_words);
