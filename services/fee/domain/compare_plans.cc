#include "services/fee/domain/compare_plans.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/fee/domain/fee_calculator.h"

namespace aggpay::fee {
namespace {

// Re-issues a field error of one plan under "plans[i].<field>".
absl::Status InPlan(size_t index, const absl::Status& status) {
  const std::string field = common::ErrorField(status);
  std::string message(status.message());
  if (const std::string prefix = absl::StrCat(field, ": "); message.starts_with(prefix)) {
    message.erase(0, prefix.size());
  }
  return common::InvalidField(absl::StrCat("plans[", index, "].", field), message);
}

}  // namespace

absl::StatusOr<std::vector<PlanTotals>> ComparePlans(std::span<const FeePlan> plans,
                                                     std::span<const Payment> payments) {
  if (plans.empty()) return common::InvalidField("plans", "at least one plan is required");
  for (size_t i = 0; i < plans.size(); ++i) {
    if (absl::Status valid = ValidatePlan(plans[i]); !valid.ok()) return InPlan(i, valid);
    if (!(plans[i].currency == plans[0].currency)) {
      return common::InvalidField(absl::StrCat("plans[", i, "].currency"),
                                  absl::StrCat("is ", plans[i].currency.code(),
                                               ", but plans[0] is ", plans[0].currency.code()));
    }
  }
  int64_t max_amount = plans[0].max_amount_minor;
  for (const FeePlan& plan : plans) max_amount = std::min(max_amount, plan.max_amount_minor);
  int64_t total_amount = 0;
  for (size_t i = 0; i < payments.size(); ++i) {
    const Payment& payment = payments[i];
    if (payment.amount_minor <= 0) {
      return common::InvalidField(absl::StrCat("payments[", i, "].amount"), "must be positive");
    }
    if (payment.amount_minor > max_amount) {
      return common::InvalidField(
          absl::StrCat("payments[", i, "].amount"),
          absl::StrCat("exceeds the largest amount of a plan compared, ",
                       common::Money(max_amount, plans[0].currency).ToString()));
    }
    if (static_cast<size_t>(payment.channel) >= kChannelCount) {
      return common::InvalidField(absl::StrCat("payments[", i, "].channel"), "unknown channel");
    }
    if (__builtin_add_overflow(total_amount, payment.amount_minor, &total_amount)) {
      return absl::OutOfRangeError("payments: the total amount overflows");
    }
  }

  std::vector<PlanTotals> out;
  out.reserve(plans.size());
  for (const FeePlan& plan : plans) {
    // A minimum fee may exceed its amount, so the fee total is checked on its own.
    int64_t total_fee = 0;
    for (const Payment& payment : payments) {
      if (__builtin_add_overflow(total_fee, FeeMinor(plan, payment.channel, payment.amount_minor),
                                 &total_fee)) {
        return absl::OutOfRangeError("payments: the total fee overflows");
      }
    }
    out.push_back({.plan_id = plan.id,
                   .total_fee = common::Money(total_fee, plan.currency),
                   .total_net = common::Money(total_amount - total_fee, plan.currency)});
  }
  return out;
}

}  // namespace aggpay::fee
