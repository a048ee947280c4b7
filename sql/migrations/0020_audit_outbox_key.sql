-- The audit outbox row's key is made by the caller (22 random URL-safe base64 characters,
-- 128 bits) instead of read back with SELECT LAST_INSERT_ID(): one round trip fewer on every
-- audited mutation (docs/performance.md, "Fewer round trips per audited call"). The relay
-- deletes delivered rows by it and chains them as "outbox:<key>". Rows written before this
-- migration have no key and are still swept and deleted by id, as "outbox:<id>" (an id has at
-- most 19 digits, so the two kinds of source key never meet).
ALTER TABLE audit_outbox
  ADD COLUMN IF NOT EXISTS outbox_key CHAR(22) NULL,
  ADD UNIQUE KEY IF NOT EXISTS uq_audit_outbox_key (outbox_key);
