-- Risk control (owner: risk service), the payment flag it sets (owner: payment service) and the
-- terminal hold of a device freeze (owner: terminal service). docs/risk.md explains them.

-- The rules as they run now; every change adds a version below in the same transaction.
CREATE TABLE IF NOT EXISTS risk_rules (
  rule_id       VARCHAR(32)  NOT NULL PRIMARY KEY,
  enabled       TINYINT(1)   NOT NULL,
  action        VARCHAR(16)  NOT NULL,
  fail_mode     VARCHAR(8)   NOT NULL,
  -- Canonical "key=value" pairs, sorted, comma separated (services/risk/domain/rules.h).
  params        VARCHAR(1024) NOT NULL,
  version       BIGINT       NOT NULL,
  updated_by    VARCHAR(128) NOT NULL,
  updated_at    DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS risk_rule_versions (
  rule_id       VARCHAR(32)  NOT NULL,
  version       BIGINT       NOT NULL,
  enabled       TINYINT(1)   NOT NULL,
  action        VARCHAR(16)  NOT NULL,
  fail_mode     VARCHAR(8)   NOT NULL,
  params        VARCHAR(1024) NOT NULL,
  changed_by    VARCHAR(128) NOT NULL,
  reason        VARCHAR(800) NOT NULL,
  changed_at    DATETIME(6)  NOT NULL,
  PRIMARY KEY (rule_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The shipped defaults (shared/DOMAIN.md, "Risk control"), version 1.
INSERT IGNORE INTO risk_rules (rule_id, enabled, action, fail_mode, params, version, updated_by, updated_at) VALUES
  ('amount_surge', 1, 'FREEZE', 'OPEN',
   'history_days=30,min_history_days=7,min_today_minor=0,multiplier=2.0', 1, 'migration', '2026-01-01 00:00:00'),
  ('night_small', 1, 'FREEZE', 'CLOSED',
   'count=20,end_hour=6,max_amount_minor=1000,start_hour=0,window_seconds=600', 1, 'migration', '2026-01-01 00:00:00'),
  ('foreign_ip', 1, 'REVIEW', 'OPEN',
   'min_payments=10,share_percent=50,subnet_prefix=24,window_seconds=1800', 1, 'migration', '2026-01-01 00:00:00'),
  ('device_hopping', 1, 'FORCE_OFFLINE', 'CLOSED',
   'merchants=3,window_seconds=3600', 1, 'migration', '2026-01-01 00:00:00');
INSERT IGNORE INTO risk_rule_versions (rule_id, version, enabled, action, fail_mode, params, changed_by, reason, changed_at)
  SELECT rule_id, version, enabled, action, fail_mode, params, updated_by, 'shipped default', updated_at
  FROM risk_rules;

-- Every instance reloads rules, regions and thresholds when this moves (bumped in the
-- transaction of each change).
CREATE TABLE IF NOT EXISTS risk_generation (
  id            TINYINT      NOT NULL PRIMARY KEY,
  generation    BIGINT       NOT NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO risk_generation (id, generation) VALUES (1, 1);

-- Decisions other than ALLOW. rule_ids is space separated for LIKE-free lookups by the
-- risk_event_rules index below.
CREATE TABLE IF NOT EXISTS risk_events (
  event_id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  decision      VARCHAR(8)   NOT NULL,
  hits          TEXT         NOT NULL,
  amount_minor  BIGINT       NOT NULL,
  currency      CHAR(3)      NOT NULL,
  payer_ip      VARCHAR(45)  NOT NULL,
  device_id     VARCHAR(128) NOT NULL,
  terminal_sn   VARCHAR(64)  NOT NULL,
  attempt_id    VARCHAR(128) NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  KEY idx_risk_events_merchant (merchant_id, event_id),
  KEY idx_risk_events_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS risk_event_rules (
  rule_id       VARCHAR(32)  NOT NULL,
  event_id      BIGINT       NOT NULL,
  PRIMARY KEY (rule_id, event_id)
) ENGINE=InnoDB;

-- One ACTIVE freeze per merchant and kind (active_key is NULL once lifted).
CREATE TABLE IF NOT EXISTS risk_freezes (
  freeze_id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  kind          VARCHAR(12)  NOT NULL,
  status        VARCHAR(8)   NOT NULL,
  rule_id       VARCHAR(32)  NOT NULL,
  event_id      BIGINT       NULL,
  reason        VARCHAR(800) NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  lifted_at     DATETIME(6)  NULL,
  lifted_by     VARCHAR(128) NOT NULL DEFAULT '',
  active_key    VARCHAR(80)  NULL,
  UNIQUE KEY uk_risk_freezes_active (active_key),
  KEY idx_risk_freezes_merchant (merchant_id, freeze_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One PENDING appeal per freeze.
CREATE TABLE IF NOT EXISTS risk_appeals (
  appeal_id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  freeze_id     BIGINT       NOT NULL,
  status        VARCHAR(10)  NOT NULL,
  statement     TEXT         NOT NULL,
  -- "name sha256" per line.
  documents     TEXT         NOT NULL,
  review_note   VARCHAR(800) NOT NULL DEFAULT '',
  reviewed_by   VARCHAR(128) NOT NULL DEFAULT '',
  submitted_at  DATETIME(6)  NOT NULL,
  reviewed_at   DATETIME(6)  NULL,
  pending_key   BIGINT       NULL,
  UNIQUE KEY uk_risk_appeals_pending (pending_key),
  KEY idx_risk_appeals_merchant (merchant_id, appeal_id),
  KEY idx_risk_appeals_status (status, appeal_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What must follow a committed risk change in another service: freeze or unfreeze collection,
-- force terminals offline or release them, a merchant notification. Done at once after commit,
-- retried by the relay until the other service confirms.
CREATE TABLE IF NOT EXISTS risk_actions (
  action_id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  kind          VARCHAR(24)  NOT NULL,
  payload       TEXT         NOT NULL,
  status        VARCHAR(8)   NOT NULL,
  attempts      INT          NOT NULL DEFAULT 0,
  last_error    VARCHAR(255) NOT NULL DEFAULT '',
  lease_until   DATETIME(6)  NULL,
  created_at    DATETIME(6)  NOT NULL,
  done_at       DATETIME(6)  NULL,
  KEY idx_risk_actions_pending (status, action_id),
  KEY idx_risk_actions_merchant (merchant_id, status, action_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Daily roll-ups of what risk allowed, per merchant, currency and local day: the history of the
-- amount-surge rule, written in batches (one multi-row upsert a second), never per payment.
CREATE TABLE IF NOT EXISTS risk_daily_totals (
  merchant_id   VARCHAR(64)  NOT NULL,
  currency      CHAR(3)      NOT NULL,
  day           DATE         NOT NULL,
  amount_minor  BIGINT       NOT NULL,
  payments      BIGINT       NOT NULL,
  PRIMARY KEY (merchant_id, currency, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- CIDR -> region, imported whole from the provider's CSV. Addresses as 16-byte big-endian
-- (IPv4 mapped into ::ffff:0:0/96).
CREATE TABLE IF NOT EXISTS risk_regions (
  range_start   VARBINARY(16) NOT NULL,
  range_end     VARBINARY(16) NOT NULL,
  cidr          VARCHAR(64)  NOT NULL,
  region        VARCHAR(32)  NOT NULL,
  PRIMARY KEY (range_start, range_end)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS risk_region_imports (
  version       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ranges        BIGINT       NOT NULL,
  sha256        CHAR(64)     NOT NULL,
  imported_by   VARCHAR(128) NOT NULL,
  imported_at   DATETIME(6)  NOT NULL
) ENGINE=InnoDB;

-- A merchant's own warning levels (0: none).
CREATE TABLE IF NOT EXISTS risk_alert_thresholds (
  merchant_id          VARCHAR(64)  NOT NULL PRIMARY KEY,
  currency             CHAR(3)      NOT NULL,
  single_payment_minor BIGINT       NOT NULL,
  hourly_volume_minor  BIGINT       NOT NULL,
  new_region           TINYINT(1)   NOT NULL,
  updated_at           DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- dedupe_key: one alert per merchant and hour for volume, per region for new regions.
CREATE TABLE IF NOT EXISTS risk_alerts (
  alert_id      CHAR(26)     NOT NULL PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  kind          VARCHAR(16)  NOT NULL,
  detail        TEXT         NOT NULL,
  dedupe_key    VARCHAR(160) NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  UNIQUE KEY uk_risk_alerts_dedupe (merchant_id, dedupe_key),
  KEY idx_risk_alerts_merchant (merchant_id, created_at, alert_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The payment service keeps risk's answer on the payment: REVIEW payments proceed, flagged.
ALTER TABLE payments
  ADD COLUMN IF NOT EXISTS risk_decision VARCHAR(8) NOT NULL DEFAULT 'ALLOW',
  ADD COLUMN IF NOT EXISTS risk_event_id BIGINT NULL;

-- A device freeze holds the merchant's terminals: none may be cleared or activated until the
-- security check passed (owner: terminal service).
CREATE TABLE IF NOT EXISTS terminal_merchant_holds (
  merchant_id   VARCHAR(64)  NOT NULL PRIMARY KEY,
  reason        VARCHAR(800) NOT NULL,
  held_at       DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
