-- Identity: users, mini-apps, sessions (refresh-token families), passkeys, signing keys, audit.

CREATE TABLE users (
    id                   UUID PRIMARY KEY,
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
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
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
    family_id   UUID NOT NULL,
    user_id     UUID NOT NULL REFERENCES users (id),
    mini_app_id TEXT NOT NULL REFERENCES mini_apps (id),
    scopes      TEXT NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id),
    passkey_json  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_pkcs8 BYTEA NOT NULL,
    public_key    BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    event       TEXT NOT NULL,
    user_id     UUID,
    mini_app_id TEXT,
    client      TEXT,
    request_id  TEXT,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
