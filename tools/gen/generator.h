#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::gen {

// One business day of data for the local stack, the tests and the benchmark, written as fast
// as the database takes it (multi-row inserts of a few thousand rows, ledger postings with
// INSERT ... SELECT). The same options give the same rows. The generator writes straight into
// the tables of every owner: it stands in for a day of traffic, it is not a service.
struct GenOptions {
  absl::CivilDay date;
  int64_t payments = 1000;
  int64_t merchants = 10;
  // Parts per million of payments that get a refund (full or partial), succeeding up to 30 h
  // after the payment: some land on later days.
  int64_t refund_ppm = 50000;
  uint64_t seed = 1;
  // Merchant ids are "<prefix><n>": the same prefix and n on every date, so several days share
  // merchants. Even n are on the bank-affiliated plan (T+1), odd n on the independent one (D0).
  std::string merchant_prefix = "gm";
  // False: every merchant on the bank-affiliated plan (the T+1 benchmark).
  bool both_plans = true;
  absl::TimeZone zone;  // the merchants' zone (Asia/Shanghai)
  int rows_per_insert = 2000;
  bool keep_rows = false;  // return every payment and refund (tests)
  // Called as each phase ends ("payments", "ledger"), for progress output.
  std::function<void(const char* phase)> progress;
};

struct GenPayment {
  std::string payment_id;
  std::string merchant_id;
  std::string plan_id;
  std::string currency;
  int64_t amount_minor = 0;
  int64_t fee_minor = 0;
  absl::Time paid_at;
  std::string business_date;
};

struct GenRefund {
  std::string refund_id;
  std::string payment_id;
  std::string merchant_id;
  std::string plan_id;
  std::string currency;
  int64_t amount_minor = 0;
  int64_t fee_return_minor = 0;
  absl::Time succeeded_at;
};

struct GenResult {
  int64_t merchants = 0;
  int64_t payments = 0;
  int64_t refunds = 0;
  std::vector<GenPayment> payment_rows;  // with keep_rows
  std::vector<GenRefund> refund_rows;
};

// INVALID_ARGUMENT for payments < 0, merchants < 1, refund_ppm outside 0..1e6.
absl::StatusOr<GenResult> Generate(common::MysqlPool& pool, const GenOptions& options);

}  // namespace aggpay::gen
