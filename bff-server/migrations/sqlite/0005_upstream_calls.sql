-- Every department call the BFF makes: department, operation, latency, outcome, and on whose
-- behalf (a pseudonymous user id, never an ID number).
CREATE TABLE upstream_calls (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    department  TEXT NOT NULL,
    operation   TEXT NOT NULL,
    latency_ms  INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    on_behalf   TEXT NOT NULL
);
CREATE INDEX upstream_calls_at ON upstream_calls (at);
