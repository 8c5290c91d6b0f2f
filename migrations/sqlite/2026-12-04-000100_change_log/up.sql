-- The change log: one row per write that changes what the public may see, appended in the
-- write's own transaction (db::changes). `keys` names, space-separated, the cache keys the
-- change affects; `hard` says whether caches must drop what they hold at once (unpublish,
-- delete, a slug change) or may serve it stale while they fetch it again (an edit).
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    keys TEXT NOT NULL,
    hard BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- How far each purge URL (CACHE_PURGE_URLS) has been told of the log, and when to try again.
-- A replica holds a URL's lease while it sends; the others leave that URL alone meanwhile.
CREATE TABLE purge_progress (
    url TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    leased_until TIMESTAMP,
    last_error TEXT
);
