-- Fee plans and their versions, merchants' plan assignments, agents' cost rates
-- (owner: fee service).

CREATE TABLE IF NOT EXISTS fee_plans (
  plan_id       VARCHAR(64)  NOT NULL PRIMARY KEY,
  created_at    DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Versions are immutable: a change is a new version with its own effective_from, so a payment
-- that recorded (plan_id, version) can always be recomputed.
CREATE TABLE IF NOT EXISTS fee_plan_versions (
  plan_id                     VARCHAR(64) NOT NULL,
  version                     BIGINT      NOT NULL,
  currency                    CHAR(3)     NOT NULL,
  settlement                  CHAR(2)     NOT NULL,
  wechat_rate_ppm             BIGINT      NOT NULL,
  alipay_rate_ppm             BIGINT      NOT NULL,
  unionpay_rate_ppm           BIGINT      NOT NULL,
  cap_minor                   BIGINT      NULL,
  min_fee_minor               BIGINT      NULL,
  channel_cost_ppm            BIGINT      NOT NULL,
  rounding                    VARCHAR(16) NOT NULL,
  max_amount_minor            BIGINT      NOT NULL,
  requires_corporate_account  BOOLEAN     NOT NULL,
  effective_from              DATETIME(6) NOT NULL,
  created_at                  DATETIME(6) NOT NULL,
  PRIMARY KEY (plan_id, version),
  KEY idx_fee_plan_versions_effective (plan_id, effective_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which plan a merchant is on from when; the row with the latest effective_from <= t applies.
CREATE TABLE IF NOT EXISTS merchant_fee_plans (
  merchant_id     VARCHAR(64) NOT NULL,
  effective_from  DATETIME(6) NOT NULL,
  plan_id         VARCHAR(64) NOT NULL,
  assigned_at     DATETIME(6) NOT NULL,
  PRIMARY KEY (merchant_id, effective_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS agent_cost_rates (
  agent_id    VARCHAR(64) NOT NULL PRIMARY KEY,
  cost_ppm    BIGINT      NOT NULL,
  updated_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The two plans every installation starts with (DOMAIN.md, "Two kinds of provider"); they
-- match services/fee/domain/seed_plans.cc.
INSERT IGNORE INTO fee_plans (plan_id, created_at) VALUES
  ('bank-standard', '2026-01-01 00:00:00'),
  ('independent-standard', '2026-01-01 00:00:00');

INSERT IGNORE INTO fee_plan_versions
  (plan_id, version, currency, settlement, wechat_rate_ppm, alipay_rate_ppm, unionpay_rate_ppm,
   cap_minor, min_fee_minor, channel_cost_ppm, rounding, max_amount_minor,
   requires_corporate_account, effective_from, created_at)
VALUES
  ('bank-standard', 1, 'CNY', 'T1', 3800, 3800, 3800, 2000, NULL, 2000, 'half_up',
   1000000000, TRUE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('independent-standard', 1, 'CNY', 'D0', 6000, 6000, 6000, NULL, NULL, 2000, 'half_up',
   1000000000, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
