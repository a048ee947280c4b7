#pragma once

#include "absl/status/statusor.h"
#include "services/common/money/money.h"

namespace aggpay::fee {

// One refund against a payment, with what earlier refunds of the same payment already did.
struct RefundFeeInput {
  common::Money payment_amount;
  common::Money payment_fee;          // the fee charged on the payment
  common::Money refunded_before;      // sum of earlier refunds' amounts
  common::Money fee_returned_before;  // sum of the fee earlier refunds returned
  common::Money refund_amount;        // this refund
};

// The part of the payment fee to return with this refund, by the cumulative method:
//   round_half_up(fee * (refunded_before + refund_amount) / payment_amount) - fee_returned_before
// so the returns of any sequence of partial refunds add up to the proportional fee of the total
// refunded, and a refund of everything returns the whole fee to the minor unit. When earlier
// returns ran ahead of the proportional fee (for instance computed by another method), this one
// returns zero and a later refund absorbs the difference.
// Errors: INVALID_ARGUMENT naming "currency" when the amounts are not all in one currency,
// "refund_amount" when it is not positive, "payment_amount" when that is not positive,
// "payment_fee" when negative, "refunded_before" when negative, "fee_returned_before" when
// negative or above the payment fee; FAILED_PRECONDITION naming "refund_amount" when it exceeds
// what is left to refund.
absl::StatusOr<common::Money> FeeToReturn(const RefundFeeInput& input);

}  // namespace aggpay::fee
