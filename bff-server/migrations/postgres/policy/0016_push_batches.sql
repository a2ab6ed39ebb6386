-- Pushes go out in batches: each delivery row belongs to the job that sends it, and counts
-- how often it was handed to the provider (`sends`) and how often it was handed again after
-- an attempt that may have reached the provider died before recording its answer (`resent`:
-- the possible duplicates an official's figures report).
ALTER TABLE push_deliveries ADD COLUMN job_id TEXT;
ALTER TABLE push_deliveries ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE push_deliveries ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX push_deliveries_job ON push_deliveries (job_id);
-- How far a campaign got: every enterprise up to this USCC has its message and its pushes.
ALTER TABLE policy_campaigns ADD COLUMN expanded_through TEXT;
