#include "services/fee/domain/refund.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::fee {

absl::StatusOr<common::Money> FeeToReturn(const RefundFeeInput& input) {
  const common::Currency currency = input.payment_amount.currency();
  for (const common::Money* m : {&input.payment_fee, &input.refunded_before,
                                 &input.fee_returned_before, &input.refund_amount}) {
    if (!(m->currency() == currency)) {
      return common::InvalidField("currency", absl::StrCat("the payment is in ", currency.code(),
                                                           ", not ", m->currency().code()));
    }
  }
  const int64_t amount = input.payment_amount.amount_minor();
  const int64_t fee = input.payment_fee.amount_minor();
  const int64_t refunded_before = input.refunded_before.amount_minor();
  const int64_t returned_before = input.fee_returned_before.amount_minor();
  const int64_t refund = input.refund_amount.amount_minor();
  if (refund <= 0) return common::InvalidField("refund_amount", "must be positive");
  if (amount <= 0) return common::InvalidField("payment_amount", "must be positive");
  if (fee < 0) return common::InvalidField("payment_fee", "must not be negative");
  if (refunded_before < 0) return common::InvalidField("refunded_before", "must not be negative");
  if (returned_before < 0 || returned_before > fee) {
    return common::InvalidField("fee_returned_before", "must be between zero and the payment fee");
  }
  const int64_t refundable = std::max<int64_t>(amount - refunded_before, 0);
  if (refund > refundable) {
    return common::FailedPreconditionField(
        "refund_amount",
        absl::StrCat("exceeds the ", common::Money(refundable, currency).ToString(),
                     " left to refund"));
  }
  ASSIGN_OR_RETURN(
      const int64_t returned_after,
      common::MulDiv(fee, refunded_before + refund, amount, common::RoundingMode::kHalfUp));
  return common::Money(std::max<int64_t>(returned_after - returned_before, 0), currency);
}

}  // namespace aggpay::fee
