#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace aggpay::settlement {

// A slice of merchants: merchant m belongs to shard i of n when CRC32(m) % n == i - 1, so the
// shards of any n partition the merchants and one process per shard (a Kubernetes Indexed Job)
// settles its part of a day.
struct Shard {
  int index = 1;  // 1..count
  int count = 1;
  std::string Name() const;  // "2/3"
};

// "i/n" with 1 <= i <= n <= 1024: INVALID_ARGUMENT naming --shard otherwise ("3/2" too).
absl::StatusOr<Shard> ParseShard(absl::string_view text);

// A T+1 batch settles a business date that is over: INVALID_ARGUMENT naming `date` for a date
// in the future or today (still open), in the calendar's zone.
absl::Status CheckClosedDate(absl::CivilDay date, absl::CivilDay today);

// [from, to) in UTC of one local day.
struct DayWindow {
  absl::Time from;
  absl::Time to;
};
DayWindow LocalDayWindow(absl::CivilDay day, absl::TimeZone zone);

enum class LineStatus { kPaid, kHeld, kCarried };
absl::string_view LineStatusName(LineStatus s);  // "PAID", "HELD", "CARRIED"

// One merchant's settlement for one currency and period: the rule of DOMAIN.md.
struct LineAmounts {
  int64_t gross = 0;
  int64_t refunds = 0;
  int64_t fees = 0;
  int64_t fee_returns = 0;
  int64_t carried_in = 0;  // <= 0: what an earlier negative line left owed
  // gross - refunds - fees + fee_returns + carried_in.
  int64_t Net() const { return gross - refunds - fees + fee_returns + carried_in; }
};
// A negative net is carried (never paid, whatever the freeze); a frozen merchant's positive
// net is held; otherwise paid (a zero net is PAID with no payout).
LineStatus DecideStatus(int64_t net, bool frozen);

struct Line {
  int64_t line_id = 0;
  int64_t batch_id = 0;
  std::string cycle;
  std::string business_date;
  std::string merchant_id;
  std::string currency;
  int64_t payments = 0;
  int64_t refund_count = 0;
  LineAmounts amounts;
  int64_t net = 0;
  std::string status;
  std::string payout_date;
  int64_t released_by_batch = 0;
};

// What a merchant's statement for one business date shows: its lines and the payments and
// refunds behind them.
struct StatementData {
  std::vector<Line> lines;
  struct Row {
    bool is_refund = false;
    std::string id;
    std::string payment_id;
    std::string out_no;
    absl::Time at;
    std::string currency;
    int64_t amount_minor = 0;
    int64_t fee_minor = 0;  // the fee (payments) or the fee returned (refunds)
  };
  std::vector<Row> rows;
};

// The statement CSV: "# statement" header, one LINE row per settlement line, then one PAYMENT
// or REFUND row per transaction, amounts in minor units, times in `zone`.
std::string FormatStatement(absl::string_view merchant_id, absl::string_view date,
                            const StatementData& data, absl::TimeZone zone);

// One row of a payout instruction file.
struct Payout {
  int64_t payout_id = 0;
  int64_t line_id = 0;
  std::string merchant_id;
  std::string currency;
  int64_t amount_minor = 0;
  std::string payout_date;
};

// The bank account a payout goes to (the merchant service's settlement account, in full).
struct PayoutAccount {
  std::string kind;  // CORPORATE or PERSONAL
  std::string bank_name;
  std::string account_name;
  std::string account_number;
};

// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a line break.
std::string CsvField(absl::string_view text);

// The payout instruction file of a batch: a header, one row per payout
// (payout_id,line_id,merchant_id,account_kind,bank_name,account_name,account_number,currency,
// amount_minor,payout_date), then one checksum row per currency:
// "CHECKSUM,<currency>,<count>,<sum of amount_minor>", and a final
// "CHECKSUM,ALL,<count>,<count of currencies>" row so a truncated file is detectable. A merchant
// missing from `accounts` has the account kind MISSING and empty account fields: the bank
// cannot pay it, and staff must see that before the file is sent.
std::string FormatPayoutFile(absl::string_view batch_ref, const std::vector<Payout>& payouts,
                             const std::map<std::string, PayoutAccount>& accounts);

}  // namespace aggpay::settlement
