-- One push per (campaign, device): where it stands, and why it failed.
CREATE TABLE push_deliveries (
    policy_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    provider_id TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (policy_id, user_id, device_id)
);
