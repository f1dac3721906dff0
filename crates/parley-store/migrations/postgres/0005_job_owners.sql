-- Who a job is for and who runs it: the viewer of the token that asked for it (only tokens of
-- the same negotiation and viewer see it), the server process that runs it, and that process's
-- last sign of life. A job left `queued` or `running` by a process whose heartbeat has stopped is
-- marked `failed` by whichever process looks at it next, so that no job is silently lost.
ALTER TABLE jobs ADD COLUMN viewer TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN heartbeat TEXT NOT NULL DEFAULT '';
