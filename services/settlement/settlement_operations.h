#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock/clock.h"
#include "services/settlement/settlement_directory.h"
#include "services/settlement/settlement_repository.h"

namespace aggpay::settlement {

struct SettlementOptions {
  // The business calendar T+1 follows, and the zone its days are in.
  std::string calendar = "CN";
  absl::TimeZone zone;
  // D0 settles payments that succeeded up to now - d0_lag, so a payment committed a moment
  // after the time it records is not skipped.
  absl::Duration d0_lag = absl::Minutes(2);
  // Where payout instruction files are written ("" : not written; they stay in the database).
  std::string output_dir;
  // Each channel's cost rate, for the fee column of its bill.
  std::map<std::string, int64_t> channel_cost_ppm = {{"sandbox", 2000}};
};

struct RunReport {
  RunOutcome outcome;
  std::string payout_file;  // written once after commit; "" if none (or not written yet)
  std::string message;      // one line for the operator
};

// The settlement service's use cases. Every outside call (fee plans, frozen merchants) is made
// before a transaction opens; each run is then one repository transaction.
class SettlementOperations {
 public:
  SettlementOperations(SettlementRepository& repo, SettlementDirectory& directory,
                       const common::Clock& clock, SettlementOptions options);

  // T+1: the payments of business date `date` of the T1 plans, for the merchants of `shard`
  // ("i/n"). INVALID_ARGUMENT for a bad or still open date or shard, FAILED_PRECONDITION for a
  // year the calendar lacks or another shard count already used for the date.
  absl::StatusOr<RunReport> RunT1(const std::string& date, const std::string& shard);
  // D0: the D0 plans' payments that succeeded since the last D0 run, up to now - d0_lag.
  absl::StatusOr<RunReport> RunD0();
  // Pays a merchant's HELD lines: FAILED_PRECONDITION while it is frozen.
  absl::StatusOr<RunReport> Release(const std::string& merchant_id);

  // The payout date of `today`'s payments on `cycle` ("T1" or "D0"), by the business calendar.
  absl::StatusOr<absl::CivilDay> NextPayout(const std::string& cycle, absl::CivilDay today);
  absl::CivilDay Today() const;

  absl::StatusOr<std::vector<Batch>> ListBatches(const std::string& date, int limit);
  // A date, or a status (PAID, HELD or CARRIED: HELD lines of every date), or both.
  absl::StatusOr<std::vector<Line>> ListLines(const std::string& date,
                                              const std::string& merchant_id,
                                              const std::string& status, int64_t after_line_id,
                                              int limit);
  absl::StatusOr<std::vector<Line>> ReleasedLines(int64_t batch_id);
  // NOT_FOUND when the merchant has nothing settled on that date.
  absl::StatusOr<std::string> Statement(const std::string& merchant_id, const std::string& date);
  absl::StatusOr<std::pair<int64_t, std::set<int>>> ImportCalendar(const std::string& calendar,
                                                                   const std::string& csv);
  absl::StatusOr<StoredReconciliation> Reconcile(const std::string& channel,
                                                 const std::string& date,
                                                 const std::string& bill_csv);
  absl::StatusOr<std::vector<StoredReconciliation>> ListReconciliations(const std::string& channel,
                                                                        const std::string& date);

  const SettlementOptions& options() const { return options_; }

 private:
  std::string PayoutFilePath(const Batch& batch) const;
  // Writes the batch's payout file once, atomically (temporary file, then rename), and records
  // that it is written; a batch whose file is written answers its path.
  absl::StatusOr<std::string> WritePayoutFile(const Batch& batch);
  // The files of committed batches that have none yet (run before every run).
  void WritePendingPayoutFiles();
  absl::StatusOr<RunReport> Finish(RunOutcome outcome);

  SettlementRepository& repo_;
  SettlementDirectory& directory_;
  const common::Clock& clock_;
  SettlementOptions options_;
};

}  // namespace aggpay::settlement
