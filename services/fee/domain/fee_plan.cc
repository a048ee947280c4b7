#include "services/fee/domain/fee_plan.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"

namespace aggpay::fee {
namespace {

constexpr size_t kMaxIdLength = 64;

bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

bool IsPpm(int64_t ppm) { return ppm >= 0 && ppm <= kPpmScale; }

}  // namespace

absl::StatusOr<Channel> ParseChannel(absl::string_view name) {
  for (Channel channel : kAllChannels) {
    if (ChannelName(channel) == name) return channel;
  }
  return common::InvalidField(
      "channel", absl::StrCat("unknown channel \"", name, "\" (want wechat, alipay or unionpay)"));
}

absl::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kWechat:
      return "wechat";
    case Channel::kAlipay:
      return "alipay";
    case Channel::kUnionpay:
      return "unionpay";
  }
  return "unknown";
}

absl::StatusOr<SettlementCycle> ParseSettlementCycle(absl::string_view name) {
  if (name == "T1") return SettlementCycle::kT1;
  if (name == "D0") return SettlementCycle::kD0;
  return common::InvalidField(
      "settlement", absl::StrCat("unknown settlement cycle \"", name, "\" (want T1 or D0)"));
}

absl::string_view SettlementCycleName(SettlementCycle cycle) {
  switch (cycle) {
    case SettlementCycle::kT1:
      return "T1";
    case SettlementCycle::kD0:
      return "D0";
  }
  return "unknown";
}

absl::Status ValidatePlan(const FeePlan& plan) {
  if (plan.id.empty() || plan.id.size() > kMaxIdLength ||
      !std::all_of(plan.id.begin(), plan.id.end(), IsIdChar)) {
    return common::InvalidField("id", "must be 1 to 64 characters of a-z, 0-9 and '-'");
  }
  return ValidatePlanTerms(plan);
}

absl::Status ValidatePlanTerms(const FeePlan& plan) {
  for (Channel channel : kAllChannels) {
    if (!IsPpm(plan.RatePpm(channel))) {
      return common::InvalidField(
          "rate_ppm", absl::StrCat(ChannelName(channel), " rate ", plan.RatePpm(channel),
                                   " ppm is outside 0..1000000 (0% to 100%)"));
    }
  }
  if (!IsPpm(plan.channel_cost_ppm)) {
    return common::InvalidField(
        "channel_cost_ppm",
        absl::StrCat(plan.channel_cost_ppm, " ppm is outside 0..1000000 (0% to 100%)"));
  }
  if (plan.cap_minor.has_value()) {
    if (*plan.cap_minor < 0) return common::InvalidField("cap", "must not be negative");
    if (plan.min_fee_minor.has_value() && *plan.cap_minor < *plan.min_fee_minor) {
      return common::InvalidField(
          "cap",
          absl::StrCat("cap ", *plan.cap_minor, " is below the minimum fee ", *plan.min_fee_minor));
    }
  }
  if (plan.min_fee_minor.has_value() && *plan.min_fee_minor < 0) {
    return common::InvalidField("min", "must not be negative");
  }
  if (plan.max_amount_minor <= 0 || plan.max_amount_minor > kMaxAmountLimit) {
    return common::InvalidField("max_amount", "must be between 1 and 10^15 minor units");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::fee
