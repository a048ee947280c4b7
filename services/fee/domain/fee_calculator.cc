#include "services/fee/domain/fee_calculator.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"

namespace aggpay::fee {

absl::StatusOr<Quote> QuoteFee(const FeePlan& plan, Channel channel, const common::Money& amount) {
  if (!PlanTermsValid(plan)) [[unlikely]] {
    return absl::FailedPreconditionError(absl::StrCat(
        "fee plan \"", plan.id, "\" is not valid: ", ValidatePlanTerms(plan).message()));
  }
  if (static_cast<size_t>(channel) >= kChannelCount) {
    return common::InvalidField("channel", "unknown channel");
  }
  if (!(amount.currency() == plan.currency)) {
    return common::InvalidField(
        "currency", absl::StrCat("plan \"", plan.id, "\" charges in ", plan.currency.code(),
                                 ", not ", amount.currency().code()));
  }
  if (!amount.is_positive()) return common::InvalidField("amount", "must be positive");
  if (amount.amount_minor() > plan.max_amount_minor) {
    return common::InvalidField(
        "amount", absl::StrCat("exceeds the plan's largest amount ",
                               common::Money(plan.max_amount_minor, plan.currency).ToString()));
  }
  const int64_t fee = FeeMinor(plan, channel, amount.amount_minor());
  return Quote{.fee = common::Money(fee, plan.currency),
               .net = common::Money(amount.amount_minor() - fee, plan.currency)};
}

}  // namespace aggpay::fee
