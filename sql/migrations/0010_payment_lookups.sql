-- A payment on a new code ends the grace of the code it replaced: found by replaced_by.
ALTER TABLE collection_codes ADD INDEX IF NOT EXISTS idx_codes_replaced_by (replaced_by, status);

-- Fee plans and assignments change rarely and are read on every payment: quotes use an
-- in-process copy while this generation (bumped by every change, in its transaction) is
-- unchanged (owner: fee service).
CREATE TABLE IF NOT EXISTS fee_generation (
  id            TINYINT      NOT NULL PRIMARY KEY,
  generation    BIGINT       NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO fee_generation (id, generation) VALUES (1, 0);
