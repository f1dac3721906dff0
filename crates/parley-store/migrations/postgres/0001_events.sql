-- The event log: one row per event, numbered within its negotiation.
CREATE TABLE events (
    negotiation TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT,
    PRIMARY KEY (negotiation, seq)
);
