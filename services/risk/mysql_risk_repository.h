#pragma once

#include "services/common/mysql/mysql_pool.h"
#include "services/risk/risk_repository.h"

namespace aggpay::risk {

class MysqlRiskRepository final : public RiskRepository {
 public:
  explicit MysqlRiskRepository(common::MysqlPool& pool) : pool_(pool) {}

  absl::StatusOr<int64_t> Generation() override;
  absl::StatusOr<std::vector<StoredRule>> LoadRules() override;
  absl::StatusOr<StoredRule> UpdateRule(
      const std::string& rule_id,
      const std::function<absl::StatusOr<RuleConfig>(RuleConfig)>& change, const std::string& actor,
      const std::string& reason, absl::Time now) override;
  absl::StatusOr<std::vector<RegionRange>> LoadRegions() override;
  absl::StatusOr<int64_t> ReplaceRegions(const std::vector<RegionRange>& ranges,
                                         const std::string& sha256, const std::string& actor,
                                         absl::Time now) override;
  absl::StatusOr<History> LoadHistory(const std::string& merchant_id, const std::string& currency,
                                      absl::CivilDay today, int window_days) override;
  absl::Status AddDailyTotals(const std::vector<DailyDelta>& deltas) override;
  absl::StatusOr<RecordedDecision> RecordDecision(const EventDraft& event, absl::Time now) override;
  absl::StatusOr<std::vector<EventRecord>> ListEvents(const EventFilter& filter) override;
  absl::StatusOr<FreezeRecord> CreateFreeze(const std::string& merchant_id,
                                            const std::string& reason, const std::string& actor,
                                            absl::Time now) override;
  absl::StatusOr<std::vector<FreezeRecord>> ListFreezes(const std::string& merchant_id,
                                                        bool active_only) override;
  absl::StatusOr<AppealRecord> SubmitAppeal(const std::string& merchant_id,
                                            const std::string& statement,
                                            const std::vector<AppealDocumentRef>& docs,
                                            absl::Time now) override;
  absl::StatusOr<std::vector<AppealRecord>> ListAppeals(const std::string& merchant_id,
                                                        bool pending_only) override;
  absl::StatusOr<AppealRecord> ReviewAppeal(int64_t appeal_id, bool approve,
                                            const std::string& note, const std::string& actor,
                                            absl::Time now) override;
  absl::StatusOr<FreezeRecord> PassSecurityCheck(const std::string& merchant_id,
                                                 const std::string& note, const std::string& actor,
                                                 absl::Time now) override;
  absl::StatusOr<std::optional<AlertThresholds>> GetThresholds(
      const std::string& merchant_id) override;
  absl::Status SetThresholds(const AlertThresholds& t, absl::Time now) override;
  absl::StatusOr<std::vector<AlertRecord>> RaiseAlerts(
      const std::string& merchant_id, const std::vector<AlertDraft>& drafts,
      const std::function<std::string(const AlertRecord&)>& body_of, absl::Time now) override;
  absl::StatusOr<std::vector<AlertRecord>> ListAlerts(const std::string& merchant_id,
                                                      int limit) override;
  absl::StatusOr<std::vector<ActionRecord>> ClaimActions(const std::string& merchant_id,
                                                         absl::Duration lease, int limit) override;
  absl::Status CompleteAction(int64_t action_id) override;
  absl::Status FailAction(int64_t action_id, const std::string& error,
                          absl::Duration retry_after) override;

 private:
  common::MysqlPool& pool_;
};

}  // namespace aggpay::risk
