ALTER TEXT SEARCH CONFIGURATION gazette
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH unaccent, simple;
DROP TEXT SEARCH DICTIONARY gazette_porter;
UPDATE articles_search SET title = title;
