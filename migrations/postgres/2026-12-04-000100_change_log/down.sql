DROP TABLE purge_progress;
DROP TABLE changes;
