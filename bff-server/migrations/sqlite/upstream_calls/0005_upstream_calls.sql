-- Every department call the BFF makes: department, operation, latency, outcome, and on whose
-- behalf (a pseudonymous user id, never an ID number). Calls arrive by the tens of thousands a
-- second under load, so they are stored as the batches the recorder writes — one row per batch,
-- the calls a JSON array — and expanded when read (json_each).
CREATE TABLE upstream_call_batches (
    id    INTEGER PRIMARY KEY,
    at    TEXT NOT NULL,
    calls TEXT NOT NULL
);
