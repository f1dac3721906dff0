-- Checkpoints: a negotiation's folded state after one event, so that reading a long history does
-- not mean folding all of it. A cache of the log, never part of it: `verify` checks each one
-- against the log, and a checkpoint whose event hash no longer matches is ignored.
CREATE TABLE checkpoints (
    negotiation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    format INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (negotiation, seq)
) WITHOUT ROWID;
-- No query looks events up by entity: the index only slowed every append.
DROP INDEX IF EXISTS events_by_entity;
