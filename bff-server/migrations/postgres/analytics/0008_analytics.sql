-- ZwLog analytics (埋点): what mini-apps report, counted per day. Only counts are kept, and
-- for visitors a keyed pseudonym valid for one mini-app and one day (unlinkable across days
-- and mini-apps, never the user id); no event's parameters are stored.

-- Each batch a phone sent, so a batch sent again after a lost answer counts once.
CREATE TABLE analytics_batches (
    mini_app_id TEXT NOT NULL,
    batch_id    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (mini_app_id, batch_id)
);
CREATE INDEX analytics_batches_received ON analytics_batches (received_at);

-- Events per mini-app, day (China Standard Time, YYYY-MM-DD), page, kind and event code;
-- page views also sum their load times and durations.
CREATE TABLE analytics_counts (
    mini_app_id     TEXT NOT NULL,
    day             TEXT NOT NULL,
    page_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    code            TEXT NOT NULL,
    count           BIGINT NOT NULL,
    load_ms_sum     BIGINT NOT NULL,
    load_n          BIGINT NOT NULL,
    duration_ms_sum BIGINT NOT NULL,
    duration_n      BIGINT NOT NULL,
    PRIMARY KEY (mini_app_id, day, page_id, kind, code)
);

-- Who viewed a page on a day, as a pseudonym of (mini-app, day, user).
CREATE TABLE analytics_visitors (
    mini_app_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    page_id     TEXT NOT NULL,
    visitor     TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (mini_app_id, day, page_id, visitor)
);
CREATE INDEX analytics_visitors_at ON analytics_visitors (at);
