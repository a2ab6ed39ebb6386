-- Sessions (refresh-token families) get a row of their own: rotation and revocation both write
-- it first, so they are serialised (SQLite has one writer at a time anyway; the row makes the
-- rule the same as on PostgreSQL). It carries the time of the platform login the session began
-- with (`auth_time`) and is what revocation polls read.
CREATE TABLE session_families (
    family_id  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    auth_time  TEXT NOT NULL,
    revoked_at TEXT
);
INSERT INTO session_families (family_id, user_id, created_at, auth_time, revoked_at)
SELECT family_id, MIN(user_id), MIN(issued_at), MIN(issued_at), MAX(revoked_at)
FROM refresh_tokens GROUP BY family_id;
CREATE INDEX session_families_user_live ON session_families (user_id) WHERE revoked_at IS NULL;
CREATE INDEX session_families_revoked_at ON session_families (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX session_families_created_at ON session_families (created_at);

-- Idempotent rotation: a spent token names its successor, sealed for the grace window.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BLOB;
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Retention prunes department call batches and audit events by age.
CREATE INDEX upstream_call_batches_at ON upstream_call_batches (at);
CREATE INDEX audit_events_at ON audit_events (at);
