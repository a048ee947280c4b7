-- Terminal hardening (owner: terminal service; the delivery index serves the binding service).

-- Activation codes are kept only as the lowercase hex SHA-256 of the code, as staff tokens
-- are: a dump of the table cannot activate a device. Codes issued before this migration are
-- hashed in place and keep working.
ALTER TABLE terminal_activation_codes CHANGE COLUMN code code_hash CHAR(64) NOT NULL;
UPDATE terminal_activation_codes SET code_hash = SHA2(code_hash, 256)
  WHERE CHAR_LENGTH(code_hash) <> 64;

-- A reset asks which terminals hold the old code (terminal_code_delivery WHERE code_id = ?):
-- without this index every reset scans every terminal's delivery row.
CREATE INDEX IF NOT EXISTS idx_terminal_code_delivery_code
  ON terminal_code_delivery (code_id, terminal_sn);

-- The reviewers' queue and the status search page (WHERE status = ? ORDER BY created_at DESC,
-- merchant_id DESC LIMIT n) read the newest rows of one status instead of sorting them all.
CREATE INDEX IF NOT EXISTS idx_merchants_status_created
  ON merchants (status, created_at, merchant_id);
