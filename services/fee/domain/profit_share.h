#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/money/money.h"

namespace aggpay::fee {

// One agent (代理商) in the chain that signed a merchant, with the rate the level above (or, for
// the top agent, the provider) charges it.
struct AgentLevel {
  std::string agent_id{};
  int64_t cost_ppm = 0;
};

struct ProfitShareInput {
  common::Money amount;  // the payment
  common::Money fee;     // the fee actually charged on it, after any cap or minimum
  int64_t merchant_rate_ppm = 0;
  int64_t channel_cost_ppm = 0;
  // From the top agent (signed with the provider) down to the merchant's own agent; may be
  // empty. A view: the chain must outlive the call.
  std::span<const AgentLevel> agent_chain{};
};

struct AgentShare {
  std::string agent_id;
  common::Money share;
};

// channel_cost + sum(agent_shares) + provider_margin == fee, always, to the minor unit.
struct ProfitShare {
  common::Money channel_cost;
  std::vector<AgentShare> agent_shares;  // in agent_chain order
  common::Money provider_margin;         // negative when the fee is capped below channel cost
};

// Splits one payment's fee (分润).
// - channel_cost = round_half_up(amount * channel_cost_ppm / 10^6). It is what the channel
//   charges, so it is not limited to the fee.
// - Each agent earns truncate(amount * (rate of the level below - its cost) / 10^6), where the
//   level below the bottom agent is the merchant. Shares are paid only out of what is left of
//   the fee after channel cost: when they would exceed it (a capped fee), they are scaled down
//   in proportion, by the largest-remainder method, to exactly what is left (zero if nothing).
// - provider_margin = fee - channel_cost - sum(shares): the provider keeps every residue
//   (rounding, a minimum fee) and bears any loss.
// Errors: INVALID_ARGUMENT naming "currency" (fee and amount differ), "amount" (not in
// 1..10^15), "fee" (negative), "merchant_rate_ppm" and "channel_cost_ppm" (outside
// 0..1,000,000), "agent_chain" (an empty or repeated agent_id, a negative cost, a cost lower than
// the one above it, or a cost above the merchant rate).
absl::StatusOr<ProfitShare> SplitFee(const ProfitShareInput& input);

// Each agent's total share over many payments, one entry per (agent_id, currency), ordered by
// agent_id and then currency code. OUT_OF_RANGE if a total overflows.
absl::StatusOr<std::vector<AgentShare>> AgentTotals(std::span<const ProfitShare> results);

}  // namespace aggpay::fee
