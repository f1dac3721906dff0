-- The log is append-only: the database itself refuses updates, deletions and truncation. (Its
-- owner can drop these triggers; the hash chain is what makes such tampering evident.)
CREATE FUNCTION parley_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION parley_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION parley_events_append_only();
CREATE INDEX events_by_entity ON events (negotiation, kind, key);
