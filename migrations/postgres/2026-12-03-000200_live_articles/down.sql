DROP INDEX articles_due;
ALTER TABLE articles DROP COLUMN live;
