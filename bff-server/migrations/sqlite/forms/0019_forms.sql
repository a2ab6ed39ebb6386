-- 一表通 · 一件事: the forms published (each version immutable once published), the outboxes
-- of the devices that submit (the last sequence number applied of each), the submissions
-- (answers sealed under a server key; the digest of what was said, so a replay is known), and
-- each department's part of a submission and where it stands.
CREATE TABLE form_versions (
    form_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    title        TEXT NOT NULL,
    definition   TEXT NOT NULL,
    digest       TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE form_clients (
    client_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    last_seq  BIGINT NOT NULL,
    PRIMARY KEY (client_id, user_id)
);

CREATE TABLE form_submissions (
    instance_id    TEXT PRIMARY KEY,
    form_id        TEXT NOT NULL,
    version        INTEGER NOT NULL,
    user_id        TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    digest         TEXT NOT NULL,
    sealed_answers BLOB NOT NULL,
    supersedes     TEXT,
    superseded_by  TEXT,
    received_at    TEXT NOT NULL
);
CREATE INDEX form_submissions_user ON form_submissions (user_id, received_at);

CREATE TABLE form_parts (
    instance_id TEXT NOT NULL,
    department  TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    reference   TEXT NOT NULL,
    title       TEXT NOT NULL,
    digest      TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    case_number TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (instance_id, department)
);
CREATE INDEX form_parts_reference ON form_parts (reference);
