-- Code cache invalidation log (owner: binding service). Every change to a code, and every block or
-- unblock of a merchant's collection, appends one row in the same transaction as the change.
-- Sequence numbers come from the one-row head, locked by each writer, so they commit in order and
-- a reader that has seen seq N has seen every row up to N. Instances trust their caches only
-- while they have read this log recently (docs/architecture.md, "Revocation").
CREATE TABLE IF NOT EXISTS code_invalidation_head (
  id            TINYINT      NOT NULL PRIMARY KEY,
  seq           BIGINT       NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO code_invalidation_head (id, seq) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS code_invalidations (
  seq           BIGINT       NOT NULL PRIMARY KEY,
  code_id       CHAR(22)     NULL,
  merchant_id   VARCHAR(64)  NULL,
  at            DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Each binding instance's progress through the log; seen_at is the database's clock (NOW(6)), so
-- a revoke compares leases on one clock.
CREATE TABLE IF NOT EXISTS code_cache_instances (
  instance_id   VARCHAR(32)  NOT NULL PRIMARY KEY,
  applied_seq   BIGINT       NOT NULL,
  seen_at       DATETIME(6)  NOT NULL,
  KEY idx_cache_instances_seen (seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Merchants whose collection is blocked (FROZEN or CLOSED), as the merchant service told binding.
-- A resolve of any of their codes is not payable.
CREATE TABLE IF NOT EXISTS merchant_collection_blocks (
  merchant_id   VARCHAR(64)  NOT NULL PRIMARY KEY,
  status        VARCHAR(8)   NOT NULL,
  reason        VARCHAR(800) NOT NULL,
  updated_at    DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Replaced by the invalidation log.
DROP TABLE IF EXISTS code_cache_purges;

-- Audit outbox (written by every service in the transaction of the change it records; drained
-- into the chain by the relay in each aggpayd, then deleted).
CREATE TABLE IF NOT EXISTS audit_outbox (
  id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at            DATETIME(6)  NOT NULL,
  actor         VARCHAR(128) NOT NULL,
  role          VARCHAR(32)  NOT NULL,
  action        VARCHAR(160) NOT NULL,
  target        VARCHAR(255) NOT NULL,
  request_id    VARCHAR(128) NOT NULL,
  details       TEXT         NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  KEY idx_audit_outbox_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- An entry delivered from the outbox carries its outbox key, so a second delivery of the same row
-- (a relay that died after appending, two relays racing) is recognised and not chained twice.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS source_key VARCHAR(64) NULL;
ALTER TABLE audit_log ADD UNIQUE KEY IF NOT EXISTS uk_audit_source (source_key);
