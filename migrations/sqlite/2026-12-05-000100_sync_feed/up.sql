-- What the sync feed and the event stream read of a change (db::sync): the position among
-- the changes the public may see (`public_seq`, gapless, so that a public token says nothing
-- about unpublished writes between two public ones), the resource's slug and tags as the
-- change left them (for a deletion: as they were), and why it left view, if it did.
ALTER TABLE changes ADD COLUMN public_seq BIGINT;
ALTER TABLE changes ADD COLUMN slug TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN reason TEXT;
UPDATE changes SET public_seq = (
    SELECT COUNT(*) FROM changes AS earlier WHERE earlier.keys <> '' AND earlier.seq <= changes.seq
) WHERE keys <> '';
CREATE UNIQUE INDEX changes_public_seq ON changes (public_seq);

-- The newest positions the log no longer keeps (db::sync::prune): a token at or after them
-- still reads every change after it; an older one answers 410 Gone.
CREATE TABLE change_horizon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    public_seq BIGINT NOT NULL
);
INSERT INTO change_horizon (id, seq, public_seq) VALUES (1, 0, 0);
