-- Demo data for the local stack (tools/aggpay up), never for tests: a small provider with
-- merchants on both kinds of plan. Safe to load twice.

INSERT IGNORE INTO merchants
  (merchant_id, display_name, legal_name, kind, status, home_currency, time_zone, region,
   contact_phone, agent_id, created_at, updated_at)
VALUES
  ('m_demo_noodles', 'Lanzhou Noodle House', 'Shanghai Lanzhou Noodle House Co., Ltd.',
   'SMALL_BUSINESS', 'ACTIVE', 'CNY', 'Asia/Shanghai', 'CN-SH', '13800138000', NULL,
   '2026-01-05 02:00:00', '2026-01-05 02:00:00'),
  ('m_demo_fruit', 'Wang''s Fruit Stall', 'Wang Xiaoming', 'INDIVIDUAL', 'ACTIVE', 'CNY',
   'Asia/Shanghai', 'CN-SH', '13900139000', NULL, '2026-02-10 03:00:00', '2026-02-10 03:00:00'),
  ('m_demo_tokyo', 'Ginza Souvenirs', 'Ginza Souvenirs K.K.', 'ENTERPRISE', 'ACTIVE', 'JPY',
   'Asia/Tokyo', 'JP-13', '13700137000', NULL, '2026-03-01 01:00:00', '2026-03-01 01:00:00');

-- The noodle house is with a bank-affiliated provider (T+1, capped); the fruit stall with an
-- independent one (D0, 0.6%).
INSERT IGNORE INTO merchant_fee_plans (merchant_id, effective_from, plan_id, assigned_at) VALUES
  ('m_demo_noodles', '2026-01-05 02:00:00', 'bank-standard', '2026-01-05 02:00:00'),
  ('m_demo_fruit', '2026-02-10 03:00:00', 'independent-standard', '2026-02-10 03:00:00');

-- Sub-merchant numbers at each wallet, as approval would have stored them: without them a
-- merchant cannot collect on that wallet.
INSERT IGNORE INTO channel_sub_merchants (merchant_id, channel, sub_merchant_id, source, created_at)
VALUES
  ('m_demo_noodles', 'wechat', '1900000101', 'STAFF', '2026-01-05 02:00:00'),
  ('m_demo_noodles', 'alipay', '2088000000000101', 'STAFF', '2026-01-05 02:00:00'),
  ('m_demo_fruit', 'wechat', '1900000102', 'STAFF', '2026-02-10 03:00:00'),
  ('m_demo_fruit', 'alipay', '2088000000000102', 'STAFF', '2026-02-10 03:00:00');
