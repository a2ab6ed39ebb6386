-- Every department call the BFF makes: department, operation, latency, outcome, and on whose
-- behalf (a pseudonymous user id, never an ID number). Append-only and written in batches at
-- the rate of department calls: no secondary index to maintain (`id` orders it in time).
CREATE TABLE upstream_calls (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    department  TEXT NOT NULL,
    operation   TEXT NOT NULL,
    latency_ms  BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    on_behalf   TEXT NOT NULL
);
