-- Listeners are told of each recorded change by the insert itself (the payload is its
-- sequence number, delivered when the transaction commits, as before), rather than by a
-- NOTIFY statement after it: one round trip less per change, which an import of 100,000
-- articles makes 100,000 times.
CREATE FUNCTION changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gazette_changes', NEW.seq::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER changes_notify AFTER INSERT ON changes
    FOR EACH ROW EXECUTE FUNCTION changes_notify();
