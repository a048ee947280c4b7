#pragma once

#include <cstdint>

#include "services/common/mysql/coalesced_read.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/fee/fee_plan_repository.h"

namespace aggpay::fee {

class MysqlFeePlanRepository final : public FeePlanRepository {
 public:
  explicit MysqlFeePlanRepository(common::MysqlPool& pool);

  absl::Status CreatePlan(const FeePlan& plan, absl::Time now) override;
  absl::StatusOr<FeePlan> AddVersion(const FeePlan& plan, absl::Time now) override;
  absl::StatusOr<std::optional<FeePlan>> GetVersion(const std::string& plan_id,
                                                    int64_t version) override;
  absl::StatusOr<std::optional<FeePlan>> GetEffective(const std::string& plan_id,
                                                      absl::Time at) override;
  absl::StatusOr<std::vector<FeePlan>> ListLatest(const std::string& after_plan_id,
                                                  int limit) override;
  absl::Status Assign(const PlanAssignment& assignment, absl::Time now) override;
  absl::StatusOr<std::optional<PlanAssignment>> GetAssignment(const std::string& merchant_id,
                                                              absl::Time at) override;
  // Concurrent quotes share one read (common::CoalescedRead): each gets a value read after its
  // call began, so a plan change committed before the call is always seen.
  absl::StatusOr<int64_t> Generation() override;
  uint64_t generation_reads() const { return generation_.reads(); }
  absl::StatusOr<absl::Time> NextChangeAfter(const std::string& merchant_id,
                                             const std::string& plan_id, absl::Time at) override;
  absl::StatusOr<AgentCost> SetAgentCost(const std::string& agent_id, int64_t cost_ppm,
                                         absl::Time now) override;
  absl::StatusOr<std::vector<AgentCost>> GetAgentCosts(
      const std::vector<std::string>& agent_ids) override;

 private:
  absl::StatusOr<std::optional<FeePlan>> QueryOne(const std::string& where_sql,
                                                  const std::string& plan_id,
                                                  const std::string& param);
  absl::StatusOr<int64_t> ReadGeneration();

  common::MysqlPool& pool_;
  common::CoalescedRead<int64_t> generation_;
};

}  // namespace aggpay::fee
