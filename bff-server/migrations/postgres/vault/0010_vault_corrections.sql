-- 数据纠错: a citizen's disputes of a certificate claim and where each stands. Neither the
-- proposed value nor the reason nor the evidence is kept: only their SM3 digest (the
-- department has them; the citizen's device keeps the text).
CREATE TABLE vault_corrections (
    id              TEXT PRIMARY KEY,
    user_id         UUID NOT NULL,
    request_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    claim           TEXT NOT NULL,
    department      TEXT NOT NULL,
    case_number     TEXT NOT NULL,
    status          TEXT NOT NULL,
    proposal_digest TEXT NOT NULL,
    evidence_digest TEXT,
    submitted_at    TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ,
    decision_reason TEXT,
    reissued_at     TIMESTAMPTZ
);
CREATE INDEX vault_corrections_user ON vault_corrections (user_id, kind, status);
