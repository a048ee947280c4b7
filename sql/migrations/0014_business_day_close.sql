-- Business days close, and late successes move to the next open day (owner: payment service;
-- read by settlement). See docs/settlement.md, "Closing a business day".
-- Upgrade: stop every instance of the old version before this runs (aggpayd migrates at start):
-- an old payment service writes neither recorded_at nor a refund's plan and business day.

-- One row per business date that has seen a success. The T+1 batch of date D first closes D
-- (PaymentService.CloseBusinessDay): it takes this row FOR UPDATE, so it waits for every
-- transaction that is recording a success on D (each holds the row in share mode) and, once it
-- has committed, no success is recorded on D again: a payment or refund that succeeds later with
-- a local date of D (a re-query resolving hours later) is recorded on the first open day after
-- it, and settled in that day's batch.
CREATE TABLE IF NOT EXISTS payment_business_days (
  day        DATE         NOT NULL PRIMARY KEY,
  closed_at  DATETIME(6)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Days settled before this migration are closed already: a success learned late for one of
-- them goes to the next open day, not into a day whose batch has run.
INSERT INTO payment_business_days (day, closed_at)
  SELECT business_date, MIN(finished_at) FROM settlement_batches WHERE cycle = 'T1'
  GROUP BY business_date
  ON DUPLICATE KEY UPDATE closed_at = COALESCE(payment_business_days.closed_at,
                                               VALUES(closed_at));
-- The coming days exist, open, so the first success of a day never creates its row (the closer
-- keeps creating a week ahead).
INSERT IGNORE INTO payment_business_days (day)
  SELECT CURDATE() - INTERVAL 1 DAY UNION ALL SELECT CURDATE() UNION ALL
  SELECT CURDATE() + INTERVAL 1 DAY UNION ALL SELECT CURDATE() + INTERVAL 2 DAY UNION ALL
  SELECT CURDATE() + INTERVAL 3 DAY UNION ALL SELECT CURDATE() + INTERVAL 4 DAY UNION ALL
  SELECT CURDATE() + INTERVAL 5 DAY UNION ALL SELECT CURDATE() + INTERVAL 6 DAY UNION ALL
  SELECT CURDATE() + INTERVAL 7 DAY;

-- When aggpay recorded the success: the database's clock (NOW(6)) in the statement that records
-- it, not the channel's paid_at nor an application clock. D0 windows are read by it and end
-- d0_lag before the database's now, so a success resolved late is in the next window, and one
-- whose transaction is still open at a window's end (it commits within innodb_lock_wait_timeout)
-- is too.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS recorded_at DATETIME(6) NULL;
UPDATE payments SET recorded_at = paid_at WHERE recorded_at IS NULL AND paid_at IS NOT NULL;
ALTER TABLE payments ADD INDEX IF NOT EXISTS idx_payments_recorded (recorded_at);
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS recorded_at DATETIME(6) NULL;
UPDATE refunds SET recorded_at = succeeded_at WHERE recorded_at IS NULL
  AND succeeded_at IS NOT NULL;
ALTER TABLE refunds ADD INDEX IF NOT EXISTS idx_refunds_recorded (recorded_at);

-- A refund carries its payment's fee plan and its own business date, so that settlement groups
-- a day's refunds through one covering index without reading their payments (at 10M payments,
-- ~500k random reads into a table larger than the buffer pool).
ALTER TABLE refunds
  ADD COLUMN IF NOT EXISTS plan_id VARCHAR(64) NULL,
  ADD COLUMN IF NOT EXISTS business_date DATE NULL;
UPDATE refunds r JOIN payments p ON p.payment_id = r.payment_id SET r.plan_id = p.plan_id
  WHERE r.plan_id IS NULL;
-- Existing refunds keep the day the batches so far took them on: the calendar's (Asia/Shanghai)
-- date of succeeded_at. (From now on a refund's day is its merchant's local date.)
UPDATE refunds SET business_date = DATE(succeeded_at + INTERVAL 8 HOUR)
  WHERE business_date IS NULL AND succeeded_at IS NOT NULL;
ALTER TABLE refunds MODIFY plan_id VARCHAR(64) NOT NULL;

-- When the batch's payout file was written (owner: settlement). A batch committed without its
-- file (the process died, or the merchant service did not answer for the accounts) is written by
-- the next run of any cycle; a written file is never rewritten, so a rerun cannot change the
-- account a committed payout goes to.
ALTER TABLE settlement_batches ADD COLUMN IF NOT EXISTS payout_file_at DATETIME(6) NULL;
ALTER TABLE settlement_batches ADD INDEX IF NOT EXISTS idx_settlement_batches_file
  (payout_file_at, batch_id);
ALTER TABLE refunds ADD INDEX IF NOT EXISTS idx_refunds_settle
  (business_date, status, merchant_id, currency, plan_id, amount_minor, fee_return_minor);
