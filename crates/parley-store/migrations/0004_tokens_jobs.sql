-- Access tokens of the server: each belongs to one negotiation and one viewer (`admin`,
-- `mediator`, `public` or a party id), may write or only read, and is stored only as the SHA-256
-- hash of its secret. Revoking sets `revoked_at`; a revoked token is never valid again.
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    negotiation TEXT NOT NULL,
    viewer TEXT NOT NULL,
    can_write INTEGER NOT NULL,
    label TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
-- Long-running work the server does for a client (simulations, tournaments): one row per job,
-- its request and result as JSON text, its state one of `queued`, `running`, `done`, `failed`;
-- `progress` runs from 0 to 1. Written by the server's job runner; not part of the record.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    negotiation TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- The label of the token that made an event over the server (NULL for the command line and for
-- every event before this version). Part of the event's hash only when present, so that the
-- hashes of older events are unchanged.
ALTER TABLE events ADD COLUMN label TEXT;
