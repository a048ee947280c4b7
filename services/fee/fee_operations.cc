#include "services/fee/fee_operations.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::fee {
namespace {

using common::InvalidField;

// A plan change may be dated a little before "now" to absorb clock skew between callers, but
// never so far back that it would reprice payments already charged.
constexpr absl::Duration kBackdateTolerance = absl::Minutes(1);

absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Status NotFoundPlan(const std::string& plan_id) {
  return absl::NotFoundError(absl::StrCat("fee plan \"", plan_id, "\" not found"));
}

}  // namespace

absl::Time FeeOperations::Now() const { return Micros(clock_.Now()); }

absl::StatusOr<FeePlan> FeeOperations::CreatePlan(FeePlan plan, bool has_effective_from) {
  plan.version = 1;
  if (!has_effective_from) plan.effective_from = Now();
  plan.effective_from = Micros(plan.effective_from);
  RETURN_IF_ERROR(ValidatePlan(plan));
  RETURN_IF_ERROR(repo_.CreatePlan(plan, Now()));
  return plan;
}

absl::StatusOr<FeePlan> FeeOperations::UpdatePlan(FeePlan plan, bool has_effective_from) {
  const absl::Time now = Now();
  if (!has_effective_from) plan.effective_from = now;
  plan.effective_from = Micros(plan.effective_from);
  if (plan.effective_from < now - kBackdateTolerance) {
    return InvalidField("spec.effective_from",
                        "must not be in the past: a plan change never reprices past payments");
  }
  RETURN_IF_ERROR(ValidatePlan(plan));
  ASSIGN_OR_RETURN(std::optional<FeePlan> current,
                   repo_.GetEffective(plan.id, absl::InfiniteFuture()));
  if (!current.has_value()) return NotFoundPlan(plan.id);
  if (!(current->currency == plan.currency)) {
    return common::FailedPreconditionField(
        "spec.currency", absl::StrCat("plan \"", plan.id, "\" is in ", current->currency.code(),
                                      "; a plan's currency cannot change"));
  }
  return repo_.AddVersion(plan, now);
}

absl::StatusOr<FeePlan> FeeOperations::GetPlan(const std::string& plan_id, int64_t version,
                                               std::optional<absl::Time> at) {
  RETURN_IF_ERROR(common::ValidateId(plan_id, "plan_id"));
  if (version < 0) return InvalidField("version", "must not be negative");
  std::optional<FeePlan> plan;
  if (version > 0) {
    ASSIGN_OR_RETURN(plan, repo_.GetVersion(plan_id, version));
    if (!plan) {
      return absl::NotFoundError(
          absl::StrCat("fee plan \"", plan_id, "\" has no version ", version));
    }
  } else {
    ASSIGN_OR_RETURN(plan, repo_.GetEffective(plan_id, at.value_or(Now())));
    if (!plan) return NotFoundPlan(plan_id);
  }
  return *plan;
}

absl::StatusOr<std::vector<FeePlan>> FeeOperations::ListPlans(const std::string& after, int limit) {
  return repo_.ListLatest(after, limit);
}

absl::StatusOr<std::pair<PlanAssignment, FeePlan>> FeeOperations::AssignPlan(
    const std::string& merchant_id, const std::string& plan_id,
    std::optional<absl::Time> effective_from) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateId(plan_id, "plan_id"));
  const absl::Time now = Now();
  PlanAssignment a{merchant_id, plan_id, Micros(effective_from.value_or(now))};
  if (a.effective_from < now - kBackdateTolerance) {
    return InvalidField("effective_from", "must not be in the past");
  }
  // The plan must be in force when the assignment starts.
  ASSIGN_OR_RETURN(std::optional<FeePlan> plan, repo_.GetEffective(plan_id, a.effective_from));
  if (!plan) {
    ASSIGN_OR_RETURN(std::optional<FeePlan> later,
                     repo_.GetEffective(plan_id, absl::InfiniteFuture()));
    if (!later) return NotFoundPlan(plan_id);
    return common::FailedPreconditionField(
        "effective_from", absl::StrCat("plan \"", plan_id, "\" is not in force yet at that time"));
  }
  RETURN_IF_ERROR(repo_.Assign(a, now));
  return std::make_pair(a, *plan);
}

absl::StatusOr<std::pair<PlanAssignment, FeePlan>> FeeOperations::MerchantPlan(
    const std::string& merchant_id, std::optional<absl::Time> at) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  const absl::Time when = at.value_or(Now());
  ASSIGN_OR_RETURN(std::optional<PlanAssignment> a, repo_.GetAssignment(merchant_id, when));
  if (!a) {
    return absl::NotFoundError(absl::StrCat("merchant ", merchant_id, " is on no fee plan"));
  }
  ASSIGN_OR_RETURN(std::optional<FeePlan> plan, repo_.GetEffective(a->plan_id, when));
  if (!plan) return NotFoundPlan(a->plan_id);
  return std::make_pair(*a, *plan);
}

absl::StatusOr<std::pair<PlanAssignment, FeePlan>> FeeOperations::CurrentMerchantPlan(
    const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  // Read before anything else: a change committed after this read moves the generation, so a
  // copy stamped with it is never trusted past that change.
  ASSIGN_OR_RETURN(int64_t generation, repo_.Generation());
  const absl::Time now = Now();
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(merchant_id);
    if (it != cache_.end() && it->second.generation == generation && now < it->second.valid_until) {
      return std::make_pair(it->second.assignment, it->second.plan);
    }
  }
  ASSIGN_OR_RETURN(auto current, MerchantPlan(merchant_id, now));
  ASSIGN_OR_RETURN(absl::Time next, repo_.NextChangeAfter(merchant_id, current.first.plan_id, now));
  std::lock_guard lock(cache_mu_);
  if (cache_.size() > 100000) cache_.clear();
  cache_.insert_or_assign(merchant_id, CachedPlan{current.first, current.second, generation, next});
  return current;
}

absl::StatusOr<QuoteResult> FeeOperations::QuoteFee(const std::string& plan_id,
                                                    const std::string& merchant_id, Channel channel,
                                                    const common::Money& amount,
                                                    std::optional<absl::Time> at) {
  FeePlan plan{.currency = amount.currency()};
  if (!plan_id.empty() && !merchant_id.empty()) {
    return InvalidField("plan_id", "give either plan_id or merchant_id, not both");
  }
  if (!plan_id.empty()) {
    ASSIGN_OR_RETURN(plan, GetPlan(plan_id, 0, at));
  } else if (!merchant_id.empty()) {
    ASSIGN_OR_RETURN(auto assigned,
                     at ? MerchantPlan(merchant_id, at) : CurrentMerchantPlan(merchant_id));
    plan = assigned.second;
  } else {
    return InvalidField("plan_id", "name a plan_id or a merchant_id");
  }
  ASSIGN_OR_RETURN(Quote quote, fee::QuoteFee(plan, channel, amount));
  return QuoteResult{quote, plan.id, plan.version};
}

absl::StatusOr<SplitResult> FeeOperations::Split(
    const std::string& plan_id, int64_t version, const std::vector<std::string>& agent_chain,
    const std::vector<std::pair<common::Money, Channel>>& payments) {
  ASSIGN_OR_RETURN(FeePlan plan, GetPlan(plan_id, version, std::nullopt));
  if (payments.empty()) return InvalidField("payments", "at least one payment is required");
  for (size_t i = 0; i < agent_chain.size(); ++i) {
    RETURN_IF_ERROR(common::ValidateId(agent_chain[i], absl::StrCat("agent_chain[", i, "]")));
  }
  ASSIGN_OR_RETURN(std::vector<AgentCost> costs, repo_.GetAgentCosts(agent_chain));
  std::vector<AgentLevel> chain;
  chain.reserve(agent_chain.size());
  for (const auto& id : agent_chain) {
    auto it = std::find_if(costs.begin(), costs.end(),
                           [&](const AgentCost& c) { return c.agent_id == id; });
    if (it == costs.end()) {
      return absl::NotFoundError(absl::StrCat("agent ", id, " has no cost rate"));
    }
    chain.push_back(AgentLevel{id, it->cost_ppm});
  }
  SplitResult out{.splits = {},
                  .agent_totals = {},
                  .total_fee = common::Money::Zero(plan.currency),
                  .total_channel_cost = common::Money::Zero(plan.currency),
                  .total_provider_margin = common::Money::Zero(plan.currency)};
  for (size_t i = 0; i < payments.size(); ++i) {
    const auto& [amount, channel] = payments[i];
    auto quote = fee::QuoteFee(plan, channel, amount);
    if (!quote.ok()) {
      return InvalidField(absl::StrCat("payments[", i, "].amount"), quote.status().message());
    }
    ASSIGN_OR_RETURN(ProfitShare split,
                     SplitFee(ProfitShareInput{amount, quote->fee, plan.RatePpm(channel),
                                               plan.channel_cost_ppm, chain}));
    ASSIGN_OR_RETURN(out.total_fee, out.total_fee.Add(quote->fee));
    ASSIGN_OR_RETURN(out.total_channel_cost, out.total_channel_cost.Add(split.channel_cost));
    ASSIGN_OR_RETURN(out.total_provider_margin,
                     out.total_provider_margin.Add(split.provider_margin));
    out.splits.push_back(std::move(split));
  }
  ASSIGN_OR_RETURN(out.agent_totals, AgentTotals(out.splits));
  return out;
}

absl::StatusOr<AgentCost> FeeOperations::SetAgentCost(const std::string& agent_id,
                                                      int64_t cost_ppm) {
  RETURN_IF_ERROR(common::ValidateId(agent_id, "agent_id"));
  if (cost_ppm < 0 || cost_ppm > kPpmScale) {
    return InvalidField("cost_ppm", "must be between 0 and 1,000,000 (100%)");
  }
  return repo_.SetAgentCost(agent_id, cost_ppm, Now());
}

absl::StatusOr<std::vector<ComparedPlan>> FeeOperations::Compare(
    const std::vector<std::string>& plan_ids,
    const std::vector<std::pair<common::Money, Channel>>& lines) {
  if (plan_ids.empty()) return InvalidField("plan_ids", "name at least one plan");
  if (plan_ids.size() > 20) return InvalidField("plan_ids", "at most 20 plans at once");
  std::vector<FeePlan> plans;
  for (size_t i = 0; i < plan_ids.size(); ++i) {
    auto plan = GetPlan(plan_ids[i], 0, std::nullopt);
    if (absl::IsInvalidArgument(plan.status())) {
      return InvalidField(absl::StrCat("plan_ids[", i, "]"), plan.status().message());
    }
    if (!plan.ok()) return plan.status();
    plans.push_back(*std::move(plan));
  }
  std::vector<Payment> payments;
  payments.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!(lines[i].first.currency() == plans[0].currency)) {
      return InvalidField(
          absl::StrCat("payments[", i, "].amount.currency"),
          absl::StrCat("must be ", plans[0].currency.code(), ", the plans' currency"));
    }
    payments.push_back(Payment{lines[i].first.amount_minor(), lines[i].second});
  }
  ASSIGN_OR_RETURN(std::vector<PlanTotals> totals, ComparePlans(plans, payments));
  std::vector<ComparedPlan> out;
  for (size_t i = 0; i < plans.size(); ++i) out.push_back(ComparedPlan{plans[i], totals[i]});
  return out;
}

}  // namespace aggpay::fee
