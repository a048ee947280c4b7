-- Merchant onboarding: applications, qualification documents, reviews, stores, settlement
-- accounts, channel sub-merchant ids and agents (owner: merchant service).

ALTER TABLE merchants
  ADD COLUMN IF NOT EXISTS business_code VARCHAR(64) NULL,
  ADD COLUMN IF NOT EXISTS licence_number CHAR(18) NULL,
  ADD COLUMN IF NOT EXISTS legal_rep_name VARCHAR(128) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS plan_kind VARCHAR(16) NOT NULL DEFAULT 'INDEPENDENT',
  ADD COLUMN IF NOT EXISTS account_kind VARCHAR(16) NULL,
  ADD COLUMN IF NOT EXISTS account_bank VARCHAR(128) NULL,
  ADD COLUMN IF NOT EXISTS account_name VARCHAR(128) NULL,
  -- The full number sealed with AGGPAY_SECRET_KEY; the last four digits for display.
  ADD COLUMN IF NOT EXISTS account_number_sealed VARCHAR(255) NULL,
  ADD COLUMN IF NOT EXISTS account_last4 CHAR(4) NULL,
  ADD COLUMN IF NOT EXISTS reject_reason VARCHAR(512) NULL,
  ADD UNIQUE KEY IF NOT EXISTS uk_merchants_business_code (business_code),
  ADD KEY IF NOT EXISTS idx_merchants_created (created_at, merchant_id);

-- Document content lives on disk or object storage; MySQL keeps its hash and size.
CREATE TABLE IF NOT EXISTS merchant_documents (
  merchant_id   VARCHAR(64)  NOT NULL,
  kind          VARCHAR(32)  NOT NULL,
  sha256        CHAR(64)     NOT NULL,
  size_bytes    BIGINT       NOT NULL,
  uploaded_at   DATETIME(6)  NOT NULL,
  PRIMARY KEY (merchant_id, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every onboarding transition, who made it and why.
CREATE TABLE IF NOT EXISTS merchant_reviews (
  review_id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  action        VARCHAR(32)  NOT NULL,
  from_status   VARCHAR(16)  NOT NULL,
  to_status     VARCHAR(16)  NOT NULL,
  actor         VARCHAR(128) NOT NULL,
  reason        VARCHAR(512) NOT NULL,
  at            DATETIME(6)  NOT NULL,
  KEY idx_merchant_reviews_merchant (merchant_id, review_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS stores (
  store_id      VARCHAR(64)  NOT NULL PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  name          VARCHAR(128) NOT NULL,
  address       VARCHAR(512) NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  KEY idx_stores_merchant (merchant_id, store_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One sub-merchant number per channel (WeChat sub_mch_id, Alipay smid, UnionPay mer id).
CREATE TABLE IF NOT EXISTS channel_sub_merchants (
  merchant_id      VARCHAR(64)  NOT NULL,
  channel          VARCHAR(16)  NOT NULL,
  sub_merchant_id  VARCHAR(64)  NOT NULL,
  source           VARCHAR(16)  NOT NULL,
  created_at       DATETIME(6)  NOT NULL,
  PRIMARY KEY (merchant_id, channel),
  UNIQUE KEY uk_channel_sub_merchants (channel, sub_merchant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS agents (
  agent_id         VARCHAR(64)  NOT NULL PRIMARY KEY,
  parent_agent_id  VARCHAR(64)  NULL,
  name             VARCHAR(128) NOT NULL,
  created_at       DATETIME(6)  NOT NULL,
  KEY idx_agents_parent (parent_agent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
