-- 本人授权推送: consent artefacts a citizen approved for a data consumer (a bank), and each
-- fetch made under them. The artefact is the platform-signed JWS; status and use count change.
CREATE TABLE vault_consents (
    id                TEXT PRIMARY KEY,
    consumer_id       TEXT NOT NULL,
    user_id           UUID NOT NULL,
    artefact          TEXT NOT NULL,
    terms             TEXT NOT NULL,
    status            TEXT NOT NULL,
    use_count         BIGINT NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL,
    status_changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX vault_consents_user ON vault_consents (user_id, created_at);

CREATE TABLE vault_consent_fetches (
    fetch_id   TEXT PRIMARY KEY,
    consent_id TEXT NOT NULL REFERENCES vault_consents (id),
    fetched_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX vault_consent_fetches_consent ON vault_consent_fetches (consent_id, fetched_at);
