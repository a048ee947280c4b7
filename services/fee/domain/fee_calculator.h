#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"
#include "services/common/money/money.h"
#include "services/fee/domain/fee_plan.h"

namespace aggpay::fee {

// amount_minor * ppm / 10^6 rounded by `mode`, exact in 64-bit integers.
// Preconditions: amount_minor >= 0 and 0 <= ppm <= kPpmScale; then the result never exceeds
// amount_minor, so it cannot overflow for any non-negative int64 amount.
inline int64_t ApplyRatePpm(int64_t amount_minor, int64_t ppm, common::RoundingMode mode) {
  // Up to this amount, amount * ppm fits in int64: nearly 10^13 minor units, beyond any payment
  // a default plan accepts, so the split below is the rare path.
  constexpr int64_t kDirectLimit = std::numeric_limits<int64_t>::max() / kPpmScale;
  if (amount_minor <= kDirectLimit) [[likely]] {
    return common::MulDivNonNegative(amount_minor, ppm, kPpmScale, mode);
  }
  // amount = high * 10^6 + low, so amount * ppm / 10^6 = high * ppm + low * ppm / 10^6 exactly,
  // and the rounding depends only on the remainder of low * ppm (and, for half-even, on the
  // parity of the whole quotient, which is why MulDivNonNegative(low, ...) is not enough).
  const int64_t low_product = (amount_minor % kPpmScale) * ppm;
  const int64_t quotient = (amount_minor / kPpmScale) * ppm + low_product / kPpmScale;
  const int64_t twice_remainder = 2 * (low_product % kPpmScale);
  switch (mode) {
    case common::RoundingMode::kDown:
      return quotient;
    case common::RoundingMode::kUp:
      return quotient + (twice_remainder != 0 ? 1 : 0);
    case common::RoundingMode::kHalfUp:
      return quotient + (twice_remainder >= kPpmScale ? 1 : 0);
    case common::RoundingMode::kHalfEven:
      return quotient +
             (twice_remainder > kPpmScale || (twice_remainder == kPpmScale && (quotient & 1) != 0)
                  ? 1
                  : 0);
  }
  return quotient;
}

// The fee of a payment: min(cap, max(minimum, round(amount * rate / 10^6))) with the plan's
// rounding. The unchecked hot path: no allocation, no status.
// Preconditions: ValidatePlan(plan) is OK, channel is a Channel enumerator, amount_minor >= 0.
inline int64_t FeeMinor(const FeePlan& plan, Channel channel, int64_t amount_minor) {
  const int64_t fee = ApplyRatePpm(amount_minor, plan.RatePpm(channel), plan.rounding);
  return std::min(std::max(fee, plan.min_fee_minor.value_or(0)),
                  plan.cap_minor.value_or(std::numeric_limits<int64_t>::max()));
}

struct Quote {
  common::Money fee;
  common::Money net;  // amount - fee; negative only if a minimum fee exceeds the amount
};

// The checked fee quote.
// FAILED_PRECONDITION when the plan's terms do not pass ValidatePlanTerms (the id is checked
// where a plan is created and stored, not on every quote: a fee does not depend on it).
// INVALID_ARGUMENT naming "channel" for a value outside the enum, "currency" when the amount is not
// in the plan's currency, "amount" when it is not positive or exceeds the plan's max_amount_minor.
absl::StatusOr<Quote> QuoteFee(const FeePlan& plan, Channel channel, const common::Money& amount);

}  // namespace aggpay::fee
