-- Merchants and their API keys (owner: merchant service). Onboarding extends these tables.

CREATE TABLE IF NOT EXISTS merchants (
  merchant_id     VARCHAR(64)  NOT NULL PRIMARY KEY,
  display_name    VARCHAR(128) NOT NULL,
  legal_name      VARCHAR(256) NOT NULL,
  kind            VARCHAR(16)  NOT NULL,
  status          VARCHAR(16)  NOT NULL,
  home_currency   CHAR(3)      NOT NULL,
  time_zone       VARCHAR(64)  NOT NULL,
  region          VARCHAR(32)  NOT NULL,
  contact_phone   VARCHAR(32)  NOT NULL,
  agent_id        VARCHAR(64)  NULL,
  created_at      DATETIME(6)  NOT NULL,
  updated_at      DATETIME(6)  NOT NULL,
  KEY idx_merchants_status (status, merchant_id),
  KEY idx_merchants_agent (agent_id, merchant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The secret is sealed (AES-256-GCM) with AGGPAY_SECRET_KEY: a dump alone cannot sign.
CREATE TABLE IF NOT EXISTS merchant_api_keys (
  key_id          VARCHAR(40)  NOT NULL PRIMARY KEY,
  merchant_id     VARCHAR(64)  NOT NULL,
  secret_sealed   VARCHAR(255) NOT NULL,
  status          VARCHAR(16)  NOT NULL,
  created_at      DATETIME(6)  NOT NULL,
  revoked_at      DATETIME(6)  NULL,
  KEY idx_merchant_api_keys_merchant (merchant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
