-- Every BFF instance polls for recently revoked sessions each second.
CREATE INDEX refresh_tokens_revoked_at ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
