DROP TABLE change_horizon;
DROP INDEX changes_public_seq;
ALTER TABLE changes DROP COLUMN reason;
ALTER TABLE changes DROP COLUMN tags;
ALTER TABLE changes DROP COLUMN slug;
ALTER TABLE changes DROP COLUMN public_seq;
