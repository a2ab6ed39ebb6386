-- 政务督查: items (督查事项) as written, their task trees (each task dispatched to a unit of the
-- 浙政钉 organisation tree), the units' progress reports, every state change of an item (who,
-- when, what), the notifications scheduled and sent about a task, and the to-dos created on
-- 浙政钉 (finished when what they ask is done). A request id per creator makes an item or a
-- report once however often a device retries; at most one report of a task waits for its
-- leader.
CREATE TABLE supervision_items (
    id           TEXT PRIMARY KEY,
    request_key  TEXT NOT NULL UNIQUE,
    mini_app_id  TEXT NOT NULL,
    title        TEXT NOT NULL,
    draft        TEXT NOT NULL,
    owner        TEXT NOT NULL,
    owner_name   TEXT NOT NULL,
    due_day      BIGINT NOT NULL,
    priority     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_items_due ON supervision_items (status, due_day);

CREATE TABLE supervision_tasks (
    id         TEXT PRIMARY KEY,
    item_id    TEXT NOT NULL REFERENCES supervision_items (id),
    parent_id  TEXT REFERENCES supervision_tasks (id),
    unit_code  TEXT NOT NULL,
    unit_name  TEXT NOT NULL,
    content    TEXT NOT NULL,
    due_day    BIGINT NOT NULL,
    targets    TEXT NOT NULL,
    reported   TEXT NOT NULL,
    status     TEXT NOT NULL,
    done_day   BIGINT,
    reports    INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_tasks_item ON supervision_tasks (item_id);
CREATE INDEX supervision_tasks_unit ON supervision_tasks (unit_code, status, due_day);

CREATE TABLE supervision_reports (
    id              TEXT PRIMARY KEY,
    request_key     TEXT NOT NULL UNIQUE,
    task_id         TEXT NOT NULL REFERENCES supervision_tasks (id),
    item_id         TEXT NOT NULL,
    reporter        TEXT NOT NULL,
    reporter_name   TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    decided_by      TEXT,
    decided_by_name TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ
);
CREATE INDEX supervision_reports_item ON supervision_reports (item_id, created_at);
CREATE UNIQUE INDEX supervision_reports_one_pending ON supervision_reports (task_id) WHERE status = 'pending';

CREATE TABLE supervision_events (
    seq        BIGSERIAL PRIMARY KEY,
    item_id    TEXT NOT NULL,
    task_id    TEXT,
    actor      TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_events_item ON supervision_events (item_id, seq);

CREATE TABLE supervision_notices (
    id        TEXT PRIMARY KEY,
    item_id   TEXT NOT NULL,
    task_id   TEXT NOT NULL,
    nudge     TEXT NOT NULL,
    note      TEXT,
    due_at    TIMESTAMPTZ NOT NULL,
    status    TEXT NOT NULL,
    title     TEXT,
    receivers TEXT NOT NULL,
    sent_at   TIMESTAMPTZ
);
CREATE INDEX supervision_notices_item ON supervision_notices (item_id, due_at);

CREATE TABLE supervision_todos (
    biz_task_id TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL,
    report_id   TEXT,
    kind        TEXT NOT NULL,
    account_id  BIGINT NOT NULL,
    task_uuid   TEXT NOT NULL,
    status      TEXT NOT NULL,
    mini_app_id TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_todos_task ON supervision_todos (task_id, status);
