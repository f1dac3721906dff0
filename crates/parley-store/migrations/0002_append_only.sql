-- The log is append-only: the database itself refuses updates and deletions. (Anyone with the
-- file can drop these triggers; the hash chain is what makes such tampering evident.)
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE INDEX events_by_entity ON events (negotiation, kind, key);
