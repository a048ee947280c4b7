-- A payment on a new code ends the grace of the code it replaced: found by replaced_by.
ALTER TABLE collection_codes ADD INDEX IF NOT EXISTS idx_codes_replaced_by (replaced_by, status);
