#include "services/fee/domain/seed_plans.h"

namespace aggpay::fee {
namespace {

constexpr int64_t kSeedEffectiveFromUnixSeconds = 1767225600;  // 2026-01-01T00:00:00Z

common::Currency Cny() { return common::Currency::Find("CNY").value(); }

}  // namespace

FeePlan BankStandardPlan() {
  return FeePlan{.id = "bank-standard",
                 .version = 1,
                 .currency = Cny(),
                 .settlement = SettlementCycle::kT1,
                 .rate_ppm = {3800, 3800, 3800},
                 .cap_minor = 2000,
                 .channel_cost_ppm = 2000,
                 .effective_from = absl::FromUnixSeconds(kSeedEffectiveFromUnixSeconds),
                 .requires_corporate_account = true};
}

FeePlan IndependentStandardPlan() {
  return FeePlan{.id = "independent-standard",
                 .version = 1,
                 .currency = Cny(),
                 .settlement = SettlementCycle::kD0,
                 .rate_ppm = {6000, 6000, 6000},
                 .channel_cost_ppm = 2000,
                 .effective_from = absl::FromUnixSeconds(kSeedEffectiveFromUnixSeconds),
                 .requires_corporate_account = false};
}

}  // namespace aggpay::fee
