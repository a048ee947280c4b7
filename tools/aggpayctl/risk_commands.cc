#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "aggpay/v1/risk.grpc.pb.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;

struct RiskArgs {
  std::string rule_id;
  std::vector<std::string> params;
  std::string action;
  std::string fail_mode;
  bool enable = false;
  bool disable = false;
  std::string reason;
  std::string merchant_id;
  std::string since;
  int page_size = 0;
  std::string page_token;
  std::string file;
  bool all = false;
  int64_t appeal_id = 0;
  bool approve = false;
  bool reject = false;
  std::string note;
};

std::string Hits(const google::protobuf::RepeatedPtrField<v1::RuleHit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) {
    std::vector<std::string> ev;
    for (const auto& [k, v] : h.evidence()) ev.push_back(absl::StrCat(k, "=", v));
    std::sort(ev.begin(), ev.end());
    out.push_back(absl::StrCat(h.rule_id(), ":", h.action(), " [", absl::StrJoin(ev, " "), "]"));
  }
  return absl::StrJoin(out, "; ");
}

void PrintRules(const v1::ListRulesResponse& r) {
  for (const auto& rule : r.rules()) {
    std::vector<std::string> ps;
    for (const auto& [k, v] : rule.params()) ps.push_back(absl::StrCat(k, "=", v));
    std::sort(ps.begin(), ps.end());
    std::printf("%-15s %-8s %-13s fail %-6s v%lld  %s\n", rule.rule_id().c_str(),
                rule.enabled() ? "enabled" : "disabled", rule.action().c_str(),
                rule.fail_mode().c_str(), static_cast<long long>(rule.version()),
                absl::StrJoin(ps, ",").c_str());
  }
}

void PrintRule(const v1::RiskRule& rule) {
  v1::ListRulesResponse r;
  *r.add_rules() = rule;
  PrintRules(r);
}

void PrintEvents(const v1::ListRiskEventsResponse& r) {
  for (const auto& e : r.events()) {
    std::printf("%lld  %s  %s  %s  %s\n", static_cast<long long>(e.event_id()),
                e.merchant_id().c_str(), e.decision().c_str(), Decimal(e.amount()).c_str(),
                Hits(e.hits()).c_str());
  }
  if (!r.next_page_token().empty()) std::printf("next page: %s\n", r.next_page_token().c_str());
}

void PrintFreeze(const v1::RiskFreeze& f) {
  std::printf("freeze %lld  %s  %s  %s  %s  %s\n", static_cast<long long>(f.freeze_id()),
              f.merchant_id().c_str(), f.kind().c_str(), f.status().c_str(), f.rule_id().c_str(),
              f.reason().c_str());
}

void PrintFreezes(const v1::ListFreezesResponse& r) {
  for (const auto& f : r.freezes()) PrintFreeze(f);
}

void PrintAppeal(const v1::Appeal& a) {
  std::printf("appeal %lld  %s  freeze %lld  %s  %d document(s)  %s\n",
              static_cast<long long>(a.appeal_id()), a.merchant_id().c_str(),
              static_cast<long long>(a.freeze_id()), a.status().c_str(), a.documents_size(),
              a.statement().c_str());
}

void PrintAppeals(const v1::ListAppealsResponse& r) {
  for (const auto& a : r.appeals()) PrintAppeal(a);
}

void PrintThresholds(const v1::AlertThresholds& t) {
  std::printf("%s  single payment over %s  hourly volume over %s  new region %s\n",
              t.merchant_id().c_str(), Decimal(t.single_payment_over()).c_str(),
              Decimal(t.hourly_volume_over()).c_str(), t.new_region() ? "yes" : "no");
}

void PrintAlerts(const v1::ListRiskAlertsResponse& r) {
  for (const auto& a : r.alerts()) {
    std::vector<std::string> d;
    for (const auto& [k, v] : a.detail()) d.push_back(absl::StrCat(k, "=", v));
    std::sort(d.begin(), d.end());
    std::printf("%s  %s  %s\n", a.alert_id().c_str(), a.kind().c_str(),
                absl::StrJoin(d, " ").c_str());
  }
}

void PrintImport(const v1::ImportRegionsResponse& r) {
  std::printf("imported %lld ranges as version %lld (sha256 %s)\n",
              static_cast<long long>(r.ranges()), static_cast<long long>(r.version()),
              r.sha256().c_str());
}

}  // namespace

void AddRiskCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<RiskArgs>();
  const auto stub = [&ctl] {
    ctl.Connect();
    return v1::RiskService::NewStub(ctl.channel);
  };
  auto* risk = app.add_subcommand("risk", "risk rules, events, freezes, appeals and alerts");
  risk->require_subcommand(1);

  risk->add_subcommand("rules", "the rules as they run now")->callback([&ctl, stub] {
    ctl.run = [&ctl, stub] {
      auto s = stub();
      v1::ListRulesRequest req;
      return RunCall<v1::ListRulesResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ListRulesResponse* r) { return s->ListRules(c, req, r); },
          PrintRules);
    };
  });

  auto* set = risk->add_subcommand("set", "change a rule (a new version, audited)");
  set->add_option("rule", a->rule_id)->required();
  set->add_option("--param", a->params, "key=value, repeatable");
  set->add_option("--action", a->action, "FREEZE, BLOCK, REVIEW or FORCE_OFFLINE");
  set->add_option("--fail-mode", a->fail_mode, "OPEN or CLOSED");
  set->add_flag("--enable", a->enable);
  set->add_flag("--disable", a->disable);
  set->add_option("--reason", a->reason, "why (kept with the version)");
  set->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::UpdateRuleRequest req;
      req.set_rule_id(a->rule_id);
      for (const auto& p : a->params) {
        size_t eq = p.find('=');
        if (eq == std::string::npos || eq == 0) {
          return PrintError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                         "--param: want key=value, got \"" + p + "\""));
        }
        (*req.mutable_params())[p.substr(0, eq)] = p.substr(eq + 1);
      }
      req.set_action(a->action);
      req.set_fail_mode(a->fail_mode);
      if (a->enable) req.set_enabled("true");
      if (a->disable) req.set_enabled("false");
      req.set_reason(a->reason);
      auto s = stub();
      return RunCall<v1::RiskRule>(
          ctl, [&](grpc::ClientContext* c, v1::RiskRule* r) { return s->UpdateRule(c, req, r); },
          PrintRule);
    };
  });

  auto* events = risk->add_subcommand("events", "decisions other than ALLOW, newest first");
  events->add_option("--merchant", a->merchant_id);
  events->add_option("--rule", a->rule_id);
  events->add_option("--since", a->since, "RFC 3339, e.g. 2026-12-01T00:00:00Z");
  events->add_option("--page-size", a->page_size);
  events->add_option("--page-token", a->page_token);
  events->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ListRiskEventsRequest req;
      req.set_merchant_id(a->merchant_id);
      req.set_rule_id(a->rule_id);
      if (!a->since.empty()) {
        absl::Time t;
        std::string err;
        if (!absl::ParseTime(absl::RFC3339_full, a->since, &t, &err)) {
          return PrintError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "--since: " + err));
        }
        req.mutable_since()->set_seconds(absl::ToUnixSeconds(t));
      }
      req.mutable_page()->set_page_size(a->page_size);
      req.mutable_page()->set_page_token(a->page_token);
      auto s = stub();
      return RunCall<v1::ListRiskEventsResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ListRiskEventsResponse* r) {
            return s->ListEvents(c, req, r);
          },
          PrintEvents);
    };
  });

  auto* regions = risk->add_subcommand("regions", "the CIDR -> region table");
  regions->require_subcommand(1);
  auto* import = regions->add_subcommand("import", "replace the table with a CSV (cidr,region)");
  import->add_option("file", a->file)->required()->check(CLI::ExistingFile);
  import->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      std::ifstream in(a->file, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  v1::ImportRegionsRequest req;
  req.set_csv(buf.str());
  auto s = stub();
  return RunCall<v1::ImportRegionsResponse>(
      ctl,
      [&](grpc::ClientContext* c, v1::ImportRegionsResponse* r) {
        return s->ImportRegions(c, req, r);
      },
      PrintImport);
};
}  // namespace aggpay::ctl
);

auto* freeze = risk->add_subcommand("freeze", "freeze a merchant's collection (lifted by appeal)");
freeze->add_option("--merchant", a->merchant_id)->required();
freeze->add_option("--reason", a->reason)->required();
freeze->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::RiskFreezeRequest req;
    req.set_merchant_id(a->merchant_id);
    req.set_reason(a->reason);
    auto s = stub();
    return RunCall<v1::RiskFreeze>(
        ctl,
        [&](grpc::ClientContext* c, v1::RiskFreeze* r) { return s->FreezeMerchant(c, req, r); },
        PrintFreeze);
  };
});

auto* freezes = risk->add_subcommand("freezes", "active freezes (--all: their history too)");
freezes->add_option("--merchant", a->merchant_id);
freezes->add_flag("--all", a->all);
freezes->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::ListFreezesRequest req;
    req.set_merchant_id(a->merchant_id);
    if (a->all) req.set_status("ALL");
    auto s = stub();
    return RunCall<v1::ListFreezesResponse>(
        ctl,
        [&](grpc::ClientContext* c, v1::ListFreezesResponse* r) {
          return s->ListFreezes(c, req, r);
        },
        PrintFreezes);
  };
});

auto* appeals = risk->add_subcommand("appeals", "appeals pending review (--all: every state)");
appeals->add_option("--merchant", a->merchant_id);
appeals->add_flag("--all", a->all);
appeals->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::ListAppealsRequest req;
    req.set_merchant_id(a->merchant_id);
    if (a->all) req.set_status("ALL");
    auto s = stub();
    return RunCall<v1::ListAppealsResponse>(
        ctl,
        [&](grpc::ClientContext* c, v1::ListAppealsResponse* r) {
          return s->ListAppeals(c, req, r);
        },
        PrintAppeals);
  };
});

auto* review = risk->add_subcommand("review", "approve (lifts the freeze) or reject an appeal");
review->add_option("appeal_id", a->appeal_id)->required();
auto* approve = review->add_flag("--approve", a->approve);
auto* reject = review->add_flag("--reject", a->reject);
approve->excludes(reject);
review->add_option("--note", a->note, "what the review found")->required();
review->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::ReviewAppealRequest req;
    req.set_appeal_id(a->appeal_id);
    req.set_verdict(a->approve ? "APPROVE" : a->reject ? "REJECT" : "");
    req.set_note(a->note);
    auto s = stub();
    return RunCall<v1::Appeal>(
        ctl, [&](grpc::ClientContext* c, v1::Appeal* r) { return s->ReviewAppeal(c, req, r); },
        PrintAppeal);
  };
});

auto* pass = risk->add_subcommand(
    "security-pass", "a device freeze's security check passed: terminals may be activated again");
pass->add_option("--merchant", a->merchant_id)->required();
pass->add_option("--note", a->note)->required();
pass->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::PassSecurityCheckRequest req;
    req.set_merchant_id(a->merchant_id);
    req.set_note(a->note);
    auto s = stub();
    return RunCall<v1::RiskFreeze>(
        ctl,
        [&](grpc::ClientContext* c, v1::RiskFreeze* r) { return s->PassSecurityCheck(c, req, r); },
        PrintFreeze);
  };
});

auto* thresholds = risk->add_subcommand("thresholds", "a merchant's own alert levels");
thresholds->add_option("--merchant", a->merchant_id)->required();
thresholds->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::GetThresholdsRequest req;
    req.set_merchant_id(a->merchant_id);
    auto s = stub();
    return RunCall<v1::AlertThresholds>(
        ctl,
        [&](grpc::ClientContext* c, v1::AlertThresholds* r) { return s->GetThresholds(c, req, r); },
        PrintThresholds);
  };
});

auto* alerts = risk->add_subcommand("alerts", "alerts a merchant's thresholds raised");
alerts->add_option("--merchant", a->merchant_id)->required();
alerts->add_option("--page-size", a->page_size);
alerts->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::ListRiskAlertsRequest req;
    req.set_merchant_id(a->merchant_id);
    req.mutable_page()->set_page_size(a->page_size);
    auto s = stub();
    return RunCall<v1::ListRiskAlertsResponse>(
        ctl,
        [&](grpc::ClientContext* c, v1::ListRiskAlertsResponse* r) {
          return s->ListAlerts(c, req, r);
        },
        PrintAlerts);
  };
});
}

}  // namespace aggpay::ctl
