-- Whether the attempt before the running one died (its lease ran out while it was running),
-- set by each claim: a handler whose effects are not all recorded yet (a push batch) knows
-- what the dead attempt may have done.
ALTER TABLE jobs ADD COLUMN previous_died INTEGER NOT NULL DEFAULT 0;
