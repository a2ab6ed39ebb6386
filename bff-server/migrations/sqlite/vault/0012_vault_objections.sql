-- Complaints about a vault history entry and requests that a consumer delete what it
-- received under a consent; a deletion request's delivery is the job it names.
CREATE TABLE vault_objections (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    consent_id  TEXT,
    entry_seq   BIGINT,
    entry_hash  TEXT,
    counterpart TEXT,
    message     TEXT NOT NULL,
    job_id      TEXT,
    raised_at   TEXT NOT NULL
);
CREATE INDEX vault_objections_user ON vault_objections (user_id, raised_at);
