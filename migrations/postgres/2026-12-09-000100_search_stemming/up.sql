-- English stemming in the search configuration: each word, lowercased and without
-- diacritics (unaccent), is stemmed by Snowball's `porter` stemmer, the algorithm of
-- SQLite's porter tokenizer, so that both backends find the same forms: "elections" finds
-- "election", "flooding" finds "flooded". The stored documents are computed again.
CREATE TEXT SEARCH DICTIONARY gazette_porter (TEMPLATE = snowball, Language = porter);
ALTER TEXT SEARCH CONFIGURATION gazette
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH unaccent, gazette_porter;
UPDATE articles_search SET title = title;
