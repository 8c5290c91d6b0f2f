-- Webhook subscriptions, and their deliveries: the outbox the delivery worker drains and,
-- kept afterwards, the delivery log. A delivery is inserted in the same transaction as the
-- change it reports, so none is lost when the server stops or the receiver is down.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    url TEXT NOT NULL,
    -- A JSON array of event names and wildcards (`article.*`, `tag.*`, `*`).
    events TEXT NOT NULL,
    -- The HMAC-SHA256 key deliveries are signed with (needed in clear to sign).
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    -- The exact JSON body sent, on every attempt.
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When a pending delivery is due (or, while an attempt runs, when its claim lapses);
    -- NULL once delivered or failed.
    next_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);

-- The worker's lookup: pending deliveries that are due, oldest first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at, id);
-- A subscription's log, newest first (and the cascade on delete).
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
