ALTER TABLE articles DROP COLUMN blocks_changed_id;
ALTER TABLE articles DROP COLUMN blocks_changed_at;
ALTER TABLE articles DROP COLUMN block_count;
