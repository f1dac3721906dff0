-- A party's signing key is looked up on every write of its (`key_status`): without an index that
-- meant reading the negotiation's whole log backwards. Only key events are indexed, so appends of
-- anything else cost nothing more.
CREATE INDEX events_keys ON events (negotiation, key, seq) WHERE kind = 'key';
