-- The resident ID number, sealed (AES-256-GCM) under a server key: usable by the BFF to ask
-- departments on the user's behalf, never readable from the database alone (可用不可見).
ALTER TABLE users ADD COLUMN id_number_sealed BLOB;
