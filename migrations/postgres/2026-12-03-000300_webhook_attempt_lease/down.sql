ALTER TABLE webhook_deliveries DROP COLUMN attempting_until;
