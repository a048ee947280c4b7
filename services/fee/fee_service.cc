#include "services/fee/fee_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/fee/domain/refund.h"

namespace aggpay::fee {
namespace {

namespace v1 = aggpay::v1;
using common::InvalidField;
using common::ToGrpcStatus;

#define AGGPAY_RETURN_GRPC(expr)                                     \
  do {                                                               \
    if (absl::Status s_ = (expr); !s_.ok()) return ToGrpcStatus(s_); \
  } while (false)

// Amounts given as optional money fields: absent means "none" (cap, min) or the default.
absl::StatusOr<std::optional<int64_t>> OptionalMinor(bool has, const v1::Money& m,
                                                     common::Currency currency,
                                                     absl::string_view field) {
  if (!has) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(common::Money money, common::FromProto(m, field));
  if (!(money.currency() == currency)) {
    return InvalidField(absl::StrCat(field, ".currency"),
                        absl::StrCat("must be the plan's currency ", currency.code()));
  }
  return std::optional<int64_t>(money.amount_minor());
}

absl::StatusOr<FeePlan> PlanFromSpec(const std::string& plan_id, const v1::FeePlanSpec& spec) {
  ASSIGN_OR_RETURN(common::Currency currency,
                   common::Currency::Find(spec.currency(), "spec.currency"));
  FeePlan plan{.currency = currency};
  plan.id = plan_id;
  auto settlement = ParseSettlementCycle(spec.settlement());
  if (!settlement.ok()) return InvalidField("spec.settlement", "must be T1 or D0");
  plan.settlement = *settlement;
  plan.rate_ppm = {spec.rate_ppm(), spec.rate_ppm(), spec.rate_ppm()};
  for (const auto& [name, ppm] : spec.channel_rate_ppm()) {
    auto channel = ParseChannel(name);
    if (!channel.ok()) {
      return InvalidField("spec.channel_rate_ppm", absl::StrCat("unknown channel \"", name,
                                                                "\" (wechat, alipay, unionpay)"));
    }
    plan.rate_ppm[static_cast<size_t>(*channel)] = ppm;
  }
  ASSIGN_OR_RETURN(plan.cap_minor, OptionalMinor(spec.has_cap(), spec.cap(), currency, "spec.cap"));
  ASSIGN_OR_RETURN(plan.min_fee_minor,
                   OptionalMinor(spec.has_min(), spec.min(), currency, "spec.min"));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> max,
      OptionalMinor(spec.has_max_amount(), spec.max_amount(), currency, "spec.max_amount"));
  if (max) plan.max_amount_minor = *max;
  plan.channel_cost_ppm = spec.channel_cost_ppm();
  auto rounding = common::ParseRoundingMode(spec.rounding());
  if (!rounding.ok())
    return InvalidField("spec.rounding", "must be half_up, half_even, down or up");
  plan.rounding = *rounding;
  plan.requires_corporate_account = spec.requires_corporate_account();
  if (spec.has_effective_from()) plan.effective_from = common::FromProtoTime(spec.effective_from());
  return plan;
}

void ToProto(const FeePlan& p, v1::FeePlan* out) {
  out->set_plan_id(p.id);
  out->set_version(p.version);
  out->set_currency(std::string(p.currency.code()));
  out->set_settlement(std::string(SettlementCycleName(p.settlement)));
  out->set_wechat_rate_ppm(p.RatePpm(Channel::kWechat));
  out->set_alipay_rate_ppm(p.RatePpm(Channel::kAlipay));
  out->set_unionpay_rate_ppm(p.RatePpm(Channel::kUnionpay));
  if (p.cap_minor) *out->mutable_cap() = common::ToProto(common::Money(*p.cap_minor, p.currency));
  if (p.min_fee_minor) {
    *out->mutable_min() = common::ToProto(common::Money(*p.min_fee_minor, p.currency));
  }
  out->set_channel_cost_ppm(p.channel_cost_ppm);
  out->set_rounding(std::string(common::RoundingModeName(p.rounding)));
  *out->mutable_max_amount() = common::ToProto(common::Money(p.max_amount_minor, p.currency));
  out->set_requires_corporate_account(p.requires_corporate_account);
  *out->mutable_effective_from() = common::ToProtoTime(p.effective_from);
}

void ToProto(const PlanAssignment& a, const FeePlan& plan, v1::PlanAssignment* out) {
  out->set_merchant_id(a.merchant_id);
  out->set_plan_id(a.plan_id);
  *out->mutable_effective_from() = common::ToProtoTime(a.effective_from);
  ToProto(plan, out->mutable_plan());
}

absl::StatusOr<std::vector<std::pair<common::Money, Channel>>> PaymentLines(
    const google::protobuf::RepeatedPtrField<v1::PaymentLine>& lines) {
  if (lines.size() > 100000) return InvalidField("payments", "at most 100,000 payments at once");
  std::vector<std::pair<common::Money, Channel>> out;
  out.reserve(static_cast<size_t>(lines.size()));
  for (int i = 0; i < lines.size(); ++i) {
    const std::string field = absl::StrCat("payments[", i, "]");
    ASSIGN_OR_RETURN(common::Money amount,
                     common::FromProto(lines[i].amount(), absl::StrCat(field, ".amount")));
    auto channel = ParseChannel(lines[i].channel());
    if (!channel.ok()) {
      return InvalidField(absl::StrCat(field, ".channel"), "must be wechat, alipay or unionpay");
    }
    out.emplace_back(amount, *channel);
  }
  return out;
}

}  // namespace

grpc::Status FeeServiceImpl::CreatePlan(grpc::ServerContext* ctx, const v1::CreatePlanRequest* req,
                                        v1::FeePlan* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("fee_plan:", req->plan_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto plan = PlanFromSpec(req->plan_id(), req->spec());
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  auto created = ops_.CreatePlan(*plan, req->spec().has_effective_from());
  if (!created.ok()) return ToGrpcStatus(created.status());
  ToProto(*created, resp);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::UpdatePlan(grpc::ServerContext* ctx, const v1::UpdatePlanRequest* req,
                                        v1::FeePlan* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("fee_plan:", req->plan_id()));
  AGGPAY_AUTHORIZE(ctx);
  AGGPAY_RETURN_GRPC(common::ValidateId(req->plan_id(), "plan_id"));
  auto plan = PlanFromSpec(req->plan_id(), req->spec());
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  auto updated = ops_.UpdatePlan(*plan, req->spec().has_effective_from());
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  ToProto(*updated, resp);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::GetPlan(grpc::ServerContext* ctx, const v1::GetPlanRequest* req,
                                     v1::FeePlan* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto plan =
      ops_.GetPlan(req->plan_id(), req->version(), common::OptionalTime(req->has_at(), req->at()));
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  ToProto(*plan, resp);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::ListPlans(grpc::ServerContext* ctx, const v1::ListPlansRequest* req,
                                       v1::ListPlansResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto after = common::DecodePageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  auto plans = ops_.ListPlans(*after, *size + 1);
  if (!plans.ok()) return ToGrpcStatus(plans.status());
  const bool more = static_cast<int>(plans->size()) > *size;
  if (more) plans->pop_back();
  for (const auto& p : *plans) ToProto(p, resp->add_plans());
  if (more) resp->set_next_page_token(common::EncodePageToken(plans->back().id));
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::AssignPlan(grpc::ServerContext* ctx, const v1::AssignPlanRequest* req,
                                        v1::PlanAssignment* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", req->merchant_id()),
                         absl::StrCat("plan_id=", req->plan_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto assigned =
      ops_.AssignPlan(req->merchant_id(), req->plan_id(),
                      common::OptionalTime(req->has_effective_from(), req->effective_from()));
  if (!assigned.ok()) return ToGrpcStatus(assigned.status());
  ToProto(assigned->first, assigned->second, resp);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::GetMerchantPlan(grpc::ServerContext* ctx,
                                             const v1::GetMerchantPlanRequest* req,
                                             v1::PlanAssignment* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto found = ops_.MerchantPlan(*merchant, common::OptionalTime(req->has_at(), req->at()));
  if (!found.ok()) return ToGrpcStatus(found.status());
  ToProto(found->first, found->second, resp);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::Quote(grpc::ServerContext* ctx, const v1::QuoteRequest* req,
                                   v1::QuoteResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  std::string merchant_id = req->merchant_id();
  if (principal_or->is_merchant()) {
    auto scoped = common::MerchantScope(*principal_or, req->merchant_id());
    if (!scoped.ok()) return ToGrpcStatus(scoped.status());
    if (req->plan_id().empty()) merchant_id = *scoped;
  }
  auto channel = ParseChannel(req->channel());
  if (!channel.ok()) return ToGrpcStatus(channel.status());
  if (!req->has_amount()) return ToGrpcStatus(InvalidField("amount", "is required"));
  auto amount = common::FromProto(req->amount(), "amount");
  if (!amount.ok()) return ToGrpcStatus(amount.status());
  auto quote = ops_.QuoteFee(req->plan_id(), merchant_id, *channel, *amount,
                             common::OptionalTime(req->has_at(), req->at()));
  if (!quote.ok()) return ToGrpcStatus(quote.status());
  *resp->mutable_fee() = common::ToProto(quote->quote.fee);
  *resp->mutable_net() = common::ToProto(quote->quote.net);
  resp->set_plan_id(quote->plan_id);
  resp->set_plan_version(quote->plan_version);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::RefundFee(grpc::ServerContext* ctx, const v1::RefundFeeRequest* req,
                                       v1::RefundFeeResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto payment_amount = common::FromProto(req->payment_amount(), "payment_amount");
  auto payment_fee = common::FromProto(req->payment_fee(), "payment_fee");
  if (!payment_amount.ok()) return ToGrpcStatus(payment_amount.status());
  if (!payment_fee.ok()) return ToGrpcStatus(payment_fee.status());
  const common::Currency currency = payment_amount->currency();
  // Earlier totals may be omitted for a first refund.
  const auto or_zero = [&](bool has, const v1::Money& m,
                           absl::string_view field) -> absl::StatusOr<common::Money> {
    if (!has) return common::Money::Zero(currency);
    return common::FromProto(m, field);
  };
  auto refunded_before =
      or_zero(req->has_refunded_before(), req->refunded_before(), "refunded_before");
  auto returned_before =
      or_zero(req->has_fee_returned_before(), req->fee_returned_before(), "fee_returned_before");
  auto refund = common::FromProto(req->refund_amount(), "refund_amount");
  for (const absl::Status& s :
       {refunded_before.status(), returned_before.status(), refund.status()}) {
    if (!s.ok()) return ToGrpcStatus(s);
  }
  auto fee_return = FeeToReturn(
      RefundFeeInput{*payment_amount, *payment_fee, *refunded_before, *returned_before, *refund});
  if (!fee_return.ok()) return ToGrpcStatus(fee_return.status());
  *resp->mutable_fee_return() = common::ToProto(*fee_return);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::SplitFee(grpc::ServerContext* ctx, const v1::SplitFeeRequest* req,
                                      v1::SplitFeeResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto payments = PaymentLines(req->payments());
  if (!payments.ok()) return ToGrpcStatus(payments.status());
  std::vector<std::string> chain(req->agent_chain().begin(), req->agent_chain().end());
  auto result = ops_.Split(req->plan_id(), req->plan_version(), chain, *payments);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (size_t i = 0; i < result->splits.size(); ++i) {
    const ProfitShare& s = result->splits[i];
    auto* out = resp->add_splits();
    *out->mutable_amount() = common::ToProto((*payments)[i].first);
    auto fee = s.channel_cost.Add(s.provider_margin);
    common::Money total_fee = *fee;
    for (const auto& a : s.agent_shares) total_fee = *total_fee.Add(a.share);
    *out->mutable_fee() = common::ToProto(total_fee);
    *out->mutable_channel_cost() = common::ToProto(s.channel_cost);
    for (const auto& a : s.agent_shares) {
      auto* line = out->add_agent_shares();
      line->set_agent_id(a.agent_id);
      *line->mutable_share() = common::ToProto(a.share);
    }
    *out->mutable_provider_margin() = common::ToProto(s.provider_margin);
  }
  for (const auto& a : result->agent_totals) {
    auto* line = resp->add_agent_totals();
    line->set_agent_id(a.agent_id);
    *line->mutable_share() = common::ToProto(a.share);
  }
  *resp->mutable_total_fee() = common::ToProto(result->total_fee);
  *resp->mutable_total_channel_cost() = common::ToProto(result->total_channel_cost);
  *resp->mutable_total_provider_margin() = common::ToProto(result->total_provider_margin);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::SetAgentCostRate(grpc::ServerContext* ctx,
                                              const v1::SetAgentCostRateRequest* req,
                                              v1::AgentCostRate* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("agent:", req->agent_id()),
                         absl::StrCat("cost_ppm=", req->cost_ppm()));
  AGGPAY_AUTHORIZE(ctx);
  auto cost = ops_.SetAgentCost(req->agent_id(), req->cost_ppm());
  if (!cost.ok()) return ToGrpcStatus(cost.status());
  resp->set_agent_id(cost->agent_id);
  resp->set_cost_ppm(cost->cost_ppm);
  *resp->mutable_updated_at() = common::ToProtoTime(cost->updated_at);
  return grpc::Status::OK;
}

grpc::Status FeeServiceImpl::ComparePlans(grpc::ServerContext* ctx,
                                          const v1::ComparePlansRequest* req,
                                          v1::ComparePlansResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto payments = PaymentLines(req->payments());
  if (!payments.ok()) return ToGrpcStatus(payments.status());
  std::vector<std::string> ids(req->plan_ids().begin(), req->plan_ids().end());
  auto compared = ops_.Compare(ids, *payments);
  if (!compared.ok()) return ToGrpcStatus(compared.status());
  for (const auto& c : *compared) {
    auto* out = resp->add_totals();
    out->set_plan_id(c.plan.id);
    out->set_plan_version(c.plan.version);
    *out->mutable_total_fee() = common::ToProto(c.totals.total_fee);
    *out->mutable_total_net() = common::ToProto(c.totals.total_net);
  }
  return grpc::Status::OK;
}

}  // namespace aggpay::fee
