-- Staff identity and the audit log (owner: admin service).

CREATE TABLE IF NOT EXISTS staff (
  staff_id      VARCHAR(40)  NOT NULL PRIMARY KEY,
  username      VARCHAR(64)  NOT NULL,
  display_name  VARCHAR(128) NOT NULL,
  role          VARCHAR(16)  NOT NULL,
  status        VARCHAR(16)  NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  updated_at    DATETIME(6)  NOT NULL,
  UNIQUE KEY uk_staff_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Only the SHA-256 of a bearer token is stored; the token itself is shown once.
CREATE TABLE IF NOT EXISTS staff_tokens (
  token_id      VARCHAR(40)  NOT NULL PRIMARY KEY,
  token_hash    CHAR(64)     NOT NULL,
  staff_id      VARCHAR(40)  NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  expires_at    DATETIME(6)  NOT NULL,
  revoked_at    DATETIME(6)  NULL,
  UNIQUE KEY uk_staff_tokens_hash (token_hash),
  KEY idx_staff_tokens_staff (staff_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Append-only and hash-chained: hash = SHA-256(prev_hash, seq, every field). Never updated.
CREATE TABLE IF NOT EXISTS audit_log (
  seq           BIGINT       NOT NULL PRIMARY KEY,
  at            DATETIME(6)  NOT NULL,
  actor         VARCHAR(128) NOT NULL,
  role          VARCHAR(32)  NOT NULL,
  action        VARCHAR(160) NOT NULL,
  target        VARCHAR(255) NOT NULL,
  request_id    VARCHAR(128) NOT NULL,
  outcome       VARCHAR(32)  NOT NULL,
  details       TEXT         NOT NULL,
  prev_hash     CHAR(64)     NOT NULL,
  hash          CHAR(64)     NOT NULL,
  KEY idx_audit_actor (actor, seq),
  KEY idx_audit_action (action, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The chain's head: one row, locked FOR UPDATE by each append so appends are serialized across
-- every instance, and compared by verify so that deleting the newest entries is detected too.
CREATE TABLE IF NOT EXISTS audit_chain_head (
  id            TINYINT      NOT NULL PRIMARY KEY,
  last_seq      BIGINT       NOT NULL,
  last_hash     CHAR(64)     NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO audit_chain_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
