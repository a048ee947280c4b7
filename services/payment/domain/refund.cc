#include "services/payment/domain/refund.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"

namespace aggpay::payment {
namespace {

constexpr std::array<RefundStatus, 4> kAllRefundStatuses = {
    RefundStatus::kProcessing, RefundStatus::kSuccess, RefundStatus::kFailed,
    RefundStatus::kUnknown};

}  // namespace

absl::string_view RefundStatusName(RefundStatus s) {
  switch (s) {
    case RefundStatus::kProcessing:
      return "PROCESSING";
    case RefundStatus::kSuccess:
      return "SUCCESS";
    case RefundStatus::kFailed:
      return "FAILED";
    case RefundStatus::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

absl::StatusOr<RefundStatus> ParseRefundStatus(absl::string_view name, absl::string_view field) {
  for (RefundStatus s : kAllRefundStatuses) {
    if (RefundStatusName(s) == name) return s;
  }
  return common::InvalidField(field, "must be one of PROCESSING, SUCCESS, FAILED, UNKNOWN");
}

absl::Status CheckRefund(const RefundContext& context, const common::Money& amount,
                         absl::Time now) {
  if (context.payment_status != PaymentStatus::kSuccess) {
    return common::FailedPreconditionField(
        "payment_id", absl::StrCat("only a paid payment can be refunded; this one is ",
                                   PaymentStatusName(context.payment_status)));
  }
  const common::Currency currency = context.payment_amount.currency();
  if (!(amount.currency() == currency)) {
    return common::InvalidField("amount", absl::StrCat("the payment is in ", currency.code(),
                                                       ", not ", amount.currency().code()));
  }
  if (!amount.is_positive()) return common::InvalidField("amount", "must be positive");
  // A mismatch or an overflow here is a corrupt row, not the caller's input.
  absl::StatusOr<common::Money> remaining = context.payment_amount.Subtract(context.refunded);
  if (!remaining.ok()) {
    return absl::InternalError(
        absl::StrCat("refund context of the payment: ", remaining.status().message()));
  }
  // A refunded total above the amount (never expected) leaves nothing.
  const int64_t left = std::max<int64_t>(remaining->amount_minor(), 0);
  if (amount.amount_minor() > left) {
    return common::FailedPreconditionField(
        "amount", absl::StrCat("at most ", common::Money(left, currency).ToString(), " left"));
  }
  if (context.refund_count >= kMaxRefundsPerPayment) {
    return common::FailedPreconditionField(
        "payment_id",
        absl::StrCat("a payment can be refunded at most ", kMaxRefundsPerPayment, " times"));
  }
  if (now - context.paid_at >= kRefundWindow) {
    return common::FailedPreconditionField(
        "payment_id", "a payment can be refunded only within 365 days of its payment");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::payment
