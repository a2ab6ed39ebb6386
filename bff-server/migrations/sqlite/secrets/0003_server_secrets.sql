-- Secrets the BFF generates for itself at first start (e.g. the key of pseudonymous subjects).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
