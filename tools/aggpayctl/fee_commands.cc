#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aggpay/v1/fee.grpc.pb.h"
#include "services/common/money/money.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;
using google::protobuf::util::TimeUtil;

// Options of every fee command; one instance lives as long as the command line.
struct FeeArgs {
  std::string plan_id;
  std::string merchant_id;
  std::string channel;
  std::string amount;
  std::string currency = "CNY";
  std::string settlement;
  int64_t rate_ppm = -1;
  std::vector<std::string> channel_rates;
  std::string cap;
  std::string min;
  std::string max_amount;
  int64_t channel_cost_ppm = 0;
  std::string rounding;
  bool corporate_required = false;
  std::string effective_from;
  int64_t version = 0;
  int page_size = 0;
  std::string page_token;
  std::string payment_amount;
  std::string payment_fee;
  std::string refunded_before;
  std::string returned_before;
  std::string refund_amount;
  std::string agent_id;
  int64_t cost_ppm = -1;
  std::vector<std::string> agents;
  std::vector<std::string> payments;
  std::vector<std::string> plans;
};

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status ParseTime(const std::string& text, const std::string& field,
                       google::protobuf::Timestamp* out) {
  if (!TimeUtil::FromString(text, out)) {
    return Invalid(absl::StrCat(field, ": want RFC 3339, e.g. 2026-12-01T00:00:00Z"));
  }
  return grpc::Status::OK;
}

grpc::Status BuildSpec(const FeeArgs& a, v1::FeePlanSpec* spec) {
  spec->set_currency(a.currency);
  spec->set_settlement(a.settlement);
  if (a.rate_ppm < 0) return Invalid("rate_ppm: --rate-ppm is required");
  spec->set_rate_ppm(a.rate_ppm);
  for (const auto& cr : a.channel_rates) {
    std::vector<std::string> kv = absl::StrSplit(cr, absl::MaxSplits('=', 1));
    int64_t ppm = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &ppm)) {
      return Invalid(absl::StrCat("channel_rate: want CHANNEL=PPM, got \"", cr, "\""));
    }
    (*spec->mutable_channel_rate_ppm())[kv[0]] = ppm;
  }
  if (!a.cap.empty()) {
    if (auto s = ParseAmount(a.cap, a.currency, "cap", spec->mutable_cap()); !s.ok()) return s;
  }
  if (!a.min.empty()) {
    if (auto s = ParseAmount(a.min, a.currency, "min", spec->mutable_min()); !s.ok()) return s;
  }
  if (!a.max_amount.empty()) {
    if (auto s = ParseAmount(a.max_amount, a.currency, "max_amount", spec->mutable_max_amount());
        !s.ok()) {
      return s;
    }
  }
  spec->set_channel_cost_ppm(a.channel_cost_ppm);
  spec->set_rounding(a.rounding);
  spec->set_requires_corporate_account(a.corporate_required);
  if (!a.effective_from.empty()) {
    return ParseTime(a.effective_from, "effective_from", spec->mutable_effective_from());
  }
  return grpc::Status::OK;
}

grpc::Status ParsePayments(const FeeArgs& a,
                           google::protobuf::RepeatedPtrField<v1::PaymentLine>* out) {
  for (size_t i = 0; i < a.payments.size(); ++i) {
    std::vector<std::string> kv = absl::StrSplit(a.payments[i], absl::MaxSplits('=', 1));
    if (kv.size() != 2) {
      return Invalid(absl::StrCat("payments[", i, "]: want CHANNEL=AMOUNT, e.g. wechat=12.50"));
    }
    auto* line = out->Add();
    line->set_channel(kv[0]);
    if (auto s = ParseAmount(kv[1], a.currency, absl::StrCat("payments[", i, "].amount"),
                             line->mutable_amount());
        !s.ok()) {
      return s;
    }
  }
  return grpc::Status::OK;
}

void PrintPlan(const v1::FeePlan& p) {
  std::printf(
      "%s v%lld  %s %s  wechat=%lld alipay=%lld unionpay=%lld ppm  cap=%s min=%s  "
      "channel_cost=%lld ppm  %s%s  from %s\n",
      p.plan_id().c_str(), static_cast<long long>(p.version()), p.currency().c_str(),
      p.settlement().c_str(), static_cast<long long>(p.wechat_rate_ppm()),
      static_cast<long long>(p.alipay_rate_ppm()), static_cast<long long>(p.unionpay_rate_ppm()),
      p.has_cap() ? Decimal(p.cap()).c_str() : "none",
      p.has_min() ? Decimal(p.min()).c_str() : "none", static_cast<long long>(p.channel_cost_ppm()),
      p.rounding().c_str(), p.requires_corporate_account() ? " corporate-account" : "",
      TimeUtil::ToString(p.effective_from()).c_str());
}

void AddSpecOptions(CLI::App* cmd, FeeArgs& a) {
  cmd->add_option("--currency", a.currency, "ISO 4217 code (CNY, USD, EUR, JPY, ...)")->required();
  cmd->add_option("--settlement", a.settlement, "T1 or D0")->required();
  cmd->add_option("--rate-ppm", a.rate_ppm, "rate on every channel, parts per million")->required();
  cmd->add_option("--channel-rate", a.channel_rates, "CHANNEL=PPM override (repeatable)");
  cmd->add_option("--cap", a.cap, "per-transaction cap, in major units");
  cmd->add_option("--min", a.min, "minimum fee, in major units");
  cmd->add_option("--max-amount", a.max_amount, "largest accepted amount, in major units");
  cmd->add_option("--channel-cost-ppm", a.channel_cost_ppm, "the channel's cost to the provider");
  cmd->add_option("--rounding", a.rounding, "half_up (default), half_even, down, up");
  cmd->add_flag("--corporate-required", a.corporate_required,
                "merchants need a corporate settlement account");
  cmd->add_option("--effective-from", a.effective_from, "RFC 3339 time; default now");
}

}  // namespace

void AddFeeCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<FeeArgs>();
  auto stub = [&ctl] { return v1::FeeService::NewStub(ctl.channel); };
  auto* fee = app.add_subcommand("fee", "fee plans, quotes, refunds and profit share");
  fee->require_subcommand(1);

  auto* quote = fee->add_subcommand("quote", "the fee and net of one payment");
  quote->add_option("--plan", a->plan_id, "plan id");
  quote->add_option("--merchant", a->merchant_id, "quote under this merchant's plan instead");
  quote->add_option("--channel", a->channel, "wechat, alipay or unionpay")->required();
  quote->add_option("--amount", a->amount, "amount in major units, e.g. 123.45")->required();
  quote->add_option("--currency", a->currency, "ISO 4217 code");
  quote->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::QuoteRequest r;
      r.set_plan_id(a->plan_id);
      r.set_merchant_id(a->merchant_id);
      r.set_channel(a->channel);
      if (auto s = ParseAmount(a->amount, a->currency, "amount", r.mutable_amount()); !s.ok()) {
        return PrintError(s);
      }
      v1::QuoteResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->Quote(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("fee %s  net %s  (plan %s v%lld)\n", Decimal(resp.fee()).c_str(),
                    Decimal(resp.net()).c_str(), resp.plan_id().c_str(),
                    static_cast<long long>(resp.plan_version()));
      });
    };
  });

  auto* plan = fee->add_subcommand("plan", "fee plans");
  plan->require_subcommand(1);
  auto* create = plan->add_subcommand("create", "create a plan (version 1)");
  create->add_option("--id", a->plan_id, "plan id: a-z, 0-9 and -")->required();
  AddSpecOptions(create, *a);
  auto* update = plan->add_subcommand("update", "add a new version of a plan");
  update->add_option("plan_id", a->plan_id)->required();
  AddSpecOptions(update, *a);
  for (auto* cmd : {create, update}) {
    const bool is_create = cmd == create;
    cmd->callback([&ctl, stub, a, is_create] {
      ctl.run = [&ctl, stub, a, is_create] {
        v1::FeePlanSpec spec;
        if (auto s = BuildSpec(*a, &spec); !s.ok()) return PrintError(s);
        v1::FeePlan resp;
        auto ctx = ctl.Context();
        grpc::Status s;
        if (is_create) {
          v1::CreatePlanRequest r;
          r.set_plan_id(a->plan_id);
          *r.mutable_spec() = spec;
          s = stub()->CreatePlan(ctx.get(), r, &resp);
        } else {
          v1::UpdatePlanRequest r;
          r.set_plan_id(a->plan_id);
          *r.mutable_spec() = spec;
          s = stub()->UpdatePlan(ctx.get(), r, &resp);
        }
        if (!s.ok()) return PrintError(s);
        return Print(ctl, resp, [&] { PrintPlan(resp); });
      };
    });
  }

  auto* get = plan->add_subcommand("get", "a plan's current (or a named) version");
  get->add_option("plan_id", a->plan_id)->required();
  get->add_option("--version", a->version, "a specific version");
  get->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::GetPlanRequest r;
      r.set_plan_id(a->plan_id);
      r.set_version(a->version);
      v1::FeePlan resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->GetPlan(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] { PrintPlan(resp); });
    };
  });

  auto* list = plan->add_subcommand("list", "every plan's newest version");
  list->add_option("--page-size", a->page_size);
  list->add_option("--page-token", a->page_token);
  list->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListPlansRequest r;
      r.set_page_size(a->page_size);
      r.set_page_token(a->page_token);
      v1::ListPlansResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListPlans(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& p : resp.plans()) PrintPlan(p);
        if (!resp.next_page_token().empty()) {
          std::printf("next page: --page-token %s\n", resp.next_page_token().c_str());
        }
      });
    };
  });

  auto* assign = plan->add_subcommand("assign", "put a merchant on a plan");
  assign->add_option("merchant_id", a->merchant_id)->required();
  assign->add_option("plan_id", a->plan_id)->required();
  assign->add_option("--effective-from", a->effective_from, "RFC 3339 time; default now");
  assign->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::AssignPlanRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_plan_id(a->plan_id);
      if (!a->effective_from.empty()) {
        if (auto s = ParseTime(a->effective_from, "effective_from", r.mutable_effective_from());
            !s.ok()) {
          return PrintError(s);
        }
      }
      v1::PlanAssignment resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->AssignPlan(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("merchant %s on %s v%lld from %s\n", resp.merchant_id().c_str(),
                    resp.plan_id().c_str(), static_cast<long long>(resp.plan().version()),
                    TimeUtil::ToString(resp.effective_from()).c_str());
      });
    };
  });

  auto* merchant = plan->add_subcommand("merchant", "the plan a merchant is on now");
  merchant->add_option("merchant_id", a->merchant_id)->required();
  merchant->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::GetMerchantPlanRequest r;
      r.set_merchant_id(a->merchant_id);
      v1::PlanAssignment resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->GetMerchantPlan(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] { PrintPlan(resp.plan()); });
    };
  });

  auto* refund = fee->add_subcommand("refund-fee", "the fee returned with a (partial) refund");
  refund->add_option("--payment-amount", a->payment_amount)->required();
  refund->add_option("--payment-fee", a->payment_fee)->required();
  refund->add_option("--refund", a->refund_amount, "this refund's amount")->required();
  refund->add_option("--refunded-before", a->refunded_before, "sum of earlier refunds");
  refund->add_option("--returned-before", a->returned_before, "fee returned by earlier refunds");
  refund->add_option("--currency", a->currency);
  refund->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::RefundFeeRequest r;
      std::vector<std::tuple<std::string, std::string, v1::Money*>> fields = {
          {a->payment_amount, "payment_amount", r.mutable_payment_amount()},
          {a->payment_fee, "payment_fee", r.mutable_payment_fee()},
          {a->refund_amount, "refund_amount", r.mutable_refund_amount()}};
      if (!a->refunded_before.empty()) {
        fields.emplace_back(a->refunded_before, "refunded_before", r.mutable_refunded_before());
      }
      if (!a->returned_before.empty()) {
        fields.emplace_back(a->returned_before, "fee_returned_before",
                            r.mutable_fee_returned_before());
      }
      for (auto& [text, field, out] : fields) {
        if (auto s = ParseAmount(text, a->currency, field, out); !s.ok()) return PrintError(s);
      }
      v1::RefundFeeResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->RefundFee(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp,
                   [&] { std::printf("fee to return %s\n", Decimal(resp.fee_return()).c_str()); });
    };
  });

  auto* agent = fee->add_subcommand("agent", "agents' cost rates");
  agent->require_subcommand(1);
  auto* set_rate = agent->add_subcommand("set-rate", "set what an agent pays the level above");
  set_rate->add_option("agent_id", a->agent_id)->required();
  set_rate->add_option("--cost-ppm", a->cost_ppm)->required();
  set_rate->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::SetAgentCostRateRequest r;
      r.set_agent_id(a->agent_id);
      r.set_cost_ppm(a->cost_ppm);
      v1::AgentCostRate resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->SetAgentCostRate(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("agent %s cost %lld ppm\n", resp.agent_id().c_str(),
                    static_cast<long long>(resp.cost_ppm()));
      });
    };
  });

  auto* split = fee->add_subcommand("split", "profit share of payments (分润)");
  split->add_option("--plan", a->plan_id)->required();
  split->add_option("--version", a->version, "plan version; default current");
  split->add_option("--agents", a->agents, "agent ids, top first (comma separated)")
      ->delimiter(',');
  split->add_option("--payment", a->payments, "CHANNEL=AMOUNT (repeatable)")->required();
  split->add_option("--currency", a->currency);
  split->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::SplitFeeRequest r;
      r.set_plan_id(a->plan_id);
      r.set_plan_version(a->version);
      for (const auto& id : a->agents) r.add_agent_chain(id);
      if (auto s = ParsePayments(*a, r.mutable_payments()); !s.ok()) return PrintError(s);
      v1::SplitFeeResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->SplitFee(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("total fee %s: channel %s, provider %s\n", Decimal(resp.total_fee()).c_str(),
                    Decimal(resp.total_channel_cost()).c_str(),
                    Decimal(resp.total_provider_margin()).c_str());
        for (const auto& t : resp.agent_totals()) {
          std::printf("  agent %s %s\n", t.agent_id().c_str(), Decimal(t.share()).c_str());
        }
      });
    };
  });

  auto* compare = fee->add_subcommand("compare", "what the same payments cost under each plan");
  compare->add_option("--plan", a->plans, "plan id (repeatable)")->required();
  compare->add_option("--payment", a->payments, "CHANNEL=AMOUNT (repeatable)")->required();
  compare->add_option("--currency", a->currency);
  compare->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ComparePlansRequest r;
      for (const auto& p : a->plans) r.add_plan_ids(p);
      if (auto s = ParsePayments(*a, r.mutable_payments()); !s.ok()) return PrintError(s);
      v1::ComparePlansResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ComparePlans(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& t : resp.totals()) {
          std::printf("%-24s v%-3lld fee %-16s net %s\n", t.plan_id().c_str(),
                      static_cast<long long>(t.plan_version()), Decimal(t.total_fee()).c_str(),
                      Decimal(t.total_net()).c_str());
        }
      });
    };
  });
}

}  // namespace aggpay::ctl
