-- The enterprises' inboxes (one message per policy and enterprise, the cursor its order), the
-- devices push nudges go to, and each published policy's campaign.
CREATE TABLE inbox_messages (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    uscc       TEXT NOT NULL,
    policy_id  TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT,
    opened_at  TEXT,
    UNIQUE (uscc, policy_id)
);
CREATE INDEX inbox_messages_policy ON inbox_messages (policy_id);

CREATE TABLE push_devices (
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    uscc       TEXT,
    channel    TEXT NOT NULL,
    platform   TEXT NOT NULL,
    token      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);
CREATE INDEX push_devices_uscc ON push_devices (uscc);

CREATE TABLE policy_campaigns (
    policy_id   TEXT PRIMARY KEY,
    matched     BIGINT NOT NULL,
    inboxed     BIGINT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
