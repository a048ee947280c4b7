#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock/clock.h"
#include "services/fee/domain/compare_plans.h"
#include "services/fee/domain/fee_calculator.h"
#include "services/fee/domain/fee_plan.h"
#include "services/fee/domain/profit_share.h"
#include "services/fee/fee_plan_repository.h"

namespace aggpay::fee {

struct QuoteResult {
  Quote quote;
  std::string plan_id;
  int64_t plan_version = 0;
};

struct SplitResult {
  std::vector<ProfitShare> splits;
  std::vector<AgentShare> agent_totals;
  common::Money total_fee;
  common::Money total_channel_cost;
  common::Money total_provider_margin;
};

struct ComparedPlan {
  FeePlan plan;
  PlanTotals totals;
};

// The fee service's use cases: storage plus the pure rules of domain/.
class FeeOperations {
 public:
  FeeOperations(FeePlanRepository& repo, const common::Clock& clock) : repo_(repo), clock_(clock) {}

  // Version 1 of a new plan; effective_from defaults to now.
  absl::StatusOr<FeePlan> CreatePlan(FeePlan plan, bool has_effective_from);
  // The next version; effective_from defaults to now and may not lie in the past, and the
  // currency may not change (merchants on the plan settle in it).
  absl::StatusOr<FeePlan> UpdatePlan(FeePlan plan, bool has_effective_from);
  // A named version, or (version 0) the one in force at `at` (default now).
  absl::StatusOr<FeePlan> GetPlan(const std::string& plan_id, int64_t version,
                                  std::optional<absl::Time> at);
  absl::StatusOr<std::vector<FeePlan>> ListPlans(const std::string& after, int limit);

  absl::StatusOr<std::pair<PlanAssignment, FeePlan>> AssignPlan(
      const std::string& merchant_id, const std::string& plan_id,
      std::optional<absl::Time> effective_from);
  // NOT_FOUND when the merchant is on no plan at `at`.
  absl::StatusOr<std::pair<PlanAssignment, FeePlan>> MerchantPlan(const std::string& merchant_id,
                                                                  std::optional<absl::Time> at);

  // Under `plan_id`, or (plan_id empty) under `merchant_id`'s plan.
  absl::StatusOr<QuoteResult> QuoteFee(const std::string& plan_id, const std::string& merchant_id,
                                       Channel channel, const common::Money& amount,
                                       std::optional<absl::Time> at);

  // Profit share of payments charged under a plan version, for the named agent chain (top
  // first). NOT_FOUND naming the agent that has no cost rate.
  absl::StatusOr<SplitResult> Split(const std::string& plan_id, int64_t version,
                                    const std::vector<std::string>& agent_chain,
                                    const std::vector<std::pair<common::Money, Channel>>& payments);

  absl::StatusOr<AgentCost> SetAgentCost(const std::string& agent_id, int64_t cost_ppm);

  absl::StatusOr<std::vector<ComparedPlan>> Compare(
      const std::vector<std::string>& plan_ids,
      const std::vector<std::pair<common::Money, Channel>>& payments);

 private:
  absl::Time Now() const;
  // The merchant's plan now: from the in-process copy while the fee generation is unchanged
  // and no dated change has come into effect since it was read (one small read instead of two
  // per quote), else from the repository.
  absl::StatusOr<std::pair<PlanAssignment, FeePlan>> CurrentMerchantPlan(
      const std::string& merchant_id);

  FeePlanRepository& repo_;
  const common::Clock& clock_;

  struct CachedPlan {
    PlanAssignment assignment;
    FeePlan plan;
    int64_t generation = 0;
    absl::Time valid_until;  // the next dated change of the plan or the assignment
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedPlan> cache_;
};

}  // namespace aggpay::fee
