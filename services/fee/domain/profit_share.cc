#include "services/fee/domain/profit_share.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/fee/domain/fee_calculator.h"
#include "services/fee/domain/fee_plan.h"

namespace aggpay::fee {
namespace {

bool IsPpm(int64_t ppm) { return ppm >= 0 && ppm <= kPpmScale; }

absl::Status ValidateChain(std::span<const AgentLevel> chain, int64_t merchant_rate_ppm) {
  for (size_t i = 0; i < chain.size(); ++i) {
    const AgentLevel& level = chain[i];
    if (level.agent_id.empty()) {
      return common::InvalidField("agent_chain", absl::StrCat("level ", i, " has no agent_id"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (chain[j].agent_id == level.agent_id) {
        return common::InvalidField("agent_chain",
                                    absl::StrCat("agent ", level.agent_id, " appears twice"));
      }
    }
    if (level.cost_ppm < 0) {
      return common::InvalidField("agent_chain",
                                  absl::StrCat("agent ", level.agent_id, " has a negative cost"));
    }
    if (i > 0 && level.cost_ppm < chain[i - 1].cost_ppm) {
      return common::InvalidField(
          "agent_chain", absl::StrCat("agent ", level.agent_id, " costs ", level.cost_ppm,
                                      " ppm, less than the ", chain[i - 1].cost_ppm,
                                      " ppm of agent ", chain[i - 1].agent_id, " above it"));
    }
  }
  if (!chain.empty() && chain.back().cost_ppm > merchant_rate_ppm) {
    return common::InvalidField(
        "agent_chain",
        absl::StrCat("agent ", chain.back().agent_id, " costs ", chain.back().cost_ppm,
                     " ppm, more than the merchant rate ", merchant_rate_ppm, " ppm"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProfitShare> SplitFee(const ProfitShareInput& input) {
  const common::Currency currency = input.amount.currency();
  if (!(input.fee.currency() == currency)) {
    return common::InvalidField(
        "currency", absl::StrCat("the fee is in ", input.fee.currency().code(), ", the amount in ",
                                 currency.code()));
  }
  const int64_t amount = input.amount.amount_minor();
  const int64_t fee = input.fee.amount_minor();
  if (amount <= 0 || amount > kMaxAmountLimit) {
    return common::InvalidField("amount", "must be between 1 and 10^15 minor units");
  }
  if (fee < 0) return common::InvalidField("fee", "must not be negative");
  if (!IsPpm(input.merchant_rate_ppm)) {
    return common::InvalidField("merchant_rate_ppm", "must be between 0 and 1000000");
  }
  if (!IsPpm(input.channel_cost_ppm)) {
    return common::InvalidField("channel_cost_ppm", "must be between 0 and 1000000");
  }
  RETURN_IF_ERROR(ValidateChain(input.agent_chain, input.merchant_rate_ppm));

  const int64_t channel_cost =
      ApplyRatePpm(amount, input.channel_cost_ppm, common::RoundingMode::kHalfUp);
  const std::span<const AgentLevel> chain = input.agent_chain;
  std::vector<int64_t> shares(chain.size());
  int64_t shares_total = 0;
  for (size_t i = 0; i < chain.size(); ++i) {
    const int64_t rate_below =
        i + 1 < chain.size() ? chain[i + 1].cost_ppm : input.merchant_rate_ppm;
    shares[i] = ApplyRatePpm(amount, rate_below - chain[i].cost_ppm, common::RoundingMode::kDown);
    shares_total += shares[i];
  }
  const int64_t available = std::max<int64_t>(fee - channel_cost, 0);
  if (shares_total > available) {
    ASSIGN_OR_RETURN(std::vector<common::Money> scaled,
                     common::Money(available, currency).Allocate(shares));
    shares_total = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      shares[i] = scaled[i].amount_minor();
      shares_total += shares[i];
    }
  }

  ProfitShare result{.channel_cost = common::Money(channel_cost, currency),
                     .agent_shares = {},
                     .provider_margin = common::Money(fee - channel_cost - shares_total, currency)};
  result.agent_shares.reserve(chain.size());
  for (size_t i = 0; i < chain.size(); ++i) {
    result.agent_shares.push_back({chain[i].agent_id, common::Money(shares[i], currency)});
  }
  return result;
}

absl::StatusOr<std::vector<AgentShare>> AgentTotals(std::span<const ProfitShare> results) {
  std::map<std::pair<std::string, std::string>, common::Money> totals;
  for (const ProfitShare& result : results) {
    for (const AgentShare& share : result.agent_shares) {
      auto [it, inserted] = totals.try_emplace(
          {share.agent_id, std::string(share.share.currency().code())}, share.share);
      if (!inserted) {
        ASSIGN_OR_RETURN(it->second, it->second.Add(share.share));
      }
    }
  }
  std::vector<AgentShare> out;
  out.reserve(totals.size());
  for (auto& [key, total] : totals) out.push_back({key.first, total});
  return out;
}

}  // namespace aggpay::fee
