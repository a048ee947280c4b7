-- Collection codes, their history, reset requests and alerts (owner: binding service).

CREATE TABLE IF NOT EXISTS collection_codes (
  code_id          CHAR(22)     NOT NULL PRIMARY KEY,
  kind             VARCHAR(8)   NOT NULL,
  status           VARCHAR(8)   NOT NULL,
  merchant_id      VARCHAR(64)  NOT NULL,
  store_id         VARCHAR(64)  NOT NULL,
  terminal_sn      VARCHAR(32)  NULL,
  -- What a payer sees, captured when the code is issued: a channel change is a code reset.
  display_name     VARCHAR(128) NOT NULL,
  channel_params   VARCHAR(512) NOT NULL,
  amount_minor     BIGINT       NULL,
  currency         CHAR(3)      NULL,
  -- Dynamic codes: expiry. Codes in GRACE: the end of the grace period.
  valid_until      DATETIME(6)  NULL,
  replaced_by      CHAR(22)     NULL,
  created_at       DATETIME(6)  NOT NULL,
  updated_at       DATETIME(6)  NOT NULL,
  KEY idx_codes_terminal (terminal_sn, status),
  KEY idx_codes_merchant (merchant_id, code_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which code each terminal last fetched at check-in (API update of DOMAIN.md).
CREATE TABLE IF NOT EXISTS terminal_code_delivery (
  terminal_sn      VARCHAR(32)  NOT NULL PRIMARY KEY,
  code_id          CHAR(22)     NOT NULL,
  delivered_at     DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS code_history (
  entry_id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code_id          CHAR(22)     NOT NULL,
  merchant_id      VARCHAR(64)  NOT NULL,
  terminal_sn      VARCHAR(32)  NULL,
  event            VARCHAR(16)  NOT NULL,
  reason           VARCHAR(256) NOT NULL,
  actor            VARCHAR(128) NOT NULL,
  at               DATETIME(6)  NOT NULL,
  KEY idx_code_history_terminal (terminal_sn, entry_id),
  KEY idx_code_history_code (code_id, entry_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS code_reset_requests (
  request_id       VARCHAR(40)  NOT NULL PRIMARY KEY,
  merchant_id      VARCHAR(64)  NOT NULL,
  code_id          CHAR(22)     NOT NULL,
  reason           VARCHAR(16)  NOT NULL,
  mode             VARCHAR(10)  NOT NULL,
  status           VARCHAR(16)  NOT NULL,
  otp_hash         CHAR(64)     NOT NULL,
  otp_expires_at   DATETIME(6)  NOT NULL,
  attempts         INT          NOT NULL,
  new_code_id      CHAR(22)     NULL,
  decided_by       VARCHAR(128) NULL,
  created_at       DATETIME(6)  NOT NULL,
  updated_at       DATETIME(6)  NOT NULL,
  KEY idx_reset_requests_status (status, created_at),
  KEY idx_reset_requests_merchant (merchant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Scans of replaced codes: an old code in use may be misuse.
CREATE TABLE IF NOT EXISTS code_alerts (
  alert_id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id      VARCHAR(64)  NOT NULL,
  code_id          CHAR(22)     NOT NULL,
  terminal_sn      VARCHAR(32)  NULL,
  client           VARCHAR(64)  NOT NULL,
  at               DATETIME(6)  NOT NULL,
  KEY idx_code_alerts_merchant (merchant_id, alert_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Codes revoked while Redis was unreachable: every instance purges them from Redis when it
-- reconnects, before it trusts Redis again.
CREATE TABLE IF NOT EXISTS code_cache_purges (
  code_id          CHAR(22)     NOT NULL PRIMARY KEY,
  created_at       DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
