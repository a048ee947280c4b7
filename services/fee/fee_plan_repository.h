#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/fee/domain/fee_plan.h"

namespace aggpay::fee {

struct PlanAssignment {
  std::string merchant_id;
  std::string plan_id;
  absl::Time effective_from;
};

struct AgentCost {
  std::string agent_id;
  int64_t cost_ppm = 0;
  absl::Time updated_at;
};

// Storage of fee plans (immutable versions), merchants' plan assignments and agents' costs.
class FeePlanRepository {
 public:
  virtual ~FeePlanRepository() = default;

  // Stores `plan` as version 1 of a new plan. ALREADY_EXISTS when the id is taken.
  virtual absl::Status CreatePlan(const FeePlan& plan, absl::Time now) = 0;
  // Stores `plan` as the next version of an existing plan and returns it with its version.
  // NOT_FOUND when there is no such plan.
  virtual absl::StatusOr<FeePlan> AddVersion(const FeePlan& plan, absl::Time now) = 0;
  virtual absl::StatusOr<std::optional<FeePlan>> GetVersion(const std::string& plan_id,
                                                            int64_t version) = 0;
  // The version with the latest effective_from <= at (ties: the higher version).
  virtual absl::StatusOr<std::optional<FeePlan>> GetEffective(const std::string& plan_id,
                                                              absl::Time at) = 0;
  // The newest version of each plan, by plan id, after `after_plan_id`.
  virtual absl::StatusOr<std::vector<FeePlan>> ListLatest(const std::string& after_plan_id,
                                                          int limit) = 0;

  // NOT_FOUND when the plan does not exist.
  virtual absl::Status Assign(const PlanAssignment& assignment, absl::Time now) = 0;
  // The assignment with the latest effective_from <= at.
  virtual absl::StatusOr<std::optional<PlanAssignment>> GetAssignment(
      const std::string& merchant_id, absl::Time at) = 0;

  // Bumped in the transaction of every plan creation, new version and assignment: a cache of
  // plans and assignments is current while it is unchanged.
  virtual absl::StatusOr<int64_t> Generation() = 0;
  // The earliest effective_from after `at` among the plan's versions and the merchant's
  // assignments (InfiniteFuture when none): until then, what is effective at `at` stays so.
  virtual absl::StatusOr<absl::Time> NextChangeAfter(const std::string& merchant_id,
                                                     const std::string& plan_id, absl::Time at) = 0;

  virtual absl::StatusOr<AgentCost> SetAgentCost(const std::string& agent_id, int64_t cost_ppm,
                                                 absl::Time now) = 0;
  // The costs of the named agents, in one query; absent agents are missing from the result.
  virtual absl::StatusOr<std::vector<AgentCost>> GetAgentCosts(
      const std::vector<std::string>& agent_ids) = 0;
};

}  // namespace aggpay::fee
