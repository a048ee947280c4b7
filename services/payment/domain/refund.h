#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/money/money.h"
#include "services/payment/domain/payment.h"

namespace aggpay::payment {

inline constexpr int kMaxRefundsPerPayment = 50;
inline constexpr absl::Duration kRefundWindow = absl::Hours(24 * 365);

// Each refund has its own state: PROCESSING (sent to the channel), SUCCESS, FAILED, and UNKNOWN
// (the channel's answer was lost; re-queried).
enum class RefundStatus : uint8_t { kProcessing, kSuccess, kFailed, kUnknown };
absl::string_view RefundStatusName(RefundStatus s);
absl::StatusOr<RefundStatus> ParseRefundStatus(absl::string_view name,
                                               absl::string_view field = "status");

// What a new refund is checked against, read on the locked payment row.
struct RefundContext {
  PaymentStatus payment_status;
  common::Money payment_amount;
  // Sum of the refunds that are not FAILED (PROCESSING, SUCCESS and UNKNOWN hold their amount).
  common::Money refunded;
  int refund_count = 0;  // refunds that are not FAILED
  absl::Time paid_at;
};

// A refund of `amount` at `now`:
//   - FAILED_PRECONDITION naming "payment_id" when the payment is not SUCCESS ("only a paid
//     payment can be refunded");
//   - INVALID_ARGUMENT naming "amount" when not positive or in another currency;
//   - FAILED_PRECONDITION naming "amount" when above what is left ("at most 12.34 CNY left");
//   - FAILED_PRECONDITION naming "payment_id" for the 51st refund, and for a payment paid 365
//     days or more before `now`.
absl::Status CheckRefund(const RefundContext& context, const common::Money& amount, absl::Time now);

}  // namespace aggpay::payment
