-- The merchant portal (/m/ on the gateway, docs/portal.md; owner: merchant service).
-- A merchant's portal users: the registered mobile is the first owner (added at its first
-- sign-in), owners invite more. A mobile number belongs to one user of one merchant, so a
-- sign-in by SMS names exactly one merchant.
CREATE TABLE IF NOT EXISTS merchant_users (
  user_id      VARCHAR(64)  NOT NULL PRIMARY KEY,
  merchant_id  VARCHAR(64)  NOT NULL,
  mobile       VARCHAR(32)  NOT NULL,
  role         VARCHAR(16)  NOT NULL,
  invited_by   VARCHAR(160) NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  UNIQUE KEY uq_merchant_users_mobile (mobile),
  KEY idx_merchant_users_merchant (merchant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per mobile number that asked for a sign-in code: the pending code (its HMAC, never
-- the digits), the send limit (one a minute, 5 an hour) and the lock after 5 wrong codes in a
-- row. Rows for numbers that belong to no user are kept too, so probing costs the same.
CREATE TABLE IF NOT EXISTS portal_sign_in_codes (
  mobile           VARCHAR(32)  NOT NULL PRIMARY KEY,
  otp_hash         CHAR(64)     NULL,
  expires_at       DATETIME(6)  NOT NULL,
  sent_at          DATETIME(6)  NOT NULL,
  window_started   DATETIME(6)  NOT NULL,
  sends_in_window  INT          NOT NULL,
  failures         INT          NOT NULL,
  locked_until     DATETIME(6)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Portal sessions: only the token's SHA-256 is stored. A session ends after its idle timeout
-- without a call, at its absolute expiry, at sign-out, or when its user is removed.
CREATE TABLE IF NOT EXISTS portal_sessions (
  token_hash    CHAR(64)     NOT NULL PRIMARY KEY,
  user_id       VARCHAR(64)  NOT NULL,
  merchant_id   VARCHAR(64)  NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  last_seen_at  DATETIME(6)  NOT NULL,
  expires_at    DATETIME(6)  NOT NULL,
  ended_at      DATETIME(6)  NULL,
  KEY idx_portal_sessions_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
