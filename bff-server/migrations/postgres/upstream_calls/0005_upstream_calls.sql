-- Every department call the BFF makes: department, operation, latency, outcome, and on whose
-- behalf (a pseudonymous user id, never an ID number). Calls arrive by the tens of thousands a
-- second under load, so they are stored as the batches the recorder writes — one row per batch,
-- the calls a JSON array — and expanded when read (jsonb_array_elements).
CREATE TABLE upstream_call_batches (
    id    BIGSERIAL PRIMARY KEY,
    at    TIMESTAMPTZ NOT NULL,
    calls JSONB NOT NULL
);
