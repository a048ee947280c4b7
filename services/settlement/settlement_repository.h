#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/settlement/domain/calendar.h"
#include "services/settlement/domain/reconciliation.h"
#include "services/settlement/domain/settlement.h"

namespace aggpay::settlement {

struct Batch {
  int64_t batch_id = 0;
  std::string run_key;
  std::string cycle;  // T1, D0, RELEASE
  std::string business_date;
  Shard shard;
  std::string status;
  std::optional<absl::Time> window_from;
  std::optional<absl::Time> window_to;
  std::string payout_date;
  int64_t line_count = 0;
  int64_t payout_count = 0;
  absl::Time started_at;
  absl::Time finished_at;
  std::optional<absl::Time> payout_file_at;                    // when its payout file was written
  std::vector<std::pair<std::string, int64_t>> payout_totals;  // per currency
};

// What one run settles. Payments and refunds are taken by business date (T1), or by the time
// aggpay recorded their success, in [window_from, window_to) (D0). Only payments charged under
// one of `plan_ids`, and their refunds, count.
struct RunSpec {
  std::string cycle;    // "T1" or "D0"
  std::string run_key;  // unique per run: a second run with the same key is a no-op
  std::string period;   // lines are unique per (cycle, period, merchant, currency)
  std::string business_date;
  bool by_business_date = true;
  absl::Time window_from;
  absl::Time window_to;
  // D0: the window also ends this long before the database's clock (recorded_at is stamped by it).
  absl::Duration d0_lag;
  std::string payout_date;
  Shard shard;
  std::vector<std::string> plan_ids;
  std::set<std::string> frozen;  // merchants whose lines are HELD and whose holds stay
  absl::Time now;
};

struct RunOutcome {
  bool already_done = false;  // the run key had committed before: nothing was changed
  Batch batch;
};

struct StoredReconciliation {
  int64_t reconciliation_id = 0;
  std::string channel;
  std::string date;
  std::string bill_sha256;
  absl::Time created_at;
  ReconResult result;
};

// Storage of the settlement service. Every run commits all it writes (batch, lines, payouts,
// carried balances, its ledger transaction) in one transaction, or nothing.
class SettlementRepository {
 public:
  virtual ~SettlementRepository() = default;

  // The calendar and the years it covers.
  virtual absl::StatusOr<BusinessCalendar> LoadCalendar(const std::string& name) = 0;
  // Replaces the listed days (and marks their years covered); returns the years.
  virtual absl::StatusOr<std::set<int>> ImportCalendar(const std::string& name,
                                                       const std::vector<CalendarDay>& days,
                                                       absl::Time now) = 0;

  // Settles one run: waits (up to the lock wait timeout) for another run of the same key, then
  // either finds it committed (already_done) or settles. ALREADY_EXISTS if a line for one of
  // the merchants' periods exists under another run key (e.g. another shard count).
  virtual absl::StatusOr<RunOutcome> Run(const RunSpec& spec) = 0;
  // The end of the last D0 window (nullopt: never run).
  virtual absl::StatusOr<std::optional<absl::Time>> LastD0WindowEnd() = 0;
  // Pays out every HELD line of a merchant in a RELEASE batch (batch_id 0 if none held).
  virtual absl::StatusOr<RunOutcome> ReleaseHeld(const std::string& merchant_id,
                                                 const std::string& business_date,
                                                 const std::string& payout_date,
                                                 absl::Time now) = 0;

  virtual absl::StatusOr<std::vector<Batch>> ListBatches(const std::string& date, int limit) = 0;
  // Each of date, merchant_id and status narrows the lines when not empty.
  virtual absl::StatusOr<std::vector<Line>> ListLines(const std::string& date,
                                                      const std::string& merchant_id,
                                                      const std::string& status,
                                                      int64_t after_line_id, int limit) = 0;
  virtual absl::StatusOr<std::vector<Line>> ReleasedLines(int64_t batch_id) = 0;
  virtual absl::StatusOr<std::vector<Payout>> Payouts(int64_t batch_id) = 0;
  // Committed batches with payouts whose file has not been written, oldest first.
  virtual absl::StatusOr<std::vector<Batch>> BatchesWithoutPayoutFile(int limit) = 0;
  virtual absl::Status MarkPayoutFileWritten(int64_t batch_id, absl::Time at) = 0;
  // The merchant's lines, payments and refunds of one business date.
  virtual absl::StatusOr<StatementData> Statement(const std::string& merchant_id,
                                                  const std::string& date) = 0;

  // Our records for a channel's day: every payment and refund that succeeded in [from, to)
  // on the channel (in_day), and those named in `bill_ids` (payment or refund ids) whatever
  // their day or status.
  virtual absl::StatusOr<std::vector<OurRecord>> OurRecords(
      const std::string& channel, absl::Time from, absl::Time to,
      const std::vector<std::pair<bool, std::string>>& bill_ids) = 0;
  // ALREADY_EXISTS for a bill already reconciled, or a second bill for the channel's day.
  virtual absl::StatusOr<int64_t> SaveReconciliation(const StoredReconciliation& r) = 0;
  virtual absl::StatusOr<std::vector<StoredReconciliation>> ListReconciliations(
      const std::string& channel, const std::string& date) = 0;
};

}  // namespace aggpay::settlement
