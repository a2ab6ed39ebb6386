-- Sessions (refresh-token families) get a row of their own. Rotation and revocation both lock
-- it (SELECT … FOR UPDATE / UPDATE), so a logout can no longer miss a successor inserted by a
-- rotation running at the same moment under READ COMMITTED. It also carries the time of the
-- platform login the session began with (`auth_time`, for step-up checks such as registering
-- a passkey) and is what revocation polls read.
CREATE TABLE session_families (
    family_id  UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    auth_time  TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
INSERT INTO session_families (family_id, user_id, created_at, auth_time, revoked_at)
SELECT family_id, (array_agg(user_id))[1], MIN(issued_at), MIN(issued_at), MAX(revoked_at)
FROM refresh_tokens GROUP BY family_id;
CREATE INDEX session_families_user_live ON session_families (user_id) WHERE revoked_at IS NULL;
CREATE INDEX session_families_revoked_at ON session_families (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX session_families_created_at ON session_families (created_at);

-- Idempotent rotation: a spent token names its successor, sealed (AES-GCM under a server key,
-- the spent token's hash as associated data) for the grace window in which presenting the
-- spent token again returns that same successor. Cleared by the pruner after the window.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BYTEA;
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Retention prunes department call batches and audit events by age.
CREATE INDEX upstream_call_batches_at ON upstream_call_batches (at);
CREATE INDEX audit_events_at ON audit_events (at);
