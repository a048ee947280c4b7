-- Payments, refunds, the ledger and merchant notifications (owner: payment service); the sandbox
-- channel's own books (owner: the sandbox channel inside the payment service).

CREATE TABLE IF NOT EXISTS payments (
  payment_id          CHAR(26)     NOT NULL PRIMARY KEY,
  merchant_id         VARCHAR(64)  NOT NULL,
  store_id            VARCHAR(64)  NOT NULL,
  terminal_sn         VARCHAR(32)  NULL,
  code_id             CHAR(22)     NULL,
  flow                VARCHAR(16)  NOT NULL,
  wallet              VARCHAR(8)   NOT NULL,
  channel             VARCHAR(16)  NOT NULL,
  sub_mch_id          VARCHAR(64)  NOT NULL,
  out_trade_no        VARCHAR(32)  NOT NULL,
  client_request_id   VARCHAR(64)  NULL,
  description         VARCHAR(128) NOT NULL,
  amount_minor        BIGINT       NOT NULL,
  currency            CHAR(3)      NOT NULL,
  -- Fixed when the payment is created: the fee and the plan version it came from.
  fee_minor           BIGINT       NOT NULL,
  plan_id             VARCHAR(64)  NOT NULL,
  plan_version        BIGINT       NOT NULL,
  status              VARCHAR(8)   NOT NULL,
  channel_txn_id      VARCHAR(64)  NULL,
  pay_url             VARCHAR(255) NOT NULL,
  refunded_minor      BIGINT       NOT NULL,
  fee_returned_minor  BIGINT       NOT NULL,
  refund_count        INT          NOT NULL,
  payer_ip            VARCHAR(64)  NOT NULL,
  device_id           VARCHAR(128) NOT NULL,
  merchant_zone       VARCHAR(64)  NOT NULL,
  business_date       DATE         NULL,
  created_at          DATETIME(6)  NOT NULL,
  updated_at          DATETIME(6)  NOT NULL,
  paid_at             DATETIME(6)  NULL,
  expires_at          DATETIME(6)  NOT NULL,
  -- The re-query job: when to ask the channel next, and who holds the lease on the row.
  next_query_at       DATETIME(6)  NULL,
  query_attempts      INT          NOT NULL,
  lease_owner         VARCHAR(32)  NULL,
  lease_until         DATETIME(6)  NULL,
  UNIQUE KEY uk_payments_out_trade_no (merchant_id, out_trade_no),
  UNIQUE KEY uk_payments_client_request (merchant_id, client_request_id),
  KEY idx_payments_merchant_page (merchant_id, payment_id),
  KEY idx_payments_merchant_date (merchant_id, business_date, payment_id),
  KEY idx_payments_due (next_query_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS refunds (
  refund_id           CHAR(26)     NOT NULL PRIMARY KEY,
  payment_id          CHAR(26)     NOT NULL,
  merchant_id         VARCHAR(64)  NOT NULL,
  out_refund_no       VARCHAR(32)  NOT NULL,
  amount_minor        BIGINT       NOT NULL,
  currency            CHAR(3)      NOT NULL,
  fee_return_minor    BIGINT       NOT NULL,
  status              VARCHAR(12)  NOT NULL,
  channel_refund_id   VARCHAR(64)  NULL,
  reason              VARCHAR(800) NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  updated_at          DATETIME(6)  NOT NULL,
  succeeded_at        DATETIME(6)  NULL,
  next_query_at       DATETIME(6)  NULL,
  UNIQUE KEY uk_refunds_out_refund_no (merchant_id, out_refund_no),
  KEY idx_refunds_payment (payment_id),
  KEY idx_refunds_due (next_query_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Append-only double-entry ledger: a transaction is a balanced set of entries (debits positive,
-- credits negative). Never updated; a correction is a new transaction.
CREATE TABLE IF NOT EXISTS ledger_transactions (
  txn_id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind                VARCHAR(16)  NOT NULL,
  ref_id              CHAR(26)     NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  UNIQUE KEY uk_ledger_ref (kind, ref_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS ledger_entries (
  entry_id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  txn_id              BIGINT       NOT NULL,
  account             VARCHAR(96)  NOT NULL,
  currency            CHAR(3)      NOT NULL,
  amount_minor        BIGINT       NOT NULL,
  posting_kind        VARCHAR(16)  NOT NULL,
  KEY idx_ledger_entries_txn (txn_id),
  KEY idx_ledger_entries_account (account, currency, amount_minor)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS merchant_webhooks (
  merchant_id         VARCHAR(64)  NOT NULL PRIMARY KEY,
  notify_url          VARCHAR(512) NOT NULL,
  secret_sealed       VARCHAR(255) NOT NULL,
  updated_at          DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The notification outbox: written in the transaction of the payment or refund change.
CREATE TABLE IF NOT EXISTS notifications (
  notification_id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  merchant_id         VARCHAR(64)  NOT NULL,
  event               VARCHAR(24)  NOT NULL,
  ref_id              CHAR(26)     NOT NULL,
  body                TEXT         NOT NULL,
  status              VARCHAR(12)  NOT NULL,
  attempts            INT          NOT NULL,
  last_http_status    INT          NOT NULL,
  last_error          VARCHAR(255) NOT NULL,
  next_attempt_at     DATETIME(6)  NULL,
  lease_until         DATETIME(6)  NULL,
  created_at          DATETIME(6)  NOT NULL,
  delivered_at        DATETIME(6)  NULL,
  UNIQUE KEY uk_notifications_event (event, ref_id),
  KEY idx_notifications_due (next_attempt_at),
  KEY idx_notifications_merchant (merchant_id, notification_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The sandbox channel's side: what a real channel would hold, and its statement source.
CREATE TABLE IF NOT EXISTS sandbox_orders (
  channel_txn_id      VARCHAR(32)  NOT NULL PRIMARY KEY,
  out_trade_no        CHAR(26)     NOT NULL,
  wallet              VARCHAR(8)   NOT NULL,
  sub_mch_id          VARCHAR(64)  NOT NULL,
  device              VARCHAR(32)  NOT NULL,
  trade_type          VARCHAR(8)   NOT NULL,
  amount_minor        BIGINT       NOT NULL,
  currency            CHAR(3)      NOT NULL,
  description         VARCHAR(128) NOT NULL,
  status              VARCHAR(8)   NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  paid_at             DATETIME(6)  NULL,
  UNIQUE KEY uk_sandbox_orders_out_trade_no (out_trade_no),
  KEY idx_sandbox_orders_paid (paid_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS sandbox_refunds (
  channel_refund_id   VARCHAR(32)  NOT NULL PRIMARY KEY,
  out_refund_no       CHAR(26)     NOT NULL,
  channel_txn_id      VARCHAR(32)  NOT NULL,
  amount_minor        BIGINT       NOT NULL,
  status              VARCHAR(8)   NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  UNIQUE KEY uk_sandbox_refunds_out_refund_no (out_refund_no),
  KEY idx_sandbox_refunds_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
