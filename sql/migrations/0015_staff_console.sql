-- The staff console's sign-in (owner: admin service): a password (Argon2id, libsodium's
-- crypto_pwhash_str), a TOTP secret (sealed with AGGPAY_SECRET_KEY, like merchant API key
-- secrets), the last TOTP time step accepted (each code works once), a failure counter with a
-- lock, and the console's sessions.

ALTER TABLE staff
  ADD COLUMN IF NOT EXISTS password_hash      VARCHAR(255) NULL,
  ADD COLUMN IF NOT EXISTS totp_secret_sealed VARCHAR(255) NULL,
  ADD COLUMN IF NOT EXISTS totp_last_step     BIGINT       NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS failed_sign_ins    INT          NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS locked_until       DATETIME(6)  NULL;

-- Only the SHA-256 of a session token is stored. A session ends when signed out (ended_at), when
-- idle longer than the configured timeout (last_seen_at), or at expires_at, whichever is first.
CREATE TABLE IF NOT EXISTS staff_sessions (
  session_id    VARCHAR(40)  NOT NULL PRIMARY KEY,
  session_hash  CHAR(64)     NOT NULL,
  staff_id      VARCHAR(40)  NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  last_seen_at  DATETIME(6)  NOT NULL,
  expires_at    DATETIME(6)  NOT NULL,
  ended_at      DATETIME(6)  NULL,
  UNIQUE KEY uk_staff_sessions_hash (session_hash),
  KEY idx_staff_sessions_staff (staff_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
