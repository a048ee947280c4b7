-- A merchant changing its own settlement account over REST confirms it with a one-time password
-- sent to its registered phone (owner: merchant service): a stolen API key alone cannot redirect
-- payouts. One pending password per merchant and purpose; its HMAC is stored, never the digits.
CREATE TABLE IF NOT EXISTS merchant_step_up_codes (
  merchant_id    VARCHAR(64)  NOT NULL,
  purpose        VARCHAR(32)  NOT NULL,
  otp_hash       CHAR(64)     NOT NULL,
  attempts_left  INT          NOT NULL,
  expires_at     DATETIME(6)  NOT NULL,
  created_at     DATETIME(6)  NOT NULL,
  PRIMARY KEY (merchant_id, purpose)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
