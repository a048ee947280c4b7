#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/money/money.h"
#include "services/fee/domain/fee_plan.h"

namespace aggpay::fee {

struct Payment {
  int64_t amount_minor = 0;  // in the currency of the plans compared
  Channel channel = Channel::kWechat;
};

struct PlanTotals {
  std::string plan_id;
  common::Money total_fee;
  common::Money total_net;  // sum of amounts - total_fee
};

// What the same payments would cost under each plan, in the order of `plans`.
// Errors: INVALID_ARGUMENT naming "plans" when there are none, "plans[i].<field>" for a plan
// that fails ValidatePlan, "plans[i].currency" when the plans do not share one currency,
// "payments[i].amount" for an amount that is not positive or above a plan's max_amount_minor,
// "payments[i].channel" for a value outside the enum; OUT_OF_RANGE when a total overflows.
absl::StatusOr<std::vector<PlanTotals>> ComparePlans(std::span<const FeePlan> plans,
                                                     std::span<const Payment> payments);

}  // namespace aggpay::fee
