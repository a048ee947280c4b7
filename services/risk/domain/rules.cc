#include "services/risk/domain/rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::risk {
namespace {

using common::InvalidField;

std::string Field(absl::string_view key) { return absl::StrCat("params.", key); }

// A whole number in [min, max].
absl::StatusOr<int64_t> IntParam(const Params& p, absl::string_view key, int64_t min, int64_t max) {
  auto it = p.find(std::string(key));
  if (it == p.end()) return InvalidField(Field(key), "required");
  int64_t v = 0;
  if (it->second.empty() || !absl::SimpleAtoi(it->second, &v) ||
      it->second.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidField(Field(key), absl::StrCat("\"", it->second, "\" is not a whole number"));
  }
  if (v < min || v > max) {
    return InvalidField(Field(key), absl::StrCat("must be between ", min, " and ", max));
  }
  return v;
}

// A decimal with at most 4 places, as ten-thousandths ("2.0" -> 20000), in [min, max].
absl::StatusOr<int64_t> RatioParam(const Params& p, absl::string_view key, int64_t min,
                                   int64_t max) {
  auto it = p.find(std::string(key));
  if (it == p.end()) return InvalidField(Field(key), "required");
  const std::string& s = it->second;
  std::vector<std::string> parts = absl::StrSplit(s, absl::MaxSplits('.', 1));
  int64_t whole = 0;
  int64_t frac = 0;
  bool ok = !parts[0].empty() && parts[0].size() <= 6 &&
            parts[0].find_first_not_of("0123456789") == std::string::npos &&
            absl::SimpleAtoi(parts[0], &whole);
  if (ok && parts.size() == 2) {
    std::string f = parts[1];
    ok = !f.empty() && f.size() <= 4 && f.find_first_not_of("0123456789") == std::string::npos;
    if (ok) {
      f.resize(4, '0');
      ok = absl::SimpleAtoi(f, &frac);
    }
  }
  if (!ok) {
    return InvalidField(Field(key),
                        absl::StrCat("\"", s, "\" is not a decimal with at most 4 places"));
  }
  int64_t v = whole * 10000 + frac;
  if (v < min || v > max) {
    return InvalidField(Field(key),
                        absl::StrCat("must be between ", min / 10000.0, " and ", max / 10000.0));
  }
  return v;
}

absl::Status OnlyKnown(const Params& p, std::initializer_list<absl::string_view> known) {
  for (const auto& [k, v] : p) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      return InvalidField(Field(k), absl::StrCat("unknown parameter; this rule takes ",
                                                 absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status ActionIn(const RuleConfig& c, std::initializer_list<Action> allowed) {
  if (std::find(allowed.begin(), allowed.end(), c.action) != allowed.end()) {
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (Action a : allowed) names.emplace_back(ActionName(a));
  return InvalidField("action", absl::StrCat(c.rule_id, " takes ", absl::StrJoin(names, ", ")));
}

constexpr int64_t kMaxWindowSeconds = 7 * 24 * 3600;

// 1. Today's running amount exceeds multiplier x the trailing daily mean, with enough history.
class AmountSurge final : public Rule {
 public:
  static absl::StatusOr<std::unique_ptr<Rule>> Make(RuleConfig c) {
    RETURN_IF_ERROR(
        OnlyKnown(c.params, {"history_days", "min_history_days", "min_today_minor", "multiplier"}));
    RETURN_IF_ERROR(ActionIn(c, {Action::kFreeze, Action::kBlock, Action::kReview}));
    auto r = std::unique_ptr<AmountSurge>(new AmountSurge(c));
    ASSIGN_OR_RETURN(r->history_days_, IntParam(c.params, "history_days", 1, 366));
    ASSIGN_OR_RETURN(r->min_history_days_,
                     IntParam(c.params, "min_history_days", 1, r->history_days_));
    ASSIGN_OR_RETURN(r->min_today_minor_,
                     IntParam(c.params, "min_today_minor", 0, int64_t{1} << 50));
    ASSIGN_OR_RETURN(r->multiplier_e4_, RatioParam(c.params, "multiplier", 10000, 1000000));
    return std::unique_ptr<Rule>(std::move(r));
  }
  bool InScope(const PaymentFacts&) const override { return true; }
  void Plan(const PaymentFacts&, CounterPlan& plan) const override { plan.amount = true; }
  std::optional<Hit> Judge(const PaymentFacts& f, const Counters& c,
                           const History& h) const override {
    if (!h.first_day) return std::nullopt;
    absl::CivilDay today = LocalDay(f.now, f.zone);
    absl::CivilDay start = std::max(*h.first_day, today - history_days_);
    int64_t days = today - start;
    if (days < min_history_days_) return std::nullopt;
    if (c.today_minor < min_today_minor_) return std::nullopt;
    // today > multiplier * sum / days, exactly: today * days * 10^4 > multiplier_e4 * sum.
    __int128 lhs = static_cast<__int128>(c.today_minor) * days * 10000;
    __int128 rhs = static_cast<__int128>(multiplier_e4_) * h.window_sum_minor;
    if (lhs <= rhs) return std::nullopt;
    return MakeHit({{"today_minor", absl::StrCat(c.today_minor)},
                    {"history_sum_minor", absl::StrCat(h.window_sum_minor)},
                    {"history_days", absl::StrCat(days)},
                    {"daily_mean_minor", absl::StrCat(h.window_sum_minor / days)},
                    {"multiplier", config().params.at("multiplier")},
                    {"currency", f.currency}});
  }
  int history_days() const { return static_cast<int>(history_days_); }

 private:
  using Rule::Rule;
  int64_t history_days_ = 30;
  int64_t min_history_days_ = 7;
  int64_t min_today_minor_ = 0;
  int64_t multiplier_e4_ = 20000;
};

// 2. Many small payments at night in the merchant's zone.
class NightSmall final : public Rule {
 public:
  static absl::StatusOr<std::unique_ptr<Rule>> Make(RuleConfig c) {
    RETURN_IF_ERROR(OnlyKnown(
        c.params, {"count", "end_hour", "max_amount_minor", "start_hour", "window_seconds"}));
    RETURN_IF_ERROR(ActionIn(c, {Action::kFreeze, Action::kBlock, Action::kReview}));
    auto r = std::unique_ptr<NightSmall>(new NightSmall(c));
    ASSIGN_OR_RETURN(r->count_, IntParam(c.params, "count", 1, 1000000));
    ASSIGN_OR_RETURN(r->start_hour_, IntParam(c.params, "start_hour", 0, 23));
    ASSIGN_OR_RETURN(r->end_hour_, IntParam(c.params, "end_hour", 0, 24));
    if (r->start_hour_ == r->end_hour_) {
      return InvalidField(Field("end_hour"), "must differ from start_hour");
    }
    ASSIGN_OR_RETURN(r->max_amount_minor_,
                     IntParam(c.params, "max_amount_minor", 1, int64_t{1} << 50));
    ASSIGN_OR_RETURN(int64_t w, IntParam(c.params, "window_seconds", 1, kMaxWindowSeconds));
    r->window_ = absl::Seconds(w);
    return std::unique_ptr<Rule>(std::move(r));
  }
  bool InScope(const PaymentFacts& f) const override {
    if (f.amount_minor > max_amount_minor_) return false;
    int hour = absl::ToCivilHour(f.now, f.zone).hour();
    if (start_hour_ < end_hour_) return hour >= start_hour_ && hour < end_hour_;
    return hour >= start_hour_ || hour < end_hour_;  // a window across midnight, 22 -> 6
  }
  void Plan(const PaymentFacts&, CounterPlan& plan) const override {
    plan.night = true;
    plan.night_window = window_;
  }
  std::optional<Hit> Judge(const PaymentFacts& f, const Counters& c,
                           const History&) const override {
    if (c.night_count < count_) return std::nullopt;
    return MakeHit({{"night_small_payments", absl::StrCat(c.night_count)},
                    {"window_seconds", absl::StrCat(absl::ToInt64Seconds(window_))},
                    {"max_amount_minor", absl::StrCat(max_amount_minor_)},
                    {"local_time", absl::FormatTime("%Y-%m-%d %H:%M:%S %Ez", f.now, f.zone)}});
  }

 private:
  using Rule::Rule;
  int64_t count_ = 20;
  int64_t start_hour_ = 0;
  int64_t end_hour_ = 6;
  int64_t max_amount_minor_ = 1000;
  absl::Duration window_ = absl::Minutes(10);
};

// 3. Most payments of a window from one foreign region, or from one subnet.
class ForeignIp final : public Rule {
 public:
  static absl::StatusOr<std::unique_ptr<Rule>> Make(RuleConfig c) {
    RETURN_IF_ERROR(
        OnlyKnown(c.params, {"min_payments", "share_percent", "subnet_prefix", "window_seconds"}));
    RETURN_IF_ERROR(ActionIn(c, {Action::kReview, Action::kFreeze, Action::kBlock}));
    auto r = std::unique_ptr<ForeignIp>(new ForeignIp(c));
    ASSIGN_OR_RETURN(r->min_payments_, IntParam(c.params, "min_payments", 1, 1000000));
    ASSIGN_OR_RETURN(r->share_percent_, IntParam(c.params, "share_percent", 1, 99));
    ASSIGN_OR_RETURN(r->subnet_prefix_, IntParam(c.params, "subnet_prefix", 8, 32));
    ASSIGN_OR_RETURN(int64_t w, IntParam(c.params, "window_seconds", 6, kMaxWindowSeconds));
    r->window_ = absl::Seconds(w);
    return std::unique_ptr<Rule>(std::move(r));
  }
  bool InScope(const PaymentFacts& f) const override { return !f.payer_subnet.empty(); }
  void Plan(const PaymentFacts&, CounterPlan& plan) const override {
    plan.ip = true;
    plan.ip_window = window_;
  }
  std::optional<Hit> Judge(const PaymentFacts& f, const Counters& c,
                           const History&) const override {
    if (c.ip_total < min_payments_) return std::nullopt;
    auto most = [&](int64_t n) { return n * 100 > share_percent_ * c.ip_total; };
    bool foreign = !f.payer_region.empty() && f.payer_region != f.merchant_region;
    std::map<std::string, std::string> ev = {{"window_payments", absl::StrCat(c.ip_total)},
                                             {"share_percent", absl::StrCat(share_percent_)},
                                             {"merchant_region", f.merchant_region}};
    if (foreign && most(c.ip_region)) {
      ev["region"] = f.payer_region;
      ev["region_payments"] = absl::StrCat(c.ip_region);
      return MakeHit(std::move(ev));
    }
    if (most(c.ip_subnet)) {
      ev["subnet"] = f.payer_subnet;
      ev["subnet_payments"] = absl::StrCat(c.ip_subnet);
      return MakeHit(std::move(ev));
    }
    return std::nullopt;
  }
  int subnet_prefix() const { return static_cast<int>(subnet_prefix_); }

 private:
  using Rule::Rule;
  int64_t min_payments_ = 10;
  int64_t share_percent_ = 50;
  int64_t subnet_prefix_ = 24;
  absl::Duration window_ = absl::Minutes(30);
};

// 4. One payer device on several merchants within a window.
class DeviceHopping final : public Rule {
 public:
  static absl::StatusOr<std::unique_ptr<Rule>> Make(RuleConfig c) {
    RETURN_IF_ERROR(OnlyKnown(c.params, {"merchants", "window_seconds"}));
    RETURN_IF_ERROR(ActionIn(c, {Action::kForceOffline, Action::kBlock, Action::kReview}));
    auto r = std::unique_ptr<DeviceHopping>(new DeviceHopping(c));
    ASSIGN_OR_RETURN(r->merchants_, IntParam(c.params, "merchants", 2, 1000));
    ASSIGN_OR_RETURN(int64_t w, IntParam(c.params, "window_seconds", 1, kMaxWindowSeconds));
    r->window_ = absl::Seconds(w);
    return std::unique_ptr<Rule>(std::move(r));
  }
  bool InScope(const PaymentFacts& f) const override { return !f.device_id.empty(); }
  void Plan(const PaymentFacts&, CounterPlan& plan) const override {
    plan.device = true;
    plan.device_window = window_;
  }
  std::optional<Hit> Judge(const PaymentFacts& f, const Counters& c,
                           const History&) const override {
    if (static_cast<int64_t>(c.device_merchants.size()) < merchants_) return std::nullopt;
    std::vector<std::string> merchants = c.device_merchants;
    std::sort(merchants.begin(), merchants.end());
    Hit hit = MakeHit({{"device_id", f.device_id},
                       {"merchants", absl::StrJoin(merchants, " ")},
                       {"window_seconds", absl::StrCat(absl::ToInt64Seconds(window_))}});
    hit.merchants = std::move(merchants);
    return hit;
  }

 private:
  using Rule::Rule;
  int64_t merchants_ = 3;
  absl::Duration window_ = absl::Hours(1);
};

}  // namespace

absl::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "ALLOW";
    case Decision::kReview:
      return "REVIEW";
    case Decision::kBlock:
      return "BLOCK";
    case Decision::kFreeze:
      return "FREEZE";
  }
  return "ALLOW";
}

absl::string_view ActionName(Action a) {
  switch (a) {
    case Action::kReview:
      return "REVIEW";
    case Action::kBlock:
      return "BLOCK";
    case Action::kFreeze:
      return "FREEZE";
    case Action::kForceOffline:
      return "FORCE_OFFLINE";
  }
  return "REVIEW";
}

absl::StatusOr<Action> ParseAction(absl::string_view name, absl::string_view field) {
  for (Action a : {Action::kReview, Action::kBlock, Action::kFreeze, Action::kForceOffline}) {
    if (name == ActionName(a)) return a;
  }
  return InvalidField(field, absl::StrCat("\"", name,
                                          "\" is not an action (REVIEW, BLOCK, FREEZE or "
                                          "FORCE_OFFLINE)"));
}

absl::string_view FailModeName(FailMode m) { return m == FailMode::kOpen ? "OPEN" : "CLOSED"; }

absl::StatusOr<FailMode> ParseFailMode(absl::string_view name, absl::string_view field) {
  if (name == "OPEN") return FailMode::kOpen;
  if (name == "CLOSED") return FailMode::kClosed;
  return InvalidField(field, absl::StrCat("\"", name, "\" is not OPEN or CLOSED"));
}

absl::StatusOr<Params> ParseParams(absl::string_view text) {
  Params out;
  if (text.empty()) return out;
  for (absl::string_view pair : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty()) {
      return InvalidField("params", absl::StrCat("\"", pair, "\" is not key=value"));
    }
    out[std::string(kv[0])] = std::string(kv[1]);
  }
  return out;
}

std::string FormatParams(const Params& params) {
  return absl::StrJoin(params, ",", absl::PairFormatter("="));
}

Hit Rule::MakeHit(std::map<std::string, std::string> evidence) const {
  Hit h;
  h.rule_id = config_.rule_id;
  h.action = config_.action;
  h.evidence = std::move(evidence);
  return h;
}

absl::StatusOr<std::unique_ptr<Rule>> MakeRule(RuleConfig config) {
  for (const auto& [k, v] : config.params) {
    if (k.empty() || v.empty() || k.find_first_of(",=") != std::string::npos ||
        v.find_first_of(",=") != std::string::npos) {
      return InvalidField(Field(k), "keys and values are non-empty and hold no ',' or '='");
    }
  }
  if (config.rule_id == kAmountSurge) return AmountSurge::Make(std::move(config));
  if (config.rule_id == kNightSmall) return NightSmall::Make(std::move(config));
  if (config.rule_id == kForeignIp) return ForeignIp::Make(std::move(config));
  if (config.rule_id == kDeviceHopping) return DeviceHopping::Make(std::move(config));
  return absl::NotFoundError(absl::StrCat("no rule \"", config.rule_id, "\""));
}

std::vector<RuleConfig> DefaultRules() {
  auto params = [](absl::string_view s) { return *ParseParams(s); };
  return {
      {std::string(kAmountSurge), true, Action::kFreeze, FailMode::kOpen,
       params("history_days=30,min_history_days=7,min_today_minor=0,multiplier=2.0"), 1},
      {std::string(kNightSmall), true, Action::kFreeze, FailMode::kClosed,
       params("count=20,end_hour=6,max_amount_minor=1000,start_hour=0,window_seconds=600"), 1},
      {std::string(kForeignIp), true, Action::kReview, FailMode::kOpen,
       params("min_payments=10,share_percent=50,subnet_prefix=24,window_seconds=1800"), 1},
      {std::string(kDeviceHopping), true, Action::kForceOffline, FailMode::kClosed,
       params("merchants=3,window_seconds=3600"), 1},
  };
}

absl::StatusOr<RuleSet> RuleSet::Build(std::vector<RuleConfig> configs) {
  RuleSet set;
  for (auto& c : configs) {
    ASSIGN_OR_RETURN(std::unique_ptr<Rule> r, MakeRule(std::move(c)));
    set.rules_.push_back(std::move(r));
  }
  return set;
}

CounterPlan RuleSet::Plan(const PaymentFacts& facts) const {
  CounterPlan plan;
  plan.local_day = DayKey(LocalDay(facts.now, facts.zone));
  for (const auto& r : rules_) {
    if (r->config().enabled && r->InScope(facts)) r->Plan(facts, plan);
  }
  return plan;
}

bool RuleSet::NeedsHistory(const PaymentFacts& facts) const {
  for (const auto& r : rules_) {
    if (r->config().enabled && r->config().rule_id == kAmountSurge && r->InScope(facts)) {
      return true;
    }
  }
  return false;
}

int RuleSet::history_days() const {
  for (const auto& r : rules_) {
    if (const auto* s = dynamic_cast<const AmountSurge*>(r.get())) return s->history_days();
  }
  return 30;
}

Verdict RuleSet::Judge(const PaymentFacts& facts, const std::optional<Counters>& counters,
                       const History& history) const {
  Verdict v;
  for (const auto& r : rules_) {
    const RuleConfig& c = r->config();
    if (!c.enabled || !r->InScope(facts)) continue;
    if (!counters) {
      Hit h;
      h.rule_id = c.rule_id;
      h.action = c.fail_mode == FailMode::kClosed ? Action::kBlock : Action::kReview;
      h.evidence = {{"counters", "unavailable"},
                    {"fail_mode", std::string(FailModeName(c.fail_mode))}};
      v.hits.push_back(std::move(h));
      continue;
    }
    if (auto hit = r->Judge(facts, *counters, history)) v.hits.push_back(*std::move(hit));
  }
  for (const Hit& h : v.hits) {
    Decision d = Decision::kReview;
    if (h.action == Action::kFreeze) d = Decision::kFreeze;
    if (h.action == Action::kBlock || h.action == Action::kForceOffline) d = Decision::kBlock;
    v.decision = std::max(v.decision, d);
  }
  return v;
}

absl::CivilDay LocalDay(absl::Time t, absl::TimeZone zone) { return absl::ToCivilDay(t, zone); }

std::string DayKey(absl::CivilDay day) { return absl::FormatCivilTime(day).substr(0, 10); }

}  // namespace aggpay::risk
