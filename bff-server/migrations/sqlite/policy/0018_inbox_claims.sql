-- A claim started from a message (申报): the enterprise followed the policy's claim link.
ALTER TABLE inbox_messages ADD COLUMN claimed_at TEXT;
