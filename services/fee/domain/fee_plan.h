#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/money/money.h"

namespace aggpay::fee {

// Rates are integers in parts per million: 3800 ppm is 0.38%.
inline constexpr int64_t kPpmScale = 1'000'000;
// The largest amount any plan may accept, in minor units. With rates <= kPpmScale this keeps
// every fee, channel cost and share within int64.
inline constexpr int64_t kMaxAmountLimit = 1'000'000'000'000'000;
inline constexpr int64_t kDefaultMaxAmountMajor = 10'000'000;

enum class Channel : uint8_t { kWechat = 0, kAlipay = 1, kUnionpay = 2 };
inline constexpr size_t kChannelCount = 3;
inline constexpr std::array<Channel, kChannelCount> kAllChannels = {
    Channel::kWechat, Channel::kAlipay, Channel::kUnionpay};

// T1: settled the next business day (bank-affiliated providers). D0: settled the same day.
enum class SettlementCycle : uint8_t { kT1, kD0 };

// INVALID_ARGUMENT naming "channel" unless the name is exactly "wechat", "alipay" or "unionpay".
absl::StatusOr<Channel> ParseChannel(absl::string_view name);
absl::string_view ChannelName(Channel channel);

// INVALID_ARGUMENT naming "settlement" unless the name is exactly "T1" or "D0".
absl::StatusOr<SettlementCycle> ParseSettlementCycle(absl::string_view name);
absl::string_view SettlementCycleName(SettlementCycle cycle);

// 10,000,000 major units of `currency` in its minor units.
inline int64_t DefaultMaxAmountMinor(common::Currency currency) {
  return kDefaultMaxAmountMajor * currency.minor_per_major();
}

// A versioned fee plan. Build it with designated initializers; the currency has no default.
// max_amount_minor defaults from the currency given at construction: set it again if the
// currency of a copy is changed.
struct FeePlan {
  std::string id{};
  int64_t version = 1;
  common::Currency currency;
  SettlementCycle settlement = SettlementCycle::kT1;
  // Indexed by static_cast<size_t>(Channel); use RatePpm().
  std::array<int64_t, kChannelCount> rate_ppm = {0, 0, 0};
  // Per-transaction cap and minimum fee, in minor units of `currency`.
  std::optional<int64_t> cap_minor = std::nullopt;
  std::optional<int64_t> min_fee_minor = std::nullopt;
  // What the payment channel charges the provider, for margins and profit share.
  int64_t channel_cost_ppm = 0;
  common::RoundingMode rounding = common::RoundingMode::kHalfUp;
  int64_t max_amount_minor = DefaultMaxAmountMinor(currency);
  absl::Time effective_from = absl::UnixEpoch();
  bool requires_corporate_account = false;

  [[nodiscard]] int64_t RatePpm(Channel channel) const {
    return rate_ppm[static_cast<size_t>(channel)];
  }
};

// OK, or INVALID_ARGUMENT naming the first bad field: "id" (1..64 of [a-z0-9-]), "rate_ppm" and
// "channel_cost_ppm" (0..1,000,000), "cap" (negative or below the minimum), "min" (negative),
// "max_amount" (1..10^15).
absl::Status ValidatePlan(const FeePlan& plan);

// ValidatePlan without the id: only the terms a fee is computed from (rates, channel cost, cap,
// minimum, largest amount). What a quote checks on every call.
absl::Status ValidatePlanTerms(const FeePlan& plan);

// Whether ValidatePlanTerms(plan) is OK, without building a status: the quote's fast path.
[[nodiscard]] inline bool PlanTermsValid(const FeePlan& plan) {
  bool ok = plan.channel_cost_ppm >= 0 && plan.channel_cost_ppm <= kPpmScale;
  for (int64_t ppm : plan.rate_ppm) ok &= ppm >= 0 && ppm <= kPpmScale;
  const int64_t min = plan.min_fee_minor.value_or(0);
  ok &= min >= 0;
  if (plan.cap_minor.has_value()) ok &= *plan.cap_minor >= min;
  ok &= plan.max_amount_minor > 0 && plan.max_amount_minor <= kMaxAmountLimit;
  return ok;
}

}  // namespace aggpay::fee
