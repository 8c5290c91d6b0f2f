DROP TRIGGER changes_notify ON changes;
DROP FUNCTION changes_notify();
