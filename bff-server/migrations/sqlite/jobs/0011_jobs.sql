-- The durable job mechanism: every piece of background work (webhook notices, push deliveries,
-- 一件事 routing, reminders) is a row here, written in the same transaction as what caused it,
-- claimed by one worker at a time (compare-and-set with a lease), retried with backoff, and
-- buried after its last attempt. Redis Streams (or the in-process queue) only say which row to
-- look at; this table is the truth.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    queue        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TEXT NOT NULL,
    lease_until  TEXT,
    published_at TEXT,
    last_error   TEXT,
    dedupe_key   TEXT UNIQUE,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX jobs_due ON jobs (status, run_at);
