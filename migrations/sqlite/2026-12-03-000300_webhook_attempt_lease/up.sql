-- While a worker attempts a delivery, the time its claim lapses; NULL when no attempt runs.
-- A delivery with a live claim is neither claimed again nor redelivered, so no two attempts
-- of it run at once, on any replica.
ALTER TABLE webhook_deliveries ADD COLUMN attempting_until TIMESTAMP;
