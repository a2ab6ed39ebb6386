-- Identity: users, mini-apps, sessions (refresh-token families), passkeys, signing keys, audit.
-- SQLite: UUIDs and timestamps are TEXT (sqlx encodes them as hyphenated UUIDs and RFC 3339).

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    kind                 TEXT NOT NULL CHECK (kind IN ('citizen', 'legal_person', 'official')),
    subject              TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    real_name_level      INTEGER NOT NULL CHECK (real_name_level BETWEEN 1 AND 3),
    id_number_masked     TEXT,
    phone_masked         TEXT,
    enterprise_name      TEXT,
    enterprise_uscc      TEXT,
    legal_representative TEXT,
    organisation_code    TEXT,
    organisation_name    TEXT,
    employee_code        TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (kind, subject)
);

CREATE TABLE mini_apps (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    callback_urls       TEXT NOT NULL,
    allowed_scopes      TEXT NOT NULL,
    min_real_name_level INTEGER NOT NULL CHECK (min_real_name_level BETWEEN 1 AND 3),
    allowed_user_kinds  TEXT NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    mini_app_id TEXT NOT NULL REFERENCES mini_apps (id),
    scopes      TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    revoked_at  TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    passkey_json  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_pkcs8 BLOB NOT NULL,
    public_key    BLOB NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    event       TEXT NOT NULL,
    user_id     TEXT,
    mini_app_id TEXT,
    client      TEXT,
    request_id  TEXT,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
