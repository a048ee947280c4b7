-- Business days close, and late successes move to the next open day (owner: payment service;
-- read by settlement). See docs/settlement.md, "Closing a business day".

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

-- When aggpay recorded the success (the server's clock, not the channel's paid_at): the D0
-- windows are read by it, so a payment resolved late is in the next window, not skipped.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS recorded_at DATETIME(6) NULL;
UPDATE payments SET recorded_at = paid_at WHERE recorded_at IS NULL AND paid_at IS NOT NULL;
ALTER TABLE payments ADD INDEX IF NOT EXISTS idx_payments_recorded (recorded_at);

-- A refund carries its payment's fee plan and its own business date, so that settlement groups
-- a day's refunds through one covering index without reading their payments (at 10M payments,
-- ~500k random reads into a table larger than the buffer pool).
ALTER TABLE refunds
  ADD COLUMN IF NOT EXISTS plan_id VARCHAR(64) NULL,
  ADD COLUMN IF NOT EXISTS business_date DATE NULL;
UPDATE refunds r JOIN payments p ON p.payment_id = r.payment_id SET r.plan_id = p.plan_id
  WHERE r.plan_id IS NULL;
UPDATE refunds r JOIN payments p ON p.payment_id = r.payment_id
  SET r.business_date = COALESCE(DATE(CONVERT_TZ(r.succeeded_at, '+00:00', p.merchant_zone)),
                                 DATE(r.succeeded_at + INTERVAL 8 HOUR))
  WHERE r.business_date IS NULL AND r.succeeded_at IS NOT NULL;
ALTER TABLE refunds MODIFY plan_id VARCHAR(64) NOT NULL;
ALTER TABLE refunds ADD INDEX IF NOT EXISTS idx_refunds_settle
  (business_date, status, merchant_id, currency, plan_id, amount_minor, fee_return_minor);
