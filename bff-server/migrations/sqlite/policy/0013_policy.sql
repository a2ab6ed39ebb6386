-- 惠企政策: enterprise profiles (built from department records; a slot is the matching index's
-- dense id), policies as officials write them, and every step taken on a policy.
CREATE TABLE enterprise_profiles (
    slot     INTEGER PRIMARY KEY AUTOINCREMENT,
    uscc     TEXT NOT NULL UNIQUE,
    profile  TEXT NOT NULL,
    sources  TEXT NOT NULL,
    built_at TEXT NOT NULL
);
CREATE INDEX enterprise_profiles_built ON enterprise_profiles (built_at, slot);

CREATE TABLE policies (
    id                TEXT PRIMARY KEY,
    organisation_code TEXT NOT NULL,
    department        TEXT NOT NULL,
    status            TEXT NOT NULL,
    draft             TEXT NOT NULL,
    drafted_by        TEXT NOT NULL,
    drafted_by_name   TEXT NOT NULL,
    approved_by_name  TEXT,
    version           BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    published_at      TEXT
);
CREATE INDEX policies_organisation ON policies (organisation_code, updated_at);
CREATE INDEX policies_status ON policies (status, published_at);

CREATE TABLE policy_events (
    policy_id  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    note       TEXT,
    at         TEXT NOT NULL,
    PRIMARY KEY (policy_id, seq)
);
