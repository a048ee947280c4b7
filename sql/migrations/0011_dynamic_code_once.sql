-- A dynamic code is one order: at most one payment per dynamic code (owner: payment service).
-- Set on insert for dynamic-code payments only; NULL (never unique-checked) for the rest.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS dynamic_code_id CHAR(22) NULL;
ALTER TABLE payments ADD UNIQUE KEY IF NOT EXISTS uk_payments_dynamic_code (dynamic_code_id);
