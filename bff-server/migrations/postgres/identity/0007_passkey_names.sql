-- Passkeys can be listed, renamed and deleted by their owner: each has a name and the time it
-- last started a session.
ALTER TABLE passkeys ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN last_used_at TIMESTAMPTZ;
