#pragma once
// Shared by the payment repository's integration tests: a valid new payment row, and one value
// read back with plain SQL.
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/payment/payment_repository.h"
#include "tests/support/sql_query.h"

namespace aggpay::payment::fixture {

// A static-code payment of 10.00 CNY (fee 0.04) in `status`, ready for Insert.
inline PaymentRecord TestPayment(const std::string& id, const std::string& merchant_id,
                                 PaymentStatus status) {
  PaymentRecord p;
  p.payment_id = id;
  p.merchant_id = merchant_id;
  p.store_id = "st_" + merchant_id;
  p.flow = Flow::kStaticCode;
  p.wallet = Wallet::kWechat;
  p.channel = "sandbox";
  p.sub_mch_id = "sub1";
  p.out_trade_no = id;
  p.amount_minor = 1000;
  p.currency = "CNY";
  p.fee_minor = 4;
  p.plan_id = "bank-standard";
  p.plan_version = 1;
  p.status = status;
  p.merchant_zone = "Asia/Shanghai";
  p.created_at = absl::Now();
  p.updated_at = p.created_at;
  p.expires_at = p.created_at + absl::Minutes(15);
  return p;
}

using testing::QueryOne;

}  // namespace aggpay::payment::fixture
