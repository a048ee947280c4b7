-- Terminals, activation codes, versioned terminal keys and channel configuration
-- (owner: terminal service).

CREATE TABLE IF NOT EXISTS terminals (
  terminal_sn         VARCHAR(32)  NOT NULL PRIMARY KEY,
  merchant_id         VARCHAR(64)  NOT NULL,
  store_id            VARCHAR(64)  NOT NULL,
  type                VARCHAR(24)  NOT NULL,
  serial              VARCHAR(64)  NOT NULL,
  vendor              VARCHAR(64)  NOT NULL,
  client_version      VARCHAR(32)  NOT NULL,
  -- major * 10^10 + minor * 10^5 + patch: version filters compare numbers, not strings.
  version_rank        BIGINT       NOT NULL,
  status              VARCHAR(16)  NOT NULL,
  device_id           VARCHAR(128) NULL,
  key_version         BIGINT       NOT NULL DEFAULT 0,
  -- The signed timestamp of the last accepted check-in: a replayed check-in is never newer.
  last_check_in_ts    BIGINT       NOT NULL DEFAULT 0,
  last_check_in_at    DATETIME(6)  NULL,
  activated_at        DATETIME(6)  NULL,
  created_at          DATETIME(6)  NOT NULL,
  updated_at          DATETIME(6)  NOT NULL,
  UNIQUE KEY uk_terminals_device (merchant_id, device_id),
  UNIQUE KEY uk_terminals_serial (vendor, serial),
  KEY idx_terminals_merchant (merchant_id, terminal_sn),
  KEY idx_terminals_store (store_id, terminal_sn),
  KEY idx_terminals_status (status, terminal_sn),
  KEY idx_terminals_check_in (last_check_in_at, terminal_sn)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS terminal_activation_codes (
  code          VARCHAR(16)  NOT NULL PRIMARY KEY,
  merchant_id   VARCHAR(64)  NOT NULL,
  store_id      VARCHAR(64)  NOT NULL,
  terminal_sn   VARCHAR(32)  NULL,
  max_uses      INT          NOT NULL,
  uses          INT          NOT NULL,
  expires_at    DATETIME(6)  NOT NULL,
  revoked       BOOLEAN      NOT NULL DEFAULT FALSE,
  created_at    DATETIME(6)  NOT NULL,
  KEY idx_activation_codes_merchant (merchant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Keys are sealed with AGGPAY_SECRET_KEY: a dump alone cannot sign as a terminal.
CREATE TABLE IF NOT EXISTS terminal_keys (
  terminal_sn     VARCHAR(32)  NOT NULL,
  version         BIGINT       NOT NULL,
  secret_sealed   VARCHAR(255) NOT NULL,
  issued_at       DATETIME(6)  NOT NULL,
  expires_at      DATETIME(6)  NOT NULL,
  superseded_at   DATETIME(6)  NULL,
  PRIMARY KEY (terminal_sn, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS terminal_channel_configs (
  scope         VARCHAR(8)   NOT NULL,
  scope_id      VARCHAR(64)  NOT NULL,
  channel       VARCHAR(16)  NOT NULL,
  merchant_id   VARCHAR(64)  NOT NULL,
  sub_mch_id    VARCHAR(64)  NOT NULL,
  sub_appid     VARCHAR(64)  NOT NULL,
  updated_at    DATETIME(6)  NOT NULL,
  PRIMARY KEY (scope, scope_id, channel)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
