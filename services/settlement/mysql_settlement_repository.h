#pragma once

#include "services/common/mysql/mysql_pool.h"
#include "services/settlement/settlement_repository.h"

namespace aggpay::settlement {

// MySQL storage. Runs read payments and refunds in SQL (the one documented exception to table
// ownership, DESIGN.md): each run is a handful of set-based statements in one READ COMMITTED
// transaction, whatever the number of payments.
class MysqlSettlementRepository final : public SettlementRepository {
 public:
  explicit MysqlSettlementRepository(common::MysqlPool& pool) : pool_(pool) {}

  absl::StatusOr<BusinessCalendar> LoadCalendar(const std::string& name) override;
  absl::StatusOr<std::set<int>> ImportCalendar(const std::string& name,
                                               const std::vector<CalendarDay>& days,
                                               absl::Time now) override;
  absl::StatusOr<RunOutcome> Run(const RunSpec& spec) override;
  absl::StatusOr<std::optional<absl::Time>> LastD0WindowEnd() override;
  absl::StatusOr<RunOutcome> ReleaseHeld(const std::string& merchant_id,
                                         const std::string& business_date,
                                         const std::string& payout_date, absl::Time now) override;
  absl::StatusOr<std::vector<Batch>> ListBatches(const std::string& date, int limit) override;
  absl::StatusOr<std::vector<Line>> ListLines(const std::string& date,
                                              const std::string& merchant_id,
                                              const std::string& status, int64_t after_line_id,
                                              int limit) override;
  absl::StatusOr<std::vector<Line>> ReleasedLines(int64_t batch_id) override;
  absl::StatusOr<std::vector<Payout>> Payouts(int64_t batch_id) override;
  absl::StatusOr<std::vector<Batch>> BatchesWithoutPayoutFile(int limit) override;
  absl::Status MarkPayoutFileWritten(int64_t batch_id, absl::Time at) override;
  absl::StatusOr<StatementData> Statement(const std::string& merchant_id,
                                          const std::string& date) override;
  absl::StatusOr<std::vector<OurRecord>> OurRecords(
      const std::string& channel, absl::Time from, absl::Time to,
      const std::vector<std::pair<bool, std::string>>& bill_ids) override;
  absl::StatusOr<int64_t> SaveReconciliation(const StoredReconciliation& r) override;
  absl::StatusOr<std::vector<StoredReconciliation>> ListReconciliations(
      const std::string& channel, const std::string& date) override;

 private:
  absl::Status EnsureLockRow(const std::string& key);
  absl::StatusOr<RunOutcome> RunInTransaction(const RunSpec& spec);

  common::MysqlPool& pool_;
};

}  // namespace aggpay::settlement
